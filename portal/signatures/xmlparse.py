"""Safe XML parsing for signed documents, and the signed business content of a tree."""

from __future__ import annotations

import copy
import re

from lxml import etree

from .oids import NS

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
# Canonicalisation in libxml2 is superlinear in (nodes × in-scope namespaces) and in
# attributes per element: without these caps a 200 KB document takes minutes to verify.
MAX_NODES = 20_000  # elements, comments and PIs
MAX_ATTRIBUTES = 64  # per element
MAX_NAMESPACE_DECLARATIONS = 16  # in the whole document
# An upper bound on the declarations: XML requires white space before every attribute, and a
# declaration is an xmlns or xmlns:p attribute; text that merely looks like one is counted too.
_XMLNS = re.compile(rb"\sxmlns(?::[^\s=]*)?\s*=")

# The shape limits, evaluated by libxml2's XPath engine in C (a Python walk over every node
# cost more than the parse itself). Each counts within the root element, as before:
# elements, comments and processing instructions (text and CDATA are not nodes here) ...
_COUNT_NODES = etree.XPath("count(descendant-or-self::*) + count(descendant::comment())"
                           " + count(descendant::processing-instruction())")
# ... an element MAX_DEPTH + 1 levels down (the root is level 1) ...
_TOO_DEEP = etree.XPath("boolean(" + "/".join(["self::*"] + ["*"] * MAX_DEPTH) + ")")
# ... and an element with a (MAX_ATTRIBUTES + 1)th attribute (xmlns declarations are not
# attributes in XPath, as they are not in lxml's attrib).
_TOO_MANY_ATTRIBUTES = etree.XPath(f"boolean(descendant-or-self::*/@*[{MAX_ATTRIBUTES + 1}])")

# Checked on the raw bytes as well as after parsing: defence in depth against
# DTD tricks, and UTF-8 only (NCALayer output) so the byte scan cannot be dodged
# with UTF-16 or another encoding.
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_ALLOWED_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}


class FormatError(ValueError):
    """The input is not a well-formed, acceptable XML document."""


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def parse(data: bytes) -> etree._ElementTree:
    """Parse untrusted bytes into a tree, or raise FormatError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError("input must be bytes")
    data = bytes(data)
    if not data.strip():
        raise FormatError("empty document")
    if len(data) > MAX_BYTES:
        raise FormatError(f"document larger than {MAX_BYTES} bytes")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"document is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if b"\x00" in data:
        raise FormatError("document contains NUL bytes")
    if _FORBIDDEN.search(data):
        raise FormatError("DOCTYPE and entity declarations are not allowed")
    # Cheap upper bounds on the raw bytes, so a flood is refused before it is parsed:
    # every node starts with "<", every namespace declaration is an xmlns attribute.
    markup = data.count(b"<")
    if markup > 2 * MAX_NODES + 8:
        raise FormatError(f"document has more than {MAX_NODES} nodes")
    # Every match of _XMLNS contains "xmlns": counting those first spares the regex scan
    # (a millisecond on 100 KB) whenever that count is already within the limit.
    if (data.count(b"xmlns") > MAX_NAMESPACE_DECLARATIONS
            and len(_XMLNS.findall(data)) > MAX_NAMESPACE_DECLARATIONS):
        raise FormatError(f"more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"not well-formed XML: {exc}") from None
    except (ValueError, etree.LxmlError) as exc:
        raise FormatError(f"cannot parse XML: {exc}") from None
    if root is None:
        raise FormatError("no root element")
    tree = root.getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise FormatError("DOCTYPE is not allowed")
    if (info.encoding or "utf-8").lower() not in _ALLOWED_ENCODINGS:
        raise FormatError(f"encoding {info.encoding!r} is not allowed, use UTF-8")
    _check_shape(root, markup)
    return tree


def _check_shape(root: etree._Element, markup: int | None = None) -> None:
    """Node, depth and attribute limits. markup: the count of "<" in the parsed bytes, if known.

    Every element, comment and PI starts with its own "<" (no DTD, so no entity can expand
    into markup): with no more "<" than MAX_NODES the exact count cannot exceed the limit.
    """
    # Nodes first: it bounds the work of the two other checks.
    if (markup is None or markup > MAX_NODES) and _COUNT_NODES(root) > MAX_NODES:
        raise FormatError(f"document has more than {MAX_NODES} nodes")
    if _TOO_DEEP(root):
        raise FormatError(f"document nested deeper than {MAX_DEPTH} levels")
    if _TOO_MANY_ATTRIBUTES(root):
        raise FormatError(f"an element has more than {MAX_ATTRIBUTES} attributes")


def remove_node(node: etree._Element) -> None:
    """Detach a node but keep the text after it, as the enveloped-signature transform does."""
    parent = node.getparent()
    tail = node.tail
    prev = node.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def signed_content(tree: etree._ElementTree | etree._Element) -> etree._ElementTree:
    """A copy of the document as signed: no ds:Signature, no comments, no processing instructions.

    With Reference URI="" comments are outside the signature, so they must never reach
    business logic; PIs carry no business data. Read application data only from this.
    """
    if isinstance(tree, etree._Element):
        tree = tree.getroottree()
    return strip_unsigned(copy.deepcopy(tree))


def strip_unsigned(tree: etree._ElementTree) -> etree._ElementTree:
    """signed_content() in place, for a tree nobody else holds (verify()'s own parse)."""
    root = tree.getroot()
    for sig in root.findall("ds:Signature", NS):
        remove_node(sig)
    etree.strip_tags(tree, etree.Comment, etree.ProcessingInstruction)
    return tree
