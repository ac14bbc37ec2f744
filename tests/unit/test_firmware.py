"""Firmware: the pure rules (image check, version, action), images stored with their sha256, windows,
the bounded wait for an AP after its install, and the documented JSON shape."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netctl.drivers import Target
from netctl.errors import ConfigError, ConnectError, NotFound
from netctl.firmware.plan import FirmwareResult, action, parse_version, refuse_image, sim_header
from netctl.platforms import get_platform
from tests.helpers.cli_city import CliCity
from tests.helpers.doc_shapes import json_blocks, section

ROOT = Path(__file__).resolve().parents[2]
HEAD = b"NETCTL-SIM-FIRMWARE openwrt 23.05.6 ramips/mt7621\n"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("head", "size", "platform", "version", "why"), [
    (HEAD, 5000, "openwrt", "23.05.6", None),
    (b"\x27\x05\x19\x56 a real image", 5000, "openwrt", "23.05.6", None),  # the AP checks it (sysupgrade -T)
    (HEAD, 5000, "openwrt", "23.05.7", "the image is version 23.05.6, not 23.05.7"),
    (b"NETCTL-SIM-FIRMWARE huawei-ac 23.05.6 x\n", 5000, "openwrt", "23.05.6", "for platform 'huawei-ac'"),
    (b"NETCTL-SIM-FIRMWARE openwrt\n", 5000, "openwrt", "23.05.6", "header line is not"),
    (b"", 0, "openwrt", "23.05.6", "the file is empty"),
    (HEAD, 300 * 1024 * 1024, "openwrt", "23.05.6", "more than any image"),
    (HEAD, 5000, "openwrt", "23.05.6; reboot", "is not a version"),
    (HEAD, 5000, "openwrt", "../../x", "is not a version"),
])
def test_what_netctl_accepts_as_an_image(head: bytes, size: int, platform: str, version: str,
                                         why: str | None) -> None:
    got = refuse_image(head, size, platform, version)
    assert (got is None) if why is None else (why in (got or "")), got


def test_the_simulator_header_and_the_openwrt_version() -> None:
    assert sim_header(HEAD) is not None and (sim_header(HEAD).platform, sim_header(HEAD).target) == (  # type: ignore[union-attr]
        "openwrt", "ramips/mt7621")
    assert sim_header(b"NETCTL-SIM-FIRMWAREopenwrt") is None
    owrt = get_platform("openwrt")
    release = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.5'\nDISTRIB_REVISION='r24106'\n"
    assert parse_version(release, str(owrt.firmware_version_pattern)) == "23.05.5"
    assert parse_version("DISTRIB_ID='OpenWrt'\n", str(owrt.firmware_version_pattern)) is None
    assert get_platform("netconf-wlan").firmware_install_command is None


def test_the_action_for_each_ap() -> None:
    assert [action(False, "1", "2"), action(True, None, "2"), action(True, "2", "2"), action(True, "1", "2"),
            action(True, "3", "2")] == ["unsupported platform", "unreachable", "up-to-date", "upgrade", "upgrade"]


def test_only_a_failed_upgrade_fails_the_run_and_changed_means_installing_began() -> None:
    statuses = ["upgraded", "up-to-date", "outside-window", "unsupported", "unreachable", "skipped", "failed"]
    results = [FirmwareResult("a", "openwrt", s in ("upgraded", "up-to-date"), s) for s in statuses]
    assert [r.failed for r in results] == [False] * 6 + [True]
    assert FirmwareResult("a", "openwrt", False, "failed", installed=True).changed is True
    assert results[0].changed is False


def test_the_json_shape_is_the_documented_one() -> None:
    documented = json_blocks(section(ROOT / "docs" / "field.md", "Firmware"))["firmware upgrade"]
    result = FirmwareResult("bus-1202-ap01", "openwrt", True, "upgraded", current="23.05.5", target="23.05.6",
                            transcript="secret conversation", host_key="ssh-ed25519 AAAA")
    assert list(result.to_dict()) == list(documented[0])


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("NETCTL_FIRMWARE_DIR", raising=False)
    built = CliCity(tmp_path, {"lab/ssh": '{"username": "u", "password": "p"}'})
    from netctl.api import Netctl

    nc = Netctl(built.db)
    yield built, nc
    nc.close()


def test_an_image_is_copied_beside_the_database_with_its_sha256(city: Any, tmp_path: Path) -> None:
    cli, nc = city
    source = tmp_path / "image.bin"
    data = HEAD + b"payload" * 1000
    source.write_bytes(data)
    row = cli.json("firmware", "add", str(source), "--platform", "openwrt", "--version", "23.05.6")
    folder = Path(cli.db + ".firmware")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (row["sha256"], row["size"], row["platform"], row["version"]) == (
        hashlib.sha256(data).hexdigest(), len(data), "openwrt", "23.05.6")
    assert (folder / row["file"]).read_bytes() == data
    listed = cli.json("firmware", "list")
    assert [(r["version"], r["sha256"], r["path"]) for r in listed] == [
        ("23.05.6", row["sha256"], str(folder / row["file"]))]
    with pytest.raises(ConfigError, match="stored already"):
        nc.firmware.add(source, platform="openwrt", version="23.05.6")


def test_a_file_that_is_no_image_for_the_platform_is_refused(city: Any, tmp_path: Path) -> None:
    _, nc = city
    other = tmp_path / "other.bin"
    other.write_bytes(b"NETCTL-SIM-FIRMWARE huawei-ac 23.05.6 x\npayload")
    with pytest.raises(ConfigError, match="for platform 'huawei-ac'"):
        nc.firmware.add(other, platform="openwrt", version="23.05.6")
    with pytest.raises(ConfigError, match="does not upgrade platform 'cli-ios'"):
        nc.firmware.add(other, platform="cli-ios", version="1")
    with pytest.raises(NotFound):
        nc.firmware.add(tmp_path / "missing.bin", platform="openwrt", version="23.05.6")
    assert nc.firmware.list_images() == []


def test_an_upgrade_is_allowed_in_a_maintenance_window_or_a_vehicles_depot_window(city: Any) -> None:
    _, nc = city
    bus, school = nc.session.get_ap("bus-1202-ap01"), nc.session.get_ap("gs-meiderich-ap01")
    night = dt.datetime(2026, 11, 27, 2, 0, tzinfo=BERLIN).timestamp()
    noon = dt.datetime(2026, 11, 27, 12, 0, tzinfo=BERLIN).timestamp()
    assert nc.firmware.windows([bus, school], now=night) == {"bus-1202-ap01": "depot: 01:00-04:30"}
    assert nc.firmware.windows([bus, school], now=noon) == {}
    nc.monitor.maintenance_add(["gs-meiderich-ap01"], "2026-11-27T10:00:00+00:00", "2026-11-27T12:00:00+00:00",
                               name="noon")
    assert nc.firmware.windows([bus, school], now=noon) == {"gs-meiderich-ap01": "maintenance: noon"}


def test_the_plan_of_a_platform_netctl_does_not_upgrade_sends_nothing(city: Any) -> None:
    _, nc = city
    planned = nc.firmware.plan(["gs-meiderich-ap01"], version="23.05.6")
    assert [(r.status, r.current, r.ok) for r in planned] == [("unsupported platform", None, True)]


def test_the_wait_for_an_ap_after_its_install_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from netctl.firmware import run

    answers = iter([ConnectError("refused", ap="a"), "23.05.5", ConnectError("refused", ap="a")] * 50)
    clock = {"now": 0.0}

    def fake_read_version(*_: Any) -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    monkeypatch.setattr(run, "read_version", fake_read_version)
    job = run.UpgradeJob(Target("a", "openwrt", "127.0.0.1", 22, "u"), get_platform("openwrt"), "23.05.5",
                         "23.05.6", "/nonexistent", "0" * 64, reboot_s=20.0)
    version, last = run.wait_back(job, clock=lambda: clock["now"], sleep=sleep)
    assert version == "23.05.5" and "refused" in last
    assert 20.0 <= clock["now"] <= 22.0


def test_the_plan_prints_the_documented_json_through_the_cli(city: Any) -> None:
    cli, _ = city
    documented = json_blocks(section(ROOT / "docs" / "field.md", "Firmware"))["firmware upgrade"]
    printed = cli.json("firmware", "plan", "gs-meiderich-ap01", "--version", "23.05.6")
    assert [list(row) for row in printed] == [list(documented[0])]
    assert (printed[0]["status"], printed[0]["target"], printed[0]["window"]) == ("unsupported platform", "23.05.6",
                                                                                  None)
