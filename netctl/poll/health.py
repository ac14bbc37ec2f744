"""Health of an AP from its polls: pure rules as data, no I/O.

States: ``up``, ``degraded``, ``down``, ``unknown``.

- ``down`` after :attr:`Rules.down_after_misses` consecutive polls without an answer (timeout/error);
  back ``up`` after :attr:`Rules.up_after_oks` consecutive good polls (recovery rule).
- ``degraded`` when an answered poll breaks one of :data:`DEGRADE_CHECKS` (radio down, interface
  errors rising, CPU or memory high, clients collapsed against the AP's own recent level).
- ``unknown`` before the first poll, when the agent answers but refuses the credentials, sends a
  malformed reply, cuts a table walk short (``partial``) or speaks another SNMP version
  (``unsupported``): :data:`ANSWERED_KINDS`; and for a vehicle missing during its depot window
  (parked, not an outage).
- An AP whose state changed :attr:`Rules.flap_max_changes` times within :attr:`Rules.flap_window_s`
  is flapping: states and alerts are still recorded, notifications are held back.

Everything here is a pure function of the previous :class:`HealthState`, one :class:`Observation`,
the rules and the time, so tests call it directly.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

STATES = ("up", "degraded", "down", "unknown")


@dataclass(frozen=True)
class Rules:
    """Thresholds of the health rules; override any of them in the ``poll_settings`` table (key ``rules``)."""

    down_after_misses: int = 3
    up_after_oks: int = 1
    cpu_high: float = 90.0
    mem_high: float = 90.0
    if_errors_per_s: float = 10.0
    clients_collapse_ratio: float = 0.25
    clients_collapse_min_baseline: float = 10.0
    clients_baseline_alpha: float = 0.2
    flap_window_s: float = 900.0
    flap_max_changes: int = 4

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Rules:
        """Rules with the known keys of ``raw`` applied (unknown keys raise ConfigError)."""
        if not raw:
            return cls()
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            from netctl.errors import ConfigError

            raise ConfigError(f"unknown health rule(s): {', '.join(unknown)}",
                              hint="known rules: " + ", ".join(sorted(known)))
        defaults = cls()
        return replace(defaults, **{k: type(getattr(defaults, k))(v) for k, v in raw.items()})


@dataclass(frozen=True)
class Check:
    """One degradation rule: ``metric op threshold`` (threshold a number or a :class:`Rules` field)."""

    kind: str
    metric: str
    op: str
    threshold: float | str
    message: str

    def limit(self, rules: Rules) -> float:
        return float(getattr(rules, self.threshold) if isinstance(self.threshold, str) else self.threshold)


OPS: dict[str, Callable[[Any, Any], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt,
                                              "<=": operator.le}

#: what makes an answering AP degraded; ``clients_ratio`` is clients / the AP's recent level
DEGRADE_CHECKS: tuple[Check, ...] = (
    Check("radio-down", "radios_down", ">", 0, "{value:g} radio(s)/SSID(s) down"),
    Check("if-errors", "if_errors_ps", ">", "if_errors_per_s", "interface errors rising ({value:.1f}/s)"),
    Check("cpu-high", "cpu", ">=", "cpu_high", "CPU {value:g}% (limit {limit:g}%)"),
    Check("mem-high", "mem", ">=", "mem_high", "memory {value:g}% (limit {limit:g}%)"),
    Check("clients-collapsed", "clients_ratio", "<", "clients_collapse_ratio",
          "clients collapsed to {clients:g} (usually ~{baseline:.0f})"),
)


@dataclass
class HealthState:
    """What the rules remember about one AP between polls (persisted in the ``health`` table)."""

    state: str = "unknown"
    since: float | None = None
    misses: int = 0
    oks: int = 0
    baseline: float | None = None
    changes: list[float] = field(default_factory=list)
    flapping: bool = False


@dataclass(frozen=True)
class Observation:
    """One poll of one AP as the rules see it."""

    ok: bool
    error_kind: str | None = None
    error: str | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    in_depot: bool = False
    #: the AP was not polled itself: ``error`` is what its controller reported of it (the reason as said)
    reported: bool = False


@dataclass(frozen=True)
class Verdict:
    """The rules' answer: the new state, why, and the alerts that should be open now."""

    health: HealthState
    changed: bool
    reasons: tuple[tuple[str, str], ...]

    @property
    def state(self) -> str:
        return self.health.state

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "changed": self.changed, "reasons": [list(r) for r in self.reasons],
                "health": asdict(self.health)}


def degrade_reasons(metrics: dict[str, float | None], rules: Rules,
                    baseline: float | None) -> list[tuple[str, str]]:
    """The (kind, message) of every degradation check that fires for these metrics."""
    values = dict(metrics)
    clients = values.get("clients")
    if clients is not None and baseline is not None and baseline >= rules.clients_collapse_min_baseline:
        values["clients_ratio"] = clients / baseline
    reasons = []
    for check in DEGRADE_CHECKS:
        value = values.get(check.metric)
        if value is None:
            continue
        limit = check.limit(rules)
        if OPS[check.op](value, limit):
            reasons.append((check.kind, check.message.format(value=value, limit=limit, clients=clients or 0,
                                                             baseline=baseline or 0)))
    return reasons


#: poll failures of an agent that answered, but unusably: the AP's state is unknown (not down) and an
#: alert ``poll-<kind>`` is open until a good poll
ANSWERED_KINDS = ("auth", "malformed", "partial", "unsupported")


def evaluate(prev: HealthState | None, obs: Observation, rules: Rules, now: float) -> Verdict:
    """Apply the rules to one poll. Pure: returns the new state; ``prev`` is not modified."""
    health = replace(prev) if prev is not None else HealthState(since=now)
    health.changes = list(health.changes)
    old_state = health.state
    reasons: list[tuple[str, str]] = []
    if obs.ok:
        health.misses = 0
        health.oks += 1
        reasons = degrade_reasons(obs.metrics, rules, health.baseline)
        clients = obs.metrics.get("clients")
        if clients is not None:
            a = rules.clients_baseline_alpha
            health.baseline = clients if health.baseline is None else (1 - a) * health.baseline + a * clients
        if old_state == "down" and health.oks < rules.up_after_oks:
            new_state = "down"
            reasons = [("down", f"answering again, recovering ({health.oks}/{rules.up_after_oks} good polls)")]
        else:
            new_state = "degraded" if reasons else "up"
    elif obs.error_kind in ANSWERED_KINDS:
        health.oks = 0
        health.misses = 0
        new_state = "unknown"
        reasons = [(f"poll-{obs.error_kind}", obs.error or obs.error_kind or "")]
    else:
        health.oks = 0
        health.misses += 1
        if obs.in_depot:
            new_state = "unknown"
            reasons = [("in-depot", "no answer during the depot window (vehicle parked)")]
        elif health.misses >= rules.down_after_misses:
            new_state = "down"
            reasons = [("down", (obs.error or "") if obs.reported else
                        f"no answer to {health.misses} polls in a row ({obs.error or obs.error_kind})")]
        else:
            new_state = old_state if old_state != "down" else "down"
            reasons = [("missed", f"missed {health.misses}/{rules.down_after_misses} polls "
                                  f"({obs.error or obs.error_kind})")]
    changed = new_state != old_state
    if changed:
        health.state = new_state
        health.since = now
        health.changes.append(now)
    health.changes = [t for t in health.changes if now - t <= rules.flap_window_s]
    health.flapping = len(health.changes) >= rules.flap_max_changes
    return Verdict(health, changed, tuple(reasons))


ALERT_KINDS = frozenset({f"poll-{kind}" for kind in ANSWERED_KINDS} | {"down"}
                        | {c.kind for c in DEGRADE_CHECKS})


def wanted_alerts(verdict: Verdict) -> dict[str, str]:
    """Alert kind -> message that should be open for this AP after ``verdict`` (missed/in-depot open none)."""
    return {kind: message for kind, message in verdict.reasons if kind in ALERT_KINDS}


def diff_alerts(open_kinds: set[str], wanted: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(to open, to keep, to close) given the kinds open now and the kinds wanted."""
    to_open = sorted(set(wanted) - open_kinds)
    to_keep = sorted(set(wanted) & open_kinds)
    to_close = sorted(open_kinds - set(wanted))
    return to_open, to_keep, to_close


def in_window(window: str, local: dt.datetime | dt.time) -> bool:
    """True when the local time lies in ``"HH:MM-HH:MM"`` (a window may wrap past midnight)."""
    try:
        start_text, end_text = (part.strip() for part in window.split("-", 1))
        start = dt.time.fromisoformat(start_text)
        end = dt.time.fromisoformat(end_text)
    except ValueError:
        from netctl.errors import ConfigError

        raise ConfigError(f"bad time window {window!r}", hint='write it as "HH:MM-HH:MM", e.g. "01:00-04:30"') from None
    t = local.time() if isinstance(local, dt.datetime) else local
    if start <= end:
        return start <= t < end
    return t >= start or t < end


def agent_restarted(prev_uptime: float | None, uptime: float | None, elapsed: float) -> bool:
    """True when the agent restarted between two polls ``elapsed`` seconds apart (its counters started again).

    sysUpTime going back is a restart (or its 497-day wrap: one poll without rates either way); so is an
    uptime shorter than the time since the last poll, even when it is past the previous one (an AP
    that rebooted early in a long poll interval). A second plus 1 % of slack allows for clock skew. An
    agent that serves no sysUpTime leaves it to the counters (:func:`counter_rates`).
    """
    if uptime is None:
        return False
    if prev_uptime is not None and uptime < prev_uptime:
        return True
    return uptime + 2.0 + 0.01 * elapsed < elapsed


def counter_rates(prev: dict[str, float] | None, prev_ts: float | None, counters: dict[str, float], ts: float,
                  *, rebooted: bool = False) -> dict[str, float]:
    """Per-second rates of counters between two polls; wraps of 32/64-bit counters handled.

    Keys end in ``#<bits>`` (the counter's width, 32 unless ``#64``). A counter lower than before is a
    wrap only when one wrap explains it with less than half the counter's range; anything else (a
    reset, ``clear counters``, a restart the uptime did not show) is a discontinuity: that counter gets
    no rate, never a huge one. No rates on the first poll, after a restart, or when time did not advance.
    """
    if not prev or prev_ts is None or rebooted or ts <= prev_ts:
        return {}
    elapsed = ts - prev_ts
    rates = {}
    for key, value in counters.items():
        if key not in prev or value is None or prev[key] is None:
            continue
        delta = value - prev[key]
        if delta < 0:
            bits = 64 if key.endswith("#64") else 32
            delta += 2 ** bits
            if delta > 2 ** bits // 2:  # implausible: a reset, not a wrap
                continue
        rates[key] = delta / elapsed
    return rates
