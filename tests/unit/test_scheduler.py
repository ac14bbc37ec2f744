"""The scheduler: intervals, no overlap, recorded runs, failures as data, clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from netctl.errors import ConfigError
from netctl.schedule import jobs as registry
from netctl.schedule.scheduler import Scheduler, start_run
from netctl.store import open_db

CALLS: list[tuple[float, float]] = []
ACTIVE = threading.Semaphore(1)


def slow_job(db_path: str, selection_json: str, *, user: str | None = None,
             options: str | None = None) -> list[dict[str, Any]]:
    """A job that takes 0.3 s and fails loudly if two runs of it ever overlap."""
    if not ACTIVE.acquire(blocking=False):
        raise AssertionError("two runs of the same job overlapped")
    try:
        started = time.monotonic()
        time.sleep(0.3)
        CALLS.append((started, time.monotonic()))
        return [{"ap": "ap1", "ok": True}, {"ap": "ap2", "ok": False, "error_kind": "timeout"}]
    finally:
        ACTIVE.release()


def broken_job(db_path: str, selection_json: str, *, user: str | None = None,
               options: str | None = None) -> list[dict[str, Any]]:
    raise ConfigError("the thing is misconfigured", hint="fix it")


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    path = str(tmp_path / "sched.db")
    db = open_db(path, create=True)
    registry.register_job("slow", slow_job)
    registry.register_job("broken", broken_job)
    db.table("jobs").insert_all([
        {"name": "poll", "job": "poll", "interval_s": 60, "enabled": 0},
        {"name": "retention", "job": "retention", "interval_s": 600, "enabled": 0},
    ], pk="name")
    db.conn.close()
    CALLS.clear()
    return path


def add_job(db_path: str, **row: Any) -> None:
    db = open_db(db_path)
    db.table("jobs").insert({"selection": "{}", "enabled": 1, "options": "{}", **row}, pk="name")
    db.conn.close()


def runs(db_path: str) -> list[dict[str, Any]]:
    db = open_db(db_path)
    try:
        return list(db["job_runs"].rows_where(order_by="id"))
    finally:
        db.conn.close()


def test_runs_at_interval_never_overlapping_and_records_each_run(db_path: str) -> None:
    add_job(db_path, name="slow", job="slow", interval_s=0.05)
    made = Scheduler(db_path, max_cycles=3, tick=0.02).run()
    assert [r["status"] for r in made] == ["ok", "ok", "ok"]
    assert len(CALLS) == 3
    for (_s1, end1), (start2, _e2) in zip(CALLS, CALLS[1:], strict=False):
        assert start2 >= end1  # the next run only started after the previous one ended
    rows = runs(db_path)
    assert [(r["job"], r["status"], r["aps"], r["failures"]) for r in rows] == [("slow", "ok", 2, 1)] * 3
    assert all(r["started"] <= r["ended"] for r in rows)
    assert rows[0]["detail"] == '{"timeout": 1}'


def test_once_runs_every_enabled_job_one_time_and_failures_are_recorded(db_path: str) -> None:
    add_job(db_path, name="slow", job="slow", interval_s=0.01)
    add_job(db_path, name="broken", job="broken", interval_s=0.01)
    made = Scheduler(db_path, once=True, tick=0.02).run()
    assert sorted((r["job"], r["status"]) for r in made) == [("broken", "failed"), ("slow", "ok")]
    failed = [r for r in runs(db_path) if r["job"] == "broken"][0]
    assert "misconfigured" in failed["detail"]


def test_a_run_held_by_a_live_process_blocks_and_a_dead_one_is_abandoned(db_path: str) -> None:
    db = open_db(db_path)
    import socket

    db.table("job_runs").insert({"job": "slow", "started": "2026-01-01T00:00:00+00:00", "status": "running",
                           "pid": os.getpid(), "host": socket.gethostname()})
    db.conn.close()
    assert start_run(db_path, "slow") is None
    db = open_db(db_path)
    db.execute("update job_runs set pid = 999999999 where job = 'slow'")
    db.conn.close()
    assert start_run(db_path, "slow") is not None
    assert [r["status"] for r in runs(db_path)] == ["abandoned", "running"]


def test_unknown_job_is_a_clear_error(api: Any) -> None:
    with pytest.raises(ConfigError, match="known jobs"):
        api.jobs.set_job("nightly", job="no-such-job", interval_s=60)
    row = api.jobs.set_job("poll", interval_s=30)
    assert row["interval_s"] == 30.0
    assert {j["name"] for j in api.jobs.list_jobs()} == {"poll", "retention", "timers", "calendars"}


def test_scheduler_process_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = str(tmp_path / "term.db")
    open_db(db, create=True).conn.close()
    env = {**os.environ, "NETCTL_DB": db}
    proc = subprocess.Popen([sys.executable, "-c", "from netctl.cli import main; main()", "scheduler", "run",
                             "--poll-interval", "0.2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(r["job"] == "poll" and r["status"] == "ok" for r in runs(db)):
            time.sleep(0.1)
        assert any(r["job"] == "poll" and r["status"] == "ok" for r in runs(db))
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "scheduler stopped" in err
    assert not any(r["status"] == "running" for r in runs(db))
