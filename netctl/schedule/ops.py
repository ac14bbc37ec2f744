"""Scheduled jobs in the facade: list, add or change, run now, history.

A job has an owner and runs with the owner's scope and rights, re-checked at each run
(:func:`netctl.schedule.jobs.run_as_owner`): whoever triggers it — the scheduler, an admin with
``netctl jobs run``, a queue worker — never lends it their own rights. Engineers change only their
own jobs; the default jobs (owner ``@system``) and other users' jobs only an admin changes or runs.

Raises: PermissionDenied (someone else's job, a selection outside the owner's scope, an action the
owner may not do), NotFound (unknown job or owner), ConfigError (unknown job function, bad interval).
"""

from __future__ import annotations

import json
import time
from typing import Any

from netctl.core import Session
from netctl.errors import ConfigError, NotFound, PermissionDenied
from netctl.schedule.jobs import SYSTEM_OWNER, job_action, owner_of
from netctl.selection import Selection


class JobService:
    """Scheduled jobs, their runs and owners: ``Netctl.jobs``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.db = session.db

    def _may_touch_job(self, owner: str) -> bool:
        return owner == self.session.user_name or self.session.can("all-jobs")

    def _require_job(self, name: str, owner: str, verb: str) -> None:
        if self._may_touch_job(owner):
            return
        whose = ("a default job: only an admin may" if owner == SYSTEM_OWNER
                 else f"owned by {owner!r}: only they or an admin may")
        raise PermissionDenied(f"user {self.session.user_name!r} may not {verb} job {name!r} ({whose} {verb} it)",
                               hint="list your jobs with: netctl jobs list; add your own with: netctl jobs set NAME")

    def list_jobs(self) -> list[dict[str, Any]]:
        """Scheduled jobs with owner and last run: all for an admin, else one's own and the default jobs."""
        from netctl.schedule.jobs import ensure_default_jobs

        self.session.require("view")
        ensure_default_jobs(self.db)
        last = {row["job"]: row for row in self.db.query(
            "select job, max(id) as id, started, ended, status, aps, failures from job_runs group by job")}
        rows = []
        for row in self.db.table("jobs").rows_where(order_by="name"):
            owner = owner_of(row)
            if owner != SYSTEM_OWNER and not self._may_touch_job(owner):
                continue
            run = last.get(row["name"], {})
            row.update(selection=json.loads(row["selection"] or "{}"), options=json.loads(row["options"] or "{}"),
                       owner=owner, last_started=run.get("started"), last_status=run.get("status"))
            rows.append(row)
        return rows

    def set_job(self, name: str, *, job: str | None = None, interval_s: float | None = None,
                selection: Selection | None = None, enabled: bool | None = None,
                options: dict[str, Any] | None = None, owner: str | None = None) -> dict[str, Any]:
        """Add or change a scheduled job (``job`` names a function in :mod:`netctl.schedule.jobs`).

        A new job belongs to the acting user. Its selection must lie within the owner's scope and
        the owner must be allowed the job's action; only an admin changes another user's job, a
        default job, or ``owner``.
        """
        from netctl.poll.store import iso
        from netctl.schedule.jobs import ensure_default_jobs, job_function

        self.session.require("jobs")
        ensure_default_jobs(self.db)
        existing = list(self.db.table("jobs").rows_where("name = ?", [name]))
        if existing:
            self._require_job(name, owner_of(existing[0]), "change")
        row = dict(existing[0]) if existing else {"name": name, "job": job or name, "interval_s": 300.0,
                                                   "selection": "{}", "enabled": 1, "options": "{}",
                                                   "created": iso(time.time()), "owner": self.session.user_name}
        row["owner"] = owner_of(row)
        if owner is not None:
            self.session.require("all-jobs")
            if owner != SYSTEM_OWNER:
                self.session.user_row_named(owner)
            row["owner"] = owner
        if job is not None:
            row["job"] = job
        job_function(str(row["job"]))
        if interval_s is not None:
            if interval_s <= 0:
                raise ConfigError("a job interval must be positive", hint="give seconds, e.g. --interval 60")
            row["interval_s"] = float(interval_s)
        if selection is not None:
            row["selection"] = selection.to_json()
        if enabled is not None:
            row["enabled"] = int(enabled)
        if options is not None:
            row["options"] = json.dumps(options)
        self._check_job_owner(name, row)
        self.db.table("jobs").upsert(row, pk="name", alter=False)
        return row

    def _check_job_owner(self, name: str, row: dict[str, Any]) -> None:
        """The owner (as stored now) may do the job's action on every tenant, site and AP it names."""
        owner = row["owner"]
        if owner == SYSTEM_OWNER:
            return
        me = self.session
        user, role, scope, actions = (me.user_tuple(me.user_row_named(owner)) if owner != me.user_name
                                      else (me.user_name, me.role, me.scope, me.allowed_actions))
        action = job_action(str(row["job"]))
        if action not in actions:
            raise PermissionDenied(f"job {name!r}: its owner {user!r} (role {role}) may not run {row['job']} jobs",
                                   hint="give the job to a user who may, or choose another job")
        outside = self.session.selection_outside(Selection.from_json(row["selection"] or "{}"), scope)
        if outside:
            raise PermissionDenied(
                f"job {name!r} selects {', '.join(outside)}, which does not exist or lies outside the scope of "
                f"its owner {user!r}", hint="select only tenants, sites and APs of that scope: netctl inventory list")

    def run_job(self, name: str) -> dict[str, Any]:
        """Run job ``name`` now as its owner, recorded in ``job_runs``; ``skipped`` if it is running elsewhere.

        Only the owner or an admin may run it; a default job runs as the admin who runs it.
        """
        from netctl.schedule.jobs import ensure_default_jobs, run_user
        from netctl.schedule.scheduler import run_job_once

        self.session.require("jobs")
        ensure_default_jobs(self.db)
        rows = list(self.db.table("jobs").rows_where("name = ?", [name]))
        if not rows or (owner_of(rows[0]) != SYSTEM_OWNER and not self._may_touch_job(owner_of(rows[0]))):
            raise NotFound(f"no job named {name!r}", hint="list them with: netctl jobs list")
        job = rows[0]
        self._require_job(name, owner_of(job), "run")
        if self.session.db_path == ":memory:":
            raise ConfigError("jobs run on a database file", hint="pass --db PATH")
        return run_job_once(self.session.db_path, name, job["job"], job["selection"] or "{}",
                            user=run_user(job, self.session.user_name), options=job.get("options"))

    def runs(self, limit: int = 50, job: str | None = None) -> list[dict[str, Any]]:
        """The most recent runs (newest first) of the jobs the user may see: start, end, status, APs, failures."""
        self.session.require("view")
        visible = [j["name"] for j in self.list_jobs()]
        if job is not None:
            visible = [n for n in visible if n == job]
        if not visible:
            return []
        marks = ", ".join("?" * len(visible))
        return list(self.db.query(f"select * from job_runs where job in ({marks}) order by id desc limit ?",
                                  [*visible, int(limit)]))
