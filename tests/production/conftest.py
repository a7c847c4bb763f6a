"""The production check runs only when asked for (PRODUCTION_CHECK=1, see run_production_check.sh)."""
from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "production: starts the portal the production way (gunicorn, PostgreSQL, "
                                       "the sweeper, the outbox) and drives a browser against it")
