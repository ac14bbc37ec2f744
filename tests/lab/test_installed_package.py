"""The wheel a user installs works on its own: built from this checkout, installed into a clean virtual
environment outside it, and driven from another directory against the lab.

What a user gets from ``pip install .`` must render (templates and YANG are package data), poll and
preview a push, and must not carry the lab (test equipment that stays in the checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.lab import INVENTORY_FILES, ROOT

pytestmark = pytest.mark.lab


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the clean virtual environment, the wheel) — built once for this module."""
    base = tmp_path_factory.mktemp("installed")
    env = {"PATH": os.environ["PATH"], "HOME": str(base), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE", "PIP_FIND_LINKS"):
        if key in os.environ:
            env[key] = os.environ[key]
    dist = base / "dist"
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], ROOT, env)
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("netctl-*.whl")
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], base, env)
    assert made.returncode == 0, made.stderr
    pip = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], base, env, timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return venv, wheel


def test_wheel_carries_templates_and_yang_but_not_the_lab(installed: tuple[Path, Path]) -> None:
    _venv, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("lab/") or "/lab/" in n]
    # Cisco's 9800 models (Cisco API licence) are lab equipment, never part of what a user installs
    assert not [n for n in names if "Cisco-IOS-XE" in n or "cisco-semver" in n or "cisco-9800-deviations" in n]
    for template in (ROOT / "templates").rglob("*.j2"):
        assert f"netctl/_data/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in names
    assert "netctl/_data/yang/netctl-wlan-ap.yang" in names
    assert "netctl/_data/yang/openconfig/openconfig-wifi-mac.yang" in names
    assert "netctl/_data/yang/openconfig/LICENSE" in names and "netctl/_data/yang/openconfig/NOTICE" in names
    assert "netctl/locale/de/LC_MESSAGES/netctl.mo" in names  # the German catalog (netctl --lang de)


def test_installed_netctl_renders_polls_and_previews_a_push_from_another_directory(
    installed: tuple[Path, Path], lab: Any, tmp_path: Path
) -> None:
    venv, _wheel = installed
    work = tmp_path / "elsewhere"
    work.mkdir()
    for path in INVENTORY_FILES:
        shutil.copy(path, work / path.name)
    (work / "secrets.json").write_text(json.dumps(lab.secrets))
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "NETCTL_DB": str(work / "city.db")}
    netctl = str(venv / "bin" / "netctl")

    where = run([str(venv / "bin" / "python"), "-c",
                 "import importlib.util, netctl, netctl.resources as r; "
                 "print(netctl.__file__); print(r.templates_dir()); print(importlib.util.find_spec('lab'))"],
                work, env)
    assert where.returncode == 0, where.stderr
    package, templates, lab_spec = where.stdout.split("\n")[:3]
    assert package.startswith(str(venv)) and templates.startswith(str(venv)) and lab_spec == "None"

    steps = [
        ["init"],
        ["secret", "import", "secrets.json"],
        ["inventory", "import", *(p.name for p in INVENTORY_FILES)],
    ]
    for argv in steps:
        done = run([netctl, *argv], work, env)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)

    rendered = run([netctl, "render", "gs-meiderich-ap01"], work, env)
    assert rendered.returncode == 0, rendered.stderr
    assert '<ap xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap">' in rendered.stdout
    assert "<hostname>gs-meiderich-ap01</hostname>" in rendered.stdout
    zoo = run([netctl, "render", "zoo-entrance-ap01"], work, env)
    assert zoo.returncode == 0 and "http://openconfig.net/yang/wifi-mac" in zoo.stdout, zoo.stderr

    polled = run([netctl, "poll", "--site", "gs-meiderich", "--json"], work, env)
    assert polled.returncode == 0, polled.stderr
    results = json.loads(polled.stdout)
    rows = results if isinstance(results, list) else results.get("results", [])
    assert rows and all(r["state"] == "up" for r in rows), rows
    german = run([netctl, "--lang", "de", "status", "--site", "gs-meiderich"], work, env)
    assert german.returncode == 0 and "ZUSTAND" in german.stdout and "in Betrieb" in german.stdout, german.stderr

    preview = run([netctl, "push", "gs-meiderich-*", "--dry-run"], work, env)
    assert preview.returncode == 0, (preview.stdout, preview.stderr)
    assert "gs-meiderich-ap01" in preview.stdout

    no_lab = run([netctl, "lab", "status"], work, env)
    assert no_lab.returncode != 0 and "checkout" in no_lab.stderr + no_lab.stdout
