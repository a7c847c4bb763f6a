"""Absolute addresses of the portal, built from PORTAL_URL and never from the request's Host header.

A link printed in a PDF, drawn into a QR code or shown as "check this document at …" outlives
the request: built from the Host header (url_for(..., _external=True)), anyone who can make
the portal answer a request with `Host: evil.example` (a shared cache, a misrouted proxy) would
get the portal to print the address of their own site on official documents.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute address of an endpoint on the portal (PORTAL_URL); works without a request too."""
    base = urlsplit(current_app.config["PORTAL_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
