"""Rendered NETCONF configs are validated against the platform's YANG model before anything is sent.

libyang is in the ``test`` extra, so these tests always run (they never skip).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netctl.render import render_ap
from netctl.render.engine import environment, template_root
from netctl.render.yang import available, validate
from tests.helpers.render import SECRETS, city_vars

ZOO = {"name": "zoo-entrance-ap01", "platform": "openconfig-wlan", "site": "zoo-duisburg"}
SCHOOL = {"name": "gs-meiderich-ap01", "platform": "netconf-wlan", "site": "gs-meiderich"}


def test_libyang_is_installed_for_the_tests() -> None:
    assert available(), "install the 'yang' extra (libyang2-dev, then pip install -e '.[yang]')"


def test_the_example_city_renders_valid_configs_for_both_models() -> None:
    for ap, variables in ((SCHOOL, city_vars("gs-meiderich", "classroom")),
                          (ZOO, city_vars("zoo-duisburg", "zoo-outdoor"))):
        result = render_ap(ap, variables, resolve=SECRETS.__getitem__)
        assert result.ok, result.error
        assert validate(ap["platform"], result.text) == []


def test_a_template_that_breaks_a_leafref_fails_the_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local checks do not know OpenConfig's key leafrefs (list key = config/name); the model does."""
    root = tmp_path / "templates"
    shutil.copytree(template_root(), root)
    own = root / "openconfig-wlan" / "ap.xml.j2"
    text = own.read_text()
    key_and_config = "<name>{{ ssid.name }}</name>\n    <config>\n      <name>{{ ssid.name }}</name>"
    assert key_and_config in text
    own.write_text(text.replace(key_and_config, key_and_config[:-len("{{ ssid.name }}</name>")]
                                + "{{ ssid.name | lower }}</name>"))
    monkeypatch.setenv("NETCTL_TEMPLATES", str(root))
    environment.cache_clear()
    try:
        result = render_ap(ZOO, city_vars("zoo-duisburg", "zoo-outdoor"), resolve=SECRETS.__getitem__)
    finally:
        environment.cache_clear()
    assert not result.ok
    assert "YANG" in str(result.error) and 'Invalid leafref value "Zoo-Team"' in str(result.error)
    assert "openconfig-wifi-mac" in str(result.error)


def test_a_duplicate_ssid_is_named_by_the_model() -> None:
    result = render_ap(SCHOOL, city_vars("gs-meiderich", "classroom") | {"guest_ssid": "Schule-Lernen"})
    assert not result.ok and 'Duplicate instance of "ssid"' in str(result.error)
