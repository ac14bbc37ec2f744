"""Planning helpers and the parallel runner: waves, one result per AP, failures as data."""

from __future__ import annotations

import threading
import time

from netctl.errors import ConnectError, LockError, RpcError
from netctl.push.plan import waves
from netctl.push.run import PushResult, failure
from netctl.results import Results


def test_waves_put_a_canary_first() -> None:
    names = [f"ap{i}" for i in range(7)]
    assert waves(names, canary=1, size=3) == [["ap0"], ["ap1", "ap2", "ap3"], ["ap4", "ap5", "ap6"]]
    assert waves(names) == [names]
    assert waves([]) == []


def test_failures_map_to_pending_and_failed_with_tags() -> None:
    start = time.monotonic()
    assert failure("a", ConnectError("unreachable", ap="a"), start).status == "pending"
    locked = failure("a", LockError("lock-denied by session 7", ap="a"), start)
    assert (locked.status, locked.rpc_error_tag) == ("failed", "lock-denied")
    rpc = failure("a", RpcError("bad value", ap="a", tag="invalid-value"), start)
    assert (rpc.status, rpc.rpc_error_tag, rpc.reason) == ("failed", "invalid-value", "bad value")


def test_run_threads_caps_concurrency_and_keeps_order() -> None:
    from netctl.runner import run_threads

    active = {"now": 0, "max": 0}
    lock = threading.Lock()
    seen: list[tuple[str, str]] = []

    def work(n: int) -> PushResult:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.02)
        with lock:
            active["now"] -= 1
        return PushResult(f"ap{n}", n % 3 != 0, "applied" if n % 3 else "failed")

    results = run_threads(
        list(range(12)),
        work,
        key=lambda n: f"ap{n}",
        concurrency=4,
        progress=lambda event: seen.append((event.ap, event.stage)),
    )
    assert [r.ap for r in results] == [f"ap{n}" for n in range(12)]
    assert active["max"] <= 4
    assert Results(results).counts() == {"failed": 4, "applied": 8}
    assert sum(1 for _, stage in seen if stage == "done") == 12


def test_audit_since_accepts_dates_and_ages() -> None:
    import datetime as dt

    import pytest

    from netctl.errors import ConfigError
    from netctl.push.ops import since_to_iso

    assert since_to_iso("2026-11-21") == "2026-11-21"
    assert since_to_iso("2026-11-21T08:00") == "2026-11-21T08:00:00"
    age = dt.datetime.fromisoformat(since_to_iso("24h"))
    assert abs((dt.datetime.now(dt.UTC) - age) - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)
    with pytest.raises(ConfigError):
        since_to_iso("yesterday-ish")


def test_replace_commands_take_away_what_running_has_beyond_the_stored_version() -> None:
    from netctl.drivers.plan import replace_commands, restore_commands

    stored = ("version 12.1\n!\nhostname sw1\n!\nvlan 10\n name STAFF\n!\n"
              "interface FastEthernet0/1\n description AP one\n switchport mode trunk\n!\nend\n")
    running = ("Building configuration...\nCurrent configuration : 400 bytes\nversion 12.1\n!\nhostname sw1-new\n!\n"
               "vlan 10\n name STAFF\n!\nvlan 40\n name ROGUE\n!\ninterface FastEthernet0/1\n description AP one\n"
               " switchport mode trunk\n shutdown\n!\ninterface FastEthernet0/9\n description added\n!\nend\n")
    commands = replace_commands(restore_commands(stored, "cli-ios"), running, "cli-ios")
    assert "no vlan 40" in commands
    at = commands.index("interface FastEthernet0/1")
    assert commands[at + 1] == " no shutdown"
    assert "default interface FastEthernet0/9" in commands
    assert not any("Building" in c or "version" in c or "Current" in c for c in commands)
    assert replace_commands(restore_commands(stored, "cli-ios"), stored, "cli-ios") == []
    assert replace_commands("uci set a.b=c\n", "uci set a.b=d\n", "openwrt") == []
