"""Changing tenants, sites, groups and globals without an import file, through the import's checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netctl.errors import InventoryError, NotFound

ROOT = Path(__file__).resolve().parents[2]
NETCTL = str(Path(sys.executable).parent / "netctl")


@pytest.fixture
def duisburg(api: Any) -> Any:
    api.inventory.import_inventory([str(ROOT / "inventory" / "duisburg.yaml")])
    return api


def var(api: Any, ap: str, key: str) -> tuple[Any, str]:
    row = next(v for v in api.inventory.ap_vars(ap) if v["key"] == key)
    return row["value"], row["source"]


def test_set_site_changes_fields_and_variables(duisburg: Any) -> None:
    report = duisburg.inventory.set_entry("site", "gs-meiderich", {"title": "GS Meiderich (Neubau)", "lat": "51.46",
                                                          "lon": "6.77", "vars.max_clients": 60})
    assert report["changed"] == ["gs-meiderich"]
    assert set(report["fields"]["gs-meiderich"]) >= {"title", "lat", "lon", "vars"}
    site = next(s for s in duisburg.inventory.list_sites() if s["name"] == "gs-meiderich")
    assert (site["title"], site["lat"], site["lon"]) == ("GS Meiderich (Neubau)", 51.46, 6.77)
    assert var(duisburg, "gs-meiderich-ap01", "max_clients") == (60, "site:gs-meiderich")
    again = duisburg.inventory.set_entry("site", "gs-meiderich", {"vars.max_clients": 60})
    assert (again["changed"], again["unchanged"]) == ([], ["gs-meiderich"])
    duisburg.inventory.set_entry("site", "gs-meiderich", {"vars.max_clients": None})
    assert not [v for v in duisburg.inventory.ap_vars("gs-meiderich-ap01")
                if v["key"] == "max_clients" and v["source"] == "site:gs-meiderich"]


def test_set_group_tenant_and_globals(duisburg: Any) -> None:
    duisburg.inventory.set_entry("group", "duisburg/classroom", {"vars.radio_5g_tx_power": 11})
    assert var(duisburg, "gs-meiderich-ap01", "radio_5g_tx_power") == (11, "group:classroom")
    duisburg.inventory.set_entry("tenant", "duisburg", {"title": "Stadt Duisburg", "vars.contact": "it@example.org"})
    assert next(t for t in duisburg.inventory.list_tenants() if t["name"] == "duisburg")["title"] == "Stadt Duisburg"
    assert var(duisburg, "gs-meiderich-ap01", "contact") == ("it@example.org", "tenant:duisburg")
    report = duisburg.inventory.set_globals({"helpdesk_phone": "0203 283-0"})
    assert report["added"] == ["helpdesk_phone"]
    assert var(duisburg, "gs-meiderich-ap01", "helpdesk_phone") == ("0203 283-0", "global")
    assert duisburg.inventory.set_globals({"helpdesk_phone": None})["removed"] == ["helpdesk_phone"]
    assert not [v for v in duisburg.inventory.ap_vars("gs-meiderich-ap01") if v["key"] == "helpdesk_phone"]


@pytest.mark.parametrize(
    ("kind", "name", "changes", "words"),
    [
        ("site", "gs-meiderich", {"lat": "123"}, "bad lat '123'"),
        ("site", "gs-meiderich", {"lat": "51.4", "lon": None}, "give both lat and lon"),
        ("site", "gs-meiderich", {"kind": "castle"}, "site kind"),
        ("site", "gs-meiderich", {"tenant": "nowhere"}, "nowhere"),
        ("site", "gs-meiderich", {"colour": "red"}, "unknown field 'colour'"),
        ("site", "gs-meiderich", {"name": "gs-x"}, "cannot be changed here"),
        ("group", "duisburg/classroom", {"tenant": "moers"}, "cannot be changed here"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(duisburg: Any, kind: str, name: str,
                                                    changes: dict[str, Any], words: str) -> None:
    before = duisburg.inventory.export_inventory("json")
    with pytest.raises(InventoryError) as err:
        duisburg.inventory.set_entry(kind, name, changes)
    assert words in str(err.value)
    assert duisburg.inventory.export_inventory("json") == before


def test_unknown_entries_are_not_found(duisburg: Any) -> None:
    with pytest.raises(NotFound):
        duisburg.inventory.set_entry("site", "gs-atlantis", {"title": "x"})
    with pytest.raises(NotFound) as err:
        duisburg.inventory.set_entry("group", "classroom", {"vars.x": 1})
    assert "TENANT/GROUP" in (err.value.hint or "")


def test_set_commands_through_the_console_script(duisburg: Any, tmp_path: Path) -> None:
    duisburg.close()
    db = ["--db", str(tmp_path / "netctl.db")]

    def netctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([NETCTL, *db, *args], capture_output=True, text=True, timeout=60)

    out = netctl("inventory", "set-site", "gs-meiderich", "address=Bahnhofstr. 1, 47137 Duisburg",
                 "vars.max_clients=70")
    assert out.returncode == 0 and "changed site gs-meiderich: address, vars" in out.stdout, out.stderr
    shown = json.loads(netctl("inventory", "vars", "gs-meiderich-ap01", "--json").stdout)
    assert {"key": "max_clients", "value": 70, "source": "site:gs-meiderich"}.items() <= next(
        v for v in shown if v["key"] == "max_clients").items()
    bad = netctl("inventory", "set-site", "gs-meiderich", "lat=99", "lon=200", "--json")
    assert bad.returncode == 2 and "lon" in bad.stdout
    out = netctl("inventory", "set-global", "ntp_server=127.0.0.5", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["added"] == ["ntp_server"]
    out = netctl("inventory", "set-global", "--unset", "ntp_server")
    assert out.returncode == 0 and "removed ntp_server" in out.stdout
