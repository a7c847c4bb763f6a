"""The tests read HTML through a parser (tests/support/html.py), never with a regular expression (issue 17 item 11).

A regex reads the markup as one template happens to write it (the order of the attributes, the white space, a
quote), so a harmless change of a template breaks it, and a broken page can still match. The check is a
heuristic over the tests' code: a call of `re.search/findall/compile/...` whose pattern literal looks like HTML
(a tag, a tag-stripping `<[^>]`, or an attribute such as `href="` / `name="` / `class="`).
Regexes over other text (URLs, XML documents, mail, logs, visible text) are fine; the few whose pattern looks
like HTML but is not a read of a page are listed in ALLOWED with the reason.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CALLS = {"search", "match", "fullmatch", "findall", "finditer", "compile", "sub", "subn", "split"}
# A tag (<a, </td, <(script|style), <[^>]+>) or an HTML attribute with its quote (href=", name=', class=\"),
# not a regex's own (?P<name>, (?<=, (?<!.
HTML = re.compile(r"""(?<!\?P)(?<!\(\?)(?:<(?:\(\?:)?[/!]?[A-Za-z]|<\(\??[A-Za-z]|<\[\^>\])"""
                  r"""|\b(?:href|name|class|id|value|type|action|for|src|content|role)=\\?["']""")
# (file, a piece of the pattern): why it is no read of a page.
ALLOWED = {
    ("tests/portal/test_security_headers.py", "<script(?!"):
        "a lint of the templates' Jinja source, line by line (no page: the source is not HTML until rendered)",
    ("tests/portal/test_wysiwys.py", "<bin>"): "edits the signed XML application (a tampered document)",
    ("tests/portal/test_wysiwys.py", "<preparedAt>"): "edits the signed XML application (a tampered document)",
    ("tests/portal/test_wysiwys.py", "<purpose>"): "edits the signed XML document (a tampered document)",
    ("tests/portal/test_reissue_completeness.py", "<declaration"): "edits the signed XML application",
    ("tests/signatures/test_gost_vector.py", "<ds:"): "edits an XMLDSig value of a test vector (XML, not HTML)",
}


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "node_modules" not in p.parts)


def _literal(node: ast.AST) -> str:
    """The constant text of a pattern expression (an f-string's or a concatenation's fixed parts joined)."""
    parts = []
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, (str, bytes)):
            parts.append(child.value.decode("latin-1") if isinstance(child.value, bytes) else child.value)
    return "".join(parts)


def html_regexes(source: str) -> list[tuple[int, str]]:
    """(line, pattern) of every regex call in `source` whose pattern looks like HTML."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CALLS
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args):
            pattern = _literal(node.args[0])
            if HTML.search(pattern):
                found.append((node.lineno, pattern))
    return found


def _allowed(path: str, pattern: str) -> bool:
    return any(path == where and piece in pattern for where, piece in ALLOWED)


def test_no_test_reads_html_with_a_regex():
    offenders = []
    for path in _modules():
        where = path.relative_to(TESTS.parent).as_posix()
        offenders += [f"{where}:{line}: {pattern!r}" for line, pattern in html_regexes(path.read_text("utf-8"))
                      if not _allowed(where, pattern)]
    assert offenders == [], ("read the page with tests/support/html.py (page(response).value/.text/.hrefs/...):\n"
                             + "\n".join(offenders))


def test_every_allowed_exception_is_still_needed():
    """An exception whose regex is gone is removed from the list, so the list never hides a new one."""
    used = set()
    for path in _modules():
        where = path.relative_to(TESTS.parent).as_posix()
        for _, pattern in html_regexes(path.read_text("utf-8")):
            used |= {(w, piece) for w, piece in ALLOWED if w == where and piece in pattern}
    assert set(ALLOWED) - used == set()


def test_the_heuristic_sees_html_and_lets_other_text_be():
    calls = [  # one per line: which lines it flags
        """re.search(r'name="version" type="hidden" value="(\\d+)"', page)""",
        """re.findall(rf'href="/applications/{n}/edit#([^"]+)"', answers)""",
        """re.compile(r'<tr class="deadline-row (\\w+)">')""",
        """re.sub(r"<[^>]+>", "", html)""",
        """re.sub(r"(?s)<(script|style)\\b.*?</\\1>", " ", page)""",
        """re.search(rb"(<ds:" + name + rb">)", doc)""",
        """re.search(r"/applications/(\\d+)/edit", response.headers["Location"])""",
        """re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), rule)""",
        """re.findall(r"pid=<?(\\d+)>?", log)""",
        """re.compile(r"\\w+=|\\b(True|False|None)\\b")""",
        """re.search(r"C-\\d{4}-\\d{6}", number)""",
        """re.compile(r"(?P<tag>[a-z]+)(?<!x)(?<=y)")""",
    ]
    assert [line for line, _ in html_regexes("\n".join(calls))] == [1, 2, 3, 4, 5, 6]
