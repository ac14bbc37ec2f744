"""Config work as runner tasks: pushes and running-config reads, on threads or in worker processes.

Why processes: a push is mostly waiting on devices, but every SSH session also costs the controller
CPU under one interpreter lock (packet MACs and framing in paramiko, netmiko's reads). With 50
sessions in one process the threads spend more time handing that lock around than working; two
processes of 25 sessions each pushed 100 SSH switches in 6 s instead of 10 s on a 2-core machine.
Database writes stay in the parent: workers only talk to devices, and each AP's result is recorded
the moment it arrives, as with threads.

Two tasks for :mod:`netctl.runner`: :data:`PUSH` (:class:`PushJob` → :class:`PushResult`) and
:data:`FETCH` (reading the running config for backup, diff and drift: :class:`FetchJob` →
:class:`Fetched`). The runner decides (:func:`netctl.runner.shard_count`) whether they run on threads
here or sharded over worker processes, and carries jobs and results between them (its module
docstring has the wire protocol; credentials and secrets travel over a pipe only).

A worker that dies, hangs or writes garbage never raises here: its APs without a result become
failed results that say their state is unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from netctl import runner
from netctl.push.run import Fetched, FetchJob, PushJob, PushResult, fetch_one, push_one
from netctl.runner import Event, Proceed, Progress, Task, run_threads

J = TypeVar("J", PushJob, FetchJob)
R = TypeVar("R", PushResult, Fetched)


def _on_threads(one: Callable[[J], R]) -> Callable[[Sequence[J], Mapping[str, Any], Progress | None, Proceed | None],
                                                   list[R]]:
    """A batch of config work on threads, ``options["concurrency"]`` APs at a time."""

    def run(jobs: Sequence[J], options: Mapping[str, Any], progress: Progress | None,
            proceed: Proceed | None) -> list[R]:
        return run_threads(jobs, one, key=lambda job: job.ap, concurrency=int(options.get("concurrency") or 1),
                           progress=progress, proceed=proceed)

    return run


def _push_lost(job: PushJob, why: str, seconds: float) -> PushResult:
    return PushResult(
        job.ap,
        False,
        "failed",
        reason=(
            f"the push worker process failed ({why}); this AP's config state is unknown: "
            f"check it with netctl drift {job.ap}"
        ),
        duration_s=round(seconds, 3),
        template=job.template,
        rendered_hash=job.rendered_hash,
    )


def _fetch_lost(job: FetchJob, why: str, _seconds: float) -> Fetched:
    return Fetched(job.ap, False, "failed", reason=f"the worker process failed ({why})")


#: after a worker died under way: the AP's own timer rolls back a confirmed commit left unconfirmed
#: within its confirm timeout; a few seconds more before the push is tried again
SETTLE_GRACE_S = 2.0


def _push_settle(job: PushJob) -> float:
    return 0.0 if job.options.dry_run else float(job.options.confirm_timeout) + SETTLE_GRACE_S


PUSH: Task[PushJob, PushResult] = Task(
    "push", _on_threads(push_one), lambda job: job.ap, PushJob.to_dict, PushJob.from_dict,
    lambda raw: PushResult(**raw), _push_lost, settle=_push_settle,
)
FETCH: Task[FetchJob, Fetched] = Task(
    "fetch", _on_threads(fetch_one), lambda job: job.ap, FetchJob.to_dict, FetchJob.from_dict,
    lambda raw: Fetched(**raw), _fetch_lost,
)


def run_jobs(
    jobs: Sequence[PushJob],
    *,
    concurrency: int,
    workers: int | None = None,
    progress: Progress | None = None,
    on_result: Callable[[PushResult], None] | None = None,
) -> list[PushResult]:
    """Push every job, ``concurrency`` APs at a time in all; results in input order.

    ``workers`` None lets :func:`netctl.runner.shard_count` decide; 0 or 1 runs on threads in this
    process. ``on_result`` and the "done" progress event run on this thread as each AP finishes.
    """
    if on_result is None:
        return _run(PUSH, jobs, concurrency, workers, progress)

    def recorded(event: Event) -> None:
        if event.stage == "done":
            on_result(event.result)
        if progress:
            progress(event)

    return _run(PUSH, jobs, concurrency, workers, recorded)


def run_fetches(
    jobs: Sequence[FetchJob],
    *,
    concurrency: int,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[Fetched]:
    """Read the running config of every job's AP, ``concurrency`` at a time in all; input order."""
    return _run(FETCH, jobs, concurrency, workers, progress)


def _run(task: Task[J, R], jobs: Sequence[J], concurrency: int, workers: int | None,
         progress: Progress | None) -> list[R]:
    """``concurrency`` is the run's total: the workers share it."""
    count = runner.shard_count({task.kind: len(jobs)}, workers, sessions=concurrency)
    per_worker = max(1, math.ceil(concurrency / count))
    return runner.runner_for(count).run(task.with_options(concurrency=per_worker), jobs, progress)
