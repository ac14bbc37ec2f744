"""Built-in templates and YANG models: found in a checkout, overridable template by template."""

from __future__ import annotations

from pathlib import Path

import pytest

from netctl import resources
from netctl.render import render_ap
from netctl.render.engine import environment
from tests.helpers.render import city_vars, school_ap

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_serves_its_templates_and_yang() -> None:
    assert resources.templates_dir() == ROOT / "templates"
    assert (resources.templates_dir() / "netconf-wlan" / "ap.xml.j2").is_file()
    assert (resources.yang_dir() / "netctl-wlan-ap.yang").is_file()


def test_openconfig_modules_are_vendored_with_their_licence() -> None:
    oc = resources.yang_dir() / "openconfig"
    for module in ("openconfig-wifi-mac", "openconfig-wifi-phy", "openconfig-wifi-types", "openconfig-types"):
        text = (oc / f"{module}.yang").read_text()
        assert text.startswith(f"module {module} {{"), module
    assert "Apache License" in (oc / "LICENSE").read_text()
    notice = (oc / "NOTICE").read_text()
    assert "openconfig/public" in notice and "94f589629e1e88d0a8dbd2b3024f829196801f2e" in notice


def test_nothing_in_the_tree_reads_beside_the_checkout() -> None:
    beside = ("..", "/shared")  # spelt in parts so this file does not match itself
    offenders = []
    for folder in ("netctl", "tui", "lab", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "".join(beside) in text or f'"{beside[1][1:]}"' in text:
                offenders.append(str(path.relative_to(ROOT)))
    for path in (ROOT / "Makefile", ROOT / ".ci" / "run"):
        if beside[1][1:] in path.read_text():
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_city_folder_overrides_one_template_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "city-templates" / "netconf-wlan"
    own.mkdir(parents=True)
    (own / "ap.xml.j2").write_text(
        '<ap xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap"><system><hostname>{{ ap.name }}-own'
        "</hostname></system></ap>\n"
    )
    monkeypatch.setenv("NETCTL_TEMPLATES", str(tmp_path / "city-templates"))
    environment.cache_clear()
    try:
        overridden = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"))
        assert overridden.ok, overridden.error
        assert "<hostname>gs-meiderich-ap01-own</hostname>" in overridden.text
        # a platform the city folder has no template for still renders from the built-in templates
        zoo = render_ap(
            {"name": "zoo-x-ap01", "platform": "openconfig-wlan", "site": "zoo-duisburg"},
            city_vars("zoo-duisburg", "zoo-house"),
        )
        assert zoo.ok, zoo.error
        assert zoo.template == "openconfig-wlan/ap.xml.j2" and "-own" not in zoo.text
    finally:
        monkeypatch.delenv("NETCTL_TEMPLATES")
        environment.cache_clear()


def test_a_missing_template_names_every_folder_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCTL_TEMPLATES", str(tmp_path))
    environment.cache_clear()
    try:
        result = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"), template="nosuch")
        assert not result.ok
        assert str(tmp_path) in (result.error or "") and str(ROOT / "templates") in (result.error or "")
    finally:
        monkeypatch.delenv("NETCTL_TEMPLATES")
        environment.cache_clear()
