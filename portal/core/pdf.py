"""PDF renditions (WeasyPrint) that read nothing but the portal's own static files.

WeasyPrint's default fetcher opens any URL a document names: file:///etc/passwd, the
metadata service at http://169.254.169.254/, the database's port on localhost. Only
autoescaping would stand between a field and such a URL, so the fetcher here does not
rely on it: it serves files under the portal's /static/ from the static folder (never
outside it) and data: URIs (the QR codes are SVG data URIs), and refuses everything else.
WeasyPrint then leaves the refused resource out and renders the rest.

The documents' base URL is PORTAL_URL, never the request's Host header.
"""
from __future__ import annotations

import mimetypes
import os
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import HTML
from werkzeug.security import safe_join


class RefusedURL(ValueError):
    """A resource the portal's PDFs may not read."""


def static_file(url: str, base_url: str, static_url_path: str, static_folder: str) -> str:
    """The path of the file inside static_folder that `url` names; RefusedURL when it is anything else."""
    parts, base = urlsplit(url), urlsplit(base_url)
    # The query (a cache-busting "?v=2") is ignored: only the path names the file.
    if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        raise RefusedURL(f"not a static file of the portal: {url[:200]}")
    prefix = base.path.rstrip("/") + static_url_path.rstrip("/") + "/"
    if not parts.path.startswith(prefix):
        raise RefusedURL(f"not a static file of the portal: {url[:200]}")
    # safe_join refuses ".." and absolute paths, also when they arrive percent-encoded (unquoted first); realpath
    # below, a symbolic link out of the folder.
    name = unquote(parts.path[len(prefix):])
    path = None if any(ord(c) < 32 for c in name) else safe_join(static_folder, name)  # "\0": os refuses it
    root = os.path.realpath(static_folder)
    if path is None or not os.path.realpath(path).startswith(root + os.sep) or not os.path.isfile(path):
        raise RefusedURL(f"not a static file of the portal: {url[:200]}")
    return path


def _settings() -> dict:
    app = current_app
    return {"base_url": base_url(), "static_url_path": app.static_url_path or "/static",
            "static_folder": app.static_folder}


def base_url() -> str:
    """The portal's public root (PORTAL_URL) with a final slash: relative URLs in a document resolve against it."""
    return current_app.config["PORTAL_URL"].rstrip("/") + "/"


def _read(url: str, settings: dict) -> tuple[bytes, str]:
    path = static_file(url, **settings)
    with open(path, "rb") as file:
        return file.read(), mimetypes.guess_type(path)[0] or "application/octet-stream"


try:  # WeasyPrint 68 and later: a fetcher is a URLFetcher object
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PortalFetcher(URLFetcher):
        """Static files of the portal and data: URIs; everything else raises (WeasyPrint skips it)."""

        def __init__(self, settings: dict):
            super().__init__(allowed_protocols=("data",))  # what reaches urllib below: data: URIs only
            self.settings = settings

        def fetch(self, url, headers=None):
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
            body, mimetype = _read(url, self.settings)
            return URLFetcherResponse(url, body, {"Content-Type": mimetype})

    def portal_fetcher():
        return PortalFetcher(_settings())

except ImportError:  # WeasyPrint 62–67: a fetcher is a function returning a dict
    from weasyprint import default_url_fetcher

    def portal_fetcher():
        settings = _settings()

        def fetch(url, *args, **kwargs):
            if url.lower().startswith("data:"):
                return default_url_fetcher(url, *args, **kwargs)
            body, mimetype = _read(url, settings)
            return {"string": body, "mime_type": mimetype, "redirected_url": url}

        return fetch


def render_pdf(html: str) -> bytes:
    """The PDF of an HTML page rendered from the portal's templates."""
    return HTML(string=html, base_url=base_url(), url_fetcher=portal_fetcher()).write_pdf()
