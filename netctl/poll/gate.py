"""The health gate of a push: after the confirmed commit and before confirming it, is the AP still well?

A push with ``--health-gate`` measures each AP of a wave over SNMP before the wave starts (up, clients).
After the AP's confirmed commit and the read-back, the driver asks :func:`wait` whether the AP answers
SNMP again and its client count has recovered to at least ``min_ratio`` of before, polling every
``interval_s`` until ``timeout_s``. Only then does it confirm; otherwise it cancels the commit, so the
AP is on its previous config at once (and its own confirm timer would roll it back anyway).

:func:`judge` is the pure rule; :func:`wait` does the polling (one SNMP poll at a time, bounded in count
and time). A :class:`Gate` travels with the push job to worker processes, so it is plain data.

A WLAN controller (a firmware upgrade of the AC) is gated on the APs behind it instead of its clients:
its AP table must be readable again with at least ``min_ratio`` of the APs that were up before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from netctl.poll.model import PollResult, Target

#: default share of the clients before the push that must be back before confirming
MIN_RATIO = 0.8
#: default time the gate waits for the AP to be well (seconds)
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Gate:
    """What one AP's gate checks: its SNMP ``target``, its clients before the push, the threshold."""

    target: Target = field(repr=False)
    baseline_clients: int | None = None
    min_ratio: float = MIN_RATIO
    timeout_s: float = TIMEOUT_S
    interval_s: float = 2.0
    #: a WLAN controller's AP-table family (``huawei`` / ``airespace``, its SNMP profile's ``controller``):
    #: then the gate counts the APs its table lists as up instead of clients, against ``baseline_aps``
    controller: str | None = None
    baseline_aps: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "target": asdict(self.target)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gate:
        return cls(**{**data, "target": Target(**data["target"])})


@dataclass(frozen=True)
class Verdict:
    """Whether the AP passed its gate, and why not (for the result's reason and the alert)."""

    ok: bool
    reason: str
    clients: int | None = None
    polls: int = 0


def needed(baseline: int | None, min_ratio: float) -> int:
    """The clients that must be back: ``min_ratio`` of ``baseline`` rounded down (0 without a baseline)."""
    return math.floor((baseline or 0) * min_ratio)


def aps_up(controller: str, result: PollResult) -> tuple[int | None, str]:
    """How many APs a controller's poll lists as up (None: its AP table was not read), and what it lists."""
    from netctl.controllers.mibs import parse_aps

    raw = result.values.get("raw")
    if raw is None:
        return None, "serves no AP table"
    found, problems = parse_aps(controller, raw)
    if problems or not found:
        return None, "; ".join(problems) or "lists no AP at all"
    up = sum(1 for ap in found if ap.status == "up")
    return up, f"{up} of its {len(found)} APs up"


def judge(gate: Gate, result: PollResult) -> Verdict:
    """One poll of the AP after its commit: well (answers, clients recovered) or not, and why.

    A controller is well when its AP table can be read again and at least ``min_ratio`` of the APs that
    were up before are up (they rejoin it after its reboot)."""
    if not result.ok:
        return Verdict(False, f"does not answer SNMP ({result.error_kind}: {result.error})")
    if gate.controller is not None:
        up, listed = aps_up(gate.controller, result)
        want = needed(gate.baseline_aps, gate.min_ratio)
        if up is None:
            return Verdict(False, f"answers SNMP but its AP table cannot be read ({listed})")
        if up < want:
            return Verdict(False, f"{listed}, fewer than {want} ({gate.min_ratio:.0%} of the {gate.baseline_aps} "
                                  "up before)")
        return Verdict(True, f"answers SNMP, {listed} (needed {want})")
    raw = result.values.get("clients")
    clients = None if raw is None else int(raw)
    want = needed(gate.baseline_clients, gate.min_ratio)
    if want and clients is None:
        return Verdict(False, "answers SNMP but no longer serves its client count")
    if want and clients is not None and clients < want:
        return Verdict(False, f"{clients} clients, fewer than {want} ({gate.min_ratio:.0%} of the "
                              f"{gate.baseline_clients} before the push)", clients)
    return Verdict(True, "answers SNMP" + (f", {clients} clients (needed {want})" if want else ""), clients)


def wait(gate: Gate, *, poll: Callable[[Target], PollResult] | None = None,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Verdict:
    """Poll until the AP passes its gate or ``timeout_s`` runs out; the last verdict, naming the wait."""
    poll = poll or _poll_once
    deadline = clock() + max(gate.timeout_s, 0.0)
    verdict = Verdict(False, "not polled")
    for count in range(1, 10_000):
        verdict = judge(gate, poll(gate.target))
        if verdict.ok:
            return Verdict(True, verdict.reason, verdict.clients, count)
        left = deadline - clock()
        if left <= 0:
            break
        sleep(min(gate.interval_s, left))
    return Verdict(False, f"health gate: after {gate.timeout_s:g} s the AP {verdict.reason}", verdict.clients,
                   count)


def gates_for(built: tuple[Sequence[Target], Sequence[PollResult]], min_ratio: float, timeout_s: float, *,
              label: str, before: str, advice: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each AP's gate (as plain data, :meth:`Gate.to_dict`) with its clients measured now, and the APs
    that cannot be gated, with why: no SNMP settings, or no answer now (``"{label}: the AP does not
    answer SNMP before {before} (…); {advice}"``). ``built``: the APs' SNMP targets and the APs that have
    none, as :func:`netctl.poll.ops.build_targets` makes them on the controller (this module has no
    database: the gate's :func:`wait` runs wherever the push runs)."""
    from netctl.poll.oids import profile_for
    from netctl.poll.snmp import poll_targets

    targets, unpollable = built
    refused = {r.ap: f"{label}: cannot poll the AP ({r.reason}); {advice}" for r in unpollable}
    gates: dict[str, dict[str, Any]] = {}
    by_ap = {t.ap: t for t in targets}
    for result in poll_targets(targets, timeout=2.0, retries=1):
        if not result.ok:
            refused[result.ap] = (f"{label}: the AP does not answer SNMP before {before} ({result.error_kind}: "
                                  f"{result.error}); {advice}")
            continue
        controller = profile_for(None, by_ap[result.ap].profile).controller
        if controller is not None:
            up, listed = aps_up(controller, result)
            if up is None:
                refused[result.ap] = (f"{label}: the controller's AP table cannot be read before {before} "
                                      f"({listed}); {advice}")
                continue
            gates[result.ap] = Gate(by_ap[result.ap], None, min_ratio, timeout_s, controller=controller,
                                    baseline_aps=up).to_dict()
            continue
        clients = result.values.get("clients")
        gates[result.ap] = Gate(by_ap[result.ap], None if clients is None else int(clients), min_ratio,
                                timeout_s).to_dict()
    return gates, refused


def _poll_once(target: Target) -> PollResult:
    from netctl.poll.snmp import poll_targets

    return poll_targets([target], timeout=1.0, retries=0)[0]
