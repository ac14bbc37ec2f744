"""netctl's jobs as Celery tasks: a real redis-server on loopback as broker and result store, a real
Celery worker process, and the lab's agents and NETCONF APs behind the jobs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.procs import stop_pids
from netctl.selection import Selection
from tests.helpers.queue import redis_server

pytestmark = pytest.mark.lab


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on 127.0.0.1 (no persistence), stopped afterwards."""
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def worker(broker: str, tmp_path: Path) -> Iterator[Any]:
    """A Celery worker process for netctl's tasks, and an app to send them with."""
    from netctl.queue import make_app

    log = tmp_path / "worker.log"
    env = dict(os.environ, NETCTL_BROKER=broker)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "netctl.queue", "worker", "--pool", "threads",
                                 "--concurrency", "2", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
                                 "--hostname", f"netctl-test-{os.getpid()}@localhost"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    app = make_app(broker)
    try:
        deadline = time.monotonic() + 60
        while not (app.control.ping(timeout=1) or []):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        yield app
    finally:
        stop_pids([proc.pid], timeout=30)
        proc.wait(timeout=30)


def test_jobs_run_unchanged_as_celery_tasks(city: Any, worker: Any, tmp_path: Path) -> None:
    from tests.helpers.lab import with_psks

    with_psks(city)
    db = str(tmp_path / "city.db")
    site = Selection(site="gs-meiderich")
    names = sorted(a["name"] for a in city.session.select(site))
    assert "netctl.poll" in worker.tasks and "netctl.push" in worker.tasks
    polled = worker.send_task("netctl.poll", [db, site.to_json()]).get(timeout=120)
    assert sorted(r["ap"] for r in polled) == names
    assert all(r["ok"] and r["state"] == "up" for r in polled), polled
    health = {r["ap"]: r["state"] for r in city.session.db["health"].rows}
    assert all(health[n] == "up" for n in names)
    ap = "gs-meiderich-ap01"
    backed = worker.send_task("netctl.backup", [db, Selection(names=(ap,)).to_json()]).get(timeout=120)
    assert [(r["ap"], r["ok"]) for r in backed] == [(ap, True)]
    assert city.config.history(ap)
    drift = worker.send_task("netctl.drift", [db, Selection(names=(ap,)).to_json()],
                             kwargs={"options": {"concurrency": 1}}).get(timeout=120)
    assert drift[0]["ap"] == ap and drift[0]["status"] in ("in-sync", "drifted"), drift
