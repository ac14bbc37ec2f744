"""The example region `make demo` shows, against the running lab.

The region's files (lab/inventory.py ``REGION_FILES``, the Makefile's list) are imported into a fresh
database with the commands `make demo-headless` runs. Then: what each tenant holds, what an admin of
Gelsenkirchen and one of Bochum see, one poll of the devices the region adds to the city (Gelsenkirchen's
AC, Bochum's APs, the Main region's ZTE switches), discovery on ge-ac01 against ``snmpbulkwalk``, and a
WLAN pushed to ge-ac01 read back over the test's own SSH session.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lab.inventory import REGION_FILES
from netctl.api import Netctl
from netctl.cli import cli
from netctl.drivers.plan import vrp_paths
from tests.helpers.controllers import check_discovery
from tests.helpers.lab import ROOT
from tests.helpers.snmp import bulkwalk
from tests.helpers.ssh import ssh_run

pytestmark = pytest.mark.lab

GE_APS = {"ge-zentrum-ap01", "ge-zentrum-ap02", "ge-depot-ap01", "ge-depot-ap02"}
BO_APS = {"bo-gym-ostring-ap01", "bo-gym-ostring-ap02", "bo-ruerplatz-ap01", "bo-kortumstrasse-ap01"}
ZTE = {"rue-gs-mitte-sw01", "rau-gs-nord-sw01", "kel-gs-sued-sw01"}
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"


@pytest.fixture(scope="module")
def region(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Netctl]:
    """The region imported into a fresh database as `make demo-headless` does (init, the lab's secrets,
    every region file in one import), and a facade on it."""
    db = str(tmp_path_factory.mktemp("region") / "region.db")
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.json"
    secrets.write_text(json.dumps(lab.secrets))
    for argv in (["init"], ["secret", "import", str(secrets)],
                 ["inventory", "import", *(str(ROOT / "inventory" / f) for f in REGION_FILES)]):
        result = CliRunner().invoke(cli, ["--db", db, *argv])
        assert result.exit_code == 0, result.output
    api = Netctl(Path(db))
    yield api
    api.close()


def test_each_tenant_holds_its_controllers_aps_and_switches(region: Netctl) -> None:
    held: dict[str, dict[str, set[str]]] = {}
    for ap in region.inventory.list_aps():
        held.setdefault(ap["tenant"], {}).setdefault(ap["role"], set()).add(ap["name"])
    counts = {tenant: {role: len(names) for role, names in roles.items()} for tenant, roles in held.items()}
    assert counts == {
        "duisburg": {"ap": 60, "switch": 12, "controller": 1}, "moers": {"ap": 4, "switch": 2},
        "gelsenkirchen": {"ap": 4, "controller": 1}, "dortmund": {"controller": 1}, "bochum": {"ap": 4},
        "ruesselsheim": {"switch": 1}, "raunheim": {"switch": 1}, "kelsterbach": {"switch": 1},
    }
    assert held["gelsenkirchen"] == {"controller": {"ge-ac01"}, "ap": GE_APS}
    assert held["bochum"] == {"ap": BO_APS} and held["dortmund"] == {"controller": {"do-wlc01"}}
    assert held["duisburg"]["controller"] == {"du-ac01"} and set().union(
        *(held[t]["switch"] for t in ("ruesselsheim", "raunheim", "kelsterbach"))) == ZTE
    behind = {ap["name"]: ap["controller"] for ap in region.inventory.list_aps() if ap["controller"]}
    assert behind == {**dict.fromkeys(GE_APS, "ge-ac01"), "du-sw-ap01": "du-ac01", "du-zoo-ap01": "du-ac01"}


def test_one_poll_of_the_new_devices_reports_them_up(region: Netctl, lab: Any) -> None:
    results = {r.ap: r for r in region.monitor.poll(["ge-ac01", *BO_APS, *ZTE])}
    assert {name: r.state for name, r in results.items()} == dict.fromkeys(["ge-ac01", *BO_APS, *ZTE], "up")
    for switch in ZTE:  # the ports netctl read are those the switch's agent serves
        ports = [i["name"] for i in results[switch].values["interfaces"]]
        assert ports == list(bulkwalk(lab, switch, IF_DESCR).values()) and "xgei-1/1/2/1" in ports
        assert results[switch].values["sys_name"] == switch
    health = {a["name"]: a["state"] for a in region.monitor.status()["aps"]}
    assert {name: health[name] for name in GE_APS} == dict.fromkeys(GE_APS, "up")  # from ge-ac01's AP table


def test_discovery_on_ge_ac01_lists_exactly_the_aps_snmpbulkwalk_lists(region: Netctl, lab: Any) -> None:
    check_discovery(region, lab, "ge-ac01")


@pytest.mark.parametrize(("user", "tenant", "own"), [
    ("gela", "gelsenkirchen", {"ge-ac01", *GE_APS}), ("bodo", "bochum", BO_APS)])
def test_a_city_admin_sees_only_the_city(region: Netctl, user: str, tenant: str, own: set[str]) -> None:
    region.monitor.poll(["ge-ac01", "du-ac01"])
    if not region.access.list_users():
        region.access.add_user("ada", "admin", os_login="nobody-maps-here")
    region.access.add_user(user, "engineer", tenants=[tenant])
    admin = Netctl(Path(region.session.db_path), user=user)
    try:
        assert {a["name"] for a in admin.inventory.list_aps()} == own
        assert {a["name"] for a in admin.monitor.status()["aps"]} == own
        controllers = {c["name"] for c in admin.controllers.list_controllers()}
        assert controllers == ({"ge-ac01"} if tenant == "gelsenkirchen" else set())
        if controllers:
            assert {r["name"] for r in admin.controllers.aps("ge-ac01")} >= GE_APS
    finally:
        admin.close()


def running(api: Netctl, ac: str) -> list[tuple[str, ...]]:
    """The AC's configuration over a new SSH session of the test's own, as VRP view paths."""
    return vrp_paths(ssh_run(api, ac, "display current-configuration"))


def test_a_wlan_pushed_to_ge_ac01_is_in_its_current_configuration(region: Netctl) -> None:
    before = running(region, "ge-ac01")
    used = {p[-1] for p in before}
    vlan = next(v for v in random.sample(range(100, 4000), 200) if f"service-vlan vlan-id {v}" not in used)
    wlans = [dict(w) for w in region.session.get_ap("ge-ac01")["vars"]["wlans"]]
    wlans[1]["vlan"] = vlan
    region.inventory.set_ap("ge-ac01", {"vars.wlans": wlans})
    result = region.config.push("ge-ac01")[0]
    assert (result.status, result.changed) == ("applied", True), (result.reason, result.transcript[-1500:])
    now = running(region, "ge-ac01")
    assert ("wlan", "vap-profile name free", f"service-vlan vlan-id {vlan}") in now
    assert ("wlan", "ssid-profile name free", "ssid Gelsenkirchen-Free-WLAN") in now
    assert ("wlan", "ap-group name zentrum", "vap-profile free wlan 2 radio all") in now
    assert ("wlan", "ap-id 1 ap-mac 60de-4477-1001", "ap-group verkehr") in now
    assert ("sysname ge-ac01",) in now
    # the other AC of the simulator keeps its own configuration
    assert not any("Gelsenkirchen" in p[-1] for p in running(region, "du-ac01"))
