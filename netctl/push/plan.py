"""Pure planning of a rollout: waves of APs and counts of their results.

Comparing, masking and undoing configs is the drivers' pure half (:mod:`netctl.drivers.plan`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# -- waves -----------------------------------------------------------------------------------------


def waves(names: Sequence[str], *, canary: int = 0, size: int | None = None) -> list[list[str]]:
    """Split a push into waves: ``canary`` APs first, then batches of ``size`` (all at once if None)."""
    rest = list(names)
    out: list[list[str]] = []
    if canary > 0 and rest:
        out.append(rest[:canary])
        rest = rest[canary:]
    step = size or len(rest) or 1
    out.extend(rest[i : i + step] for i in range(0, len(rest), step))
    return [w for w in out if w]


def summarize(results: Iterable[Any]) -> dict[str, int]:
    """Counts of per-AP results by status."""
    counts: dict[str, int] = {}
    for r in results:
        status = r["status"] if isinstance(r, dict) else r.status
        counts[status] = counts.get(status, 0) + 1
    return counts
