"""Sign XML exactly as NCALayer signXml does, RSA or GOST 2015 (used by the dev PKI and for decisions)."""

from __future__ import annotations

import base64
import os

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from . import gost, oids
from .oids import NS
from .xmlparse import parse
from .xmldsig import reference_octets


def read_key_pair(key_file: str | None, cert_file: str | None) -> tuple[bytes, bytes] | None:
    """The PEM key and certificate of a configured signer; None when either file is not there."""
    if not key_file or not cert_file or not os.path.exists(key_file) or not os.path.exists(cert_file):
        return None
    with open(key_file, "rb") as key, open(cert_file, "rb") as cert:
        return key.read(), cert.read()


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode("ascii") if isinstance(value, str) else value


def sign_xml(xml_bytes: bytes, key_pem: bytes | str, cert_pem: bytes | str) -> bytes:
    """Return the document with an enveloped ds:Signature appended as the root's last child.

    SignedInfo C14N, one Reference URI="" with enveloped-signature and C14N-with-comments
    transforms, KeyInfo/X509Data with the signer's certificate only; rsa-sha256 with SHA-256
    for an RSA key, gostr34102015-gostr34112015-512 (or -256) with Streebog for a GOST 2015 key
    (gost.py's PEM). Raises FormatError for unacceptable input, ValueError if already signed or
    if the key does not belong to the certificate (GOST).
    """
    tree = parse(xml_bytes)
    root = tree.getroot()
    if root.xpath("//ds:Signature", namespaces=NS):
        raise ValueError("the document is already signed; the portal accepts one signature")
    gost_key = gost.load_private_key(_as_bytes(key_pem))
    if gost_key is not None:
        return _sign_gost(tree, gost_key, _as_bytes(cert_pem))
    c = xmlsec.constants
    sig = xmlsec.template.create(root, c.TransformInclC14N, c.TransformRsaSha256, ns="ds")
    ref = xmlsec.template.add_reference(sig, c.TransformSha256, uri="")
    xmlsec.template.add_transform(ref, c.TransformEnveloped)
    xmlsec.template.add_transform(ref, c.TransformInclC14NWithComments)
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    xmlsec.template.x509_data_add_certificate(x509_data)
    root.append(sig)

    key = xmlsec.Key.from_memory(_as_bytes(key_pem), c.KeyDataFormatPem)
    key.load_cert_from_memory(_as_bytes(cert_pem), c.KeyDataFormatCertPem)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.sign(sig)
    # Double-quoted declaration, as NCALayer writes it.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        tree, encoding="UTF-8", xml_declaration=False)


def _b64_lines(raw: bytes) -> str:
    """Base64 in 76-character lines, as NCALayer (Apache Santuario) writes it."""
    text = base64.b64encode(raw).decode("ascii")
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def _sign_gost(tree: etree._ElementTree, key: gost.PrivateKey, cert_pem: bytes) -> bytes:
    """The GOST shape NCALayer makes (see tests/signatures/vectors): same elements and line breaks."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    if gost.public_key_of(cert) != key.public_key():
        raise ValueError("the GOST private key does not belong to the certificate")
    size = key.curve.size
    root = tree.getroot()
    digest = gost.streebog(reference_octets(tree, None), size)

    def ds(parent, name, text=None, **attrs):
        el = etree.SubElement(parent, f"{{{oids.DS_NS}}}{name}", attrs, nsmap=None)
        el.text = text
        el.tail = "\n"
        return el

    sig = etree.SubElement(root, f"{{{oids.DS_NS}}}Signature", nsmap={"ds": oids.DS_NS})
    sig.text = "\n"
    info = ds(sig, "SignedInfo", "\n")
    ds(info, "CanonicalizationMethod", Algorithm=oids.C14N)
    ds(info, "SignatureMethod", Algorithm=oids.GOST_SIGNATURE_METHOD[size])
    ref = ds(info, "Reference", "\n", URI="")
    transforms = ds(ref, "Transforms", "\n")
    ds(transforms, "Transform", Algorithm=oids.ENVELOPED)
    ds(transforms, "Transform", Algorithm=oids.C14N_WITH_COMMENTS)
    ds(ref, "DigestMethod", Algorithm=oids.GOST_DIGEST_METHOD[size])
    ds(ref, "DigestValue", _b64_lines(digest))
    signed_info = etree.tostring(info, method="c14n", exclusive=False, with_comments=False)
    ds(sig, "SignatureValue", "\n" + _b64_lines(gost.sign_data(key, signed_info)) + "\n")
    data = ds(ds(sig, "KeyInfo", "\n"), "X509Data", "\n")
    ds(data, "X509Certificate", "\n" + _b64_lines(cert.public_bytes(serialization.Encoding.DER)) + "\n")
    sig.tail = None
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        tree, encoding="UTF-8", xml_declaration=False)
