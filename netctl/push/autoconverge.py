"""Automatic convergence: an AP that was unreachable at its last push gets its pending configuration as
soon as a poll sees it answer again, without anyone running ``netctl converge``.

A tram that was in the tunnel, a bus out on its route, a school AP whose switch was off: their config
status is ``pending`` (the template, or the stored version of a restore, they should get). The poll
job calls :meth:`netctl.push.ops.ConfigService.converge_returned` with the APs that answered; this module
decides which of them are due, purely:

- a vehicle (a transit site with a ``depot_window``) only inside its depot window, where it sits on
  the depot's WLAN rather than a mobile link;
- tries are bounded: after a failed try the next one waits (:data:`BACKOFF_S`, growing), and after
  :data:`MAX_TRIES` netctl stops trying by itself and says so in the AP's config status (``netctl
  converge`` still works by hand and starts the count again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

#: wait before the next try after 1, 2, 3 … failed tries (seconds)
BACKOFF_S = (60, 300, 900, 1800, 3600)
MAX_TRIES = len(BACKOFF_S) + 1


def due(
    pending: Iterable[dict[str, Any]], answered: Iterable[str], now: dt.datetime, in_window: Callable[[str], bool]
) -> list[str]:
    """The pending APs (``config_status`` rows) to push now: they answered, their back-off is over,
    they have tries left and (vehicles) are in their depot window."""
    answering = set(answered)
    stamp = now.isoformat(timespec="seconds")
    return sorted(
        row["ap"]
        for row in pending
        if row["ap"] in answering
        and int(row.get("retries") or 0) < MAX_TRIES
        and (not row.get("retry_at") or str(row["retry_at"]) <= stamp)
        and in_window(row["ap"])
    )


def after_failure(retries: int, now: dt.datetime) -> dict[str, Any]:
    """The ``config_status`` fields after automatic try number ``retries`` (1-based) failed."""
    if retries >= MAX_TRIES:
        return {"retries": retries, "retry_at": None}
    wait = BACKOFF_S[min(retries, len(BACKOFF_S)) - 1]
    return {"retries": retries, "retry_at": (now + dt.timedelta(seconds=wait)).isoformat(timespec="seconds")}


def describe(fields: dict[str, Any]) -> str:
    """What the AP's config status says about the next automatic try."""
    if fields.get("retry_at"):
        return f"automatic try {fields['retries']} failed; next try when it answers after {fields['retry_at']}"
    return (f"netctl stopped trying by itself after {fields['retries']} tries; "
            "run netctl converge when the cause is fixed")
