"""No test module imports from another test module or a conftest.py: shared helpers live in
tests/helpers/, fixtures in conftest.py files (pytest finds those; importing one loads it twice). A
helper left in a test module ties that module's tests to every importer's (and a test module
imported twice runs its tests twice)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imports_of_test_modules(root: Path) -> list[str]:
    """``path:line: import`` for each import, below ``root``, of one of the suite's own modules (``tests.…``
    or relative) named ``test_*`` or ``conftest`` (a library's ``test_utils`` is not one)."""
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                modules = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            ours = [m for m in modules if m.startswith(".") or m == "tests" or m.startswith("tests.")]
            if any(part.startswith("test_") or part == "conftest" for module in ours for part in module.split(".")):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return offenders


def test_no_test_module_imports_another() -> None:
    offenders = imports_of_test_modules(TESTS)
    assert not offenders, "move these into tests/helpers/ and import them from there:\n" + "\n".join(offenders)


def test_the_check_finds_every_form_of_import(tmp_path: Path) -> None:
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "test_a.py").write_text(
        "from tests.lab.test_push_netconf import read_leaf\n"
        "import tests.unit.test_access\n"
        "from tests.lab import test_push_ssh\n"
        "def f():\n"
        "    from .test_b import x\n"
        "from tests.helpers.netconf import read_leaf\n"
        "from tests.tui.conftest import settle\n"
        "from aiohttp.test_utils import TestServer\n"
        "import test_support_of_a_library\n"
    )
    assert imports_of_test_modules(tmp_path) == [
        "lab/test_a.py:1: from tests.lab.test_push_netconf import read_leaf",
        "lab/test_a.py:2: import tests.unit.test_access",
        "lab/test_a.py:3: from tests.lab import test_push_ssh",
        "lab/test_a.py:5: from .test_b import x",
        "lab/test_a.py:7: from tests.tui.conftest import settle",
    ]
