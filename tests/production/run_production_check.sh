#!/usr/bin/env bash
# The production check (tests/production/test_production_setup.py): the Procfile's processes on this machine
# (gunicorn with 2 workers, the deadline sweeper, the mail outbox) on a fresh PostgreSQL database, and a browser
# journey against them. `make test-production` runs it; CI runs it after the PostgreSQL tests.
#
# DATABASE_URL names the PostgreSQL server to use (CI's cluster); the check makes and drops its own database there.
# Without one, a throw-away cluster is started on PRODUCTION_PGPORT (55450) and removed afterwards.
# The exit status is pytest's: anything but 0 fails the caller.
set -euo pipefail
cd "$(dirname "$0")/../.."

cluster=""
stop_cluster() {
  if [ -n "$cluster" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$cluster" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$cluster"
  fi
}
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${DATABASE_URL:-}" in
  postgresql://*|postgresql+psycopg://*|postgres://*) ;;
  *)
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    if [ -z "$PGBIN" ]; then
      echo "The production check needs PostgreSQL: set DATABASE_URL, or apt-get install postgresql" >&2
      exit 2
    fi
    port=${PRODUCTION_PGPORT:-55450}
    cluster=$(mktemp -d /tmp/tyndau-production-pg.XXXXXX)
    trap stop_cluster EXIT
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$cluster"
    as_postgres "$PGBIN/initdb" -D "$cluster" -A trust -U postgres >/dev/null
    as_postgres "$PGBIN/pg_ctl" -D "$cluster" -l "$cluster/server.log" \
      -o "-p $port -k $cluster -c listen_addresses=127.0.0.1" -w start >/dev/null
    export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "== a throw-away PostgreSQL cluster on port $port"
    ;;
esac

echo "== the production way: gunicorn (2 workers), the sweeper and the outbox on PostgreSQL, and a browser journey"
PRODUCTION_CHECK=1 .venv/bin/python -m pytest tests/production -p no:cacheprovider -v -rfE
