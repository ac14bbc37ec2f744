"""Firmware upgrades against the lab's OpenWrt simulator behind OpenSSH.

The version an AP runs is read back over the test's own paramiko session (tests.helpers.ssh, not
netctl's code); whether sysupgrade ran at all is read from the simulator's own state file. Every test
leaves its APs on the version it found them on.

APs: bus-1202-ap01 and bus-1203-ap01 (no other test pushes or upgrades them). Their depot window is
moved away from now for the test's database, so only a maintenance window (or ``now``) allows an upgrade.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netctl.runner import Event
from netctl.selection import Selection
from tests.helpers.ssh import ssh_run
from tests.lab.agents import snmpd

pytestmark = pytest.mark.lab

AP, NEXT = "bus-1202-ap01", "bus-1203-ap01"
TARGET = "ramips/mt7621"


def running(city: Any, ap: str) -> str:
    """DISTRIB_RELEASE over the test's own SSH session."""
    out = ssh_run(city, ap, "cat /etc/openwrt_release")
    return next(line.split("=", 1)[1].strip("'") for line in out.splitlines() if line.startswith("DISTRIB_RELEASE="))


def installs(lab: Any, ap: str) -> int:
    """How many times the simulated AP ran sysupgrade (its own state file)."""
    from lab import procs

    state = procs.runtime_dir(lab.dir) / "openwrt" / f"{ap}.json"
    return int(json.loads(state.read_text()).get("upgrades") or 0) if state.exists() else 0


def image(tmp_path: Path, version: str, target: str = TARGET) -> Path:
    path = tmp_path / f"openwrt-{version}-{target.replace('/', '-')}-sysupgrade.bin"
    path.write_bytes(f"NETCTL-SIM-FIRMWARE openwrt {version} {target}\n".encode() + os.urandom(300_000))
    return path


def other(version: str) -> str:
    return "23.05.6" if version != "23.05.6" else "23.05.7"


@pytest.fixture
def fleet(city: Any, tmp_path: Path) -> Iterator[Any]:
    """The city with both buses' depot window away from now; afterwards both run what they ran before."""
    hour = dt.datetime.now(ZoneInfo("Europe/Berlin")).hour
    away = f"{(hour + 8) % 24:02d}:00-{(hour + 9) % 24:02d}:00"
    for ap in (AP, NEXT):
        city.inventory.set_ap(ap, {"vars.depot_window": away})
    before = {ap: running(city, ap) for ap in (AP, NEXT)}
    yield city
    for ap, version in before.items():
        if running(city, ap) != version:
            if city.firmware.image("openwrt", version) is None:
                city.firmware.add(image(tmp_path, version), platform="openwrt", version=version)
            back = city.firmware.upgrade([ap], version=version, now=True)
            assert back[0].status == "upgraded", back[0].reason
    assert {ap: running(city, ap) for ap in (AP, NEXT)} == before


def test_upgrade_runs_in_a_maintenance_window_only_and_is_read_back(fleet: Any, lab: Any, tmp_path: Path) -> None:
    city = fleet
    first = running(city, AP)
    target = other(first)
    city.firmware.add(image(tmp_path, target), platform="openwrt", version=target)
    city.firmware.add(image(tmp_path, first), platform="openwrt", version=first)

    plan = city.firmware.plan([AP], version=target)
    assert [(r.ap, r.current, r.target, r.status, r.window) for r in plan] == [(AP, first, target, "upgrade", None)]

    left = city.firmware.upgrade([AP], version=target)
    assert [(r.status, r.changed) for r in left] == [("outside-window", False)]
    assert running(city, AP) == first

    city.monitor.maintenance_add([AP], "now", "+30m", name="firmware test")
    assert city.firmware.plan([AP], version=target)[0].window == "maintenance: firmware test"
    installs_before = installs(lab, AP)
    done = city.firmware.upgrade([AP], version=target)
    result = done[0]
    assert (result.status, result.current, result.version_after, result.changed) == ("upgraded", first, target,
                                                                                      True), result.reason
    assert running(city, AP) == target
    assert installs(lab, AP) == installs_before + 1
    audit = [r for r in city.config.audit(ap=AP) if r["action"] == "firmware-upgrade"]
    assert [r["outcome"] for r in audit[:2]] == ["upgraded", "outside-window"]
    assert city.firmware.plan([AP], version=target)[0].status == "up-to-date"

    back = city.firmware.upgrade([AP], version=first, now=True)
    assert back[0].status == "upgraded", back[0].reason
    assert running(city, AP) == first


def test_an_image_whose_sha256_differs_on_the_ap_is_never_installed(fleet: Any, lab: Any, tmp_path: Path) -> None:
    city = fleet
    first = running(city, AP)
    target = other(first)
    stored = city.firmware.add(image(tmp_path, target), platform="openwrt", version=target)
    path = Path(city.firmware.image("openwrt", target)["path"])
    with open(path, "ab") as fh:  # the stored copy changed after it was added
        fh.write(b"\0")
    installs_before = installs(lab, AP)

    result = city.firmware.upgrade([AP], version=target, now=True)[0]

    assert (result.status, result.stage, result.changed) == ("failed", "checksum", False)
    assert stored["sha256"] in (result.reason or "")
    assert running(city, AP) == first
    assert installs(lab, AP) == installs_before
    transcript = next(r for r in city.config.audit(ap=AP) if r["action"] == "firmware-upgrade")["transcript"]
    assert "sha256sum /tmp/firmware.bin" in transcript and "sysupgrade" not in transcript
    alerts = [a for a in city.monitor.alerts() if a["ap"] == AP and a["kind"] == "firmware"]
    assert [a["severity"] for a in alerts] == ["critical"]


def test_a_failed_canary_stops_the_rollout(fleet: Any, lab: Any, tmp_path: Path) -> None:
    city = fleet
    first = {ap: running(city, ap) for ap in (AP, NEXT)}
    target = other(first[AP])
    # built for another board: netctl stores it (it cannot know the board), the AP refuses it
    city.firmware.add(image(tmp_path, target, target="ath79/generic"), platform="openwrt", version=target)
    installs_before = {ap: installs(lab, ap) for ap in (AP, NEXT)}

    results = city.firmware.upgrade(Selection(names=(AP, NEXT)), version=target, canary=1, now=True)

    by_ap = {r.ap: r for r in results}
    assert (by_ap[AP].status, by_ap[AP].stage, by_ap[AP].wave) == ("failed", "check", 1)
    assert "not supported by this image" in (by_ap[AP].reason or "")
    assert (by_ap[NEXT].status, by_ap[NEXT].wave) == ("skipped", 2)
    assert results.failed_aps == [AP]
    assert {ap: running(city, ap) for ap in (AP, NEXT)} == first
    assert {ap: installs(lab, ap) for ap in (AP, NEXT)} == installs_before
    open_alerts = {(a["ap"], a["kind"], a["severity"]) for a in city.monitor.alerts()
                   if a["kind"] == "firmware"}
    assert open_alerts == {(AP, "firmware", "critical")}


def test_an_ap_that_is_not_well_after_its_upgrade_stops_the_rollout(fleet: Any, lab: Any, tmp_path: Path) -> None:
    """The canary is polled from an snmpd of this test (port 1162), which dies as the upgrade begins: the
    AP comes back on the new version but never answers SNMP, so it fails its health check."""
    city = fleet
    first = {ap: running(city, ap) for ap in (AP, NEXT)}
    target = other(first[AP])
    city.firmware.add(image(tmp_path, target), platform="openwrt", version=target)
    address, port = city.session.get_ap(AP)["address"], dict(city.session.get_ap(AP)["snmp"]).get("port")
    city.inventory.set_ap(AP, {"snmp.port": 1162})
    try:
        with snmpd(tmp_path, address, 1162, lab.community, f"rocommunity {lab.community} 127.0.0.0/8") as agent:
            stop = threading.Event()

            def progress(event: Event) -> None:
                if event.ap == AP and event.stage == "start" and not stop.is_set():
                    stop.set()
                    pid = int((tmp_path / "snmpd.pid").read_text().split()[0])
                    os.kill(pid, 15)  # the agent dies as the upgrade begins

            assert agent == (address, 1162)
            results = {r.ap: r for r in city.firmware.upgrade(Selection(names=(AP, NEXT)), version=target, canary=1,
                                                              now=True, gate_timeout=4, progress=progress)}
    finally:
        city.inventory.set_ap(AP, {"snmp.port": port})
    assert stop.is_set()
    canary = results[AP]
    assert (canary.status, canary.stage, canary.changed, canary.version_after) == ("failed", "health", True,
                                                                                   target), canary.reason
    assert "does not answer SNMP" in (canary.reason or "")
    assert running(city, AP) == target  # installed: firmware is not rolled back by itself
    assert (results[NEXT].status, running(city, NEXT)) == ("skipped", first[NEXT])
    [alert] = [a for a in city.monitor.alerts() if a["kind"] == "firmware"]
    assert (alert["ap"], alert["severity"]) == (AP, "critical")
    assert "cannot be rolled back automatically" in alert["message"]
