"""The README stays true: every command it must name, every link, the two commands, the TUI keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from netctl.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_names_the_two_commands_and_ci_runs_make_test() -> None:
    assert "make demo" in README and "make test" in README and "make demo-headless" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo:", "demo-headless:", "test:", "lab-up:", "lab-down:", "bench:"):
        assert re.search(rf"^{re.escape(target)}", makefile, re.M), target


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme_and_has_help(command: str) -> None:
    assert re.search(rf"netctl {re.escape(command)}\b", README), f"README does not show `netctl {command}`"
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_readme_links_point_at_files_that_exist() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert any(not link.startswith("http") for link in links), "no links to files found in the README"
    for link in links:
        if link.startswith("http"):
            continue
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_readme_lists_the_tui_keys_the_app_binds() -> None:
    app_source = (ROOT / "tui" / "app.py").read_text()
    keys = re.findall(r'Binding\("([^"]+)", "(?:go|help|quit)', app_source)
    assert keys, "no bindings found in tui/app.py"
    shown = {"question_mark": "?"}
    for key in keys:
        assert f"`{shown.get(key, key)}`" in README, f"README's TUI keys do not mention `{shown.get(key, key)}`"
