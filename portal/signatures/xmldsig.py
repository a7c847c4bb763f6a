"""The XMLDSig profile we accept (NCALayer signXml, RSA or GOST 2015), checked before and during cryptography."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
from dataclasses import dataclass

import xmlsec
from cryptography import x509
from lxml import etree

from . import gost, oids
from .xmlparse import remove_node


class StructureError(ValueError):
    """The signature is not in the one accepted shape (FORMAT_FAILURE)."""


@dataclass
class SignatureParts:
    """The pieces of a structurally valid ds:Signature."""

    signature: etree._Element
    signature_method: str
    digest_method: str
    with_comments: bool
    digest_value: bytes
    certificate: x509.Certificate
    certificate_der: bytes
    signed_info: etree._Element | None = None
    signature_value: bytes = b""

    @property
    def gost(self) -> bool:
        """Any Kazakh GOST algorithm (2015, checked by gost.py, or the old 2004 one)."""
        return (self.signature_method in oids.GOST_SIGNATURE_METHODS
                or self.digest_method in oids.GOST_DIGEST_METHODS)

    @property
    def legacy_gost(self) -> bool:
        """GOST 34.310-2004 / 34.311-95: recognised, never verified (no implementation of 34.311-95)."""
        return (self.signature_method == oids.LEGACY_GOST_SIGNATURE_METHOD
                or self.digest_method == oids.LEGACY_GOST_DIGEST_METHOD)

    @property
    def gost_size(self) -> int | None:
        """256 or 512 for a GOST 34.10-2015 signature (method and digest agree: parse_signature checks)."""
        return oids.GOST_SIZE_OF_METHOD.get(self.signature_method)


def _ds(name: str) -> str:
    return f"{{{oids.DS_NS}}}{name}"


def _elements(node: etree._Element) -> list[etree._Element]:
    # Comments and PIs are skipped: they do not change what the elements mean.
    return [c for c in node if isinstance(c.tag, str)]


def _expect_children(node: etree._Element, names: list[str]) -> list[etree._Element]:
    kids = _elements(node)
    got = [etree.QName(k).localname if k.tag.startswith(f"{{{oids.DS_NS}}}") else k.tag for k in kids]
    if len(kids) != len(names) or any(k.tag != _ds(n) for k, n in zip(kids, names)):
        raise StructureError(
            f"{etree.QName(node).localname} must contain exactly {', '.join(names) or 'nothing'}; "
            f"found {', '.join(got) or 'nothing'}")
    return kids


def _algorithm(node: etree._Element) -> str:
    _expect_children(node, [])
    alg = node.get("Algorithm")
    if not alg:
        raise StructureError(f"{etree.QName(node).localname} has no Algorithm")
    return alg


def _b64(node: etree._Element, what: str) -> bytes:
    text = "".join((node.text or "").split())
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise StructureError(f"{what} is not valid base64") from None
    if not raw:
        raise StructureError(f"{what} is empty")
    return raw


def parse_signature(tree: etree._ElementTree) -> SignatureParts:
    """Check the signature's shape and algorithms; raise StructureError on any deviation."""
    root = tree.getroot()
    sigs = list(root.iter(_ds("Signature")))  # the root and every descendant, as //ds:Signature
    if not sigs:
        raise StructureError("the document is not signed (no ds:Signature)")
    if len(sigs) > 1:
        raise StructureError(f"exactly one ds:Signature is allowed, found {len(sigs)}")
    sig = sigs[0]
    if sig.getparent() is not root:
        raise StructureError("ds:Signature must be a direct child of the root element")
    nxt = sig.getnext()
    while nxt is not None:
        if isinstance(nxt.tag, str):
            raise StructureError("ds:Signature must be the last element of the root")
        nxt = nxt.getnext()

    signed_info, signature_value, key_info = _expect_children(
        sig, ["SignedInfo", "SignatureValue", "KeyInfo"])
    c14n, sig_method_el, reference = _expect_children(
        signed_info, ["CanonicalizationMethod", "SignatureMethod", "Reference"])

    if _algorithm(c14n) != oids.C14N:
        raise StructureError(f"CanonicalizationMethod must be {oids.C14N}")
    sig_method = _algorithm(sig_method_el)
    if sig_method not in oids.GOST_SIGNATURE_METHODS and sig_method != oids.RSA_SHA256:
        raise StructureError(f"SignatureMethod {sig_method} is not accepted; only rsa-sha256 "
                             "and gostr34102015-gostr34112015-512/256")

    if "URI" not in reference.attrib or reference.get("URI") != "":
        raise StructureError('the Reference must have URI="" (the whole document)')
    extra = set(reference.attrib) - {"URI", "Id"}
    if extra:
        raise StructureError(f"unexpected Reference attributes: {', '.join(sorted(extra))}")
    transforms, digest_method_el, digest_value_el = _expect_children(
        reference, ["Transforms", "DigestMethod", "DigestValue"])
    algs = [_algorithm(t) for t in _expect_children(transforms, ["Transform", "Transform"])]
    if algs[0] != oids.ENVELOPED or algs[1] not in (oids.C14N, oids.C14N_WITH_COMMENTS):
        raise StructureError("transforms must be exactly enveloped-signature then C14N, "
                             f"found {', '.join(algs)}")
    digest_method = _algorithm(digest_method_el)
    if digest_method not in oids.GOST_DIGEST_METHODS and digest_method != oids.SHA256:
        raise StructureError(f"DigestMethod {digest_method} is not accepted; only SHA-256 "
                             "and gostr34112015-512/256")
    # The old GOST 34.310-2004 cannot be checked here at all: it is reported as such (INDETERMINATE).
    legacy = (sig_method == oids.LEGACY_GOST_SIGNATURE_METHOD
              or digest_method == oids.LEGACY_GOST_DIGEST_METHOD)
    expected = {oids.RSA_SHA256: oids.SHA256,
                **{oids.GOST_SIGNATURE_METHOD[n]: oids.GOST_DIGEST_METHOD[n] for n in (256, 512)}}
    if not legacy and expected[sig_method] != digest_method:
        # One family and one size: rsa-sha256 with SHA-256, GOST 2015-512 with Streebog-512...
        raise StructureError(f"DigestMethod {digest_method} does not go with SignatureMethod {sig_method}")
    digest_value = _b64(digest_value_el, "DigestValue")
    value = _b64(signature_value, "SignatureValue")

    (x509_data,) = _expect_children(key_info, ["X509Data"])
    (cert_el,) = _expect_children(x509_data, ["X509Certificate"])
    der = _b64(cert_el, "X509Certificate")
    cert = load_certificate(der)

    parts = SignatureParts(sig, sig_method, digest_method, algs[1] == oids.C14N_WITH_COMMENTS,
                           digest_value, cert, der, signed_info, value)
    if not parts.gost and len(digest_value) != 32:
        raise StructureError("DigestValue is not a SHA-256 value")
    if parts.gost_size and len(digest_value) != parts.gost_size // 8:
        raise StructureError(f"DigestValue is not a Streebog-{parts.gost_size} value")
    return parts


def load_certificate(der: bytes) -> x509.Certificate:
    """Parse a certificate completely now: cryptography parses lazily, and a broken
    extension must be a FORMAT_FAILURE here, not an exception deep in the policy checks."""
    try:
        cert = x509.load_der_x509_certificate(der)
        _ = (cert.subject, cert.issuer, cert.serial_number, cert.not_valid_before_utc,
             cert.not_valid_after_utc, list(cert.extensions))
        # cryptography knows no GOST hash: a Kazakh GOST certificate is read field by field
        # (gost.py reads its key when the signature is checked); any other must name its hash.
        algorithm = cert.signature_algorithm_oid.dotted_string
        if gost.signature_size(algorithm) is None and algorithm != gost.LEGACY_SIGNATURE_ALGORITHM:
            _ = cert.signature_hash_algorithm
    except Exception as exc:  # noqa: BLE001 — untrusted DER: cryptography raises several types
        raise StructureError(f"X509Certificate cannot be read: {type(exc).__name__}: {exc}") from None
    if cert.serial_number <= 0:
        raise StructureError("X509Certificate has a non-positive serial number (RFC 5280)")
    return cert


def reference_octets(tree: etree._ElementTree, sig: etree._Element | None) -> bytes:
    """The document after enveloped-signature + C14N (`sig` None: a document not signed yet).

    A same-document URI="" selects the document without comment nodes (XMLDSig 4.3.3.3),
    so comments are dropped even with the #WithComments transform.
    """
    clone = copy.deepcopy(tree)
    if sig is not None:
        remove_node(clone.getroot()[tree.getroot().index(sig)])
    try:
        return etree.tostring(clone, method="c14n", exclusive=False, with_comments=False)
    except etree.C14NError:
        # e.g. a relative namespace URI, which C14N 1.0 refuses
        raise StructureError("the document cannot be canonicalised (C14N)") from None


def reference_digest(tree: etree._ElementTree, sig: etree._Element,
                     digest_method: str = oids.SHA256) -> bytes:
    """The Reference's digest computed independently of xmlsec: SHA-256 or Streebog-256/512."""
    canonical = reference_octets(tree, sig)
    size = oids.GOST_SIZE_OF_DIGEST.get(digest_method)
    return gost.streebog(canonical, size) if size else hashlib.sha256(canonical).digest()


def digest_matches(tree: etree._ElementTree, parts: SignatureParts) -> bool:
    return hmac.compare_digest(reference_digest(tree, parts.signature, parts.digest_method),
                               parts.digest_value)


def gost_signature_matches(parts: SignatureParts, key: gost.PublicKey) -> bool:
    """The SignatureValue over C14N(SignedInfo), with the signer's GOST key (NCA byte order)."""
    canonical = etree.tostring(parts.signed_info, method="c14n", exclusive=False, with_comments=False)
    return gost.verify_data(key, canonical, parts.signature_value)


def xmlsec_verify(parts: SignatureParts) -> None:
    """Verify with libxmlsec, only the accepted transforms enabled; raise xmlsec.Error if invalid."""
    ctx = xmlsec.SignatureContext()
    for t in (xmlsec.constants.TransformInclC14N, xmlsec.constants.TransformRsaSha256):
        ctx.enable_signature_transform(t)
    for t in (xmlsec.constants.TransformEnveloped, xmlsec.constants.TransformInclC14N,
              xmlsec.constants.TransformInclC14NWithComments, xmlsec.constants.TransformSha256):
        ctx.enable_reference_transform(t)
    # The certificate's own DER, already parsed in full by load_certificate (no PEM round trip).
    ctx.key = xmlsec.Key.from_memory(parts.certificate_der, xmlsec.constants.KeyDataFormatCertDer)
    ctx.verify(parts.signature)
