"""Scheduled firmware upgrades: ``netctl firmware upgrade … --at TIME`` stores a job of kind ``firmware``
owned by the caller, which the scheduler runs once at that time (job options ``at`` and ``once``) as
its owner; a run long after its time upgrades nothing. No device here: the upgrade itself is
``FirmwareService.upgrade``, replaced by a recorder where a test needs one (named as a fake);
``tests/lab/test_firmware_huawei_lab.py`` runs a scheduled upgrade of the lab's AC."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netctl.api import Netctl
from netctl.errors import ConfigError
from netctl.firmware import ops
from netctl.results import Results
from netctl.schedule.scheduler import Scheduler, job_not_before, job_once
from tests.helpers.cli_city import CliCity

BUS = "bus-1202-ap01"
HEAD = b"NETCTL-SIM-FIRMWARE openwrt 23.05.6 ramips/mt7621\n"
BERLIN = ZoneInfo("Europe/Berlin")
#: 2026-11-27 20:00 in Berlin (19:00 UTC): "02:00" is then already past today, "23:30" ahead
EVENING = dt.datetime(2026, 11, 27, 20, 0, tzinfo=BERLIN)


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("NETCTL_FIRMWARE_DIR", raising=False)
    built = CliCity(tmp_path, {"lab/ssh": '{"username": "u", "password": "p"}'})
    nc = Netctl(built.db)
    image = tmp_path / "owrt.bin"
    image.write_bytes(HEAD + b"payload")
    nc.firmware.add(image, platform="openwrt", version="23.05.6")
    for job in ("poll", "retention", "timers", "calendars"):
        nc.jobs.set_job(job, enabled=False)
    yield built, nc
    nc.close()


def test_an_upgrade_at_a_time_is_a_once_job_of_the_caller(city: Any) -> None:
    _, nc = city
    job = nc.firmware.schedule([BUS], version="23.05.6", at="23:30", canary=1, reboot_timeout=120, clock=EVENING)
    assert (job["at"], job["at_local"], job["timezone"], job["aps"]) == (
        "2026-11-27T22:30:00+00:00", "23:30", "Europe/Berlin", [BUS])
    [row] = [j for j in nc.jobs.list_jobs() if j["name"] == job["job"]]
    assert (row["job"], row["owner"], row["enabled"], row["selection"]["names"]) == (
        "firmware", nc.session.user_name, 1, [BUS])
    assert row["options"]["version"] == "23.05.6" and row["options"]["once"] is True
    assert (row["options"]["canary"], row["options"]["reboot_timeout"], row["options"]["now"]) == (1, 120, False)
    assert job_not_before(row["options"]) == dt.datetime(2026, 11, 27, 22, 30, tzinfo=dt.UTC).timestamp()
    assert job_once(row["options"])


def test_a_time_that_has_passed_or_an_image_that_is_missing_is_refused(city: Any) -> None:
    _, nc = city
    with pytest.raises(ConfigError, match=r"--at '02:00': 02:00 today \(Europe/Berlin\) has passed already"):
        nc.firmware.schedule([BUS], version="23.05.6", at="02:00", clock=EVENING)
    with pytest.raises(ConfigError, match="no image of openwrt 23.05.7 stored"):
        nc.firmware.schedule([BUS], version="23.05.7", at="23:30", clock=EVENING)
    with pytest.raises(ConfigError, match="none of the selected APs runs a platform netctl upgrades"):
        nc.firmware.schedule(["gs-meiderich-ap01"], version="23.05.6", at="23:30", clock=EVENING)
    assert not [j for j in nc.jobs.list_jobs() if j["job"] == "firmware"]


def test_the_cli_schedules_with_at_and_asks_nothing(city: Any) -> None:
    cli, nc = city
    out = cli("firmware", "upgrade", BUS, "--version", "23.05.6", "--at", "8h").stdout
    assert out.startswith("scheduled firmware-23.05.6-") and "netctl jobs set firmware-23.05.6-" in out
    printed = cli.json("firmware", "upgrade", BUS, "--version", "23.05.6", "--at", "90m", "--now")
    [row] = [j for j in nc.jobs.list_jobs() if j["name"] == printed["job"]]
    assert row["options"]["now"] is True and printed["aps"] == [BUS]


class RecordedUpgrade:
    """A fake of ``FirmwareService.upgrade`` (no device): records who asked for what."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, service: Any, selection: Any, **kwargs: Any) -> Results[Any]:
        self.calls.append({"who": service.session.who(), "names": list(selection.names), **kwargs})
        return Results([ops.FirmwareResult(BUS, "openwrt", True, "upgraded", current="23.05.5",
                                           target=kwargs["version"])])


def test_the_scheduler_runs_it_once_at_its_time_as_its_owner(city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, nc = city
    fake = RecordedUpgrade()
    monkeypatch.setattr(ops.FirmwareService, "upgrade",
                        lambda service, selection, **kwargs: fake(service, selection, **kwargs))
    ahead = nc.firmware.schedule([BUS], version="23.05.6", at="2h", canary=1, reboot_timeout=120)
    Scheduler(nc.session.db_path, once=True).run()
    assert fake.calls == []  # its time has not come: not run, not disabled
    assert {j["name"]: j["enabled"] for j in nc.jobs.list_jobs()}[ahead["job"]] == 1

    now = dt.datetime.now(dt.UTC)
    options = {j["name"]: j for j in nc.jobs.list_jobs()}[ahead["job"]]["options"]
    nc.jobs.set_job(ahead["job"], options={**options, "at": (now - dt.timedelta(seconds=5)).isoformat()})
    runs = Scheduler(nc.session.db_path, once=True).run()
    assert [(r["job"], r["status"], r["aps"], r["failures"]) for r in runs] == [(ahead["job"], "ok", 1, 0)], runs
    [call] = fake.calls
    assert call["names"] == [BUS]
    assert (call["version"], call["canary"], call["now"], call["reboot_timeout"]) == ("23.05.6", 1, False, 120.0)
    assert call["who"].startswith(f"@system (scheduled firmware upgrade to 23.05.6, run as {nc.session.user_name}")
    assert {j["name"]: j["enabled"] for j in nc.jobs.list_jobs()}[ahead["job"]] == 0  # once: never again
    assert Scheduler(nc.session.db_path, once=True).run() == []


def test_a_run_long_after_its_time_upgrades_nothing(city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, nc = city
    fake = RecordedUpgrade()
    monkeypatch.setattr(ops.FirmwareService, "upgrade",
                        lambda service, selection, **kwargs: fake(service, selection, **kwargs))
    options = {"version": "23.05.6", "at": "2026-11-27T01:00:00+00:00", "once": True}
    late = dt.datetime(2026, 11, 27, 2, 30, tzinfo=dt.UTC)
    [missed] = ops.firmware_job(nc.session.db_path, json.dumps({"names": [BUS]}), options=options, now=late)
    assert (missed["ok"], missed["status"]) == (False, "missed")
    assert "90 min later" in missed["reason"] and "nothing was upgraded" in missed["reason"]
    assert fake.calls == []
    on_time = ops.firmware_job(nc.session.db_path, json.dumps({"names": [BUS]}), options=options,
                               now=late - dt.timedelta(minutes=45))
    assert [r["status"] for r in on_time] == ["upgraded"] and len(fake.calls) == 1
    with pytest.raises(ConfigError, match="needs the option version"):
        ops.firmware_job(nc.session.db_path, "{}", options={})


def test_the_facade_gives_the_firmware_service_its_very_job_service(city: Any) -> None:
    _, nc = city
    assert nc.firmware.jobs is nc.jobs
