"""Planning helpers and the parallel runner: waves, one result per AP, failures as data."""

from __future__ import annotations

import threading
import time

from netctl.errors import ConnectError, LockError, RpcError
from netctl.push.plan import summarize, waves
from netctl.push.run import PushResult, failure, run_parallel


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


def test_run_parallel_caps_concurrency_and_keeps_order() -> None:
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

    results = run_parallel(
        list(range(12)),
        work,
        key=lambda n: f"ap{n}",
        concurrency=4,
        progress=lambda ap, stage, _r: seen.append((ap, stage)),
    )
    assert [r.ap for r in results] == [f"ap{n}" for n in range(12)]
    assert active["max"] <= 4
    assert summarize(results) == {"failed": 4, "applied": 8}
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
