"""Fixtures for the signature tests: one dev PKI per session (RSA key generation is slow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import xmlsec
from lxml import etree

from portal.signatures import pki
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


def application(bin_: str, name: str = "ТОО «Tengri Hash Pool»") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<application xmlns="urn:tyndau:application:1" kind="accreditation">
  <applicant><bin>{bin_}</bin><name>{name}</name></applicant>
  <pool><site city="Астана">main</site><site city="Экибастуз">backup</site></pool>
</application>
""".encode()


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory) -> Pki:
    base = tmp_path_factory.mktemp("pki")
    return Pki(base, pki.init_pki(base))


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


@pytest.fixture(scope="session")
def sign_with():
    """custom_sign(xml, key_pem, cert_pem, **profile)."""
    return custom_sign


@pytest.fixture(scope="session")
def make_doc():
    """application(bin, name) -> bytes."""
    return application
