"""Text as XML 1.0 can carry it: every typed field and every document the portal writes go through here.

XML 1.0 cannot hold the C0 controls other than tab, LF and CR, lone surrogates, U+FFFE or U+FFFF;
lxml refuses such text ("All strings must be XML compatible"), so one pasted vertical tab in a name
would make every document written from it impossible to sign. The C1 controls (U+007F–U+009F) are
valid XML and are kept: they cannot break a document, and a signed document pasted into a text box
must reach the verifier exactly as it was signed.
"""
from __future__ import annotations

import re

from lxml import etree

NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str:
    """`value` as text ("" for None), without the characters XML 1.0 cannot carry."""
    return "" if value is None else NOT_XML.sub("", str(value))


def sub_element(parent, ns: str, tag: str, text=None, **attrs):
    """etree.SubElement in namespace `ns`, its text and attributes through xml_text (no text when None)."""
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", {name: xml_text(value) for name, value in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element
