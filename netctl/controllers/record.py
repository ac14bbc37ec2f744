"""Polls through a controller: which controllers a poll needs, what their AP tables said, and the
health of the inventory APs behind them.

:func:`plan_poll` splits a poll's selection: APs that name a controller (``controller: NAME``) are not
polled themselves, their controller is (also when the selection does not hold it). After the poll,
:func:`record_controllers` reads each controller's AP table (:func:`netctl.controllers.mibs.parse_aps`),
stores it (``controller_aps``, ``controller_polls``) and turns it into one result per inventory AP
behind the controller, recorded with the health rules, samples and alerts of any polled AP
(:func:`netctl.poll.store.record_results`), with these rules of its own:

- the controller's word is final: an AP it reports down (Huawei ``fault``/``idle``, Cisco
  ``disassociating``) or failed (``configFailed`` …) is ``down`` at once (``down_after_misses`` 1: the
  controller has waited out its own heartbeats);
- a controller that did not answer, answered unusably, or whose AP table walk was cut short
  (``partial``) says nothing about its APs: they turn ``unknown``, never ``down``, and no AP is taken
  for missing;
- an AP the controller's table does not list raises the alert ``controller-missing`` (closed once the
  controller lists it again) and is ``unknown``; so is an AP the controller reports joining or standby.

An inventory AP is matched to its row by MAC when it has one, else by name.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from netctl.controllers.mibs import DiscoveredAp, parse_aps
from netctl.poll.model import PollResult
from netctl.runner import Event, Progress
from netctl.selection import Selection

#: the alert an inventory AP gets while its controller's AP table does not list it
MISSING_ALERT = "controller-missing"
#: health reason kinds of an AP whose state its controller's table cannot tell
UNREACHABLE = "controller-unreachable"


@dataclass
class PollPlan:
    """A poll's selection split by who answers for each AP."""

    #: polled over their own SNMP settings (controllers among them)
    direct: list[dict[str, Any]] = field(default_factory=list)
    #: selected APs that name a controller: read from its AP table
    managed: list[dict[str, Any]] = field(default_factory=list)
    #: controllers polled only because selected APs name them (not in the selection)
    extra: list[dict[str, Any]] = field(default_factory=list)

    @property
    def extra_names(self) -> frozenset[str]:
        return frozenset(row["name"] for row in self.extra)


def plan_poll(session: Any, aps: Sequence[dict[str, Any]]) -> PollPlan:
    """Split ``aps`` (rows the session selected) into direct, managed and the extra controllers."""
    plan = PollPlan()
    for ap in aps:
        (plan.managed if ap.get("controller") else plan.direct).append(ap)
    selected = {ap["name"] for ap in aps}
    wanted = sorted({ap["controller"] for ap in plan.managed} - selected)
    if wanted:
        plan.extra = session.select(Selection(names=tuple(wanted)))
    return plan


def controller_family(row: dict[str, Any]) -> str | None:
    """The AP-table MIB family of a controller row's SNMP profile (None: its profile reads no AP table)."""
    from netctl.errors import ConfigError
    from netctl.poll.oids import profile_for

    snmp = row.get("snmp") or {}
    if isinstance(snmp, str):
        snmp = json.loads(snmp or "{}")
    try:
        return profile_for(row.get("platform"), snmp.get("profile")).controller
    except ConfigError:
        return None


# -- what one controller's poll says --------------------------------------------------------------
@dataclass
class ControllerReading:
    """One controller's poll as its APs see it: its table (when it could be read) or why not."""

    name: str
    ok: bool
    aps: list[DiscoveredAp] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None

    @property
    def why_unknown(self) -> str | None:
        """Why this controller's APs' states are not known (None: its table was read)."""
        if self.ok:
            return None if self.aps else (f"controller {self.name} listed no APs at all (its AP table is empty "
                                          "or not served); the APs' states are not known")
        return (f"controller {self.name} could not be read ({self.error_kind}: {self.error}); "
                "the APs' states are not known")


def read_controller(row: dict[str, Any], result: PollResult | None) -> ControllerReading:
    """What ``result`` (the controller's poll; None: not polled) says about the APs behind ``row``.

    Takes the raw tables out of ``result.values`` (they are large and read once, here) and leaves
    ``aps_discovered`` there instead."""
    name = row["name"]
    family = controller_family(row)
    if result is None:
        return ControllerReading(name, False, error_kind="error", error="not polled")
    raw = result.values.pop("raw", None) if result.values else None
    if not result.ok:
        return ControllerReading(name, False, error_kind=result.error_kind, error=result.error)
    if family is None or raw is None:
        return ControllerReading(name, False, error_kind="error",
                                 error="its SNMP profile reads no AP table (give it a controller profile: "
                                       "huawei-ac or cisco-wlc)")
    aps, problems = parse_aps(family, raw)
    result.values["aps_discovered"] = len(aps)
    if problems:
        result.values["controller_problems"] = problems
    return ControllerReading(name, True, aps=aps, problems=problems)


def find(reading: ControllerReading, ap: dict[str, Any]) -> DiscoveredAp | None:
    """The row of ``reading`` that is inventory AP ``ap``: by MAC when it has one, else by name."""
    if ap.get("mac"):
        return next((d for d in reading.aps if d.mac == ap["mac"]), None)
    return next((d for d in reading.aps if d.name == ap["name"]), None)


def ap_values(controller: str, found: DiscoveredAp) -> dict[str, Any]:
    """The poll values of an AP its controller reports up (the shape :func:`netctl.poll.decode.decode`
    gives, so samples, health and the status table read them alike)."""
    ssids = [{"index": ssid, "ssid": ssid, "name": None, "radio": "all", "channel": None, "clients": count,
              "up": None, "rx_bytes": None, "tx_bytes": None} for ssid, count in (found.ssids or {}).items()]
    why: dict[str, str] = {}
    if found.clients is None:
        why["clients"] = f"controller {controller} served no client count for this AP"
    if found.ssids is None:
        why["clients_per_ssid"] = (f"controller {controller} serves no clients per SSID and AP outside its client "
                                   "tables, which netctl never reads")
    return {
        "sys_name": found.name, "sys_descr": None, "sys_object_id": None,
        "uptime_ticks": int(found.uptime_s * 100) if found.uptime_s is not None else None,
        "uptime_s": found.uptime_s, "interfaces": [], "cpu": None, "mem_total_kb": None, "mem": None,
        "radios": [], "ssids": ssids, "clients": found.clients, "radios_down": found.radios_down,
        "controller": controller, "controller_state": found.state,
        "unavailable_why": why, "unavailable": list(why),
    }


def verdict(reading: ControllerReading, ap: dict[str, Any], ts: float) -> tuple[PollResult, tuple[str, str] | None]:
    """The result for inventory AP ``ap`` behind the controller of ``reading``, and (kind, why) when its
    state is not known (recorded as ``unknown``, not through the health rules)."""
    name = ap["name"]
    why = reading.why_unknown
    if why is not None:
        kind = reading.error_kind if not reading.ok and reading.error_kind else "error"
        return PollResult(name, False, state="unknown", error_kind=kind, error=why, ts=ts), (UNREACHABLE, why)
    found = find(reading, ap)
    if found is None:
        key = f"MAC {ap['mac']}" if ap.get("mac") else f"the name {name}"
        why = f"controller {reading.name} does not list this AP ({key} is not in its AP table)"
        return PollResult(name, False, state="unknown", error_kind="error", error=why, ts=ts), (MISSING_ALERT, why)
    said = f"controller {reading.name} reports it {found.state or found.status}"
    if found.status == "up":
        return PollResult(name, True, values=ap_values(reading.name, found), ts=ts), None
    if found.status in ("down", "failed"):
        return PollResult(name, False, error_kind="error", error=said,
                          values={"controller": reading.name, "controller_state": found.state}, ts=ts), None
    why = f"{said} ({found.status}): not serving clients yet or here"
    unknown = PollResult(name, False, state="unknown", error_kind="error", error=why, ts=ts)
    return unknown, (f"controller-{found.status}", why)


# -- recording ------------------------------------------------------------------------------------
def record_controllers(session: Any, plan: PollPlan, results: Sequence[PollResult], *, record: bool = True,
                       vars_of: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                       progress: Progress | None = None, now: float | None = None) -> list[PollResult]:
    """Read every polled controller's AP table, store it, and record the inventory APs behind it.

    Returns the results of the managed APs the poll's selection held (``plan.managed``), in the shape
    of a poll's results. Every inventory AP behind a polled controller that the session may see is
    recorded (with ``record``), selected or not: the controller's table was read for it anyway.
    """
    from netctl.poll.store import WRITE_LOCK
    from netctl.store.db import transaction

    now = time.time() if now is None else now
    db = session.db
    by_name = {r.ap: r for r in results}
    controllers = {row["name"]: row for row in plan.direct + plan.extra if row.get("role") == "controller"}
    readings = {name: read_controller(row, by_name.get(name)) for name, row in controllers.items()}
    if record and readings:
        with WRITE_LOCK, transaction(db):
            for reading in readings.values():
                store_reading(db, reading, now)
    selected = {ap["name"] for ap in plan.managed}
    behind = _aps_behind(session, sorted(readings))
    behind.update({ap["name"]: ap for ap in plan.managed})
    out: list[PollResult] = []
    answered: list[tuple[dict[str, Any], PollResult]] = []
    unknown: dict[str, tuple[str, str]] = {}
    missing: list[tuple[dict[str, Any], str]] = []
    listed: list[str] = []
    for name, ap in sorted(behind.items()):
        reading = readings.get(ap["controller"]) or ControllerReading(
            ap["controller"], False, error_kind="error", error="no such controller in the inventory")
        result, why = verdict(reading, ap, now)
        if why is None:
            answered.append((ap, result))
        else:
            unknown[name] = why
            if why[0] == MISSING_ALERT:
                missing.append((ap, why[1]))
        if reading.ok and find(reading, ap) is not None:
            listed.append(name)
        if name in selected:
            out.append(result)
    if record:
        _record(db, answered, unknown, missing, listed, vars_of, now)
    if progress is not None:
        for result in out:
            progress(Event(result.ap, "done", result))
    return out


def _record(db: sqlite_utils.Database, answered: list[tuple[dict[str, Any], PollResult]],
            unknown: dict[str, tuple[str, str]], missing: list[tuple[dict[str, Any], str]], listed: list[str],
            vars_of: Callable[[dict[str, Any]], dict[str, Any]] | None, now: float) -> None:
    from netctl.poll.store import close_alerts, load_rules, raise_alert, record_results

    rules = load_rules(db)
    if answered:
        # the controller's word is final: one report of down is down
        record_results(db, [ap for ap, _r in answered], [r for _ap, r in answered], now=now,
                       rules=dataclasses.replace(rules, down_after_misses=1), vars_of=vars_of)
    if unknown:
        mark_unknown(db, unknown, now, rules.flap_window_s, rules.flap_max_changes)
    for ap, why in missing:
        raise_alert(db, ap, MISSING_ALERT, why, severity="warning")
    close_alerts(db, listed, MISSING_ALERT)


def store_reading(db: sqlite_utils.Database, reading: ControllerReading, now: float) -> None:
    """Write one controller's poll: ``controller_polls`` always, ``controller_aps`` when its table was read
    (rows it no longer lists are removed; ``first_seen`` survives). Call inside a write transaction."""
    from netctl.poll.store import iso

    stamp = iso(now)
    row = {"controller": reading.name, "last_poll": stamp, "ok": int(reading.ok), "error_kind": reading.error_kind,
           "error": reading.error, "aps": len(reading.aps) if reading.ok else None,
           "problems": json.dumps(reading.problems)}
    if reading.ok:
        row["last_ok"] = stamp
    db.table("controller_polls").upsert(row, pk="controller")
    if not reading.ok:
        return
    first = {mac: seen for mac, seen in db.execute(
        "select mac, first_seen from controller_aps where controller = ?", [reading.name]).fetchall()}
    db.execute("delete from controller_aps where controller = ?", [reading.name])
    rows = []
    for ap in reading.aps:
        data = ap.as_dict()
        data["ssids"] = json.dumps(data["ssids"]) if data["ssids"] is not None else None
        rows.append({**data, "controller": reading.name, "first_seen": first.get(ap.mac, stamp), "last_seen": stamp})
    if rows:
        db.table("controller_aps").insert_all(rows, pk=("controller", "mac"), batch_size=500)


def mark_unknown(db: sqlite_utils.Database, why: dict[str, tuple[str, str]], now: float,
                 flap_window_s: float = 900.0, flap_max_changes: int = 4) -> None:
    """Health ``unknown`` for the APs of ``why`` (name -> (reason kind, message)): what they were is kept
    (last good poll, uptime, counters), what they are now is not known (no clients, no sample)."""
    from netctl.poll.store import WRITE_LOCK, iso
    from netctl.store.db import transaction

    stamp = iso(now)
    names = list(why)
    with WRITE_LOCK:
        previous: dict[str, Any] = {}
        for start in range(0, len(names), 900):
            chunk = names[start:start + 900]
            cursor = db.execute(f"select ap, state, since, since_ts, changes from health where ap in "
                                f"({', '.join('?' for _ in chunk)})", chunk)
            previous.update({row[0]: row for row in cursor.fetchall()})
        rows = []
        for name, (kind, message) in why.items():
            prev = previous.get(name)
            changes = [t for t in json.loads(prev[4] or "[]") if now - t <= flap_window_s] if prev else []
            since, since_ts = stamp, now
            if prev is not None and prev[1] == "unknown":
                since, since_ts = prev[2], prev[3]
            else:
                changes.append(now)
            rows.append({"ap": name, "state": "unknown", "since": since,
                         "since_ts": since_ts, "last_poll": stamp, "last_poll_ts": now,
                         "misses": 0, "oks": 0, "clients": None, "latency_ms": None, "cpu": None, "mem": None,
                         "radios_down": None, "reasons": json.dumps([[kind, message]]), "error_kind": None,
                         "error": message, "changes": json.dumps(changes),
                         "flapping": int(len(changes) >= flap_max_changes)})
        with transaction(db):
            db.table("health").upsert_all(rows, pk="ap")


def _aps_behind(session: Any, controllers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every inventory AP the session may see that names one of ``controllers``."""
    if not controllers:
        return {}
    marks = ", ".join("?" for _ in controllers)
    names = tuple(r[0] for r in session.db.execute(f"select name from aps where controller in ({marks})",  # noqa: S608
                                                   list(controllers)).fetchall())
    return {row["name"]: row for row in session.select(Selection(names=names))} if names else {}
