"""The verifier's fast paths keep its behaviour: a cached trust store that notices changed files,
the shape limits checked in one go, our own digest only when libxmlsec refuses, the signed
content stripped in place. Behaviour only, never timings."""
from __future__ import annotations

import base64
import datetime as dt
import os
import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from portal.demo.data import pki_organizations
from portal.signatures import pki, truststore, xmlparse
from portal.signatures import verify as verify_module
from portal.signatures.report import Indication, SubIndication
from portal.signatures.signing import sign_xml
from portal.signatures.truststore import TrustStore
from portal.signatures.verify import verify
from portal.signatures.xmlparse import FormatError, parse, signed_content

S = SubIndication
DOC = """<?xml version="1.0" encoding="UTF-8"?>
<application xmlns="urn:tyndau:application:1" kind="accreditation">
  <applicant><bin>{bin}</bin><name>ТОО «Tengri Hash Pool»</name></applicant>
  <?note signed along with the rest?>
  <pool><site city="Астана">main</site><site city="Экибастуз">backup</site></pool>
</application>
"""


@pytest.fixture
def org(portal_pki):
    return portal_pki / "orgs" / pki_organizations()[0]["bin"]


@pytest.fixture
def signed(org):
    doc = DOC.format(bin=org.name).encode()
    return sign_xml(doc, (org / "sign.key").read_bytes(), (org / "sign.pem").read_bytes())


@pytest.fixture
def trust(portal_pki, tmp_path):
    """A private copy of the trust store, free to change."""
    return shutil.copytree(portal_pki / "trust", tmp_path / "trust")


def _crl(portal_pki, org, revoked_at: dt.datetime) -> bytes:
    """A CRL of the tests' CA listing the org's signing certificate as revoked at `revoked_at`."""
    ca_key = serialization.load_pem_private_key((portal_pki / "ca" / "ca.key").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((portal_pki / "trust" / "ca.pem").read_bytes())
    serial = x509.load_pem_x509_certificate((org / "sign.pem").read_bytes()).serial_number
    return pki.make_crl(ca_key, ca_cert, [(serial, revoked_at)]).public_bytes(serialization.Encoding.PEM)


# --- the trust store: parsed once, refreshed when a file changes ------------------------------

def test_store_files_are_read_once_while_unchanged(monkeypatch, trust, signed):
    reads = {"certs": 0, "crls": 0}
    read_certs, read_crl = truststore._read_certs, truststore._read_crl

    def count_certs(path):
        reads["certs"] += 1
        return read_certs(path)

    def count_crl(path):
        reads["crls"] += 1
        return read_crl(path)

    monkeypatch.setattr(truststore, "_read_certs", count_certs)
    monkeypatch.setattr(truststore, "_read_crl", count_crl)
    for _ in range(3):
        assert verify(signed, trust).passed
        assert verify(signed, str(trust)).passed
    assert reads == {"certs": 2, "crls": 2}  # the RSA and the GOST CA and CRL, each file once


def test_a_rewritten_crl_is_picked_up(portal_pki, org, trust, signed):
    now = dt.datetime.now(dt.timezone.utc)
    (trust / "ca.crl").write_bytes(_crl(portal_pki, org, now + dt.timedelta(days=10)))
    first = verify(signed, trust)
    assert first.passed and "revoked only later" in first.check("revocation").detail
    store = TrustStore.load(trust)

    crl = trust / "ca.crl"
    crl.write_bytes(_crl(portal_pki, org, now - dt.timedelta(days=1)))
    later = crl.stat().st_mtime_ns + 1_000_000_000  # as written a second later
    os.utime(crl, ns=(later, later))
    assert TrustStore.load(trust) is not store
    assert verify(signed, trust).sub_indication == S.REVOKED
    # and back
    (trust / "ca.crl").write_bytes((portal_pki / "trust" / "ca.crl").read_bytes())
    os.utime(crl, ns=(later + 10**9, later + 10**9))
    assert verify(signed, trust).passed


def test_a_crl_replaced_with_its_mtime_kept_is_picked_up(portal_pki, org, trust, signed, tmp_path):
    # cp -p / rsync -a: same name, same mtime and here even the same size; another file (inode).
    now = dt.datetime.now(dt.timezone.utc)
    crl = trust / "ca.crl"
    crl.write_bytes(_crl(portal_pki, org, now + dt.timedelta(days=10)))
    assert verify(signed, trust).passed
    before = crl.stat()

    new = tmp_path / "incoming.crl"
    new.write_bytes(_crl(portal_pki, org, now - dt.timedelta(days=1)))
    assert new.stat().st_size == before.st_size
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(new, crl)
    assert (crl.stat().st_mtime_ns, crl.stat().st_size) == (before.st_mtime_ns, before.st_size)
    assert verify(signed, trust).sub_indication == S.REVOKED


def test_an_added_or_removed_crl_is_picked_up(trust, signed):
    assert verify(signed, trust).passed
    (trust / "ca.crl").unlink()
    assert verify(signed, trust).sub_indication == S.TRY_LATER


def test_portal_check_uses_the_refreshed_store(app, portal_pki, org, trust, signed):
    from portal.signatures import services

    app.config["TRUST_STORE"] = str(trust)
    with app.app_context():
        assert services.check(signed).passed
        crl = trust / "ca.crl"
        crl.write_bytes(_crl(portal_pki, org, dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)))
        later = crl.stat().st_mtime_ns + 1_000_000_000
        os.utime(crl, ns=(later, later))
        assert services.check(signed).sub_indication == S.REVOKED


# --- our own digest only tells HASH from SIG_CRYPTO once libxmlsec has refused -----------------

@pytest.fixture
def digests(monkeypatch):
    calls = []
    real = verify_module.digest_matches

    def counting(tree, parts):
        calls.append(1)
        return real(tree, parts)

    monkeypatch.setattr(verify_module, "digest_matches", counting)
    return calls


def test_a_valid_signature_is_not_digested_twice(trust, signed, digests):
    r = verify(signed, trust)
    assert r.passed and digests == []
    assert r.check("reference_digest").passed and r.check("signature_value").passed


def test_a_changed_document_is_still_hash_failure(trust, signed, digests):
    r = verify(signed.replace(b"backup</site>", b"main</site>"), trust)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.HASH_FAILURE)
    assert r.message_key == "signature.hash_failure" and r.content is None
    assert digests == [1] and r.check("signature_value") is None


def test_a_bad_signature_value_is_still_sig_crypto_failure(trust, signed, digests):
    start = signed.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    end = signed.index(b"</ds:SignatureValue>")
    value = bytearray(base64.b64decode(signed[start:end]))
    value[len(value) // 2] ^= 0x01
    bad = signed[:start] + base64.b64encode(bytes(value)) + signed[end:]
    r = verify(bad, trust)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.SIG_CRYPTO_FAILURE)
    assert digests == [1]
    assert r.check("reference_digest").passed and not r.check("signature_value").passed


def test_profile_failures_still_stop_before_any_cryptography(monkeypatch, trust, signed):
    def boom(*a, **k):
        raise AssertionError("cryptography reached")

    monkeypatch.setattr(verify_module, "xmlsec_verify", boom)
    monkeypatch.setattr(verify_module, "digest_matches", boom)
    sha1 = signed.replace(b"xmldsig-more#rsa-sha256", b"xmldsig#rsa-sha1")
    assert verify(sha1, trust).sub_indication == S.FORMAT_FAILURE


# --- the signed content, stripped in place ----------------------------------------------------

def test_verified_content_has_no_signature_comments_or_pis(trust, signed):
    with_comment = signed.replace(b"<pool>", b"<pool><!--not signed-->")
    r = verify(with_comment, trust)
    assert r.passed
    text = etree.tostring(r.content, encoding="unicode")
    assert "Signature" not in text and "<!--" not in text and "<?note" not in text
    assert "<bin>" in text and "Экибастуз" in text
    # the same as the copying helper gives, which leaves its input alone
    tree = parse(with_comment)
    assert etree.tostring(signed_content(tree), method="c14n") == etree.tostring(r.content, method="c14n")
    assert b"<!--not signed-->" in etree.tostring(tree)


# --- the shape limits, exactly at the caps ----------------------------------------------------

def test_node_cap_counts_elements_comments_and_pis_exactly():
    n = xmlparse.MAX_NODES
    parse(b"<a>" + b"<b/>" * (n - 1) + b"</a>")
    for extra in (b"<b/>", b"<!--c-->", b"<?p x?>"):
        with pytest.raises(FormatError, match="nodes"):
            parse(b"<a>" + b"<b/>" * (n - 1) + extra + b"</a>")
    # text and CDATA are not nodes
    parse(b"<a>" + b"<b/>x<![CDATA[y]]>" * (n - 1) + b"</a>")


def test_depth_cap_anywhere_in_the_tree():
    deep = b"<d>" * 63 + b"</d>" * 63  # 64 levels with the root
    parse(b"<r><a/><b>" + b"<d>" * 62 + b"</d>" * 62 + b"</b></r>")
    with pytest.raises(FormatError, match="deeper"):
        parse(b"<r><a/><b>" + b"<d>" * 63 + b"</d>" * 63 + b"</b><c/></r>")
    parse(b"<r>" + deep[3:-4] + b"</r>")


def test_attribute_cap_per_element_ignores_namespace_declarations():
    cap = xmlparse.MAX_ATTRIBUTES
    attrs = b" ".join(b'x%d="v"' % i for i in range(cap))
    parse(b'<r xmlns="urn:a" xmlns:p="urn:p"><a/><b xmlns:q="urn:q" ' + attrs + b"/></r>")
    with pytest.raises(FormatError, match="attributes"):
        parse(b'<r xmlns:p="urn:p"><a/><b ' + attrs + b' p:y="1"/></r>')


def test_namespace_declaration_cap_counts_redundant_declarations():
    cap = xmlparse.MAX_NAMESPACE_DECLARATIONS
    same = b'<e xmlns="urn:same">' * cap + b"</e>" * cap
    parse(same)
    with pytest.raises(FormatError, match="namespace"):
        parse(b'<r xmlns="urn:same">' + same + b"</r>")
    # the word in text is not a declaration, however often it appears
    parse(b"<r>" + b"xmlns xmlns:p " * 100 + b"</r>")
