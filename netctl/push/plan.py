"""Pure planning of a rollout: waves of APs (a run's counts by status: ``netctl.results.Results.counts``).

Comparing, masking and undoing configs is the drivers' pure half (:mod:`netctl.drivers.plan`).
"""

from __future__ import annotations

from collections.abc import Sequence

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
