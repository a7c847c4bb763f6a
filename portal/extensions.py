"""Flask extensions, created unbound and initialised by the app factory."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()


class SessionLoginManager(LoginManager):
    """Flask-Login, signed in by the session cookie alone: no remember-me cookie is issued or read.

    The session is what expires (idle, absolute) and what the log-out revokes (portal/core/security.py);
    a remember cookie would outlive both.
    """

    def _load_user_from_remember_cookie(self, cookie):
        return None


login_manager = SessionLoginManager()
login_manager.login_view = "accounts.login"
# No binding to the address and browser ("basic"/"strong"): a phone changing networks would lose its session.
# Fixation is prevented instead by a new session at each log-in, and revocation by the session epoch.
login_manager.session_protection = None
