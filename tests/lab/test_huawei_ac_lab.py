"""The Huawei AC over the SSH CLI, against the lab's Huawei AC simulator (served by OpenSSH).

netctl renders the controller's WLAN profiles and pushes them; the tests read the AC back over their
own SSH sessions (paramiko exec channel, netmiko ``huawei``), not through netctl's driver, and change
it by hand there as a person at the console would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netctl.drivers.plan import mask, vrp_paths
from tests.helpers.lab import ROOT, with_psks
from tests.helpers.render import with_template
from tests.helpers.ssh import ssh_run, typed_shell

pytestmark = pytest.mark.lab

AC = "du-ac01"
AC_ADDRESS = "127.1.50.1:22"
CONTROLLER_FILE = ROOT / "inventory" / "duisburg-controller.yaml"


@pytest.fixture
def ac_city(city: Any) -> Any:
    api = with_psks(city)
    api.inventory.import_inventory([str(CONTROLLER_FILE)])
    return api


def running(api: Any, command: str = "display current-configuration") -> list[tuple[str, ...]]:
    """The AC's configuration over a new SSH session of the test's own, as VRP view paths."""
    return vrp_paths(ssh_run(api, AC, command))


@pytest.fixture
def by_hand(ac_city: Any) -> Iterator[Callable[[list[str]], str]]:
    """Lines typed in the system view by a person at the AC's console (the test's own shell)."""
    with typed_shell(ac_city, AC, rb"[\]>]\s*$", "system-view", "return") as typed:
        yield typed


def wlans_with(api: Any, **changes: Any) -> list[dict[str, Any]]:
    """The controller's ``wlans`` variable with the second WLAN (``lernen``) changed."""
    wlans = [dict(w) for w in api.session.get_ap(AC)["vars"]["wlans"]]
    wlans[1].update(changes)
    return wlans


def fresh_vlan(paths: list[tuple[str, ...]]) -> int:
    used = {p[-1] for p in paths}
    return next(v for v in random.sample(range(100, 4000), 200) if f"service-vlan vlan-id {v}" not in used)


def test_wlan_pushed_is_in_display_current_configuration_and_saved(
    ac_city: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netmiko.huawei.huawei import HuaweiBase

    def probe(*_: Any, **__: Any) -> bool:
        raise AssertionError("netmiko's VRP config-mode probe waits for 2 s of silence: the prompt tells")

    monkeypatch.setattr(HuaweiBase, "check_config_mode", probe)  # 6 s of every push to an AC went there
    vlan = fresh_vlan(running(ac_city))
    ac_city.inventory.set_ap(AC, {"vars.wlans": wlans_with(ac_city, vlan=vlan)})
    result = ac_city.config.push(AC)[0]
    assert (result.status, result.changed) == ("applied", True), (result.reason, result.transcript[-1500:])
    assert f"+  service-vlan vlan-id {vlan}" in result.diff and "Staff-Lab-Pass-1" not in result.diff
    now = running(ac_city)
    assert ("wlan", "vap-profile name lernen", f"service-vlan vlan-id {vlan}") in now
    assert ("wlan", "ssid-profile name lernen", "ssid Schule-Lernen") in now
    assert ("wlan", "security-profile name lernen", "security wpa2 psk pass-phrase Pupil-Lab-Pass-2 aes") in now
    assert ("wlan", "ap-group name schulen", "vap-profile lernen wlan 2 radio all") in now
    assert ("wlan", "ap-id 1 ap-mac 60de-4476-e361", "ap-group zoo") in now
    assert sum(p[-1].startswith("service-vlan") for p in now if p[1:2] == ("vap-profile name lernen",)) == 1
    # netctl answered VRP's "Are you sure to continue?[Y/N]" of save: the saved config has it too
    assert ("wlan", "vap-profile name lernen", f"service-vlan vlan-id {vlan}") in running(
        ac_city, "display saved-configuration")
    assert ac_city.config.push(AC)[0].status == "unchanged"


def test_backup_stores_the_running_config(ac_city: Any) -> None:
    assert ac_city.config.push(AC)[0].ok
    backup = ac_city.config.backup(AC)[0]
    assert backup.ok, backup
    stored = ac_city.config.show_config(AC)["text"]
    assert "security wpa2 psk pass-phrase" in stored and " sysname du-ac01" in stored
    # as read over the test's own session, the pass-phrases masked as in every stored config
    shown = vrp_paths(mask(ssh_run(ac_city, AC, "display current-configuration"), "huawei-ac"))
    assert [p for p in vrp_paths(stored) if p[0] == "wlan"] == [p for p in shown if p[0] == "wlan"]
    assert "Staff-Lab-Pass-1" not in stored


def test_change_by_hand_in_another_session_is_drift(ac_city: Any, by_hand: Any) -> None:
    assert ac_city.config.push(AC)[0].ok
    assert ac_city.config.drift(AC)[0].status == "in-sync"
    vlan = fresh_vlan(running(ac_city))
    out = by_hand(["wlan", "vap-profile name verwaltung", f"service-vlan vlan-id {vlan}"])
    assert "Error" not in out, out
    result = ac_city.config.drift(AC)[0]
    assert result.status == "drifted", result
    assert f"-  service-vlan vlan-id {vlan}" in result.diff and "+  service-vlan vlan-id 10" in result.diff
    assert ac_city.config.push(AC)[0].changed
    assert ("wlan", "vap-profile name verwaltung", "service-vlan vlan-id 10") in running(ac_city)
    assert ac_city.config.drift(AC)[0].status == "in-sync"


@pytest.mark.parametrize("ssid", ['Gast" ap-id 7', "Gast undo ap-id 0", "Gast?"])
def test_hostile_ssid_is_refused_before_anything_is_sent(ac_city: Any, ssid: str) -> None:
    before = running(ac_city)
    ac_city.inventory.set_ap(AC, {"vars.wlans": wlans_with(ac_city, ssid=ssid)})
    result = ac_city.config.push(AC)[0]
    assert result.status == "failed" and "quoting" in (result.reason or ""), result.reason
    assert f"connect {AC_ADDRESS}" not in (result.transcript or ""), "no session may be opened"
    assert running(ac_city) == before


def test_unknown_command_of_a_bad_template_fails_with_the_vrp_error_and_is_undone(
    ac_city: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ac_city.config.push(AC)[0].ok
    before = running(ac_city)
    vlan = fresh_vlan(before)
    with_template(tmp_path, monkeypatch, "huawei-ac/broken.vrp.j2",
                  f"wlan\n vap-profile name lernen\n  service-vlan vlan-id {vlan}\n  bogus-command 1\n")
    result = ac_city.config.push(AC, template="broken")[0]
    assert result.status == "failed" and result.rpc_error_tag == "cli-error", result.reason
    assert "Error: Unrecognized command found at '^' position." in (result.reason or "")
    assert "put back" in (result.reason or "")
    assert f"connect {AC_ADDRESS}" in result.transcript, "a push that reached the AC says so in its transcript"
    assert running(ac_city) == before


def ap_ids(paths: list[tuple[str, ...]]) -> dict[str, set[str]]:
    """The AC's ``ap-id N ap-mac M`` entries with the lines under each (``ap-name …``, ``ap-group …``)."""
    out: dict[str, set[str]] = {}
    for path in paths:
        if path[0] == "wlan" and len(path) > 1 and path[1].startswith("ap-id "):
            out.setdefault(path[1], set()).update(path[2:])
    return out


def test_the_ap_ids_are_the_inventory_aps_behind_the_ac(ac_city: Any, by_hand: Any, tmp_path: Path) -> None:
    assert ac_city.config.push(AC)[0].ok
    assert ap_ids(running(ac_city)) == {
        "ap-id 0 ap-mac 60de-4476-e360": {"ap-name du-sw-ap01", "ap-group schulen"},
        "ap-id 1 ap-mac 60de-4476-e361": {"ap-name du-zoo-ap01", "ap-group zoo"},
    }
    added = tmp_path / "added.yaml"
    added.write_text("aps:\n- name: du-zoo-ap09\n  site: zoo-duisburg\n  platform: controller-ap\n"
                     "  address: 10.40.20.99\n  controller: du-ac01\n  mac: 60:de:44:76:e3:f0\n  ap_group: zoo\n")
    ac_city.inventory.import_inventory([str(added)])
    try:
        result = ac_city.config.push(AC)[0]
        assert (result.status, result.changed) == ("applied", True), result.reason
        assert "+ ap-id 2 ap-mac 60de-4476-e3f0" in result.diff, result.diff
        now = ap_ids(running(ac_city))
        assert now["ap-id 2 ap-mac 60de-4476-e3f0"] == {"ap-name du-zoo-ap09", "ap-group zoo"} and len(now) == 3
    finally:  # netctl adds the APs of the inventory and leaves others on the AC: the lab's AC as it was
        by_hand(["wlan", "undo ap-id 2"])
