"""The APs behind the lab's WLAN controllers, read back independently with net-snmp's ``snmpbulkwalk``.

The lab serves du-ac01 (Huawei AC, hwWlanApTable) and do-wlc01 (the Catalyst 9800 stand-in,
AIRESPACE-WIRELESS-MIB) from recordings written by lab/controller_snmp.py. netctl polls them through
its facade; the test walks the same tables with ``snmpbulkwalk`` in its own process and parses the
output itself: the APs (MAC, name, IP, model, serial) and the client counts must be the same. Then
adoption, scope and an unreachable controller, all against the running lab.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from netctl.api import Netctl
from netctl.errors import NotFound
from netctl.selection import Selection
from tests.helpers.controllers import check_discovery
from tests.helpers.lab import ROOT

pytestmark = pytest.mark.lab

CONTROLLER_FILES = [ROOT / "inventory" / "duisburg-controller.yaml", ROOT / "inventory" / "dortmund-controller.yaml"]


@pytest.fixture
def ctl_city(city: Any) -> Any:
    city.inventory.import_inventory([str(p) for p in CONTROLLER_FILES])
    return city


@pytest.mark.parametrize("controller", ["du-ac01", "do-wlc01"])
def test_discovery_lists_exactly_the_aps_snmpbulkwalk_lists(ctl_city: Any, lab: Any, controller: str) -> None:
    check_discovery(ctl_city, lab, controller)


def test_adoption_is_idempotent_and_the_adopted_aps_are_polled_through_the_ac(ctl_city: Any, tmp_path: Path) -> None:
    ctl_city.monitor.poll("du-ac01")
    first = ctl_city.controllers.adopt("du-ac01", site="gs-meiderich")
    # du-sw-ap01 and du-zoo-ap01 are in the inventory already (inventory/duisburg-controller.yaml)
    assert len(first["added"]) == 38 and first["skipped"] == []
    second = subprocess.run([str(ROOT / ".venv" / "bin" / "netctl"), "--db", ctl_city.session.db_path, "inventory",
                             "adopt", "du-ac01", "--site", "gs-meiderich"], capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert "nothing to adopt: the 40 AP(s) du-ac01 lists are in the inventory already" in second.stdout
    assert len(ctl_city.inventory.list_aps(Selection(platform="controller-ap"))) == 40
    results = {r.ap: r for r in ctl_city.monitor.poll(Selection(platform="controller-ap"))}
    states = [results[r["inventory"]].state for r in ctl_city.controllers.aps("du-ac01")]
    assert states.count("up") == 35 and states.count("down") == 4 and states.count("unknown") == 1


def test_a_user_of_another_city_sees_neither_the_controller_nor_its_aps(ctl_city: Any) -> None:
    ctl_city.monitor.poll(["du-ac01", "do-wlc01"])
    ctl_city.controllers.adopt("du-ac01", site="gs-meiderich")
    ctl_city.controllers.adopt("do-wlc01")
    ctl_city.access.add_user("ada", "admin", os_login="nobody-maps-here")
    ctl_city.access.add_user("mona", "engineer", tenants=["moers"])
    ctl_city.access.add_user("dora", "engineer", tenants=["dortmund"])
    for user, foreign in (("mona", ("du-ac01", "do-wlc01")), ("dora", ("du-ac01",))):
        other = Netctl(ctl_city.session.db_path, user=user)
        try:
            seen = {a["name"] for a in other.inventory.list_aps()}
            assert not seen & {*foreign, "du-sw-ap01", "du-zoo-ap01"}
            assert not {a["name"] for a in other.monitor.status()["aps"]} & {*foreign, "du-sw-ap01"}
            assert {c["name"] for c in other.controllers.list_controllers()}.isdisjoint(foreign)
            for name in foreign:
                with pytest.raises(NotFound):
                    other.controllers.aps(name)
            with pytest.raises(NotFound):
                other.inventory.show_ap("du-sw-ap01")
            assert ("do-wlc01" in seen) == (user == "dora") and (len(seen) == 41) == (user == "dora")
        finally:
            other.close()


def test_an_unreachable_controller_turns_its_aps_unknown_not_down(ctl_city: Any, lab: Any) -> None:
    ctl_city.monitor.poll("do-wlc01")
    ctl_city.controllers.adopt("do-wlc01")
    up = next(r["inventory"] for r in ctl_city.controllers.aps("do-wlc01") if r["status"] == "up")
    assert ctl_city.monitor.poll(up)[0].state == "up"
    lab.stop_snmp_agent("do-wlc01")
    try:
        for _ in range(3):  # as many polls as make a silent AP down
            result = ctl_city.monitor.poll(up, timeout=0.4, retries=0)[0]
            assert result.state == "unknown", result
    finally:
        lab.start_snmp_agent("do-wlc01")
    status = {a["name"]: a for a in ctl_city.monitor.status(Selection(site="do-rechenzentrum"))["aps"]}
    assert status["do-wlc01"]["state"] == "down"
    behind = [a for name, a in status.items() if name != "do-wlc01"]
    assert len(behind) == 40 and {a["state"] for a in behind} == {"unknown"}
    assert "do-wlc01 could not be read (timeout" in status[up]["reasons"][0]
    assert {r["status"] for r in ctl_city.controllers.aps("do-wlc01")} == {"unknown"}
    assert ctl_city.monitor.poll(up)[0].state == "up"
