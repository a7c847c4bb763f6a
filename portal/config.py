"""Every setting of the portal, read from the environment in one place.

| variable        | default                              | meaning                                  |
|-----------------|--------------------------------------|------------------------------------------|
| SECRET_KEY      | generated in debug only              | signs sessions and CSRF tokens           |
| DATABASE_URL    | sqlite:///<instance>/tyndau.db        | SQLAlchemy URL (postgresql+psycopg://…)  |
| UPLOADS_DIR     | <instance>/uploads                   | where uploaded documents are kept        |
| MAX_UPLOAD_MB   | 10                                   | largest single document                  |
| PREVIEW_CPU_SECONDS | 5                                | CPU time one preview page may cost (a child process; over it the page is not shown, and a first page over it is refused at upload) |
| PREVIEW_MEMORY_MB | 512                                | address space of that child process      |
| PREVIEW_WALL_SECONDS | 10                              | seconds before that child is killed      |
| PREVIEW_CONCURRENCY | 2                                | pages drawn at once on a host; keep it below the number of web workers |
| TRUST_STORE     | <instance>/pki/trust                 | CA certificates and CRLs for EDS checks  |
| TYNDAU_ENV      | development                          | "production" refuses to start unsafely   |
| TRUSTED_PROXIES | 0                                    | reverse proxies whose X-Forwarded-* count |
| STATE_GATEWAY   | portal.gateway.development.…         | class of the e-government gateway client |
| REQUIRE_EDS_FOR_PORTAL | true                           | a portal application must be signed (App. 2 item 8, 10); false only for tests of later stages |
| EDS_CHALLENGE_SECONDS  | 300                            | lifetime of an EDS log-in challenge      |
| NCALAYER_URL    | wss://127.0.0.1:13579                | where the pages reach NCALayer (the CSP allows exactly this) |
| PROVIDER_BIN    | demo ministry's BIN (required in production) | the provider's BIN: the signatory's certificate must carry it (п.11) |
| AUTHORITY_BIN   | demo authority's BIN (required in production) | the quality-control authority's BIN: its official's certificate must carry it (п.19) |
| PORTAL_URL      | http://127.0.0.1:5000                | public address of the portal, for links in e-mails |
| MAIL_TRANSPORT  | folder (smtp when production)        | "smtp", or "folder": each mail an .eml file |
| MAIL_FOLDER     | <instance>/mail                      | where the folder transport writes        |
| MAIL_FROM       | Tyndau <noreply@localhost>           | sender of the notifications              |
| SMTP_HOST, SMTP_PORT | localhost, 25                   | the SMTP relay                           |
| SMTP_USER, SMTP_PASSWORD | none                        | log-in at the relay, when it wants one   |
| SMTP_STARTTLS   | false                                | upgrade the connection with STARTTLS     |
| SMTP_TIMEOUT    | 30                                   | seconds before a silent relay counts as a failure |
| OUTBOX_MAX_ATTEMPTS | 10                               | failed sends before a mail is marked failed |
| SESSION_IDLE_MINUTES | 30                              | a session without a request for this long ends |
| SESSION_LIFETIME_HOURS | 8                             | a session ends this long after the log-in, active or not |
| RATELIMIT_ENABLED | true                               | limit failed log-ins (portal/core/security.py) |
| RATELIMIT_STORAGE_URI | memory://                      | where the counters live; memory:// is per worker process, so production points all workers at one store (redis://host:6379/0) |
| LOGIN_RATE_LIMIT | 5 per minute; 20 per hour           | failed log-ins per username and client address |
| LOGIN_ADDRESS_RATE_LIMIT | 30 per minute; 200 per hour | failed log-ins (password and EDS), and new EDS log-in challenges, per client address |
| ACCOUNT_LOGIN_FAILURES | 10 per 15 minutes             | failed password log-ins per account from any address, counted in the database (every worker): then that account's password log-in pauses until the oldest leaves the window; a successful log-in clears them |
| VERIFY_RATE_LIMIT | 30 per minute                      | public checks (/verify with a document, /verify/number with a number) per client address |
| PAGE_CACHE_SIZE | 256                                  | main pages kept per worker process under a key of all they are made of (portal/core/page_cache.py); 0: none |
"""
from __future__ import annotations

import os
import secrets

from portal.signatures import pki  # the development PKI's bodies


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes")


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the configuration dict from the environment and test overrides."""
    overrides = overrides or {}
    env = overrides.get("TYNDAU_ENV", os.environ.get("TYNDAU_ENV", "development"))
    config = {"TYNDAU_ENV": env, "SECRET_KEY": os.environ.get("SECRET_KEY"), **_storage(instance_path),
              **_people(env), **_outside_world(env, instance_path)}
    config.update(overrides)
    _fill_secret_key(config)
    _fill_official_bins(config)
    return config


def _database_url(instance_path: str) -> str:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'tyndau.db')}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants the driver spelled out.
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return database_url


def _storage(instance_path: str) -> dict:
    """The database, the uploaded files and their limits, the trust store."""
    database_url = _database_url(instance_path)
    max_upload_mb = _int("MAX_UPLOAD_MB", 10)
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOADS_DIR": os.environ.get("UPLOADS_DIR", os.path.join(instance_path, "uploads")),
        "MAX_UPLOAD_BYTES": max_upload_mb * 1024 * 1024,
        # A PDF page is drawn for the case page in a child process with these limits (portal/documents/preview.py).
        "PREVIEW_CPU_SECONDS": _int("PREVIEW_CPU_SECONDS", 5),
        "PREVIEW_MEMORY_MB": _int("PREVIEW_MEMORY_MB", 512),
        "PREVIEW_WALL_SECONDS": float(os.environ.get("PREVIEW_WALL_SECONDS", 10)),
        "PREVIEW_CONCURRENCY": _int("PREVIEW_CONCURRENCY", 2),
        # Room for a few documents plus the form; a single file is limited separately.
        "MAX_CONTENT_LENGTH": (max_upload_mb * 3 + 1) * 1024 * 1024,
        "TRUST_STORE": os.environ.get("TRUST_STORE", os.path.join(instance_path, "pki", "trust")),
    }


def _people(env: str) -> dict:
    """What the people's side of the portal needs: languages, sessions, log-in limits, pages."""
    return {
        "BABEL_DEFAULT_LOCALE": "kk",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Almaty",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "LANGUAGES": ("kk", "ru", "en"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        # Absolute: counted from the log-in (portal/core/security.py), not refreshed by activity.
        "PERMANENT_SESSION_LIFETIME": _int("SESSION_LIFETIME_HOURS", 8) * 60 * 60,
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 30),
        # The cookie is sent again only when the session changes (the log-in, the activity mark once a minute):
        # its browser expiry is the absolute lifetime anyway.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Failed log-ins (flask-limiter); memory:// counts in each worker process separately.
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "5 per minute; 20 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "30 per minute; 200 per hour"),
        # Per account alone, in the database, so every worker counts together (RATELIMIT_ENABLED switches it too).
        "ACCOUNT_LOGIN_FAILURES": os.environ.get("ACCOUNT_LOGIN_FAILURES", "10 per 15 minutes"),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "30 per minute"),
        "PAGE_SIZE": 25,
        "PAGE_CACHE_SIZE": _int("PAGE_CACHE_SIZE", 256),
        # How many reverse proxies (nginx) stand in front; their X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
    }


def _outside_world(env: str, instance_path: str) -> dict:
    """The systems the portal talks to: the state gateway, NCALayer and EDS, the mail relay."""
    return {
        # The e-government gateway client (п.13); production names its own class here.
        "STATE_GATEWAY": os.environ.get("STATE_GATEWAY", "portal.gateway.development.DevelopmentGateway"),
        # Appendix 2 items 8 and 10: an application through the portal is certified by the applicant's EDS.
        "REQUIRE_EDS_FOR_PORTAL": _bool("REQUIRE_EDS_FOR_PORTAL", True),
        "EDS_CHALLENGE_SECONDS": _int("EDS_CHALLENGE_SECONDS", 300),
        # NCALayer's WebSocket on the person's own computer; the pages sign through it (static/js/ncalayer.js).
        "NCALAYER_URL": os.environ.get("NCALAYER_URL", "wss://127.0.0.1:13579"),
        # Decisions are signed by the officials themselves (п.11, п.19): their certificates must carry these BINs.
        "PROVIDER_BIN": os.environ.get("PROVIDER_BIN", ""),
        "AUTHORITY_BIN": os.environ.get("AUTHORITY_BIN", ""),
        # Notifications (portal/notifications): a developer reads the mails in a folder, production relays them.
        "PORTAL_URL": os.environ.get("PORTAL_URL", "http://127.0.0.1:5000"),
        "MAIL_TRANSPORT": os.environ.get("MAIL_TRANSPORT", "smtp" if env == "production" else "folder"),
        "MAIL_FOLDER": os.environ.get("MAIL_FOLDER", os.path.join(instance_path, "mail")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Tyndau <noreply@localhost>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": _int("SMTP_PORT", 25),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "SMTP_TIMEOUT": _int("SMTP_TIMEOUT", 30),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 10),
    }


def _fill_secret_key(config: dict) -> None:
    if not config["SECRET_KEY"]:
        if config["TYNDAU_ENV"] == "production":
            raise RuntimeError("SECRET_KEY must be set in production (TYNDAU_ENV=production).")
        # A fresh key per process is fine on a laptop; sessions just do not survive a restart.
        config["SECRET_KEY"] = secrets.token_hex(32)


def _fill_official_bins(config: dict) -> None:
    """The BINs the officials' certificates carry; a development instance without them takes the development PKI's."""
    for name, demo in (("PROVIDER_BIN", "DEMO_PROVIDER"), ("AUTHORITY_BIN", "DEMO_AUTHORITY")):
        if config[name]:
            continue
        if config["TYNDAU_ENV"] == "production":
            raise RuntimeError(f"{name} must be set in production (TYNDAU_ENV=production): the BIN the "
                               "officials' certificates carry.")
        config[name] = getattr(pki, demo)["bin"]
