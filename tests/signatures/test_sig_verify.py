"""verify(): the verdicts for genuine, tampered and policy-violating signatures."""

import datetime as dt
import json

import pytest
from lxml import etree

from portal.signatures.report import Indication, SubIndication, ValidationReport
from portal.signatures.verify import verify
from portal.signatures.xmlparse import parse, signed_content

NS = {"a": "urn:tyndau:application:1"}
PASSED, FAILED, INDET = Indication.TOTAL_PASSED, Indication.TOTAL_FAILED, Indication.INDETERMINATE
S = SubIndication


def test_genuine_signature_passes(dev_pki, signed):
    r = verify(signed, dev_pki.trust)
    assert r.indication == PASSED and r.sub_indication is None and r.passed
    assert r.message_key == "signature.passed"
    org = dev_pki.org()
    assert r.signer.bin == org["bin"] and r.signer.iin == org["head_iin"]
    assert r.signer.organization == org["name"]
    assert r.signer.common_name == "АХМЕТОВ АРМАН"
    assert r.signer.surname == "АХМЕТОВ" and r.signer.given_name == "СЕРИКОВИЧ"
    assert r.signer.role == "first_head"
    assert r.signer.certificate_serial == org["certs"]["sign"]["serial"]
    assert "ОРТАЛЫҚ" in r.signer.issuer
    assert all(c.passed for c in r.checks)
    assert {"reference_digest", "signature_value", "certificate_chain", "revocation",
            "extended_key_usage", "legal_entity_role"} <= {c.name for c in r.checks}


def test_report_serialises(dev_pki, signed):
    r = verify(signed, dev_pki.trust, expect_bin=dev_pki.org()["bin"])
    d = json.loads(r.to_json())
    assert d["indication"] == "TOTAL_PASSED" and d["sub_indication"] is None
    assert d["signer"]["bin"] == dev_pki.org()["bin"]
    assert d["message"] == "The signature is valid."
    assert dt.datetime.fromisoformat(d["validation_time"]).tzinfo is not None
    assert {"name": "expected_bin", "passed": True}.items() <= d["checks"][-1].items()
    assert "content" not in d


def test_content_is_the_signed_business_data(dev_pki, signed):
    r = verify(signed, dev_pki.trust)
    root = r.content.getroot()
    assert root.find("a:applicant/a:bin", NS).text == dev_pki.org()["bin"]
    assert not root.xpath("//*[local-name()='Signature']")


def test_trust_store_may_be_a_path_string(dev_pki, signed):
    assert verify(signed, str(dev_pki.trust)).passed


def test_tampered_content_is_hash_failure(dev_pki, signed):
    r = verify(signed.replace(b"backup</site>", b"main</site>"), dev_pki.trust)
    assert (r.indication, r.sub_indication) == (FAILED, S.HASH_FAILURE)
    assert r.message_key == "signature.hash_failure" and r.content is None


def test_tampered_attribute_is_hash_failure(dev_pki, signed):
    r = verify(signed.replace(b'kind="accreditation"', b'kind="reissue"'), dev_pki.trust)
    assert r.sub_indication == S.HASH_FAILURE


def test_tampered_signature_value_is_sig_crypto_failure(dev_pki, signed):
    start = signed.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    flipped = b"B" if signed[start + 10:start + 11] != b"B" else b"C"
    bad = signed[:start + 10] + flipped + signed[start + 11:]
    r = verify(bad, dev_pki.trust)
    assert (r.indication, r.sub_indication) == (FAILED, S.SIG_CRYPTO_FAILURE)


def test_signature_of_another_key_is_sig_crypto_failure(dev_pki, doc, signed):
    # Same document and digest, certificate of another person: the value does not match.
    other = dev_pki.sign(doc, "employee")
    cert_other = other[other.index(b"<ds:X509Certificate>"):other.index(b"</ds:X509Certificate>")]
    mine = signed[signed.index(b"<ds:X509Certificate>"):signed.index(b"</ds:X509Certificate>")]
    r = verify(signed.replace(mine, cert_other), dev_pki.trust)
    assert r.sub_indication == S.SIG_CRYPTO_FAILURE


def test_comment_in_signed_value_still_passes_and_is_ignored(dev_pki, signed):
    bin_ = dev_pki.org()["bin"].encode()
    with_comment = signed.replace(b"<bin>" + bin_, b"<bin>" + bin_[:6] + b"<!--999999-->" + bin_[6:])
    r = verify(with_comment, dev_pki.trust)
    assert r.passed
    # A naive reader would see only the text before the comment...
    naive = parse(with_comment).getroot().find("a:applicant/a:bin", NS).text
    assert naive == bin_[:6].decode()
    # ...what the portal reads is the value as signed.
    assert r.content.getroot().find("a:applicant/a:bin", NS).text == bin_.decode()
    assert signed_content(parse(with_comment)).getroot().find("a:applicant/a:bin", NS).text == bin_.decode()


def test_processing_instruction_is_signed(dev_pki, signed):
    r = verify(signed.replace(b"<pool>", b"<pool><?evil x?>"), dev_pki.trust)
    assert r.sub_indication == S.HASH_FAILURE


def test_expired(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "expired"), dev_pki.trust)
    assert (r.indication, r.sub_indication, r.message_key) == (FAILED, S.EXPIRED, "signature.expired")


def test_expired_certificate_valid_at_an_earlier_time(dev_pki, doc):
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=500)
    assert verify(dev_pki.sign(doc, "expired"), dev_pki.trust, at=at).passed


def test_not_yet_valid(dev_pki, signed):
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)
    r = verify(signed, dev_pki.trust, at=at)
    assert (r.indication, r.sub_indication) == (FAILED, S.NOT_YET_VALID)


def test_naive_at_is_utc(dev_pki, signed):
    r = verify(signed, dev_pki.trust, at=dt.datetime.utcnow().replace(tzinfo=None))
    assert r.passed and r.validation_time.endswith("+00:00")


def test_revoked(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "revoked"), dev_pki.trust)
    assert (r.indication, r.sub_indication, r.message_key) == (FAILED, S.REVOKED, "signature.revoked")


def test_revoked_certificate_before_its_revocation(dev_pki, doc):
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    r = verify(dev_pki.sign(doc, "revoked"), dev_pki.trust, at=at)
    assert r.passed
    assert "revoked only later" in r.check("revocation").detail


def test_untrusted_ca(other_pki, dev_pki, doc):
    r = verify(other_pki.sign(doc), dev_pki.trust)
    assert (r.indication, r.sub_indication) == (INDET, S.NO_CERTIFICATE_CHAIN_FOUND)
    assert r.message_key == "signature.untrusted"
    assert r.signer.bin == other_pki.org()["bin"]  # shown, but not trusted


def test_expect_bin_matches(dev_pki, signed):
    assert verify(signed, dev_pki.trust, expect_bin=dev_pki.org()["bin"]).passed


def test_expect_bin_mismatch(dev_pki, signed):
    r = verify(signed, dev_pki.trust, expect_bin=dev_pki.org(1)["bin"])
    assert (r.indication, r.sub_indication) == (FAILED, S.SIG_CONSTRAINTS_FAILURE)
    assert r.message_key == "signature.bin_mismatch"
    assert r.check("expected_bin").passed is False


def test_other_org_signing_for_expected_bin(dev_pki, doc):
    r = verify(dev_pki.sign(doc, org=1), dev_pki.trust, expect_bin=dev_pki.org(0)["bin"])
    assert r.message_key == "signature.bin_mismatch"


def test_auth_key_used_to_sign(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "auth"), dev_pki.trust, purpose="sign")
    assert (r.indication, r.sub_indication) == (FAILED, S.SIG_CONSTRAINTS_FAILURE)
    assert r.message_key == "signature.wrong_key_purpose"


def test_sign_key_used_for_auth(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "sign"), dev_pki.trust, purpose="auth")
    assert r.message_key == "signature.wrong_key_purpose"


def test_auth_key_for_auth(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "auth"), dev_pki.trust, purpose="auth")
    assert r.passed and r.signer.role == "first_head"


def test_individual_is_not_a_legal_entity(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "individual"), dev_pki.trust)
    assert (r.indication, r.sub_indication) == (FAILED, S.CHAIN_CONSTRAINTS_FAILURE)
    assert r.message_key == "signature.not_legal_entity"
    assert r.signer.role == "individual" and r.signer.bin is None


def test_employee_role(dev_pki, doc):
    r = verify(dev_pki.sign(doc, "employee"), dev_pki.trust)
    assert r.passed and r.signer.role == "employee"


def test_provider_signs_decisions(dev_pki, make_doc):
    decision = make_doc("000000000000", "решение")
    r = verify(dev_pki.sign(decision, "provider"), dev_pki.trust,
               expect_bin=dev_pki.manifest["provider"]["bin"])
    assert r.passed and r.signer.role == "signing_right"


def test_bad_purpose_is_a_programming_error(dev_pki, signed):
    with pytest.raises(ValueError):
        verify(signed, dev_pki.trust, purpose="encrypt")


def test_report_for_non_signed_document(dev_pki, doc):
    r = verify(doc, dev_pki.trust)
    assert isinstance(r, ValidationReport)
    assert (r.indication, r.sub_indication) == (FAILED, S.FORMAT_FAILURE)
    assert r.signer.iin is None
    assert json.loads(r.to_json())["signer"]["bin"] is None


def test_signed_content_drops_signature_comments_and_pis(signed):
    tree = parse(signed.replace(b"<pool>", b"<pool><!--c--><?pi x?>"))
    content = signed_content(tree)
    text = etree.tostring(content)
    assert b"Signature" not in text and b"<!--" not in text and b"<?pi" not in text
    assert b"<!--c-->" in etree.tostring(tree)  # the original tree is left alone
