"""`netctl render` and `netctl diff --offline` over the example city, without any device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers.lab import INVENTORY_FILES


@pytest.fixture
def city_db(tmp_path: Path) -> str:
    from netctl.api import Netctl

    path = tmp_path / "city.db"
    api = Netctl(path, create=True)
    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    api.close()
    return str(path)


def run(db: str, *args: str) -> Any:
    from netctl.cli import cli

    return CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)


def test_render_every_ap_of_the_city_masks_secrets(city_db: str) -> None:
    result = run(city_db, "render", "--json")
    assert result.exit_code == 0, result.output
    rendered = json.loads(result.output)
    assert len(rendered) == 76 and all(r["ok"] for r in rendered)
    by_ap = {r["ap"]: r for r in rendered}
    assert "<passphrase>********</passphrase>" in by_ap["gs-meiderich-ap01"]["text"]
    assert "Zoo-Duisburg-Gast" in by_ap["zoo-entrance-ap01"]["text"]
    vehicles = [r for r in rendered if r["platform"] == "openwrt"]
    assert len(vehicles) == 16 and all("ssid='DVG-Free-WLAN'" in r["text"] for r in vehicles)
    assert by_ap["gs-eick-sw01"]["platform"] == "cli-ios"


def test_render_missing_variable_exits_nonzero_naming_it(city_db: str) -> None:
    from netctl.api import Netctl

    api = Netctl(city_db)
    api.inventory.set_ap("gs-meiderich-ap01", {"vars.radio_5g_tx_power": 31})
    api.close()
    result = run(city_db, "render", "gs-meiderich-*")
    assert result.exit_code == 1
    assert "tx-power: 31 is out of range 1..30" in result.output
    assert "### gs-meiderich-ap02" in result.output


def test_diff_offline_without_backup_is_a_per_ap_failure(city_db: str) -> None:
    result = run(city_db, "diff", "--offline", "--json", "bus-1201-ap01")
    assert result.exit_code == 1
    [row] = json.loads(result.output)
    assert row["status"] == "failed" and "no backup yet" in row["reason"]
