"""The UI talks to the core only through the facade and plain data types; the core stays headless."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "tui"
#: what the UI may import from netctl: the facade and plain data/error types — never drivers or stores —
#: the pure number formatting it shares with the CLI, and the words people read (the language in use, the
#: plain words for statuses)
ALLOWED = {"netctl.api", "netctl.selection", "netctl.errors", "netctl.units", "netctl.i18n", "netctl.status_words"}


def test_tui_imports_only_the_facade_and_plain_types() -> None:
    seen: dict[str, set[str]] = {}
    for path in sorted(TUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [f"netctl.{a.name}" for a in node.names]  # from netctl import status_words
                if isinstance(node, ast.ImportFrom) and node.module == "netctl"
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name == "netctl" or name.startswith("netctl."):
                    seen.setdefault(name, set()).add(path.name)
    assert "netctl.api" in seen
    assert set(seen) <= ALLOWED, {k: v for k, v in seen.items() if k not in ALLOWED}


def test_users_and_tui_commands_do_not_load_textual() -> None:
    code = "import sys, netctl.cli.access, netctl.cli.tui, netctl.access; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
