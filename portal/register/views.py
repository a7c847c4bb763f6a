"""The public register page: searchable by name, BIN, number and settlement; expired certificates marked."""
from __future__ import annotations

from flask import Blueprint, request

from portal.core.clock import today_local
from portal.core.forms import bounded_int
from portal.core.page_cache import cached_page
from portal.core.permissions import public
from portal.core.rendering import render_page
from portal.register import queries

bp = Blueprint("register", __name__)


@bp.route("/register")
@public
@cached_page
def index():
    search = request.args.get("q", "")[:100]
    settlement = request.args.get("settlement", "")[:100]
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    today = today_local()
    rows = queries.register(search, page, settlement=settlement)
    return render_page("register/index.html", "register/_results.html", rows=rows, q=search, settlement=settlement,
                       searched=bool(search.strip() or settlement.strip()), today=today)
