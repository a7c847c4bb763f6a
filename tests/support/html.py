"""Reading the portal's HTML in tests: parse the page once, then ask for elements, not for regexes.

    form = page(response)                   # a response, str or bytes
    form.value("version")                   # the value of the field named "version" (input, select, textarea)
    form.options("slot")                    # the values a select offers (the empty one left out)
    form.names("stands-")                   # the names of the fields starting with "stands-"
    form.find_all("ul.errors > li a[href]") # a small CSS: tag, #id, .class, [attr], [attr=v], [attr^=v], [attr*=v],
    form.text("h1")                         #   descendant and child (>) combinators; XPath through .xpath()
    form.content("p.hint")                  # the text as a sentence reads: inline tags (<strong>) join, no break
    page_text(response, leave_out=("head", "script", "style"))  # what a reader sees of the whole page
    form.csrf()                             # the form's CSRF token (what a browser posts back)
    form.hrefs("/applications/")            # the targets of the links starting so (&amp; already read as &)
    form.attr("meta[name=htmx-config]", "content")  # one attribute of the first match (None if none)
    form.error("held_at")                   # the message next to the field (its id="held_at-error")
    form.within("form#authority-decision")  # a Page of that element only: every read above, inside it

lxml parses as a browser would (a fragment is fine), so the tests read what a person's browser shows. No test
reads HTML with a regular expression (tests/test_no_html_regex.py): a regex reads the markup as one template
happens to write it (the order of attributes, white space), a parser reads what the browser builds.
"""
from __future__ import annotations

import re

from lxml import html as lxml_html

_COMPOUND = re.compile(r"""
    (?P<tag>[a-zA-Z][\w-]*|\*)?
    (?P<rest>(?:\#[\w-]+|\.[\w-]+|\[[^\]]+\])*)
""", re.X)
_PART = re.compile(r"""\#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)|\[(?P<attr>[\w:-]+)\s*(?:(?P<op>[\^*$]?=)\s*(?P<q>["']?)(?P<value>.*?)(?P=q))?\]""")


def css_to_xpath(selector: str) -> str:
    """The XPath of a small CSS selector (what the tests use: no pseudo-classes, no sibling combinators), read
    from the element it is asked of: that element and everything below it."""
    parts = []
    for group in selector.split(","):
        xpath, axis = "", "descendant-or-self::"
        for token in re.findall(r">|[^\s>]+(?:\[[^\]]*\])*[^\s>]*", group.strip()):
            if token == ">":
                axis = "/"
                continue
            xpath += axis + _compound(token)
            axis = "//"
        parts.append(xpath)
    return " | ".join(parts)


def _compound(token: str) -> str:
    match = _COMPOUND.fullmatch(token)
    if not match:
        raise ValueError(f"unsupported selector {token!r}")
    tests = []
    for part in _PART.finditer(match.group("rest") or ""):
        if part.group("id"):
            tests.append(f"@id={_literal(part.group('id'))}")
        elif part.group("cls"):
            spaced = _literal(f" {part.group('cls')} ")
            tests.append(f"contains(concat(' ', normalize-space(@class), ' '), {spaced})")
        else:
            attr, op, value = part.group("attr"), part.group("op"), part.group("value")
            if op is None:
                tests.append(f"@{attr}")
            elif op == "=":
                tests.append(f"@{attr}={_literal(value)}")
            elif op == "^=":
                tests.append(f"starts-with(@{attr}, {_literal(value)})")
            elif op == "*=":
                tests.append(f"contains(@{attr}, {_literal(value)})")
            else:
                tests.append(f"substring(@{attr}, string-length(@{attr}) - {len(value) - 1})={_literal(value)}")
    return (match.group("tag") or "*") + "".join(f"[{t}]" for t in tests)


def _literal(value: str) -> str:
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return "concat(" + ", '\"', ".join(f'"{piece}"' for piece in value.split('"')) + ")"


def squash(text: str) -> str:
    return " ".join(text.split())


def text_of(element) -> str:
    """The element's text as a reader sees it: tags are word breaks, runs of white space one space."""
    if isinstance(element, str):
        return squash(element)
    return squash(" ".join(element.itertext()))


class Page:
    """A parsed page (or fragment) of the portal."""

    def __init__(self, markup):
        if isinstance(markup, lxml_html.HtmlElement):  # a part of a page already parsed (within())
            self.root, self.markup = markup, lxml_html.tostring(markup, encoding="unicode", with_tail=False)
            return
        if hasattr(markup, "get_data"):  # a test client's response
            markup = markup.get_data(as_text=True)
        if isinstance(markup, bytes):
            markup = markup.decode("utf-8")
        self.markup = markup
        self.root = lxml_html.fromstring(markup) if markup.strip() else lxml_html.fromstring("<html></html>")

    def within(self, selector: str) -> "Page":
        """The first element matching `selector`, as a Page of its own; AssertionError when there is none."""
        element = self.find(selector)
        assert element is not None, f"no {selector!r} on the page"
        return Page(element)

    def xpath(self, expression: str) -> list:
        return self.root.xpath(expression)

    def find_all(self, selector: str) -> list:
        return self.root.xpath(css_to_xpath(selector))

    def find(self, selector: str):
        found = self.find_all(selector)
        return found[0] if found else None

    def text(self, selector: str | None = None) -> str:
        """The text of the first element matching `selector` (of the whole page without one; "" if none)."""
        if selector is None:
            return page_text(self.root)
        element = self.find(selector)
        return "" if element is None else text_of(element)

    def content(self, selector: str | None = None) -> str:
        """The text of the first element matching `selector` (of the whole page or part without one; "" if none),
        its tags joined without a break: a sentence with <strong>24.11.2026</strong>. in it reads "24.11.2026."."""
        element = self.root if selector is None else self.find(selector)
        return "" if element is None else squash(element.text_content())

    def texts(self, selector: str) -> list[str]:
        return [text_of(e) for e in self.find_all(selector)]

    def field(self, name: str):
        """The first form field named `name` (input, select or textarea); AssertionError when there is none."""
        found = self.root.xpath(f"descendant-or-self::*[self::input or self::select or self::textarea]"
                                f"[@name={_literal(name)}]")
        assert found, f"no field named {name!r} on the page"
        return found[0]

    def value(self, name: str) -> str:
        """The value the form sends for the field `name` (a textarea's text; a select's selected option)."""
        element = self.field(name)
        if element.tag == "textarea":
            return element.text or ""
        if element.tag == "select":
            chosen = element.xpath(".//option[@selected]") or element.xpath(".//option")
            return chosen[0].get("value", chosen[0].text or "") if chosen else ""
        return element.get("value", "")

    def options(self, name: str) -> list[str]:
        """The values the select `name` offers, the empty placeholder left out."""
        return [v for v in (o.get("value", o.text or "") for o in self.field(name).xpath(".//option")) if v]

    def names(self, prefix: str = "") -> list[str]:
        """The names of the form fields starting with `prefix`, in the page's order, each once."""
        seen = []
        for element in self.root.xpath("descendant-or-self::*[self::input or self::select or self::textarea][@name]"):
            name = element.get("name")
            if name.startswith(prefix) and name not in seen:
                seen.append(name)
        return seen

    def values(self, name: str) -> list[str]:
        """The values of every field named `name` (radio buttons, checkboxes: all offered, checked or not)."""
        return [e.get("value", "") for e in self.root.xpath(f"descendant-or-self::input[@name={_literal(name)}]")]

    def checked(self, name: str) -> list[str]:
        """The values of the radio buttons / checkboxes named `name` that are checked."""
        return [e.get("value", "") for e in self.root.xpath(f"descendant-or-self::input[@name={_literal(name)}]"
                                                             f"[@checked]")]

    def attrs(self, selector: str, attribute: str) -> list[str]:
        return [e.get(attribute) for e in self.find_all(selector) if e.get(attribute) is not None]

    def attr(self, selector: str, attribute: str) -> str | None:
        """The attribute of the first element matching `selector` (None when there is no such element or value)."""
        element = self.find(selector)
        return None if element is None else element.get(attribute)

    def csrf(self) -> str:
        """The CSRF token the page's form posts back; AssertionError when the page has none."""
        return self.value("csrf_token")

    def hrefs(self, prefix: str = "") -> list[str]:
        """The targets of the page's links (a[href]) that start with `prefix`, in the page's order."""
        return [h for h in self.attrs("a[href]", "href") if h.startswith(prefix)]

    def error(self, name: str) -> str:
        """The message shown next to the field `name` (the element id="<name>-error"); AssertionError if none."""
        element = self.find(f"#{name}-error")
        assert element is not None, f"no message next to {name}"
        return text_of(element)


def page(markup) -> Page:
    return Page(markup)


def page_text(markup, leave_out: tuple[str, ...] = ("script", "style")) -> str:
    """The visible text of a page (a response, str or bytes): the `leave_out` elements dropped (scripts and
    styles; a test may add "head", "pre"), tags as word breaks, white space squashed. An element already parsed
    is read whole (its tree is not changed)."""
    if isinstance(markup, lxml_html.HtmlElement):
        return text_of(markup)
    root = Page(markup).root
    for element in root.xpath(" | ".join(f"//{tag}" for tag in leave_out)):
        element.drop_tree()
    return text_of(root)


def field_value(markup, name: str) -> str:
    """The value the form on `markup` sends for the field `name` (a hidden version, a submission key…)."""
    return Page(markup).value(name)
