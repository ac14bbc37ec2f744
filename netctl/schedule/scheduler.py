"""The long-running scheduler: runs the jobs of the ``jobs`` table at their intervals.

- each run is a row in ``job_runs`` (start, end, status, APs done, failures, detail);
- the same job never overlaps itself: not within this process (a job still running is skipped when
  due again) and not across processes (a ``running`` row whose process is alive on this host blocks
  it; the row of a process that died is marked ``abandoned``);
- SIGTERM/SIGINT stop it cleanly: no new runs start, running ones are waited for (bounded), and it
  returns. ``max_cycles`` (for tests and smoke checks) stops after that many poll runs;
- a run has a deadline (the job's option ``deadline_s``, default :data:`JOB_DEADLINE_S`): a run still
  going then is recorded ``failed`` ("did not finish within …") and the scheduler goes on; a stuck
  job never stays ``running``. Its thread cannot be killed and is left to end on its own; what it
  returns then is dropped;
- a job with the option ``at`` (an ISO time) does not run before then, and one with ``once`` is
  disabled as its first run starts (a run skipped because it runs elsewhere does not count), so it
  never runs twice whatever happens to that run: together a job that runs once at a set time
  (``netctl firmware upgrade … --at 02:00`` stores one). ``netctl jobs run`` runs it at once all the
  same.

Jobs run in threads and open their own database connection; a job is a plain function from
:mod:`netctl.schedule.jobs`, so cron can run the same work with ``netctl poll``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netctl.store import open_db

STATUSES = ("running", "ok", "failed", "skipped", "abandoned")
#: seconds a job run may take before it is recorded failed (option ``deadline_s`` of a job overrides it);
#: a poll ends well before this by its own deadline (netctl.poll.snmp.poll_deadline)
JOB_DEADLINE_S = 3600.0


def job_deadline(options: str | dict[str, Any] | None) -> float:
    """The deadline of a run of a job with these options (``deadline_s``, else :data:`JOB_DEADLINE_S`)."""
    try:
        opts = json.loads(options) if isinstance(options, str) else dict(options or {})
        value = float(opts.get("deadline_s") or JOB_DEADLINE_S)
    except (ValueError, TypeError, AttributeError):
        return JOB_DEADLINE_S
    return value if value > 0 else JOB_DEADLINE_S


def _options(options: str | dict[str, Any] | None) -> dict[str, Any]:
    try:
        opts = json.loads(options) if isinstance(options, str) else dict(options or {})
    except (ValueError, TypeError):
        return {}
    return opts if isinstance(opts, dict) else {}


def job_not_before(options: str | dict[str, Any] | None) -> float | None:
    """When a job with these options may run first (its option ``at``, an ISO time; without an offset
    UTC) as a Unix time; None: whenever it is due. An ``at`` that cannot be read is None."""
    import datetime as dt

    at = _options(options).get("at")
    try:
        moment = dt.datetime.fromisoformat(str(at)) if at else None
    except ValueError:
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def job_once(options: str | dict[str, Any] | None) -> bool:
    """Whether a job with these options is disabled as its first run starts (option ``once``)."""
    return _options(options).get("once") is True


def _iso(ts: float | None = None) -> str:
    from netctl.poll.store import iso

    return iso(time.time() if ts is None else ts) or ""


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_run(db_path: str, job: str) -> int | None:
    """Record the start of a run of ``job``; None when another live process is running it."""
    from netctl.store.db import transaction

    db = open_db(db_path)
    host = socket.gethostname()
    try:
        with transaction(db):
            for row in db.table("job_runs").rows_where("job = ? and status = 'running'", [job]):
                if row["host"] == host and not _pid_alive(row["pid"]):
                    db.table("job_runs").update(row["id"], {"status": "abandoned", "ended": _iso(),
                                                      "detail": "its process ended without finishing the run"})
                else:
                    return None
            last_pk = db.table("job_runs").insert({"job": job, "started": _iso(), "status": "running",
                                                   "pid": os.getpid(), "host": host}).last_pk
            return int(last_pk) if last_pk is not None else None
    finally:
        db.conn.close()


def finish_run(db_path: str, run_id: int, status: str, results: list[dict[str, Any]] | None,
               detail: str | None) -> dict[str, Any]:
    """Record the end of a run: status, APs done, failures and a short detail."""
    db = open_db(db_path)
    try:
        results = results or []
        failures = sum(1 for r in results if not r.get("ok", True))
        if detail is None and failures:
            kinds: dict[str, int] = {}
            for r in results:
                if not r.get("ok", True):
                    kinds[r.get("error_kind") or "error"] = kinds.get(r.get("error_kind") or "error", 0) + 1
            detail = json.dumps(kinds)
        row = {"ended": _iso(), "status": status, "aps": sum(1 for r in results if r.get("ap")),
               "failures": failures, "detail": detail}
        db.table("job_runs").update(run_id, row)
        return {"id": run_id, **row}
    finally:
        db.conn.close()


def run_job_once(db_path: str, name: str, job: str, selection_json: str, *, user: str | None = None,
                 options: str | None = None) -> dict[str, Any]:
    """Run one job now as ``user`` (its owner, checked again now: :func:`netctl.schedule.jobs.run_as_owner`),
    recorded in ``job_runs``; ``skipped`` if it is already running elsewhere. A ``once`` job is disabled
    as its run starts."""
    from netctl.schedule.jobs import run_as_owner

    run_id = start_run(db_path, name)
    if run_id is None:
        return {"job": name, "status": "skipped", "detail": "already running"}
    if job_once(options):
        _disable(db_path, name)  # before it runs: whatever happens to this run, the job never runs again
    deadline = job_deadline(options)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["results"] = run_as_owner(db_path, name, job, selection_json, user=user, options=options)
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the scheduler goes on
            outcome["error"] = exc

    worker = threading.Thread(target=run, name=f"run-{name}-{run_id}", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        return {"job": name, **finish_run(db_path, run_id, "failed", None,
                                          f"did not finish within {deadline:g} s (stuck?); the run was given up "
                                          "(set the job's option deadline_s to allow longer runs)")}
    exc = outcome.get("error")
    if exc is not None:
        detail = f"{type(exc).__name__}: {exc}"
        if not hasattr(exc, "hint"):
            detail += "\n" + "".join(traceback.format_exception(exc)[-3:])
        return {"job": name, **finish_run(db_path, run_id, "failed", None, detail[:2000])}
    return {"job": name, **finish_run(db_path, run_id, "ok", outcome.get("results"), None)}


def _disable(db_path: str, name: str) -> None:
    """Disable job ``name`` (a ``once`` job, as its run starts)."""
    db = open_db(db_path)
    try:
        db.table("jobs").update(name, {"enabled": 0})
    finally:
        db.conn.close()


@dataclass
class Scheduler:
    """Runs due jobs in threads until stopped, ``once`` done, or ``max_cycles`` poll runs finished."""

    db_path: str
    user: str | None = None
    poll_interval: float | None = None
    max_cycles: int | None = None
    once: bool = False
    tick: float = 0.2
    grace: float = 60.0
    log: Callable[[str], None] = field(default=lambda message: None)
    stop_event: threading.Event = field(default_factory=threading.Event)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def _jobs(self) -> list[dict[str, Any]]:
        """The enabled jobs this scheduler's user may run (an admin: all; else their own), each with
        ``run_as``: its owner, or for a default job the admin running the scheduler."""
        from netctl.api import Netctl
        from netctl.schedule.jobs import ensure_default_jobs, owner_of, run_user

        runner = Netctl(self.db_path, user=self.user)
        try:
            ensure_default_jobs(runner.session.db)
            jobs = [job for job in runner.session.db.table("jobs").rows_where("enabled = 1", order_by="name")
                    if runner.session.can("all-jobs") or owner_of(job) == runner.session.user_name]
            for job in jobs:
                job["run_as"] = run_user(job, runner.session.user_name)
                job["not_before"] = job_not_before(job.get("options"))
        finally:
            runner.close()
        for job in jobs:
            if job["name"] == "poll" and self.poll_interval:
                job["interval_s"] = float(self.poll_interval)
        return jobs

    def stop(self, *_args: Any) -> None:
        """Ask the loop to stop (signal handler); running jobs finish first."""
        self.stop_event.set()

    def install_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def run(self) -> list[dict[str, Any]]:
        """The loop. Returns the runs it made (also in ``job_runs``)."""
        running: dict[str, threading.Thread] = {}
        next_due: dict[str, float] = {}
        started_once: set[str] = set()
        lock = threading.Lock()
        self.log(f"scheduler started (pid {os.getpid()})")

        jobs = self._jobs()
        has_poll = any(j["job"] == "poll" for j in jobs)
        counted_runs = 0

        def counts(job: dict[str, Any]) -> bool:
            return job["job"] == "poll" or not has_poll

        def work(job: dict[str, Any]) -> None:
            nonlocal counted_runs
            outcome = run_job_once(self.db_path, job["name"], job["job"], job["selection"] or "{}",
                                   user=job["run_as"], options=job.get("options"))
            with lock:
                self.runs.append(outcome)
                if counts(job) and outcome.get("status") != "skipped":
                    counted_runs += 1
                if job_once(job.get("options")) and outcome.get("status") != "skipped":
                    job["done"] = True  # disabled in the database too; the next reload drops it
            self.log(f"{job['name']}: {outcome.get('status')} aps={outcome.get('aps')} "
                     f"failures={outcome.get('failures')}")

        reload_at = time.monotonic() + 30
        while not self.stop_event.is_set():
            now = time.monotonic()
            if now >= reload_at:
                jobs, reload_at = self._jobs(), now + 30
            wall = time.time()
            for job in jobs:
                name = job["name"]
                if job.get("done") or (job.get("not_before") or 0.0) > wall:
                    continue  # a once job that ran, or a job whose time (option at) has not come
                thread = running.get(name)
                if thread is not None and thread.is_alive():
                    continue  # never overlap the same job
                running.pop(name, None)
                if self.once and name in started_once:
                    continue
                if now < next_due.get(name, 0.0):
                    continue
                if self.max_cycles is not None:
                    with lock:
                        in_flight = sum(1 for j in jobs if counts(j) and j["name"] in running
                                        and running[j["name"]].is_alive())
                        if counted_runs + in_flight >= self.max_cycles:
                            continue
                next_due[name] = now + float(job["interval_s"])
                started_once.add(name)
                thread = threading.Thread(target=work, args=(job,), name=f"job-{name}", daemon=True)
                running[name] = thread
                thread.start()
            idle = not any(t.is_alive() for t in running.values())
            with lock:
                cycles_done = self.max_cycles is not None and counted_runs >= self.max_cycles
            if self.once and idle and started_once >= {j["name"] for j in jobs
                                                       if (j.get("not_before") or 0.0) <= time.time()}:
                break
            if cycles_done and idle:
                break
            self.stop_event.wait(self.tick)
        deadline = time.monotonic() + self.grace
        for thread in running.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        self.log("scheduler stopped")
        return self.runs
