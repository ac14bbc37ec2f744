"""The registry of schedulable jobs: name -> ``callable(db_path, selection_json, *, user=None, options=None)``.

A job returns a list of result dicts (one per AP, with at least ``ok``); the scheduler counts
``aps`` and ``failures`` from it. A stored job has an owner and runs as that owner, checked again at
every run (:func:`run_as_owner`); the default jobs belong to ``@system`` (admins).

Entries are ``"module:function"`` strings, imported on first use,
so adding a job never slows start-up::

    from netctl.schedule.jobs import register_job
    register_job("backup", "netctl.push.jobs:backup_job")

Third-party packages can add jobs through the entry point group ``netctl.jobs``. Jobs are held by
one :class:`~netctl.registry.Registry`: a name that is taken (by a built-in job, another plugin or
another function) raises :class:`~netctl.registry.NameClash` naming both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlite_utils

from netctl.errors import ConfigError, NetctlError, PermissionDenied
from netctl.registry import Registry, import_spec

JobFunction = Callable[..., list[dict[str, Any]]]
ENTRY_POINT_GROUP = "netctl.jobs"

#: job name -> ``module:function`` (imported on first use) or the function: the built-ins, then
#: those of the ``netctl.jobs`` entry points and of :func:`register_job`
JOBS: Registry[str | JobFunction] = Registry("job", ENTRY_POINT_GROUP, load_value=True)
for _name, _target in {
    "poll": "netctl.poll.jobs:poll_job",
    "retention": "netctl.poll.jobs:retention_job",
    "push": "netctl.push.jobs:push_job",
    "converge": "netctl.push.jobs:converge_job",
    "backup": "netctl.push.jobs:backup_job",
    "drift": "netctl.push.jobs:drift_job",
    "timers": "netctl.ssids:timers_job",
    "calendars": "netctl.schedule.calendars:calendars_job",
    "firmware": "netctl.firmware.ops:firmware_job",
}.items():
    JOBS.register(_name, _target)

#: the owner of the default jobs (and of jobs stored before jobs had owners): only admins change them,
#: and they run as the admin who runs them
SYSTEM_OWNER = "@system"

#: the action a job's owner needs (a job not named here needs ``jobs``)
JOB_ACTIONS: dict[str, str] = {"poll": "poll", "retention": "jobs", "push": "push", "converge": "push",
                               "backup": "backup", "drift": "drift", "timers": "ssid-toggle",
                               "calendars": "ssid-toggle", "firmware": "push"}

#: jobs a fresh database gets: name -> (job, interval seconds)
DEFAULT_JOBS: dict[str, tuple[str, float]] = {
    "poll": ("poll", 60.0),
    "retention": ("retention", 600.0),
    "timers": ("timers", 60.0),
    "calendars": ("calendars", 60.0),
}


def register_job(name: str, target: str | JobFunction) -> None:
    """Add a job: a ``"module:function"`` string or the function itself. Registering a job's own
    target again changes nothing; another target under a taken name raises NameClash."""
    if JOBS.get(name) == target:
        return
    spelled = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"
    JOBS.register(name, target, source=f"register_job({name!r}, {spelled!r})")


def job_names() -> list[str]:
    return sorted(JOBS)


def job_function(name: str) -> JobFunction:
    """The function behind a job name. Raises ConfigError naming the jobs known."""
    target = JOBS.get(name)
    if target is None:
        raise ConfigError(f"unknown job {name!r}", hint="known jobs: " + ", ".join(job_names()))
    if callable(target):
        return target
    return import_spec(target)  # type: ignore[no-any-return]


def ensure_default_jobs(db: sqlite_utils.Database) -> None:
    """Create the default jobs (poll every minute, retention every 10 minutes, timers — switching timed SSID
    changes back, :mod:`netctl.timers` — every minute) if the table is empty."""
    if db.table("jobs").count:
        return
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    db.table("jobs").insert_all([{"name": name, "job": job, "interval_s": interval, "selection": "{}", "enabled": 1,
                            "options": "{}", "created": created, "owner": SYSTEM_OWNER}
                           for name, (job, interval) in DEFAULT_JOBS.items()], pk="name", ignore=True)


def job_action(job: str) -> str:
    """The action the owner of a ``job`` job must be allowed."""
    return JOB_ACTIONS.get(job, "jobs")


def owner_of(row: dict[str, Any]) -> str:
    """A job row's owner (a row written without one belongs to the system)."""
    return str(row.get("owner") or SYSTEM_OWNER)


def run_user(row: dict[str, Any], runner: str) -> str:
    """Whom a job runs as: its owner, or for a default job the (admin) user who runs it."""
    owner = owner_of(row)
    return runner if owner == SYSTEM_OWNER else owner


def run_as_owner(db_path: str, name: str, job: str, selection_json: str, *, user: str | None = None,
                 options: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run job function ``job`` (the stored job ``name``) as ``user`` after checking, against the
    database as it is now, that the user exists, may do the job's action and that the selection
    lies within their scope: a job of a removed or narrowed user does not widen, it fails.

    Raises PermissionDenied naming the job, the owner and what to do.
    """
    from netctl.api import Netctl
    from netctl.selection import Selection

    try:
        api = Netctl(db_path, user=user)
    except NetctlError as exc:
        raise PermissionDenied(f"job {name!r} cannot run as its owner {user!r}: {exc.message}",
                               hint=f"an admin gives it another owner (netctl jobs set {name} --owner USER) "
                                    f"or disables it (netctl jobs set {name} --disable)") from exc
    try:
        api.session.require(job_action(job))
        outside = api.session.selection_outside(Selection.from_json(selection_json or "{}"))
        if outside:
            raise PermissionDenied(
                f"job {name!r} selects {', '.join(outside)}, which does not exist or lies outside the scope of "
                f"its owner {api.session.user_name!r} ({_scope_words(api.session.scope.to_dict())})",
                hint=f"the owner or an admin changes it: netctl jobs set {name} --selection JSON")
    except PermissionDenied as exc:
        if f"job {name!r}" in exc.message:
            raise
        raise PermissionDenied(f"job {name!r}: {exc.message}", hint=exc.hint) from exc
    finally:
        api.close()
    return job_function(job)(db_path, selection_json, user=user, options=options)


def _scope_words(scope: dict[str, Any]) -> str:
    parts = [f"{key} {', '.join(scope[key])}" for key in ("tenants", "sites") if scope.get(key)]
    return "; ".join(parts) or "everything"
