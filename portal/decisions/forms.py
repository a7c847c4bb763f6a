"""The signatory's return of a draft to the clerk, and the clerk's answer when sending it back for signature."""
from __future__ import annotations

from wtforms import TextAreaField

from portal.core.forms import PortalForm, Required, max_length
from portal.core.i18n import lazy_gettext as _l
from portal.decisions.models import RETURN_COMMENT_MAX


class ReturnForm(PortalForm):
    """Why the signatory does not sign the draft as it is: required, so the clerk knows what to change."""

    comment = TextAreaField(_l("Comment for the clerk"),
                            validators=[Required(_l("Say what the clerk should change.")),
                                        max_length(RETURN_COMMENT_MAX)],
                            description=_l("Say what should change. The clerk sees this comment on the case; the applicant "
                                        "does not."))


class ResendForm(PortalForm):
    """The clerk's optional answer to the signatory's comment."""

    reply = TextAreaField(_l("Your answer to the signatory (optional)"), validators=[max_length(RETURN_COMMENT_MAX)])
