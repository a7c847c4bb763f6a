"""The dev PKI: layout, certificate profiles, IIN/BIN control digits, signing output."""

import datetime as dt
import stat

from cryptography import x509
from lxml import etree

from portal.signatures import oids, pki
from portal.signatures.truststore import TrustStore


def load(dev_pki, kind, org=0):
    return x509.load_pem_x509_certificate(dev_pki.cert(kind, org))


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls).value


def test_layout(dev_pki):
    names = {p.relative_to(dev_pki.base).as_posix() for p in dev_pki.base.rglob("*") if p.is_file()}
    b = dev_pki.org()["bin"]
    assert {"manifest.json", "trust/ca.pem", "trust/ca.crl", "ca/ca.key",
            f"orgs/{b}/sign.pem", f"orgs/{b}/sign.key", f"orgs/{b}/auth.pem",
            f"orgs/{b}/employee.pem", f"orgs/{b}/expired.pem", f"orgs/{b}/revoked.pem",
            "individual/sign.pem", "provider/sign.pem", "provider/sign.key"} <= names
    assert stat.S_IMODE((dev_pki.base / "ca/ca.key").stat().st_mode) == 0o600
    assert len(dev_pki.manifest["organizations"]) == len(pki.DEMO_ORGANIZATIONS)


def test_root_ca(dev_pki):
    store = TrustStore.load(dev_pki.trust)
    ca = x509.load_pem_x509_certificate((dev_pki.base / "trust/ca.pem").read_bytes())
    assert set(store.certificates) == {ca, x509.load_pem_x509_certificate(
        (dev_pki.base / "trust/gost-ca.pem").read_bytes())}
    assert ext(ca, x509.BasicConstraints).ca and ca.subject == ca.issuer
    assert ca.public_key().key_size == 2048
    (crl,) = [c for c in store.crls if c.issuer == ca.subject]
    assert crl.is_signature_valid(ca.public_key())
    revoked = {r.serial_number for r in crl}
    assert {int(o["certs"]["revoked"]["serial"], 16) for o in dev_pki.manifest["organizations"]} == revoked


def test_signing_certificate_profile(dev_pki):
    cert = load(dev_pki, "sign")
    org = dev_pki.org()
    attrs = {a.oid: a.value for a in cert.subject}
    assert attrs[x509.NameOID.SERIAL_NUMBER] == "IIN" + org["head_iin"]
    assert attrs[x509.NameOID.ORGANIZATIONAL_UNIT_NAME] == "BIN" + org["bin"]
    assert attrs[x509.NameOID.ORGANIZATION_NAME] == org["name"]
    assert attrs[x509.NameOID.COUNTRY_NAME] == "KZ"
    assert attrs[x509.NameOID.GIVEN_NAME] == "СЕРИКОВИЧ"
    assert list(ext(cert, x509.ExtendedKeyUsage)) == [
        oids.EKU_SIGN, oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS["first_head"]]
    ku = ext(cert, x509.KeyUsage)
    assert ku.digital_signature and ku.content_commitment
    assert [p.policy_identifier for p in ext(cert, x509.CertificatePolicies)] == [oids.POLICY_LEGAL_SIGN]


def test_auth_individual_and_expired_profiles(dev_pki):
    auth = load(dev_pki, "auth")
    assert oids.EKU_AUTH in ext(auth, x509.ExtendedKeyUsage)
    assert oids.EKU_SIGN not in ext(auth, x509.ExtendedKeyUsage)
    assert [p.policy_identifier for p in ext(auth, x509.CertificatePolicies)] == [oids.POLICY_LEGAL_AUTH]
    ind = load(dev_pki, "individual")
    assert oids.ROLE_INDIVIDUAL in ext(ind, x509.ExtendedKeyUsage)
    assert not ind.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert load(dev_pki, "expired").not_valid_after_utc < dt.datetime.now(dt.timezone.utc)


def test_control_digits():
    # 8·1+0+0+1·4+1·5+5·6+3·7+0+0+1·10+2·11 = 100, 100 mod 11 = 1
    assert pki.with_control_digit("80011530012") == "800115300121"
    # weights 1..11 give 296 mod 11 = 10, so weights 3..11,1,2: 377 mod 11 = 3
    assert pki.with_control_digit("12345678901") == "123456789013"
    for org in pki.DEMO_ORGANIZATIONS:
        first11 = org["bin"][:11]
        assert pki.with_control_digit(first11) == org["bin"]


def test_sign_xml_output_shape(signed):
    root = etree.fromstring(signed)
    sig = root[-1]
    assert sig.tag == f"{{{oids.DS_NS}}}Signature"
    ns = oids.NS
    assert sig.find("ds:SignedInfo/ds:CanonicalizationMethod", ns).get("Algorithm") == oids.C14N
    assert sig.find("ds:SignedInfo/ds:SignatureMethod", ns).get("Algorithm") == oids.RSA_SHA256
    ref = sig.find("ds:SignedInfo/ds:Reference", ns)
    assert ref.get("URI") == ""
    assert [t.get("Algorithm") for t in ref.findall("ds:Transforms/ds:Transform", ns)] == [
        oids.ENVELOPED, oids.C14N_WITH_COMMENTS]
    assert len(sig.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)) == 1
    assert signed.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
