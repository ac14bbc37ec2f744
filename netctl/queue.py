"""netctl's jobs on a distributed task queue: each registered job is a Celery task (broker: Redis).

The scheduler runs jobs in-process, and a push, backup or poll shards its APs over worker processes
on the same machine. A city that outgrows one machine runs the same job functions as Celery tasks
on several: nothing in the jobs changes. A task is the job function itself
(``db_path, selection_json, *, user=None, options=None`` → JSON-ready per-AP result dicts), named
``netctl.<job>`` (``netctl.poll``, ``netctl.push``, ``netctl.backup``, ``netctl.drift`` …, and any
job added with :func:`netctl.schedule.jobs.register_job` or the ``netctl.jobs`` entry points before
the app is made).

Task arguments carry no secrets: a worker resolves credentials from the database and its own
secret key (``NETCTL_SECRET_KEY`` / ``NETCTL_SECRET_KEY_FILE``), exactly as the CLI does. A worker
needs the database at ``db_path``; every write goes through SQLite's locking (WAL, busy timeout).

A task runs as the netctl user ``user`` names (default: the worker's OS login), through the same
checks as a scheduled run (:func:`netctl.schedule.jobs.run_as_owner`): the user must exist now, may
do the job's action, and the selection must lie within their scope; otherwise the task fails with
PermissionDenied. Acting as another user needs a worker whose OS login maps to an admin, as on the
command line. Whoever can send tasks to the broker can ask for any user: keep the broker private.

Install the extra (``pip install 'netctl[queue]'``), then::

    export NETCTL_BROKER=redis://127.0.0.1:6379/0          # results go to the same Redis by default
    celery -A netctl.queue worker --pool threads --concurrency 4
    python -c "from netctl.queue import app; print(app.send_task('netctl.poll', ['netctl.db']).get())"
"""

from __future__ import annotations

import functools
import os
from typing import Any

from netctl.schedule.jobs import job_names, run_as_owner

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def make_app(broker: str | None = None, backend: str | None = None) -> Any:
    """A Celery app with one task per netctl job; URLs default to ``$NETCTL_BROKER`` and
    ``$NETCTL_RESULT_BACKEND`` (the broker when unset)."""
    from celery import Celery

    broker = broker or os.environ.get("NETCTL_BROKER") or DEFAULT_BROKER
    backend = backend or os.environ.get("NETCTL_RESULT_BACKEND") or broker
    app = Celery("netctl", broker=broker, backend=backend)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # a job touches devices: a task runs once; a worker lost mid-job is reported, not re-run
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
    )
    for name in job_names():
        app.task(name=f"netctl.{name}")(_checked(name))
    return app


@functools.cache
def _checked(job: str) -> Any:
    """The task body of ``job``: the job function, run only after the owner checks (one callable per
    job, shared by every app made here)."""

    def task(db_path: str, selection_json: str = "{}", *, user: str | None = None,
             options: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return run_as_owner(db_path, f"netctl.{job}", job, selection_json, user=user, options=options)

    task.__name__ = task.__qualname__ = f"{job}_task"
    task.__doc__ = f"netctl job {job!r} as a task, checked like a scheduled run."
    return task


#: the app ``celery -A netctl.queue worker`` loads
app = make_app()
