"""verify() with GOST 34.10-2015 keys of the dev PKI: a full chain passes, and the attack set of the RSA
verifier gives the same verdicts for RSA and GOST keys (each test runs for both, through ``pki_of``)."""

import datetime as dt

import pytest
from cryptography import x509

from portal.signatures import gost, oids, pki
from portal.signatures.report import Indication, SubIndication
from portal.signatures.verify import verify
from portal.signatures.xmlparse import parse

PASSED, FAILED, INDET = Indication.TOTAL_PASSED, Indication.TOTAL_FAILED, Indication.INDETERMINATE
S = SubIndication
NS = {"a": "urn:tyndau:application:1"}


@pytest.fixture
def trusted(pki_of):
    return pki_of[0]


@pytest.fixture
def shaped(trusted, sign_with, gost_sign_with):
    """shaped(xml, kind="sign", **shape): a signature of any shape with the trusted PKI's key."""
    def sign(xml, kind="sign", **shape):
        key, cert = trusted.key(kind), trusted.cert(kind)
        if trusted.algorithm == "gost":
            shape.pop("id_node", None)
            return gost_sign_with(xml, key, cert, **shape)
        return sign_with(xml, key, cert, **shape)
    return sign


def assert_verdict(report, indication, sub, key=None):
    assert (report.indication, report.sub_indication) == (indication, sub), report.checks[-1]
    if key:
        assert report.message_key == key


# --- A full GOST chain ---------------------------------------------------------------------------------
def person(dev_pki, username, algorithm, kind="sign"):
    entry = dev_pki.manifest["people"][username][algorithm][kind]
    return (dev_pki.base / entry["key"]).read_bytes(), (dev_pki.base / entry["cert"]).read_bytes()


def test_people_legal_entity_gost_sign_key_passes(dev_pki, doc):
    signed = pki.sign_xml(doc, *person(dev_pki, "head", "gost"))
    r = verify(signed, dev_pki.trust, expect_bin=dev_pki.org()["bin"])
    assert r.passed, r.checks
    assert r.algorithm == "GOST 34.10-2015 512-bit with Streebog-512"
    assert r.signer.iin == dev_pki.org()["head_iin"] and r.signer.role == "first_head"
    assert "(GOST) DEV" in r.signer.issuer and "(GOST) DEV" in r.check("certificate_chain").detail
    assert r.check("revocation").passed and all(c.passed for c in r.checks)
    assert r.content.getroot().find("a:applicant/a:bin", NS).text == dev_pki.org()["bin"]


def test_people_gost_auth_key_for_log_in(dev_pki, doc):
    signed = pki.sign_xml(doc, *person(dev_pki, "head", "gost", "auth"))
    assert verify(signed, dev_pki.trust, purpose="auth").passed
    assert verify(signed, dev_pki.trust, purpose="sign").message_key == "signature.wrong_key_purpose"


def test_people_individual_gost_key(dev_pki, doc):
    r = verify(pki.sign_xml(doc, *person(dev_pki, "citizen", "gost")), dev_pki.trust)
    assert_verdict(r, FAILED, S.CHAIN_CONSTRAINTS_FAILURE, "signature.not_legal_entity")
    assert r.signer.role == "individual"


def test_people_manifest_and_files(dev_pki):
    head = dev_pki.manifest["people"]["head"]
    assert (head["iin"], head["bin"], head["role"]) == (
        dev_pki.org()["head_iin"], dev_pki.org()["bin"], "first_head")
    for algorithm, folder in (("rsa", "people/head"), ("gost", "people/head/gost")):
        for kind in ("sign", "auth"):
            entry = head[algorithm][kind]
            assert entry["cert"] == f"{folder}/{kind}.pem" and entry["key"] == f"{folder}/{kind}.key"
            cert = x509.load_pem_x509_certificate((dev_pki.base / entry["cert"]).read_bytes())
            assert format(cert.serial_number, "x") == entry["serial"]
            eku = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
            assert eku == [oids.PURPOSE_EKU[kind], oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS["first_head"]]
            ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            assert ku.digital_signature and (ku.content_commitment if kind == "sign" else ku.key_encipherment)
    gost_cert = x509.load_pem_x509_certificate((dev_pki.base / head["gost"]["sign"]["cert"]).read_bytes())
    assert gost.public_key_of(gost_cert).curve is gost.TC26_512_A
    citizen = x509.load_pem_x509_certificate(
        (dev_pki.base / dev_pki.manifest["people"]["citizen"]["gost"]["sign"]["cert"]).read_bytes())
    assert oids.ROLE_INDIVIDUAL in citizen.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value


def test_gost_signature_shape_is_ncalayers(dev_pki, doc):
    signed = dev_pki.gost.sign(doc)
    root = parse(signed).getroot()
    sig = root[-1]
    ns = oids.NS
    assert sig.find("ds:SignedInfo/ds:SignatureMethod", ns).get("Algorithm") == (
        "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512")
    ref = sig.find("ds:SignedInfo/ds:Reference", ns)
    assert ref.find("ds:DigestMethod", ns).get("Algorithm") == (
        "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512")
    assert [t.get("Algorithm") for t in ref.findall("ds:Transforms/ds:Transform", ns)] == [
        oids.ENVELOPED, oids.C14N_WITH_COMMENTS]
    assert sig.find("ds:SignedInfo/ds:CanonicalizationMethod", ns).get("Algorithm") == oids.C14N


def test_same_digest_as_the_nca_vector_for_the_same_document(dev_pki):
    # The vector signs <xml>test</xml>: our DigestValue for that document is the NCA's, byte for byte.
    signed = dev_pki.gost.sign(b"<xml>test</xml>")
    assert b"FFVWHD09L/oIjDWgJhj5cHYg5PiWhO7CgNVsGu7zOKnJuY+NUOAh710l/L9gg/Gh5bAPRQzfmEE8\nCrROZfEjsA==" in signed


def test_gost_key_with_a_foreign_certificate_is_refused(dev_pki, doc):
    with pytest.raises(ValueError):
        pki.sign_xml(doc, dev_pki.gost.key("sign"), dev_pki.gost.cert("employee"))


def test_gost_ca_may_issue_an_rsa_certificate(dev_pki, doc, tmp_path):
    # Algorithms may mix along a chain: what counts is that each signature verifies.
    ca_key = gost.load_private_key((dev_pki.base / "ca/gost-ca.key").read_bytes())
    ca_cert = x509.load_pem_x509_certificate((dev_pki.base / "trust/gost-ca.pem").read_bytes())
    key = pki.new_key()
    org = dev_pki.org()
    cert = pki.issue_cert(ca_key, ca_cert,
                          pki.person_name(org["head_iin"], "АХМЕТОВ АРМАН СЕРИКОВИЧ", bin=org["bin"],
                                          organization=org["name"]),
                          key.public_key(), eku=[oids.EKU_SIGN, oids.ROLE_LEGAL_ENTITY], policies=[])
    assert cert.signature_algorithm_oid.dotted_string == "1.2.398.3.10.1.1.2.3.2"
    r = verify(pki.sign_xml(doc, pki.key_pem(key), pki.cert_pem(cert)), dev_pki.trust)
    assert r.passed and r.check("algorithm").detail == "RSA 2048 bits with SHA-256"
    assert "(GOST) DEV" in r.check("certificate_chain").detail


# --- The attack set, for RSA and GOST keys alike --------------------------------------------------------
def test_genuine_passes(trusted, doc):
    r = verify(trusted.sign(doc), trusted.trust, expect_bin=trusted.org()["bin"])
    assert r.passed and r.signer.role == "first_head"
    assert ("GOST" in r.algorithm) == (trusted.algorithm == "gost")


def test_expired(trusted, doc):
    assert_verdict(verify(trusted.sign(doc, "expired"), trusted.trust), FAILED, S.EXPIRED, "signature.expired")


def test_revoked(trusted, doc):
    assert_verdict(verify(trusted.sign(doc, "revoked"), trusted.trust), FAILED, S.REVOKED, "signature.revoked")


def test_revoked_before_its_revocation(trusted, doc):
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    r = verify(trusted.sign(doc, "revoked"), trusted.trust, at=at)
    assert r.passed and "revoked only later" in r.check("revocation").detail


def test_untrusted_ca(pki_of, doc):
    trusted, other = pki_of
    r = verify(other.sign(doc), trusted.trust)
    assert_verdict(r, INDET, S.NO_CERTIFICATE_CHAIN_FOUND, "signature.untrusted")
    assert r.signer.bin == other.org()["bin"]


def test_auth_key_used_to_sign(trusted, doc):
    r = verify(trusted.sign(doc, "auth"), trusted.trust, purpose="sign")
    assert_verdict(r, FAILED, S.SIG_CONSTRAINTS_FAILURE, "signature.wrong_key_purpose")


def test_sign_key_used_for_auth(trusted, doc):
    r = verify(trusted.sign(doc), trusted.trust, purpose="auth")
    assert_verdict(r, FAILED, S.SIG_CONSTRAINTS_FAILURE, "signature.wrong_key_purpose")


def test_individual(trusted, doc):
    r = verify(trusted.sign(doc, "individual"), trusted.trust)
    assert_verdict(r, FAILED, S.CHAIN_CONSTRAINTS_FAILURE, "signature.not_legal_entity")


def test_bin_mismatch(trusted, doc):
    r = verify(trusted.sign(doc, org=1), trusted.trust, expect_bin=trusted.org(0)["bin"])
    assert_verdict(r, FAILED, S.SIG_CONSTRAINTS_FAILURE, "signature.bin_mismatch")


def test_tampered_content(trusted, doc):
    r = verify(trusted.sign(doc).replace(b"backup</site>", b"main</site>"), trusted.trust)
    assert_verdict(r, FAILED, S.HASH_FAILURE, "signature.hash_failure")


def test_tampered_signature_value(trusted, doc):
    signed = trusted.sign(doc)
    start = signed.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>") + 10
    flipped = b"B" if signed[start:start + 1] != b"B" else b"C"
    r = verify(signed[:start] + flipped + signed[start + 1:], trusted.trust)
    assert_verdict(r, FAILED, S.SIG_CRYPTO_FAILURE, "signature.sig_crypto_failure")


def test_certificate_of_another_key(trusted, doc):
    signed, other = trusted.sign(doc), trusted.sign(doc, "employee")
    cut = lambda d: d[d.index(b"<ds:X509Certificate>"):d.index(b"</ds:X509Certificate>")]  # noqa: E731
    assert verify(signed.replace(cut(signed), cut(other)), trusted.trust).sub_indication == S.SIG_CRYPTO_FAILURE


def test_comment_in_a_signed_value_is_ignored(trusted, doc):
    bin_ = trusted.org()["bin"].encode()
    signed = trusted.sign(doc).replace(b"<bin>" + bin_, b"<bin>" + bin_[:6] + b"<!--999999-->" + bin_[6:])
    r = verify(signed, trusted.trust)
    assert r.passed and r.content.getroot().find("a:applicant/a:bin", NS).text == bin_.decode()


def test_whole_signed_document_wrapped(trusted, doc):
    body = trusted.sign(doc).split(b"?>", 1)[1]
    wrapped = (b'<envelope><application xmlns="urn:tyndau:application:1"><applicant>'
               b"<bin>999999999999</bin></applicant></application><original>" + body + b"</original></envelope>")
    assert_verdict(verify(wrapped, trusted.trust), FAILED, S.FORMAT_FAILURE)


def test_unsigned_data_moved_where_the_portal_reads(trusted, doc):
    evil = trusted.sign(doc).replace(b"<applicant>", b"<applicant><bin>999999999999</bin></applicant><old>", 1)
    evil = evil.replace(b"</applicant>\n", b"</old>\n", 1)
    assert_verdict(verify(evil, trusted.trust), FAILED, S.HASH_FAILURE)


def test_element_after_the_signature(trusted, doc):
    evil = trusted.sign(doc).replace(b"</application>", b"<bin>999999999999</bin></application>")
    assert_verdict(verify(evil, trusted.trust), FAILED, S.FORMAT_FAILURE)


def test_signature_not_a_child_of_the_root(trusted, shaped, doc):
    r = verify(shaped(doc, parent_xpath="//*[local-name()='pool']"), trusted.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)
    assert "direct child of the root" in r.checks[-1].detail


def test_partial_reference(trusted, shaped, doc):
    xml = doc.replace(b"<applicant>", b'<applicant Id="part">')
    r = verify(shaped(xml, uris=("#part",), id_node="//*[@Id]"), trusted.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)
    assert 'URI=""' in r.checks[-1].detail


def test_two_references(trusted, shaped, doc):
    r = verify(shaped(doc, uris=("", "")), trusted.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)


def test_two_signatures_side_by_side(trusted, shaped, doc):
    twice = shaped(None, signed_tree=parse(trusted.sign(doc)))
    r = verify(twice, trusted.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)
    assert "exactly one ds:Signature" in r.checks[-1].detail


def test_second_signature_hidden_in_content(trusted, doc):
    signed = trusted.sign(doc)
    sig = signed[signed.index(b"<ds:Signature"):signed.index(b"</ds:Signature>") + 15]
    r = verify(signed.replace(b"<pool>", b"<pool><extra>" + sig + b"</extra>", 1), trusted.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)
    assert "found 2" in r.checks[-1].detail


def test_gost_512_method_with_256_digest_is_format_failure(dev_pki, doc):
    signed = dev_pki.gost.sign(doc).replace(b"algorithms:gostr34112015-512", b"algorithms:gostr34112015-256")
    r = verify(signed, dev_pki.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)
    assert "does not go with" in r.checks[-1].detail


def test_gost_256_method_with_a_512_bit_key_is_format_failure(dev_pki, gost_sign_with, doc):
    signed = gost_sign_with(doc, dev_pki.gost.key(), dev_pki.gost.cert(),
                            method=oids.GOST_SIGNATURE_METHOD[256], digest=oids.GOST_DIGEST_METHOD[256])
    r = verify(signed, dev_pki.trust)
    assert_verdict(r, FAILED, S.FORMAT_FAILURE)


def test_a_forged_gost_value_is_refused_before_the_document_is_hashed(dev_pki, doc, monkeypatch):
    # Streebog of a large document is the expensive part: a bad SignatureValue must not reach it.
    from portal.signatures import verify as verify_module

    def boom(*a, **k):
        raise AssertionError("the document was hashed")
    signed = dev_pki.gost.sign(doc)
    start = signed.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>") + 10
    forged = signed[:start] + (b"B" if signed[start:start + 1] != b"B" else b"C") + signed[start + 1:]
    monkeypatch.setattr(verify_module, "digest_matches", boom)
    assert verify(forged, dev_pki.trust).sub_indication == S.SIG_CRYPTO_FAILURE


def test_a_256_bit_gost_key_under_the_512_bit_ca(dev_pki, doc):
    ca_key = gost.load_private_key((dev_pki.base / "ca/gost-ca.key").read_bytes())
    ca_cert = x509.load_pem_x509_certificate((dev_pki.base / "trust/gost-ca.pem").read_bytes())
    key = gost.generate_private_key(gost.TC26_256_A)
    org = dev_pki.org()
    cert = pki.issue_cert(ca_key, ca_cert,
                          pki.person_name(org["head_iin"], "АХМЕТОВ АРМАН СЕРИКОВИЧ", bin=org["bin"],
                                          organization=org["name"]),
                          key.public_key(), eku=[oids.EKU_SIGN, oids.ROLE_LEGAL_ENTITY], policies=[])
    assert gost.key_algorithm_of(cert) == "1.2.398.3.10.1.1.2.1"
    signed = pki.sign_xml(doc, pki.key_pem(key), pki.cert_pem(cert))
    assert b"gostr34102015-gostr34112015-256" in signed and b"algorithms:gostr34112015-256" in signed
    r = verify(signed, dev_pki.trust)
    assert r.passed and r.algorithm == "GOST 34.10-2015 256-bit with Streebog-256"
    # The same document claimed as a 512-bit signature: the key does not fit the method.
    claimed = signed.replace(b"-256\"", b"-512\"")
    assert verify(claimed, dev_pki.trust).sub_indication == S.FORMAT_FAILURE


def test_a_gost_key_under_the_rsa_ca(dev_pki, doc):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    ca_key = serialization.load_pem_private_key((dev_pki.base / "ca/ca.key").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((dev_pki.base / "trust/ca.pem").read_bytes())
    key = gost.generate_private_key()
    org = dev_pki.org()
    # The builder's certificate for a stand-in key, then the GOST key put in and the RSA signature redone.
    template = pki.issue_cert(ca_key, ca_cert, pki.person_name(
        org["head_iin"], "АХМЕТОВ АРМАН СЕРИКОВИЧ", bin=org["bin"], organization=org["name"]),
        pki.new_key().public_key(), eku=[oids.EKU_SIGN, oids.ROLE_LEGAL_ENTITY], policies=[])
    tbs, algorithm, _ = gost._children(template.public_bytes(serialization.Encoding.DER))
    fields = gost._children(tbs)
    fields[6] = key.public_key().spki_der()  # [0] version, serial, signature, issuer, validity, subject, spki
    tbs = gost._der(0x30, b"".join(fields))
    value = ca_key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    cert = x509.load_der_x509_certificate(gost._der(0x30, tbs + algorithm + gost._der(0x03, b"\0" + value)))
    r = verify(pki.sign_xml(doc, pki.key_pem(key), pki.cert_pem(cert)), dev_pki.trust)
    assert r.passed and "GOST" in r.algorithm
    assert "(RSA) DEV" in r.check("certificate_chain").detail
