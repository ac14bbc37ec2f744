"""A job run that gets stuck is recorded ``failed`` at its deadline, never left ``running``."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from netctl.schedule.jobs import JOBS, register_job
from netctl.schedule.scheduler import Scheduler, run_job_once

RELEASE = threading.Event()


def stuck_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
              options: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A job that hangs (as a poll did on a hostile reply) until the test releases it (10 s at most)."""
    RELEASE.wait(10)
    return [{"ap": "x", "ok": True}]


def runs(api: Any, job: str) -> list[dict[str, Any]]:
    return list(api.session.db.query("select * from job_runs where job = ? order by id", [job]))


def test_scheduler_marks_a_stuck_run_failed_at_its_deadline(api: Any) -> None:
    RELEASE.clear()
    register_job("stuck-test", stuck_job)
    try:
        api.jobs.set_job("poll", enabled=False)
        api.jobs.set_job("retention", enabled=False)
        api.jobs.set_job("stuck", job="stuck-test", interval_s=3600, options={"deadline_s": 0.5})
        scheduler = Scheduler(str(api.session.db_path), once=True, tick=0.05, grace=1.0)
        thread = threading.Thread(target=scheduler.run, daemon=True)
        started = time.monotonic()
        thread.start()
        thread.join(5)
        assert not thread.is_alive(), "the scheduler waited for a stuck run"
        assert time.monotonic() - started < 5
        [run] = runs(api, "stuck")
        assert run["status"] == "failed"
        assert "did not finish within 0.5 s" in run["detail"]
    finally:
        RELEASE.set()
        JOBS.unregister("stuck-test")


def test_a_run_within_its_deadline_is_recorded_as_usual(api: Any) -> None:
    RELEASE.set()
    register_job("quick-test", stuck_job)
    try:
        outcome = run_job_once(str(api.session.db_path), "quick", "quick-test", "{}",
                               options=json.dumps({"deadline_s": 5}))
        assert outcome["status"] == "ok" and outcome["aps"] == 1
    finally:
        JOBS.unregister("quick-test")
