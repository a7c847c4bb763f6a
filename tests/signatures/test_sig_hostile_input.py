"""Hostile and broken input: always a FORMAT_FAILURE report, quickly, never an exception."""

import os
import time

import pytest

from portal.signatures import xmlparse
from portal.signatures.report import Indication, SubIndication
from portal.signatures.verify import verify
from portal.signatures.xmlparse import FormatError, parse

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<application><bin>&xxe;</bin></application>"""

XXE_PARAM = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>
<application/>"""

EXTERNAL_DTD = b'<!DOCTYPE application SYSTEM "http://127.0.0.1:9/x.dtd"><application/>'

HOSTILE = {
    "billion-laughs": BILLION_LAUGHS,
    "xxe": XXE,
    "xxe-parameter-entity": XXE_PARAM,
    "external-dtd": EXTERNAL_DTD,
    "doctype-lowercase": b"<!doctype a><a/>",
    "empty": b"",
    "whitespace": b"  \n ",
    "binary": os.urandom(4096),
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    "nul": b"<a>\x00</a>",
    "utf16": '<?xml version="1.0" encoding="UTF-16"?><a>b</a>'.encode("utf-16"),
    "latin1-declared": b'<?xml version="1.0" encoding="ISO-8859-1"?><a>b</a>',
    "not-xml": b"%PDF-1.7 this is not xml",
    "two-roots": b"<a/><b/>",
    "unclosed": b"<a><b></a>",
    "too-deep": b"<a>" * 100 + b"</a>" * 100,
    "way-too-deep": b"<a>" * 5000 + b"</a>" * 5000,
    "huge": b"<a>" + b"x" * (6 * 1024 * 1024) + b"</a>",
    "million-elements": b"<a>" + b"<b/>" * 1_000_000 + b"</a>",
    "comment-flood": b"<a>" + b"<!---->" * 500_000 + b"</a>",
    "namespace-flood": b"<a " + b" ".join(b'xmlns:p%d="urn:%d"' % (i, i) for i in range(5000))
                       + b">" + b"<b/>" * 10_000 + b"</a>",
    "attribute-flood": b"<a " + b" ".join(b'x%d="v"' % i for i in range(100_000)) + b"/>",
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_format_failure_fast(dev_pki, data):
    start = time.monotonic()
    r = verify(data, dev_pki.trust)
    assert time.monotonic() - start < 1.0
    assert (r.indication, r.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE)
    assert "root:" not in r.to_json()  # nothing of /etc/passwd leaks into the report


@pytest.mark.parametrize("cut", [1, 10, 100, 0.25, 0.5, 0.9, -30, -1])
def test_truncated_signed_document(dev_pki, signed, cut):
    n = int(len(signed) * cut) if isinstance(cut, float) else cut
    r = verify(signed[:n], dev_pki.trust)
    assert r.sub_indication == SubIndication.FORMAT_FAILURE


def test_non_bytes_input(dev_pki):
    assert verify("<a/>", dev_pki.trust).sub_indication == SubIndication.FORMAT_FAILURE
    assert verify(None, dev_pki.trust).sub_indication == SubIndication.FORMAT_FAILURE


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_parser_refuses_doctype_even_without_the_byte_scan(monkeypatch, data):
    # Defence in depth: the parser settings and the docinfo check hold on their own.
    monkeypatch.setattr(xmlparse, "_FORBIDDEN", xmlparse.re.compile(rb"(?!x)x"))
    start = time.monotonic()
    with pytest.raises(FormatError):
        parse(data)
    assert time.monotonic() - start < 1.0


def test_depth_limit_is_inclusive():
    parse(b"<a>" * 64 + b"</a>" * 64)
    with pytest.raises(FormatError, match="deeper"):
        parse(b"<a>" * 65 + b"</a>" * 65)


def test_size_limit():
    parse(b"<a>" + b"x" * (xmlparse.MAX_BYTES - 8) + b"</a>")
    with pytest.raises(FormatError, match="larger"):
        parse(b"<a>" + b"x" * xmlparse.MAX_BYTES + b"</a>")


def test_cdata_and_entities_of_xml_itself_are_fine():
    tree = parse(b"<a><![CDATA[<b>]]>&amp;&#1072;</a>")
    assert tree.getroot().text == "<b>&\u0430"


def test_largest_acceptable_document_verifies_within_a_second(dev_pki):
    # At the caps: canonicalisation cost grows with nodes × namespaces × attributes.
    ns = b" ".join(b'xmlns:p%d="urn:x:%d"' % (i, i) for i in range(xmlparse.MAX_NAMESPACE_DECLARATIONS - 1))
    doc = b"<r " + ns + b">" + b"<a/>" * (xmlparse.MAX_NODES - 100) + b"</r>"
    signed = dev_pki.sign(doc)
    start = time.monotonic()
    assert verify(signed, dev_pki.trust).passed
    assert verify(signed.replace(b"<a/>", b"<b/>", 1), dev_pki.trust).sub_indication == \
        SubIndication.HASH_FAILURE
    assert time.monotonic() - start < 2.0  # two verifications


def test_node_and_attribute_caps():
    with pytest.raises(FormatError, match="nodes"):
        parse(b"<a>" + b"<!---->" * (xmlparse.MAX_NODES + 1) + b"</a>")
    attrs = b" ".join(b'x%d="v"' % i for i in range(xmlparse.MAX_ATTRIBUTES + 1))
    with pytest.raises(FormatError, match="attributes"):
        parse(b"<a " + attrs + b"/>")
    ns = b" ".join(b'xmlns:p%d="urn:%d"' % (i, i) for i in range(xmlparse.MAX_NAMESPACE_DECLARATIONS + 1))
    with pytest.raises(FormatError, match="namespace"):
        parse(b"<a " + ns + b"/>")
