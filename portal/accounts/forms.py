"""Log-in form."""
from wtforms import PasswordField, StringField

from portal.core.forms import PortalForm, Required, max_length
from portal.core.i18n import lazy_gettext as _l


class LoginForm(PortalForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[Required(), max_length(80)])
    password = PasswordField(_l("Password"), validators=[Required(), max_length(200)])
