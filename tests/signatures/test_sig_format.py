"""Signatures outside the accepted NCALayer profile are refused before any cryptography."""

import pytest
import xmlsec
from lxml import etree

from portal.signatures import verify as verify_module
from portal.signatures.report import Indication, SubIndication
from portal.signatures.verify import verify
from portal.signatures.xmlparse import parse

C = xmlsec.constants
S = SubIndication


@pytest.fixture
def no_crypto(monkeypatch):
    """Fail the test if libxmlsec or our digest is reached."""
    def boom(*a, **k):
        raise AssertionError("cryptography reached")
    monkeypatch.setattr(verify_module, "xmlsec_verify", boom)
    monkeypatch.setattr(verify_module, "digest_matches", boom)


def assert_format_failure(report, fragment=""):
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, S.FORMAT_FAILURE)
    assert report.message_key == "signature.format_failure"
    assert fragment in report.checks[-1].detail, report.checks[-1].detail


def sign(dev_pki, sign_with, xml, **profile):
    return sign_with(xml, dev_pki.key(), dev_pki.cert(), **profile)


def test_reference_to_part_of_document(dev_pki, sign_with, make_doc, no_crypto):
    xml = make_doc(dev_pki.org()["bin"]).replace(b"<applicant>", b'<applicant Id="part">')
    signed = sign(dev_pki, sign_with, xml, uris=("#part",), id_node="//*[@Id]")
    assert_format_failure(verify(signed, dev_pki.trust), 'URI=""')


def test_two_references(dev_pki, sign_with, doc, no_crypto):
    assert_format_failure(verify(sign(dev_pki, sign_with, doc, uris=("", "")), dev_pki.trust),
                          "Reference")


def test_two_signatures_side_by_side(dev_pki, sign_with, signed, no_crypto):
    twice = sign(dev_pki, sign_with, None, signed_tree=parse(signed))
    assert_format_failure(verify(twice, dev_pki.trust), "exactly one ds:Signature")


def test_second_signature_hidden_in_content(dev_pki, signed, no_crypto):
    sig = signed[signed.index(b"<ds:Signature"):signed.index(b"</ds:Signature>") + 15]
    hidden = signed.replace(b"<pool>", b"<pool><extra>" + sig + b"</extra>", 1)
    assert_format_failure(verify(hidden, dev_pki.trust), "found 2")


def test_sha1(dev_pki, sign_with, doc, no_crypto):
    signed = sign(dev_pki, sign_with, doc, method=C.TransformRsaSha1, digest=C.TransformSha1)
    assert_format_failure(verify(signed, dev_pki.trust), "rsa-sha1")


def test_sha1_digest_only(dev_pki, sign_with, doc, no_crypto):
    assert_format_failure(verify(sign(dev_pki, sign_with, doc, digest=C.TransformSha1),
                                 dev_pki.trust), "SHA-256")


def test_rsa_sha512_is_not_the_profile(dev_pki, sign_with, doc, no_crypto):
    assert_format_failure(verify(sign(dev_pki, sign_with, doc, method=C.TransformRsaSha512),
                                 dev_pki.trust), "rsa-sha256")


@pytest.mark.parametrize("transforms", [
    (C.TransformEnveloped, C.TransformExclC14N),
    (C.TransformEnveloped,),
    (C.TransformEnveloped, C.TransformInclC14N, C.TransformInclC14N),
    (C.TransformEnveloped, C.TransformInclC14N11),
], ids=["exc-c14n", "enveloped-only", "three", "c14n11"])
def test_other_transforms(dev_pki, sign_with, doc, no_crypto, transforms):
    assert_format_failure(verify(sign(dev_pki, sign_with, doc, transforms=transforms),
                                 dev_pki.trust))


def test_transforms_in_the_wrong_order(dev_pki, signed, no_crypto):
    env = b'<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    c14n = (b'<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
            b'#WithComments"/>')
    swapped = signed.replace(env, b"@@").replace(c14n, env).replace(b"@@", c14n)
    assert swapped != signed
    assert_format_failure(verify(swapped, dev_pki.trust), "transforms")


def test_exclusive_c14n_for_signed_info(dev_pki, sign_with, doc, no_crypto):
    assert_format_failure(verify(sign(dev_pki, sign_with, doc, c14n=C.TransformExclC14N),
                                 dev_pki.trust), "CanonicalizationMethod")


def test_xpath_transform_is_refused(dev_pki, signed, no_crypto):
    xpath = (b'<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'
             b'<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>')
    bad = signed.replace(b"</ds:Transforms>", xpath + b"</ds:Transforms>")
    assert_format_failure(verify(bad, dev_pki.trust))


def test_c14n_without_comments_is_accepted(dev_pki, sign_with, doc):
    signed = sign(dev_pki, sign_with, doc, transforms=(C.TransformEnveloped, C.TransformInclC14N))
    assert verify(signed, dev_pki.trust).passed


def test_legacy_gost_is_indeterminate(dev_pki, signed, no_crypto):
    # GOST 34.310-2004 (hash GOST 34.311-95) is recognised but never checked: INDETERMINATE, not FORMAT.
    gost = signed.replace(b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                          b"http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311")
    r = verify(gost, dev_pki.trust)
    assert (r.indication, r.sub_indication) == (Indication.INDETERMINATE,
                                                S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE)
    assert r.message_key == "signature.legacy_gost_not_supported"
    assert "GOST 34.310-2004" in r.message
    assert r.signer.bin == dev_pki.org()["bin"]


def test_legacy_gost_digest_is_indeterminate(dev_pki, signed, no_crypto):
    gost = signed.replace(b"http://www.w3.org/2001/04/xmlenc#sha256",
                          b"http://www.w3.org/2001/04/xmldsig-more#gost34311")
    assert verify(gost, dev_pki.trust).indication == Indication.INDETERMINATE


@pytest.mark.parametrize("size,fragment", [(256, "not a GOST 34.10-2015 key"),
                                           (512, "not a Streebog-512 value")])  # 32-byte DigestValue
def test_gost_2015_method_with_an_rsa_certificate(dev_pki, signed, no_crypto, size, fragment):
    # Method and digest agree, but the certificate's key is RSA: not the shape NCALayer makes.
    gost = (signed.replace(b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                           f"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-{size}"
                           .encode())
            .replace(b"http://www.w3.org/2001/04/xmlenc#sha256",
                     f"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-{size}".encode()))
    assert_format_failure(verify(gost, dev_pki.trust), fragment)


@pytest.mark.parametrize("method,digest", [
    ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "gostr34112015-256"),
    ("urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512", "gostr34112015-256"),
    ("urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256", "gostr34112015-512"),
])
def test_signature_and_digest_methods_must_match(dev_pki, signed, no_crypto, method, digest):
    mixed = (signed.replace(b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", method.encode())
             .replace(b"http://www.w3.org/2001/04/xmlenc#sha256",
                      b"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:" + digest.encode()))
    assert_format_failure(verify(mixed, dev_pki.trust), "does not go with")


def test_signature_not_direct_child_of_root(dev_pki, sign_with, doc, no_crypto):
    signed = sign(dev_pki, sign_with, doc, parent_xpath="//*[local-name()='pool']")
    assert_format_failure(verify(signed, dev_pki.trust), "direct child of the root")


def test_whole_signed_document_wrapped(dev_pki, signed, no_crypto):
    body = signed.split(b"?>", 1)[1]
    wrapped = (b'<envelope><application xmlns="urn:tyndau:application:1"><applicant>'
               b'<bin>999999999999</bin></applicant></application><original>' + body +
               b"</original></envelope>")
    assert_format_failure(verify(wrapped, dev_pki.trust), "direct child of the root")


def test_unsigned_data_moved_where_the_portal_reads(dev_pki, signed):
    # Attacker keeps the signed applicant under another name and puts its own where
    # the portal looks: with URI="" the digest covers everything, so it fails.
    evil = signed.replace(b"<applicant>", b"<applicant><bin>999999999999</bin></applicant><old>", 1)
    evil = evil.replace(b"</applicant>\n", b"</old>\n", 1)
    assert etree.fromstring(evil) is not None
    r = verify(evil, dev_pki.trust)
    assert r.sub_indication == S.HASH_FAILURE and r.content is None


def test_extra_element_before_signature(dev_pki, signed):
    evil = signed.replace(b"<ds:Signature", b"<bin>999999999999</bin><ds:Signature", 1)
    assert verify(evil, dev_pki.trust).sub_indication == S.HASH_FAILURE


def test_element_after_signature(dev_pki, signed, no_crypto):
    evil = signed.replace(b"</application>", b"<bin>999999999999</bin></application>")
    assert_format_failure(verify(evil, dev_pki.trust), "last element")


def test_object_inside_signature_is_refused(dev_pki, signed, no_crypto):
    evil = signed.replace(b"</ds:Signature>",
                          b"<ds:Object><bin>999999999999</bin></ds:Object></ds:Signature>")
    assert_format_failure(verify(evil, dev_pki.trust), "Object")


def test_certificate_chain_in_key_info_is_refused(dev_pki, signed, no_crypto):
    cert = signed[signed.index(b"<ds:X509Certificate>"):signed.index(b"</ds:X509Data>")]
    assert_format_failure(verify(signed.replace(cert, cert + cert), dev_pki.trust), "X509Data")


def test_no_key_info(dev_pki, signed, no_crypto):
    start, end = signed.index(b"<ds:KeyInfo>"), signed.index(b"</ds:KeyInfo>") + 13
    assert_format_failure(verify(signed[:start] + signed[end:], dev_pki.trust), "KeyInfo")


def test_garbage_certificate(dev_pki, signed, no_crypto):
    start = signed.index(b"<ds:X509Certificate>") + 20
    end = signed.index(b"</ds:X509Certificate>")
    assert_format_failure(verify(signed[:start] + b"AAAA" + signed[end:], dev_pki.trust),
                          "X509Certificate")


def test_reference_without_uri(dev_pki, signed, no_crypto):
    assert_format_failure(verify(signed.replace(b'<ds:Reference URI="">', b"<ds:Reference>"),
                                 dev_pki.trust), 'URI=""')


def test_external_reference_uri(dev_pki, signed, no_crypto):
    bad = signed.replace(b'<ds:Reference URI="">', b'<ds:Reference URI="file:///etc/passwd">')
    assert_format_failure(verify(bad, dev_pki.trust), 'URI=""')
