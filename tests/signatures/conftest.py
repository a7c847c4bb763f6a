"""Fixtures for the signature tests: one dev PKI per session (RSA key generation is slow).

Every fixture PKI holds RSA and GOST keys alike: ``dev_pki`` signs with RSA, ``dev_pki.gost`` the same
people with their GOST 34.10-2015 keys; ``pki_of`` is parametrized over both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from portal.signatures import gost, oids, pki
from portal.signatures.signing import _b64_lines
from portal.signatures.xmldsig import reference_octets
from portal.signatures.xmlparse import parse


@dataclass
class Pki:
    """A dev PKI on disk and shortcuts to its files."""

    base: Path
    manifest: dict

    @property
    def trust(self) -> Path:
        return self.base / "trust"

    def org(self, i: int = 0) -> dict:
        return self.manifest["organizations"][i]

    def _entry(self, kind: str, org: int) -> dict:
        return self.manifest[kind] if kind in ("individual", "provider") else self.org(org)["certs"][kind]

    def key(self, kind: str = "sign", org: int = 0) -> bytes:
        return (self.base / self._entry(kind, org)["key"]).read_bytes()

    def cert(self, kind: str = "sign", org: int = 0) -> bytes:
        return (self.base / self._entry(kind, org)["cert"]).read_bytes()

    def sign(self, doc: bytes, kind: str = "sign", org: int = 0) -> bytes:
        return pki.sign_xml(doc, self.key(kind, org), self.cert(kind, org))

    algorithm = "rsa"

    @property
    def gost(self) -> "GostPki":
        """The same PKI's GOST 34.10-2015 keys (orgs/<BIN>/gost/, individual/gost/, ...)."""
        return GostPki(self.base, self.manifest)


class GostPki(Pki):
    """The GOST twin of each RSA key of a dev PKI."""

    algorithm = "gost"

    def _entry(self, kind: str, org: int) -> dict:
        return (self.manifest[kind]["gost"] if kind in ("individual", "provider")
                else self.org(org)["gost_certs"][kind])


def application(bin_: str, name: str = "ТОО «Tengri Hash Pool»") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<application xmlns="urn:tyndau:application:1" kind="accreditation">
  <applicant><bin>{bin_}</bin><name>{name}</name></applicant>
  <pool><site city="Астана">main</site><site city="Экибастуз">backup</site></pool>
</application>
""".encode()


_ORG = pki.DEMO_ORGANIZATIONS[0]
# init_pki(people=...): one legal entity's first head and one individual, each with RSA and GOST keys.
PEOPLE = [
    {"username": "head", "iin": _ORG["head_iin"], "name": _ORG["head_name"], "bin": _ORG["bin"],
     "organization": _ORG["name"], "role": "first_head"},
    {"username": "citizen", "iin": pki.DEMO_INDIVIDUAL["iin"], "name": pki.DEMO_INDIVIDUAL["name"],
     "bin": None, "organization": None, "role": None},
]


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory) -> Pki:
    base = tmp_path_factory.mktemp("pki")
    return Pki(base, pki.init_pki(base, people=PEOPLE))


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory) -> Pki:
    """A second, untrusted CA with the same kind of certificates."""
    base = tmp_path_factory.mktemp("other-pki")
    return Pki(base, pki.init_pki(base, organizations=pki.DEMO_ORGANIZATIONS[:1]))


@pytest.fixture(scope="session")
def doc(dev_pki) -> bytes:
    return application(dev_pki.org()["bin"])


@pytest.fixture(scope="session")
def signed(dev_pki, doc) -> bytes:
    return dev_pki.sign(doc)


def custom_sign(xml: bytes, key_pem: bytes, cert_pem: bytes, *,
                c14n=xmlsec.constants.TransformInclC14N,
                method=xmlsec.constants.TransformRsaSha256,
                digest=xmlsec.constants.TransformSha256,
                transforms=(xmlsec.constants.TransformEnveloped,
                            xmlsec.constants.TransformInclC14NWithComments),
                uris=("",), id_node: str | None = None, parent_xpath: str | None = None,
                signed_tree=None) -> bytes:
    """Sign with any profile, to build the variants the portal must refuse."""
    tree = signed_tree if signed_tree is not None else parse(xml)
    root = tree.getroot()
    parent = root if parent_xpath is None else root.xpath(parent_xpath)[0]
    sig = xmlsec.template.create(root, c14n, method, ns="ds")
    for uri in uris:
        ref = xmlsec.template.add_reference(sig, digest, uri=uri)
        for t in transforms:
            xmlsec.template.add_transform(ref, t)
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    xmlsec.template.x509_data_add_certificate(x509_data)
    parent.append(sig)
    ctx = xmlsec.SignatureContext()
    if id_node:
        for node in root.xpath(id_node):
            ctx.register_id(node, "Id")
    key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    ctx.key = key
    ctx.sign(sig)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="session", params=["rsa", "gost"])
def pki_of(request, dev_pki, other_pki):
    """(trusted PKI, untrusted PKI) with the keys of one algorithm: each test runs for RSA and GOST."""
    if request.param == "gost":
        return dev_pki.gost, other_pki.gost
    return dev_pki, other_pki


def gost_custom_sign(xml: bytes | None, key_pem: bytes, cert_pem: bytes, *, uris=("",),
                     parent_xpath: str | None = None, signed_tree=None,
                     method: str | None = None, digest: str | None = None) -> bytes:
    """A GOST signature in any shape (the GOST twin of custom_sign), with real digests and value.

    A Reference "#id" digests the element whose Id is id (C14N, no comments); "" the whole
    document as it is before the signature is added.
    """
    key = gost.load_private_key(key_pem)
    size = key.curve.size
    tree = signed_tree if signed_tree is not None else parse(xml)
    root = tree.getroot()
    parent = root if parent_xpath is None else root.xpath(parent_xpath)[0]

    def ds(el, name, text=None, **attrs):
        child = etree.SubElement(el, f"{{{oids.DS_NS}}}{name}", attrs)
        child.text = text
        return child

    def octets(uri: str) -> bytes:
        if uri == "":
            return reference_octets(tree, None)
        (target,) = root.xpath("//*[@Id=$id]", id=uri[1:])
        return etree.tostring(target, method="c14n", with_comments=False)

    digests = [gost.streebog(octets(uri), size) for uri in uris]  # before the signature exists
    sig = etree.SubElement(parent, f"{{{oids.DS_NS}}}Signature", nsmap={"ds": oids.DS_NS})
    info = ds(sig, "SignedInfo")
    ds(info, "CanonicalizationMethod", Algorithm=oids.C14N)
    ds(info, "SignatureMethod", Algorithm=method or oids.GOST_SIGNATURE_METHOD[size])
    for uri, value in zip(uris, digests):
        ref = ds(info, "Reference", URI=uri)
        transforms = ds(ref, "Transforms")
        ds(transforms, "Transform", Algorithm=oids.ENVELOPED)
        ds(transforms, "Transform", Algorithm=oids.C14N_WITH_COMMENTS)
        ds(ref, "DigestMethod", Algorithm=digest or oids.GOST_DIGEST_METHOD[size])
        ds(ref, "DigestValue", _b64_lines(value))
    canonical = etree.tostring(info, method="c14n", with_comments=False)
    ds(sig, "SignatureValue", _b64_lines(gost.sign_data(key, canonical)))
    cert = x509.load_pem_x509_certificate(cert_pem)
    ds(ds(ds(sig, "KeyInfo"), "X509Data"), "X509Certificate",
       _b64_lines(cert.public_bytes(serialization.Encoding.DER)))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="session")
def gost_sign_with():
    """gost_custom_sign(xml, key_pem, cert_pem, **shape)."""
    return gost_custom_sign


@pytest.fixture(scope="session")
def sign_with():
    """custom_sign(xml, key_pem, cert_pem, **profile)."""
    return custom_sign


@pytest.fixture(scope="session")
def make_doc():
    """application(bin, name) -> bytes."""
    return application
