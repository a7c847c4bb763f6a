"""Fixtures of the portal tests: the applicant's signing key (`sign`), the mail folder of the outbox."""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.signatures.signing import sign_xml
from tests.portal.eds import DEMO_BIN


@pytest.fixture
def sign(portal_pki):
    """sign(xml, bin, kind) with a key of the tests' PKI (kind: sign, auth, employee, expired, revoked)."""

    def _sign(xml: bytes, bin_: str = DEMO_BIN, kind: str = "sign") -> bytes:
        folder = portal_pki / "orgs" / bin_
        return sign_xml(xml, (folder / f"{kind}.key").read_bytes(), (folder / f"{kind}.pem").read_bytes())

    return _sign


@pytest.fixture
def mail_folder(app, tmp_path) -> Path:
    folder = tmp_path / "mail"
    app.config.update(MAIL_TRANSPORT="folder", MAIL_FOLDER=str(folder))
    return folder
