"""The portal as gunicorn serves it, plus one route for the benchmark: a small template, no database.

`gunicorn bench.wsgi_bench:app` — the same factory and configuration as wsgi.py; the extra route lives
only in this module, so the portal's own URL map (and its route inventory) never contains it.
"""
from flask import g, render_template

from portal import create_app
from portal.core.i18n import gettext as _
from portal.core.permissions import login_required, public

BARE_PATH = "/bench/bare"
# The same page for a logged-in person: the session and the user's row, nothing else. Not a target, a reference:
# what every personal page pays before its own queries and template.
BARE_USER_PATH = "/bench/bare-user"
# What every page has and costs, without the database: a template with a translated string and a link.
BARE = """<!doctype html>
<html lang="{{ current_locale }}"><head><meta charset="utf-8"><title>Tyndau</title>
<link rel="stylesheet" href="{{ url_for('static', filename='css/portal.css') }}"></head>
<body><main><h1>{{ title }}</h1><p>{{ text }}</p><a href="{{ url_for('main.index') }}">Tyndau</a></main></body></html>"""

app = create_app()
# Compiled once, as a template file is (render_template_string would compile it on every request and make
# the stack's limit look slower than it is).
BARE_TEMPLATE = app.jinja_env.from_string(BARE)


@app.get(BARE_PATH)
@public
def bench_bare():
    return render_template(BARE_TEMPLATE, title=_("Cases"), text=_("No cases."))


@app.get(BARE_USER_PATH)
@login_required
def bench_bare_user():
    return render_template(BARE_TEMPLATE, title=g.user.full_name, text=_("No cases."))
