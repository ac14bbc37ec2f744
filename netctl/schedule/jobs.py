"""The registry of schedulable jobs: name -> ``callable(db_path, selection_json, *, user=None, options=None)``.

A job returns a list of result dicts (one per AP, with at least ``ok``); the scheduler counts
``aps`` and ``failures`` from it. Entries are ``"module:function"`` strings, imported on first use,
so adding a job never slows start-up::

    from netctl.schedule.jobs import register_job
    register_job("backup", "netctl.push.jobs:backup_job")

Third-party packages can add jobs through the entry point group ``netctl.jobs``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

import sqlite_utils

from netctl.errors import ConfigError

JobFunction = Callable[..., list[dict[str, Any]]]
ENTRY_POINT_GROUP = "netctl.jobs"

JOBS: dict[str, str | JobFunction] = {
    "poll": "netctl.poll.jobs:poll_job",
    "retention": "netctl.poll.jobs:retention_job",
    "push": "netctl.push.jobs:push_job",
    "converge": "netctl.push.jobs:converge_job",
    "backup": "netctl.push.jobs:backup_job",
    "drift": "netctl.push.jobs:drift_job",
}

#: jobs a fresh database gets: name -> (job, interval seconds)
DEFAULT_JOBS: dict[str, tuple[str, float]] = {
    "poll": ("poll", 60.0),
    "retention": ("retention", 600.0),
}


def register_job(name: str, target: str | JobFunction) -> None:
    """Add or replace a job: a ``"module:function"`` string or the function itself."""
    JOBS[name] = target


def job_names() -> list[str]:
    from importlib.metadata import entry_points

    return sorted(set(JOBS) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def job_function(name: str) -> JobFunction:
    """The function behind a job name. Raises ConfigError naming the jobs known."""
    target = JOBS.get(name)
    if target is None:
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                return ep.load()  # type: ignore[no-any-return]
        raise ConfigError(f"unknown job {name!r}", hint="known jobs: " + ", ".join(job_names()))
    if callable(target):
        return target
    module_name, attr = target.split(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


def ensure_default_jobs(db: sqlite_utils.Database) -> None:
    """Create the default jobs (poll every minute, retention every 10 minutes) if the table is empty."""
    if db.table("jobs").count:
        return
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    db.table("jobs").insert_all([{"name": name, "job": job, "interval_s": interval, "selection": "{}", "enabled": 1,
                            "options": "{}", "created": created} for name, (job, interval) in DEFAULT_JOBS.items()],
                          pk="name", ignore=True)
