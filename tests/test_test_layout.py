"""The tests' own house (issue 17 item 11): shared helpers live in support modules and conftest.py files, so no
test module imports another (importing one runs its tests' module code twice and ties unrelated tests together)."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _test_modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "node_modules" not in p.parts)


def _is_test_module(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] == "tests" and parts[-1].startswith("test_")


def imported_test_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a test module in `source`, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(_is_test_module(n) for n in names):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _is_test_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:  # from .test_x import y, from . import test_x
            names = [node.module or ""] + [a.name for a in node.names]
            if any(n.split(".")[-1].startswith("test_") for n in names):
                found.append((node.lineno, "." * node.level + (node.module or "")))
    return sorted(found)


def test_no_test_module_imports_another():
    offenders = [f"{path.relative_to(TESTS.parent)}:{line} imports {module}"
                 for path in _test_modules() for line, module in imported_test_modules(path.read_text("utf-8"))]
    assert offenders == [], "move the shared helper into a support module or a conftest.py:\n" + "\n".join(offenders)


def test_the_check_sees_every_form_of_import():
    t = "test_"  # spelt apart, so that a grep of the tree for such imports finds none here
    source = "\n".join([
        f"from tests.portal.{t}hearings import case_with_grounds",
        f"import tests.portal.{t}hearings",
        f"from tests.portal import {t}hearings",
        f"def f(): from tests.rules.{t}rules_grounds import GOOD_STATE",
        f"from .{t}sweeper import sweep",
        "from tests.portal.factories import case_with_grounds",
        "from tests.conftest import csrf_token",
        "import pytest",
    ])
    assert [line for line, _ in imported_test_modules(source)] == [1, 2, 3, 4, 5]
