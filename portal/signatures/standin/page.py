"""The stand-in's key-picking page: what NCALayer's own dialog does, as one plain HTML page.

No script: every button is a form that POSTs to the same port. The forms carry their parameters in the
action's query string and send an empty body, because the WebSocket library answering plain HTTP on this
port reads no request bodies. Everything shown is escaped. A development tool: English only.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote as _quote, urlencode

NOTES = {
    "picked": "Key picked: waiting and new requests are signed with it.",
    "unpicked": "No key is picked now: requests wait until you pick one.",
    "canceled": "The waiting request was cancelled (the page receives action.canceled).",
    "nothing-waiting": "No request was waiting.",
}
ALGORITHM_LABELS = {"gost": "GOST 2015", "rsa": "RSA"}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:72rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
tr.picked{background:#e6f4ea}
form{display:inline;margin:0 .3rem .2rem 0}
button{padding:.25rem .6rem;cursor:pointer}
.note{background:#fff4ce;border:1px solid #d8b500;padding:.5rem}
.status{font-size:1.1rem}
.status,.waiting{margin:.8rem 0}
"""


def quote(value: str) -> str:
    return _quote(value, safe="")


def _form(action: str, params: dict, label: str, token: str) -> str:
    url = f"{action}?{urlencode({**params, 'token': token})}"
    return (f'<form method="post" action="{escape(url)}">'
            f'<button type="submit">{escape(label)}</button></form>')


def message(text: str) -> str:
    """A short page for an error answer."""
    return _document("NCALayer stand-in", f'<p class="note">{escape(text)}</p><p><a href="/">Back</a></p>')


def _document(title: str, body: str, *, refresh: bool = False) -> str:
    meta = '<meta http-equiv="refresh" content="5">' if refresh else ""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title>{meta}<style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def render(standin, note: str = "") -> str:
    """The whole page for the stand-in's current state."""
    token = standin.token
    parts = ["<h1>NCALayer stand-in</h1>",
             f"<p>WebSocket: <code>{escape(standin.url)}</code> · keys from "
             f"<code>{escape(str(standin.pki_dir / 'people'))}</code>"
             + (f" · locale <code>{escape(standin.locale)}</code>" if standin.locale else "") + "</p>"]
    if note in NOTES:
        parts.append(f'<p class="note" role="status">{escape(NOTES[note])}</p>')

    picked = standin.picked
    if picked:
        parts.append(f'<div class="status">Signing as <strong>{escape(picked[0])}</strong> '
                     f"({escape(ALGORITHM_LABELS.get(picked[1], picked[1]))}). "
                     + _form("/unpick", {}, "Pick nobody", token) + "</div>")
    else:
        parts.append('<p class="status">No key picked: a signing request waits here until you pick one '
                     f"(at most {standin.wait_seconds:g} s, then it is cancelled).</p>")
    waiting = standin.waiting
    # A <div>, not a <p>: a <form> would end the paragraph.
    parts.append(f"<div class=\"waiting\"><strong>{waiting}</strong> request(s) waiting for a key. "
                 + _form("/cancel", {}, "Cancel the waiting request", token) + "</div>")

    people = standin.people()
    parts.append("<h2>People</h2>")
    if not people:
        parts.append("<p>Nobody under the people folder: build the development PKI first "
                     "(<code>make seed</code>).</p>")
    else:
        parts.append("<table><thead><tr><th>Username</th><th>Name (CN)</th><th>IIN</th><th>BIN</th>"
                     "<th>Organisation</th><th>Role</th><th>Key</th></tr></thead><tbody>")
        for person in people:
            buttons = "".join(
                _form("/pick", {"username": person["username"], "algorithm": algorithm},
                      f"Use for signing ({ALGORITHM_LABELS[algorithm]})", token)
                for algorithm in person["algorithms"]) or "no keys"
            row_class = ' class="picked"' if picked and picked[0] == person["username"] else ""
            cells = "".join(f"<td>{escape(person[k])}</td>"
                            for k in ("username", "cn", "iin", "bin", "organization", "role"))
            parts.append(f"<tr{row_class}>{cells}<td>{buttons}</td></tr>")
        parts.append("</tbody></table>")

    parts.append("<h2>Last requests</h2>")
    history = list(standin.history)
    if not history:
        parts.append("<p>None yet.</p>")
    else:
        parts.append("<table><thead><tr><th>Time</th><th>Method</th><th>Answer</th></tr></thead><tbody>")
        for item in history:
            parts.append(f"<tr><td>{escape(item['at'])}</td><td>{escape(item['method'])}</td>"
                         f"<td>{escape(item['status'])}</td></tr>")
        parts.append("</tbody></table>")
    return _document("NCALayer stand-in", "".join(parts), refresh=True)
