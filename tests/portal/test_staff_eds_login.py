"""Officials sign in with their own authentication key: their staff account, never an applicant's cabinet."""
from __future__ import annotations

import pytest

from portal.accounts.models import Organization, User
from portal.extensions import db
from portal.signatures.pki import DEMO_PROVIDER, issue_cert, key_pem, cert_pem, new_key, person_name
from portal.signatures.signing import sign_xml
from tests.portal.eds import eds_login


def _signed_challenge(client, folder) -> bytes:
    document = client.get("/login/eds/challenge.xml").data
    return sign_xml(document, (folder / "auth.key").read_bytes(), (folder / "auth.pem").read_bytes())


@pytest.mark.parametrize("username, algorithm, home", [("clerk", "gost", "/staff"), ("signatory", "rsa", "/staff/decisions"),
                                                        ("authority", "gost", "/authority")])
def test_an_official_signs_in_to_their_own_staff_account(app, client, portal_pki, username, algorithm, home):
    folder = portal_pki / "people" / username / ("gost" if algorithm == "gost" else "")
    response = eds_login(client, _signed_challenge(client, folder))
    assert response.status_code == 302 and response.headers["Location"].startswith(home)
    page = client.get(response.headers["Location"])
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        assert page.status_code == 200 and user.full_name in page.get_data(as_text=True)
    with app.app_context():  # no organisation was made of the state body
        assert db.session.scalar(db.select(Organization).filter_by(bin=DEMO_PROVIDER["bin"])) is None
        assert db.session.scalar(db.select(db.func.count(User.id)).where(User.username.like("eds-%"))) == 0


def test_an_official_without_a_staff_account_is_refused(app, client, portal_pki, tmp_path):
    ca_key = __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).load_pem_private_key(
        (portal_pki / "ca" / "ca.key").read_bytes(), None)
    from cryptography import x509

    ca_cert = x509.load_pem_x509_certificate((portal_pki / "trust" / "ca.pem").read_bytes())
    key = new_key()
    subject = person_name("800101300015", "СТОРОННИЙ ЧЕЛОВЕК ТЕСТОВИЧ", bin=DEMO_PROVIDER["bin"],
                          organization=DEMO_PROVIDER["name"])
    from portal.signatures import oids

    cert = issue_cert(ca_key, ca_cert, subject, key.public_key(), key_usage="auth",
                      eku=[oids.EKU_AUTH, oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS["employee"]],
                      policies=[oids.POLICY_LEGAL_AUTH])
    (tmp_path / "auth.key").write_bytes(key_pem(key))
    (tmp_path / "auth.pem").write_bytes(cert_pem(cert))
    response = eds_login(client, _signed_challenge(client, tmp_path))
    assert response.status_code == 422
    assert "no staff account of the portal carries this IIN" in response.get_data(as_text=True)
    assert client.get("/me").status_code in (302, 401, 403)


def test_the_operator_enters_an_officials_iin_and_position(app, runner):
    result = runner.invoke(args=["accounts", "staff", "supervisor", "--iin", "800101300016", "--position", "Директор"])
    assert result.exit_code == 0, result.output
    assert "IIN 800101300016" in result.output and "Директор" in result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="supervisor"))
        assert (user.iin, user.position) == ("800101300016", "Директор")
    for args, message in ((["clerk", "--iin", "800101300015"], "not a valid IIN"),
                          (["clerk", "--iin", "800101300016"], "already on the staff account 'supervisor'"),
                          (["applicant", "--iin", "800101300016"], "no staff account")):
        result = runner.invoke(args=["accounts", "staff", *args])
        assert result.exit_code != 0 and message in result.output
