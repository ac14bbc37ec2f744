"""Polls as a runner task: :data:`POLL` runs a batch of targets on one event loop (:mod:`netctl.poll.snmp`).

:mod:`netctl.runner` runs it in this process or sharded over worker processes (``python -m
netctl.runner``, one engine each), with the same wire protocol as config work: each AP's result
is a JSON line as it is polled, secrets travel over the pipe only, and a worker that dies, hangs or
answers garbage leaves its APs failed results saying so (``error_kind`` "error").
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from netctl.poll.model import PollResult, Target
from netctl.runner import Proceed, Progress, Task


def _poll(targets: Sequence[Target], options: Mapping[str, Any], progress: Progress | None,
          proceed: Proceed | None) -> list[PollResult]:
    from netctl.poll.snmp import poll_targets

    return poll_targets(targets, progress=progress, proceed=proceed, **options)


def _lost(target: Target, why: str, _seconds: float) -> PollResult:
    return PollResult(target.ap, False, error_kind="error", error=f"poll worker failed ({why})", ts=time.time())


def _bound(count: int, options: Mapping[str, Any]) -> float:
    """The poll's own deadline, and a minute for the worker to start and hand its results over."""
    from netctl.poll.snmp import poll_deadline

    deadline = options.get("deadline")
    if deadline is None:
        deadline = poll_deadline(count, int(options.get("concurrency") or 200), float(options.get("timeout") or 2.0),
                                 int(options.get("retries") or 0))
    return float(deadline) + 60


POLL: Task[Target, PollResult] = Task(
    "poll", _poll, lambda target: target.ap, asdict, lambda raw: Target(**raw), lambda raw: PollResult(**raw),
    _lost, _bound,
)
