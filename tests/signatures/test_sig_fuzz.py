"""Hypothesis: mutated signed documents always get a report, and a pass never changes the content."""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from portal.signatures.report import SubIndication, ValidationReport
from portal.signatures.verify import verify
from portal.signatures.xmlparse import parse, signed_content

SNIPPETS = [b"<!--x-->", b"<x/>", b"<!DOCTYPE a>", b"&amp;", b"&xxe;", b" ", b"\n", b"\x00",
            b"\xff\xfe", b"<", b">", b"</", b'"', b"<?pi?>", b"<![CDATA[", b"]]>",
            b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>',
            b'<bin>999999999999</bin>', b"A", b"=", b"\xd0\x90"]


@st.composite
def mutations(draw, size: int):
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        pos = draw(st.integers(0, size - 1))
        if kind == "flip":
            ops.append((kind, pos, draw(st.integers(1, 255))))
        elif kind == "insert":
            ops.append((kind, pos, draw(st.one_of(st.sampled_from(SNIPPETS), st.binary(min_size=1, max_size=8)))))
        elif kind == "delete":
            ops.append((kind, pos, draw(st.integers(1, 40))))
        else:
            ops.append((kind, pos, None))
    return ops


def apply(data: bytes, ops) -> bytes:
    for kind, pos, arg in ops:
        pos = min(pos, len(data))
        if kind == "flip" and pos < len(data):
            data = data[:pos] + bytes([data[pos] ^ arg]) + data[pos + 1:]
        elif kind == "insert":
            data = data[:pos] + arg + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + arg:]
        elif kind == "truncate":
            data = data[:pos]
    return data


def c14n(tree) -> bytes:
    return etree.tostring(tree, method="c14n")


FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_mutated_signed_document_always_gets_a_sound_report(dev_pki, signed, data):
    original = c14n(signed_content(parse(signed)))
    mutated = apply(signed, data.draw(mutations(len(signed))))
    start = time.monotonic()
    report = verify(mutated, dev_pki.trust)
    assert time.monotonic() - start < 1.0
    assert isinstance(report, ValidationReport)
    assert report.sub_indication != SubIndication.GENERIC, report.to_json()
    report.to_json()
    if report.passed:
        # Whatever survived verification reads exactly as what was signed.
        assert c14n(report.content) == original


@FUZZ
@given(blob=st.binary(max_size=3000))
def test_random_bytes_get_a_report(dev_pki, blob):
    report = verify(blob, dev_pki.trust)
    assert report.sub_indication == SubIndication.FORMAT_FAILURE


@FUZZ
@given(text=st.text(max_size=500))
def test_random_xml_text_inside_the_signed_envelope_fails_cleanly(dev_pki, signed, text):
    mutated = signed.replace(b"<pool>", b"<pool>" + text.encode("utf-8", "surrogatepass"), 1)
    report = verify(mutated, dev_pki.trust)
    assert report.sub_indication != SubIndication.GENERIC
    if report.passed:
        assert c14n(report.content) == c14n(signed_content(parse(signed)))


TREE_OPS = ["move", "copy", "text", "attr", "comment", "wrap", "remove", "tail"]


def mutate_tree(signed: bytes, data) -> bytes:
    """Well-formed mutations, the kind signature-wrapping attacks are made of."""
    tree = parse(signed)
    for _ in range(data.draw(st.integers(1, 3))):
        root = tree.getroot()
        elements = list(root.iter(etree.Element))
        op = data.draw(st.sampled_from(TREE_OPS))
        el = elements[data.draw(st.integers(0, len(elements) - 1))]
        target = elements[data.draw(st.integers(0, len(elements) - 1))]
        if op == "move" and el is not root and el not in target.iterancestors() and el is not target:
            target.insert(data.draw(st.integers(0, len(target))), el)
        elif op == "copy":
            from copy import deepcopy
            target.insert(data.draw(st.integers(0, len(target))), deepcopy(el))
        elif op == "text":
            el.text = data.draw(st.text(alphabet="0123456789 ab\n", max_size=12))
        elif op == "tail" and el is not root:
            el.tail = data.draw(st.sampled_from(["", " ", "\n", "x", None]))
        elif op == "attr":
            el.set("Id", data.draw(st.sampled_from(["", "x", "sig"])))
        elif op == "comment":
            el.insert(data.draw(st.integers(0, len(el))), etree.Comment("999999999999"))
        elif op == "wrap":
            wrapper = etree.Element("{urn:tyndau:application:1}application")
            wrapper.append(etree.fromstring(etree.tostring(root)))
            tree = wrapper.getroottree()
        elif op == "remove" and el is not root:
            el.getparent().remove(el)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@FUZZ
@given(data=st.data())
def test_wrapping_style_tree_mutations(dev_pki, signed, data):
    original = c14n(signed_content(parse(signed)))
    report = verify(mutate_tree(signed, data), dev_pki.trust)
    assert report.sub_indication != SubIndication.GENERIC, report.to_json()
    if report.passed:
        assert c14n(report.content) == original


@FUZZ
@given(data=st.data())
def test_mutated_certificate_der(dev_pki, signed, data):
    import base64
    start = signed.index(b"<ds:X509Certificate>") + len(b"<ds:X509Certificate>")
    end = signed.index(b"</ds:X509Certificate>")
    der = bytearray(base64.b64decode(b"".join(signed[start:end].split())))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(der) - 1))
        der[pos] ^= data.draw(st.integers(1, 255))
    if data.draw(st.booleans()):
        der = der[:data.draw(st.integers(0, len(der)))]
    mutated = signed[:start] + base64.b64encode(bytes(der)) + signed[end:]
    report = verify(mutated, dev_pki.trust)
    assert report.sub_indication != SubIndication.GENERIC, report.to_json()
    assert not report.passed or bytes(der) == base64.b64decode(b"".join(signed[start:end].split()))
