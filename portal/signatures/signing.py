"""Sign XML exactly as NCALayer signXml does for RSA keys (used by the dev PKI and for decisions)."""

from __future__ import annotations

import xmlsec
from lxml import etree

from .oids import NS
from .xmlparse import parse


def read_key_pair(key_file: str | None, cert_file: str | None) -> tuple[bytes, bytes] | None:
    """The PEM key and certificate of a configured signer; None when either file is not there."""
    import os

    if not key_file or not cert_file or not os.path.exists(key_file) or not os.path.exists(cert_file):
        return None
    with open(key_file, "rb") as key, open(cert_file, "rb") as cert:
        return key.read(), cert.read()


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode("ascii") if isinstance(value, str) else value


def sign_xml(xml_bytes: bytes, key_pem: bytes | str, cert_pem: bytes | str) -> bytes:
    """Return the document with an enveloped ds:Signature appended as the root's last child.

    SignedInfo C14N, rsa-sha256, one Reference URI="" with enveloped-signature and
    C14N-with-comments transforms, SHA-256 digest, KeyInfo/X509Data with the signer's
    certificate only. Raises FormatError for unacceptable input, ValueError if already signed.
    """
    tree = parse(xml_bytes)
    root = tree.getroot()
    if root.xpath("//ds:Signature", namespaces=NS):
        raise ValueError("the document is already signed; the portal accepts one signature")
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
