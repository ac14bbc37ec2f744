"""The scheduler process against the lab: two poll cycles of a site, recorded, then a clean stop."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from netctl.selection import Selection

pytestmark = pytest.mark.lab


def test_scheduler_runs_two_poll_cycles_and_stops(city: Any) -> None:
    city.jobs.set_job("poll", interval_s=60, selection=Selection(site="gs-meiderich"))
    city.jobs.set_job("retention", enabled=False)
    city.jobs.set_job("timers", enabled=False)
    city.jobs.set_job("calendars", enabled=False)
    done = subprocess.run(
        [sys.executable, "-c", "from netctl.cli import main; main()", "--db", city.session.db_path, "scheduler", "run",
         "--poll-interval", "2", "--max-cycles", "2"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "scheduler stopped" in done.stderr
    runs = city.jobs.runs(limit=10)
    assert [(r["job"], r["status"], r["aps"], r["failures"]) for r in runs] == [("poll", "ok", 4, 0)] * 2
    assert runs[0]["started"] >= runs[1]["ended"]  # the second cycle started after the first ended
    status = city.monitor.status(Selection(site="gs-meiderich"))
    assert status["totals"]["total"] == 4 and status["totals"]["unknown"] == 0
    polls = {r["epoch"] for r in city.monitor.metrics("gs-meiderich-ap01", metric="up", since="10m")}
    assert len(polls) == 2  # samples have one-second resolution; the cycles are 2 s apart
    listed = {j["name"]: j for j in city.jobs.list_jobs()}
    assert listed["poll"]["last_status"] == "ok"
