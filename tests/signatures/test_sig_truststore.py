"""TrustStore: loading PEM/DER, caching, chains through intermediates, CRL handling, OCSP stub."""

import datetime as dt
import os
import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from portal.signatures import oids, pki
from portal.signatures.report import Indication, SubIndication
from portal.signatures.truststore import NoOcsp, TrustStore, TrustStoreError
from portal.signatures.verify import verify

S = SubIndication
NOW = dt.datetime.now(dt.timezone.utc)


def ca_of(dev_pki):
    key = pki.serialization.load_pem_private_key((dev_pki.base / "ca/ca.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((dev_pki.trust / "ca.pem").read_bytes())
    return key, cert


def legal_subject(dev_pki, name="ТЕСТОВ ТЕСТ ТЕСТОВИЧ"):
    org = dev_pki.org()
    return pki.person_name(org["head_iin"], name, bin=org["bin"], organization=org["name"])


SIGN = {"eku": [oids.EKU_SIGN, oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS["first_head"]],
        "policies": [oids.POLICY_LEGAL_SIGN]}


def make_signed(doc, issuer_key, issuer_cert, subject, bits=2048, **kw):
    key = pki.new_key(bits)
    cert = pki.issue_cert(issuer_key, issuer_cert, subject, key.public_key(), **{**SIGN, **kw})
    return pki.sign_xml(doc, pki.key_pem(key), pki.cert_pem(cert)), cert


def store_dir(tmp_path, *files: tuple[str, bytes]):
    d = tmp_path / "trust"
    d.mkdir(parents=True)
    for name, data in files:
        (d / name).write_bytes(data)
    return d


def test_load_pem(dev_pki):
    store = TrustStore.load(dev_pki.trust)  # the RSA and the GOST CA, each with its CRL
    assert len(store.certificates) == 2 and len(store.crls) == 2


def test_load_der_and_ignore_other_files(dev_pki, tmp_path, signed):
    ca = x509.load_pem_x509_certificate((dev_pki.trust / "ca.pem").read_bytes())
    crl = x509.load_pem_x509_crl((dev_pki.trust / "ca.crl").read_bytes())
    d = store_dir(tmp_path, ("root.cer", ca.public_bytes(Encoding.DER)),
                  ("root.crl", crl.public_bytes(Encoding.DER)), ("README.txt", b"hello"))
    store = TrustStore.load(d)
    assert len(store.certificates) == 1 and len(store.crls) == 1
    assert verify(signed, store).passed


def test_load_is_cached_until_a_file_changes(dev_pki, tmp_path):
    d = tmp_path / "t"
    shutil.copytree(dev_pki.trust, d)
    first = TrustStore.load(d)
    assert TrustStore.load(d) is first
    os.utime(d / "ca.crl", ns=(1, 1))
    assert TrustStore.load(d) is not first


def test_unreadable_store(tmp_path):
    with pytest.raises(TrustStoreError):
        TrustStore.load(tmp_path / "missing")
    bad = store_dir(tmp_path, ("bad.pem", b"-----BEGIN CERTIFICATE-----\nnope\n"))
    with pytest.raises(TrustStoreError):
        TrustStore.load(bad)


def test_empty_store_is_no_chain(tmp_path, signed):
    r = verify(signed, store_dir(tmp_path))
    assert (r.indication, r.sub_indication) == (Indication.INDETERMINATE, S.NO_CERTIFICATE_CHAIN_FOUND)


def test_missing_crl_is_try_later(dev_pki, tmp_path, signed):
    r = verify(signed, store_dir(tmp_path, ("ca.pem", (dev_pki.trust / "ca.pem").read_bytes())))
    assert (r.indication, r.sub_indication) == (Indication.INDETERMINATE, S.TRY_LATER)
    assert r.message_key == "signature.revocation_unknown"


def test_crl_not_required_when_configured(dev_pki, tmp_path, signed):
    store = TrustStore.load(store_dir(tmp_path, ("ca.pem", (dev_pki.trust / "ca.pem").read_bytes())))
    from dataclasses import replace
    assert verify(signed, replace(store, require_crl=False)).passed


def test_forged_crl_is_ignored(dev_pki, tmp_path, doc):
    # Same issuer name, signed by another key, and "forgets" the revoked certificate.
    _, ca_cert = ca_of(dev_pki)
    forged = pki.make_crl(pki.new_key(), ca_cert, [])
    d = store_dir(tmp_path, ("ca.pem", (dev_pki.trust / "ca.pem").read_bytes()),
                  ("ca.crl", forged.public_bytes(Encoding.PEM)))
    r = verify(dev_pki.sign(doc, "revoked"), d)
    assert r.sub_indication == S.TRY_LATER and not r.passed


def test_stale_crl_is_try_later(dev_pki, tmp_path, signed):
    ca_key, ca_cert = ca_of(dev_pki)
    short = pki.make_crl(ca_key, ca_cert, [], days=1)
    d = store_dir(tmp_path, ("ca.pem", (dev_pki.trust / "ca.pem").read_bytes()),
                  ("ca.crl", short.public_bytes(Encoding.PEM)))
    assert verify(signed, d).passed
    r = verify(signed, d, at=NOW + dt.timedelta(days=3))
    assert r.sub_indication == S.TRY_LATER and "expired" in r.check("revocation").detail


def test_an_older_crl_beside_never_hides_a_revocation(dev_pki, tmp_path, doc):
    ca_key, ca_cert = ca_of(dev_pki)
    d = shutil.copytree(dev_pki.trust, tmp_path / "t")
    (d / "aaa-empty.crl").write_bytes(pki.make_crl(ca_key, ca_cert, []).public_bytes(Encoding.PEM))
    assert len(TrustStore.load(d).crls) == 3  # RSA, GOST and the empty one
    assert verify(dev_pki.sign(doc, "revoked"), d).sub_indication == S.REVOKED


def test_chain_through_intermediate(dev_pki, tmp_path, doc):
    root_key, root = ca_of(dev_pki)
    inter_key = pki.new_key()
    inter_name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "НУЦ РК (RSA) DEV"),
                            x509.NameAttribute(x509.oid.NameOID.COUNTRY_NAME, "KZ")])
    inter = pki.issue_cert(root_key, root, inter_name, inter_key.public_key(), eku=[],
                           policies=[], key_usage="none", is_ca=True)
    signed, leaf = make_signed(doc, inter_key, inter, legal_subject(dev_pki))
    files = [("root.pem", pki.cert_pem(root)), ("root.crl", (dev_pki.trust / "ca.crl").read_bytes()),
             ("nuc.crl", pki.make_crl(inter_key, inter, []).public_bytes(Encoding.PEM))]
    r = verify(signed, store_dir(tmp_path, *files))
    assert r.sub_indication == S.NO_CERTIFICATE_CHAIN_FOUND  # the intermediate must be in the store
    d2 = store_dir(tmp_path / "2", *files, ("nuc.pem", pki.cert_pem(inter)))
    r = verify(signed, d2)
    assert r.passed, r.to_json()
    assert r.check("certificate_chain").detail.count("→") == 2
    revoked_crl = pki.make_crl(inter_key, inter, [(leaf.serial_number, NOW - dt.timedelta(hours=2))])
    (d2 / "nuc.crl").write_bytes(revoked_crl.public_bytes(Encoding.PEM))
    assert verify(signed, d2).sub_indication == S.REVOKED


def test_issuer_that_is_not_a_ca(dev_pki, tmp_path, doc):
    # A signing certificate put into the store cannot act as an issuer.
    leaf_key = pki.serialization.load_pem_private_key(dev_pki.key(), None)
    leaf_cert = x509.load_pem_x509_certificate(dev_pki.cert())
    signed, _ = make_signed(doc, leaf_key, leaf_cert, legal_subject(dev_pki))
    d = store_dir(tmp_path, ("fake.pem", dev_pki.cert()),
                  ("fake.crl", pki.make_crl(leaf_key, leaf_cert, []).public_bytes(Encoding.PEM)))
    r = verify(signed, d)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.CHAIN_CONSTRAINTS_FAILURE)
    assert "not a CA" in r.check("ca_constraints").detail


def test_signer_may_not_be_a_ca(dev_pki, doc):
    ca_key, ca_cert = ca_of(dev_pki)
    signed, _ = make_signed(doc, ca_key, ca_cert, legal_subject(dev_pki), is_ca=True)
    r = verify(signed, dev_pki.trust)
    assert r.sub_indication == S.CHAIN_CONSTRAINTS_FAILURE


def test_signer_certificate_is_never_trusted_by_itself(dev_pki, tmp_path, doc):
    # A self-signed "legal entity" certificate, even if its issuer name is the CA's.
    key = pki.new_key()
    _, ca_cert = ca_of(dev_pki)
    fake_ca = pki.make_ca(ca_cert.subject.get_attributes_for_oid(
        x509.oid.NameOID.COMMON_NAME)[0].value, key=key)[1]
    signed, _ = make_signed(doc, key, fake_ca, legal_subject(dev_pki))
    assert verify(signed, dev_pki.trust).sub_indication == S.NO_CERTIFICATE_CHAIN_FOUND


def test_missing_key_usage(dev_pki, doc):
    ca_key, ca_cert = ca_of(dev_pki)
    signed, _ = make_signed(doc, ca_key, ca_cert, legal_subject(dev_pki), key_usage="none")
    r = verify(signed, dev_pki.trust)
    assert (r.sub_indication, r.message_key) == (S.SIG_CONSTRAINTS_FAILURE, "signature.key_usage")


def test_legal_entity_role_without_child_role(dev_pki, doc):
    ca_key, ca_cert = ca_of(dev_pki)
    signed, _ = make_signed(doc, ca_key, ca_cert, legal_subject(dev_pki),
                            eku=[oids.EKU_SIGN, oids.ROLE_LEGAL_ENTITY])
    r = verify(signed, dev_pki.trust)
    assert r.passed and r.signer.role == "legal_entity"


def test_no_role_at_all(dev_pki, doc):
    ca_key, ca_cert = ca_of(dev_pki)
    signed, _ = make_signed(doc, ca_key, ca_cert, legal_subject(dev_pki), eku=[oids.EKU_SIGN])
    r = verify(signed, dev_pki.trust)
    assert (r.sub_indication, r.message_key) == (S.CHAIN_CONSTRAINTS_FAILURE,
                                                 "signature.not_legal_entity")


def test_weak_rsa_key(dev_pki, doc):
    ca_key, ca_cert = ca_of(dev_pki)
    signed, _ = make_signed(doc, ca_key, ca_cert, legal_subject(dev_pki), bits=1024)
    r = verify(signed, dev_pki.trust)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.CRYPTO_CONSTRAINTS_FAILURE)


def test_ec_certificate_with_rsa_signature_method(dev_pki, signed):
    from cryptography.hazmat.primitives.asymmetric import ec
    import base64
    ca_key, ca_cert = ca_of(dev_pki)
    ec_cert = pki.issue_cert(ca_key, ca_cert, legal_subject(dev_pki),
                             ec.generate_private_key(ec.SECP256R1()).public_key(), **SIGN)
    start = signed.index(b"<ds:X509Certificate>") + 20
    end = signed.index(b"</ds:X509Certificate>")
    swapped = signed[:start] + base64.b64encode(ec_cert.public_bytes(Encoding.DER)) + signed[end:]
    r = verify(swapped, dev_pki.trust)
    assert r.sub_indication == S.FORMAT_FAILURE and "not RSA" in r.checks[-1].detail


def test_ocsp_stub_reports_not_checked(dev_pki, signed):
    store = TrustStore.load(dev_pki.trust).with_ocsp(NoOcsp())
    r = verify(signed, store)
    assert r.passed and r.check("ocsp").detail == "OCSP: not_checked"
    assert verify(signed, dev_pki.trust).check("ocsp") is None  # off by default


def test_ocsp_revoked_answer_is_revoked(dev_pki, signed):
    class Revoked:
        def status(self, cert, issuer, at):
            return "revoked"
    r = verify(signed, TrustStore.load(dev_pki.trust).with_ocsp(Revoked()))
    assert r.sub_indication == S.REVOKED
