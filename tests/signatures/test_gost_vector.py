"""A real NCA GOST 34.10-2015 signature (NCALayer, test CA of 2022) through verify() and the CLI."""

import base64
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.signatures.cli import signature_cli
from portal.signatures.report import Indication, SubIndication
from portal.signatures.truststore import TrustStore
from portal.signatures.verify import verify

VECTORS = Path(__file__).parent / "vectors"
SIGNED = (VECTORS / "nca-gost2015-512-test-signature.xml").read_bytes()
# When the certificate was valid; the CRL beside it had gone stale on 23.01.2023.
WHILE_VALID = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
S = SubIndication


@pytest.fixture
def empty_store(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d


@pytest.fixture
def nca_store(tmp_path):
    d = tmp_path / "nca"
    d.mkdir()
    for name in ("nca-gost2022-test-ca.cer", "nca-gost2022-test-ca.crl"):
        shutil.copy(VECTORS / name, d / name)
    return d


def replace_base64(doc: bytes, element: str, change) -> bytes:
    """The document with the base64 content of <ds:element> decoded, changed and put back."""
    pattern = re.compile(rb"(<ds:" + element.encode() + rb">)(.*?)(</ds:" + element.encode() + rb">)", re.S)
    match = pattern.search(doc)
    raw = change(bytearray(base64.b64decode(b"".join(match.group(2).split()))))
    return doc[:match.start(2)] + base64.b64encode(bytes(raw)) + doc[match.end(2):]


def test_digest_and_signature_check_out_and_the_signer_is_read(empty_store):
    r = verify(SIGNED, empty_store)
    assert r.check("reference_digest").passed and r.check("signature_value").passed
    assert r.check("reference_digest").detail == "Streebog-512 matches"
    assert r.algorithm == "GOST 34.10-2015 512-bit with Streebog-512"
    assert r.signer.iin == "123456789011" and r.signer.surname == "ТЕСТОВ"
    assert r.signer.role == "individual" and r.signer.bin is None
    assert "(GOST) TEST 2022" in r.signer.issuer


def test_empty_store_chain_not_found(empty_store):
    r = verify(SIGNED, empty_store)
    assert (r.indication, r.sub_indication) == (Indication.INDETERMINATE, S.NO_CERTIFICATE_CHAIN_FOUND)
    assert r.message_key == "signature.untrusted"


def test_nca_ca_trusted_chain_built_and_revocation_unknown(nca_store):
    r = verify(SIGNED, nca_store, at=WHILE_VALID)
    chain = r.check("certificate_chain")
    assert chain.passed and "(GOST) TEST 2022" in chain.detail
    assert r.check("certificate_validity").passed
    # The CA is not self-signed (its root is not here): it is trusted as the anchor it is.
    assert r.check("ca_constraints").passed
    # What the vector is: a stale CRL (decides: the chain checks come first) and an individual.
    assert (r.indication, r.sub_indication) == (Indication.INDETERMINATE, S.TRY_LATER)
    assert r.message_key == "signature.revocation_unknown"
    assert "expired at 2023-01-23" in r.check("revocation").detail
    assert r.check("legal_entity_role").passed is False
    assert r.check("key_usage").passed and r.check("extended_key_usage").passed


def test_nca_crl_is_verified_with_the_gost_ca_key(nca_store):
    store = TrustStore.load(nca_store)
    (ca,) = store.certificates
    assert store.crls_of(ca) == list(store.crls)
    assert not store._self_signed(ca)


def test_nca_ca_trusted_today_the_certificate_has_expired(nca_store):
    r = verify(SIGNED, nca_store)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.EXPIRED)
    assert r.check("certificate_chain").passed


def test_without_the_stale_crl_only_the_holder_fails(nca_store):
    # A store that does not require CRLs: the vector then fails only on what its holder is.
    store = TrustStore.load(nca_store)
    r = verify(SIGNED, TrustStore(store.certificates, (), require_crl=False), at=WHILE_VALID)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.CHAIN_CONSTRAINTS_FAILURE)
    assert r.message_key == "signature.not_legal_entity"


def test_tampered_content_is_hash_failure(nca_store):
    r = verify(SIGNED.replace(b"<xml>test", b"<xml>tesT"), nca_store, at=WHILE_VALID)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.HASH_FAILURE)


def test_tampered_signature_value_is_sig_crypto_failure(nca_store):
    bad = replace_base64(SIGNED, "SignatureValue", lambda raw: raw[:5] + bytes([raw[5] ^ 1]) + raw[6:])
    r = verify(bad, nca_store, at=WHILE_VALID)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.SIG_CRYPTO_FAILURE)
    assert r.check("signature_value").passed is False


def test_tampered_signed_info_is_sig_crypto_failure(nca_store):
    bad = SIGNED.replace(b'<ds:Reference URI="">', b'<ds:Reference URI="" Id="r">')
    r = verify(bad, nca_store, at=WHILE_VALID)
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, S.SIG_CRYPTO_FAILURE)


def test_a_certificate_whose_ca_signature_was_altered_is_not_chained(nca_store):
    # The certificate's last bytes are the CA's signature; the signer's own key is untouched, so the
    # XML signature still checks out, but the certificate no longer comes from the trusted CA.
    bad = replace_base64(SIGNED, "X509Certificate", lambda raw: raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:])
    r = verify(bad, nca_store, at=WHILE_VALID)
    assert r.check("signature_value").passed
    assert (r.indication, r.sub_indication) == (Indication.INDETERMINATE, S.NO_CERTIFICATE_CHAIN_FOUND)


def run(*args):
    result = CliRunner().invoke(signature_cli, ["verify", *map(str, args)])
    return result.exit_code, json.loads(result.output)


def test_cli_empty_store(tmp_path, empty_store):
    path = tmp_path / "vector.xml"
    path.write_bytes(SIGNED)
    code, report = run(path, "--trust-dir", empty_store)
    assert code == 1
    assert (report["indication"], report["sub_indication"]) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert report["signer"]["iin"] == "123456789011"
    assert {"name": "algorithm", "passed": True,
            "detail": "GOST 34.10-2015 512-bit with Streebog-512"} in report["checks"]


def test_cli_nca_store(tmp_path, nca_store):
    path = tmp_path / "vector.xml"
    path.write_bytes(SIGNED)
    code, report = run(path, "--trust-dir", nca_store, "--at", "2024-01-01T00:00:00")
    assert code == 1
    assert (report["indication"], report["sub_indication"]) == ("INDETERMINATE", "TRY_LATER")
    code, report = run(path, "--trust-dir", nca_store)
    assert report["sub_indication"] == "EXPIRED"


@pytest.mark.parametrize("tamper,sub", [
    (lambda d: d.replace(b"<xml>test", b"<xml>best"), "HASH_FAILURE"),
    (lambda d: replace_base64(d, "SignatureValue", lambda raw: raw[::-1]), "SIG_CRYPTO_FAILURE"),
])
def test_cli_tampered_copies(tmp_path, nca_store, tamper, sub):
    path = tmp_path / "tampered.xml"
    path.write_bytes(tamper(SIGNED))
    code, report = run(path, "--trust-dir", nca_store, "--at", "2024-01-01T00:00:00")
    assert code == 1 and (report["indication"], report["sub_indication"]) == ("TOTAL_FAILED", sub)
