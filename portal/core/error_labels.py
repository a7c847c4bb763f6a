"""What the error pages say per HTTP status (portal/__init__.py error_page, templates/errors*.html).

Three kinds: "http_error" the page's title, "http_error_advice" what the person can do next (errors.html),
"http_error_alert" the shorter advice of the alert an htmx request gets instead of a page (errors_alert.html).
The advice of a 429 depends on what was limited, so it is chosen from the params the templates give:
`paused_until` (a password log-in paused for one account, accounts/views.py) and `endpoint` (the request's).
"""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l, official_datetime
from portal.core.labels import register, register_resolver

# The public checks (a signed file, a decision's number) are limited per address, not per account: their 429
# speaks of checks, not of signing in.
CHECK_ENDPOINTS = ("signatures.verify", "decisions.by_number")

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("Someone else changed this at the same moment"),
    413: _l("The upload is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is temporarily unavailable"),
}
NOTHING_SAVED = _l("Nothing of yours was saved. Open the page again to see the current state, and repeat the "
                   "action if it is still needed.")
MANY_CHECKS = _l("You have made many checks in a short time. Wait a little and try again.")
GO_BACK = _l("Go back to the previous page or start again from your home page.")


def _too_many_attempts(p):
    if p["paused_until"]:
        return [(_l("For your protection, signing in to this account with a password is paused after several "
                    "failed attempts. Try again after %(time)s (Almaty time)."),
                 {"time": official_datetime(p["paused_until"])})]
    if p["endpoint"] in CHECK_ENDPOINTS:
        return [(MANY_CHECKS, {})]
    return [(_l("For your protection, signing in is paused for a while after several failed attempts. Wait a few "
                "minutes and try again."), {})]


ADVICE = {
    400: _l("If you were filling in a form, go back, reload the page and try again."),
    403: GO_BACK,
    404: GO_BACK,
    405: GO_BACK,
    409: NOTHING_SAVED,
    413: GO_BACK,
    429: _too_many_attempts,
    500: GO_BACK,
    503: _l("Please try again in a few minutes."),
}


def _titled(code: int, advice):
    """The alert says the title, then its advice: "Too many attempts. Wait a little and try again."."""
    def parts(p):
        said = advice(p) if callable(advice) else advice
        return [(f"{TITLES[code]}. {said}", {})]  # plain text of two catalog texts: escaped in HTML as it stands
    return parts


# Only the SWAPPED_ERRORS of portal/__init__.py are answered by an alert.
ALERTS = {
    409: _titled(409, NOTHING_SAVED),
    413: _titled(413, _l("Nothing was saved. Choose a smaller file and try again.")),
    429: _titled(429, lambda p: MANY_CHECKS if p["endpoint"] in CHECK_ENDPOINTS
                 else _l("Wait a little and try again.")),
}

register("http_error", {str(code): text for code, text in TITLES.items()})
register("http_error_advice", {str(code): text for code, text in ADVICE.items()})
register("http_error_alert", {str(code): text for code, text in ALERTS.items()})
# Any other status reads as the server's own failure, as a 500.
register_resolver("http_error", lambda _code: TITLES[500])
register_resolver("http_error_advice", lambda _code: GO_BACK)
register_resolver("http_error_alert", lambda _code: _l("Something went wrong; nothing was saved. Try again, or "
                                                      "reload the page."))
