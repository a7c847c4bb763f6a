"""Log-in form."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from portal.core.forms import Required, max_length
from portal.core.i18n import lazy_gettext as _l


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[Required(), max_length(80)])
    password = PasswordField(_l("Password"), validators=[Required(), max_length(200)])
