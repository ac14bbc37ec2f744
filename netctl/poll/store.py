"""Recording polls: samples in batches, counters turned into rates, health, alerts; roll-ups and retention.

The poller hands over one :class:`PollResult` per AP; :func:`record_results` applies the health rules
(:mod:`netctl.poll.health`) and writes everything of one poll in one transaction: the samples
(appended to the open chunk of their series, a series being one AP x metric in the ``series`` table;
see :mod:`netctl.poll.history`), the ``health`` row per AP (current state, so status never reads
samples) and the alerts that opened, stayed or closed. Notifications go out after the commit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlite_utils

from netctl.errors import ConfigError
from netctl.poll import history
from netctl.poll.health import (
    ALERT_KINDS,
    HealthState,
    Observation,
    Rules,
    agent_restarted,
    diff_alerts,
    evaluate,
    in_window,
    wanted_alerts,
)
from netctl.poll.model import PollResult
from netctl.store.db import transaction

#: retention defaults (seconds): raw samples, 5-minute and hourly roll-ups
RETENTION = {"raw_s": 2 * 3600, "five_min_s": 2 * 86400, "hourly_s": 30 * 86400,
             "closed_alerts_s": 90 * 86400, "job_runs_s": 30 * 86400}
CORE_METRICS = ("up", "latency_ms", "uptime_s", "clients", "cpu", "mem", "radios_down", "in_bps", "out_bps",
                "if_errors_ps")
SEVERITY = {"down": "critical"}
DEFAULT_TIMEZONE = "Europe/Berlin"
WRITE_LOCK = threading.RLock()
SeriesIds = dict[str, dict[str, int]]
#: per database: ap -> metric -> series id, only ids known to be committed (series rows are never deleted)
_SERIES_IDS: weakref.WeakKeyDictionary[sqlite_utils.Database, SeriesIds] = weakref.WeakKeyDictionary()
#: per database: series id -> label, as last written or read
_SERIES_LABELS: weakref.WeakKeyDictionary[sqlite_utils.Database, dict[int, str | None]] = weakref.WeakKeyDictionary()


def iso(ts: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC (seconds precision)."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def parse_time(text: str, now: float | None = None) -> float:
    """``15m``, ``2h``, ``3d``, ``90s`` (ago) or an ISO date/time (UTC if no zone) -> epoch seconds."""
    now = time.time() if now is None else now
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text or "")
    if match:
        factor = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
        return now - float(match.group(1)) * factor
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"cannot read the time {text!r}",
                          hint="use 15m, 2h, 3d (ago) or an ISO time like 2026-05-01T08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


# -- settings -------------------------------------------------------------------------------------
def get_setting(db: sqlite_utils.Database, key: str, default: Any = None) -> Any:
    rows = list(db.table("poll_settings").rows_where("key = ?", [key]))
    return json.loads(rows[0]["value"]) if rows else default


def set_setting(db: sqlite_utils.Database, key: str, value: Any) -> None:
    db.table("poll_settings").upsert({"key": key, "value": json.dumps(value)}, pk="key")


def load_rules(db: sqlite_utils.Database) -> Rules:
    return Rules.from_dict(get_setting(db, "rules"))


def retention_settings(db: sqlite_utils.Database) -> dict[str, float]:
    return {**RETENTION, **(get_setting(db, "retention") or {})}


# -- metrics of one poll (pure) -------------------------------------------------------------------
def counters_of(values: dict[str, Any]) -> dict[str, float]:
    """The raw counters of a poll, keyed ``kind:if<ifIndex>:<name>#bits`` (bits tells the wrap size).

    Interfaces are told apart by ifIndex (a controller's eight "Link Aggregate" ports are eight
    counters); the name is part of the key too, so an ifIndex the agent gives to another interface
    starts afresh instead of producing a rate from someone else's counter.
    """
    out: dict[str, float] = {}
    for iface in values.get("interfaces") or []:
        ident, bits = f"if{iface['index']}:{iface['name']}", iface.get("counter_bits", 32)
        for kind, key, width in (("in", "in_octets", bits), ("out", "out_octets", bits),
                                 ("inerr", "in_errors", 32), ("outerr", "out_errors", 32)):
            if iface.get(key) is not None:
                out[f"{kind}:{ident}#{width}"] = iface[key]
    return out


def interface_labels(values: dict[str, Any]) -> dict[str, str]:
    """Per-interface metric -> interface name (the label of its series): ``in_bps:if3`` -> ``eth0``."""
    labels: dict[str, str] = {}
    for iface in values.get("interfaces") or []:
        for kind in ("in_bps", "out_bps"):
            labels[f"{kind}:if{iface['index']}"] = str(iface["name"])
    return labels


def sample_metrics(values: dict[str, Any], rates: dict[str, float], latency_ms: float | None) -> dict[str, float]:
    """The metric rows of one good poll: core metrics plus per-SSID clients and per-interface rates.

    Per-interface rates are ``in_bps:if<ifIndex>`` / ``out_bps:if<ifIndex>`` (the name is the series'
    label, :func:`interface_labels`).
    """
    metrics: dict[str, float] = {"up": 1.0}
    for key, source in (("latency_ms", latency_ms), ("uptime_s", values.get("uptime_s")),
                        ("clients", values.get("clients")), ("cpu", values.get("cpu")), ("mem", values.get("mem")),
                        ("radios_down", values.get("radios_down"))):
        if source is not None:
            metrics[key] = float(source)
    for ssid in values.get("ssids") or []:
        if ssid.get("clients") is not None:
            metrics[f"clients:{ssid.get('ssid') or ssid['index']}@{ssid.get('radio') or ssid['index']}"] = float(
                ssid["clients"])
    # a total is stored only when at least one of its counters was served: "not available" is no row,
    # never a 0.0 that looks like an idle link
    totals: dict[str, float] = {}
    for key, rate in rates.items():
        kind, _, rest = key.partition(":")
        ident = rest.split(":", 1)[0]
        if kind in ("in", "out"):
            metrics[f"{kind}_bps:{ident}"] = round(rate * 8, 3)
            totals[f"{kind}_bps"] = totals.get(f"{kind}_bps", 0.0) + rate * 8
        else:
            totals["if_errors_ps"] = totals.get("if_errors_ps", 0.0) + rate
    for key, total in totals.items():
        metrics[key] = round(total, 4 if key == "if_errors_ps" else 3)
    return metrics


# -- context: depot windows, maintenance ----------------------------------------------------------
def _json(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return {}
    return text or {}


def depot_windows(db: sqlite_utils.Database) -> dict[str, tuple[str, str]]:
    """site -> (depot window, timezone) for transit sites that have a ``depot_window`` var."""
    tenants = {r["name"]: _json(r.get("vars")) for r in db.table("tenants").rows}
    out = {}
    for site in db.table("sites").rows_where("kind = 'transit'"):
        window = _json(site.get("vars")).get("depot_window")
        if window:
            out[site["name"]] = (str(window), str(tenants.get(site["tenant"], {}).get("timezone") or DEFAULT_TIMEZONE))
    return out


def in_depot(ap: dict[str, Any], windows: dict[str, tuple[str, str]], now: float,
             merged: dict[str, Any] | None = None) -> bool:
    """True when ``ap`` is a vehicle within its depot window.

    ``merged`` are the AP's layered variables (global < tenant < site < group < AP) when the caller
    has them; otherwise the site's ``depot_window`` (its own ``depot_window`` var wins) and the
    tenant's ``timezone`` are used.
    """
    from zoneinfo import ZoneInfo

    site_window = windows.get(ap.get("site") or "")
    if merged is not None:
        window = merged.get("depot_window")
        zone_name = merged.get("timezone") or DEFAULT_TIMEZONE
    else:
        window = _json(ap.get("vars")).get("depot_window") or (site_window[0] if site_window else None)
        zone_name = site_window[1] if site_window else DEFAULT_TIMEZONE
    if not window:
        return False
    return in_window(str(window), dt.datetime.fromtimestamp(now, ZoneInfo(str(zone_name))))


def active_maintenance(db: sqlite_utils.Database, now: float, scope: Any = None) -> dict[str, str]:
    """AP name -> window name for every maintenance window active at ``now``."""
    from netctl.selection import Selection, select_aps

    stamp = iso(now)
    muted: dict[str, str] = {}
    for row in db.table("maintenance").rows_where("starts <= ? and ends > ?", [stamp, stamp], order_by="id"):
        selection = Selection.from_json(row["selection"])
        for ap in select_aps(db, selection, scope):
            muted.setdefault(ap["name"], row["name"] or f"window {row['id']}")
    return muted


# -- recording ------------------------------------------------------------------------------------
def _health_state(row: dict[str, Any] | None) -> HealthState | None:
    if row is None:
        return None
    return HealthState(state=row["state"] or "unknown", since=row.get("since_ts"), misses=row.get("misses") or 0,
                       oks=row.get("oks") or 0, baseline=row.get("baseline"),
                       changes=list(_json(row.get("changes")) or []), flapping=bool(row.get("flapping")))


def hung_agent(result: PollResult, ap: dict[str, Any], prev_row: dict[str, Any] | None) -> bool:
    """True when an ``auth`` verdict only inferred from a live SNMP engine should count as a timeout.

    A v2c agent ignores a wrong community silently; the poller then probes the engine and calls the
    failure ``auth``. But if these same settings answered before (the AP's last good poll is newer
    than its last inventory change), the agent, not the credentials, stopped answering.
    """
    if result.ok or not result.values.get("engine_answers") or not prev_row or not prev_row.get("last_ok"):
        return False
    return str(ap.get("updated") or "") <= str(prev_row["last_ok"])


def record_results(db: sqlite_utils.Database, aps: Sequence[dict[str, Any]], results: Sequence[PollResult],
                   *, now: float | None = None, rules: Rules | None = None, send: bool = True,
                   vars_of: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Apply health rules to ``results``, write samples, health and alerts; send notifications.

    Fills ``result.state`` in place. Returns the alert events (opened/closed), each with ``muted`` and
    the delivery outcomes under ``deliveries``. ``vars_of(ap_row)`` gives an AP's merged variables
    (used for the depot window of vehicles that did not answer).
    """
    now = time.time() if now is None else now
    rules = rules or load_rules(db)
    by_name = {ap["name"]: ap for ap in aps}
    names = [r.ap for r in results]
    health_rows = _rows_for(db, "health", "ap", names)
    open_alerts: dict[str, dict[str, dict[str, Any]]] = {}
    for row in _rows_for(db, "alerts", "ap", names, extra="state = 'open'", many=True):
        if row["kind"] in ALERT_KINDS:  # the poll's own; others (a refused host key) are not its to close
            open_alerts.setdefault(row["ap"], {})[row["kind"]] = row
    windows = depot_windows(db)
    muted_by = active_maintenance(db, now)
    stamp = iso(now)
    samples: list[tuple[str, int, dict[str, float]]] = []
    labels: dict[str, dict[str, str]] = {}
    health_out: list[dict[str, Any]] = []
    new_alerts: list[dict[str, Any]] = []
    touched: list[tuple[Any, ...]] = []
    closed: list[dict[str, Any]] = []
    for result in results:
        ap = by_name.get(result.ap, {"name": result.ap})
        prev_row = health_rows.get(result.ap)
        prev = _health_state(prev_row)
        ts = result.ts or now
        if hung_agent(result, ap, prev_row):
            result.error_kind = "timeout"
            result.error = ("no answer to the credentials that worked before; the SNMP engine still answers "
                            "discovery (agent hung or restarting?)")
        metrics: dict[str, float] = {}
        counters: dict[str, float] = _json(prev_row.get("counters")) if prev_row else {}
        if result.ok:
            values = result.values
            new_counters = counters_of(values)
            prev_ts = counters.get("_ts")
            rebooted = bool(prev_row) and agent_restarted(
                (prev_row or {}).get("uptime"), values.get("uptime_s"),
                ts - prev_ts if isinstance(prev_ts, (int, float)) else 0.0)
            rates = _rates(counters, new_counters, rebooted, ts)
            metrics = sample_metrics(values, rates, result.latency_ms)
            labels[result.ap] = interface_labels(values)
            counters = {**new_counters, "_ts": ts}
        else:
            metrics = {"up": 0.0}
        observation = Observation(ok=result.ok, error_kind=result.error_kind, error=result.error,
                                  metrics={k: metrics.get(k) for k in ("cpu", "mem", "radios_down", "if_errors_ps",
                                                                       "clients")},
                                  in_depot=(not result.ok) and _parked(ap, windows, now, vars_of),
                                  reported=not result.ok and bool(result.values.get("controller")))
        verdict = evaluate(prev, observation, rules, now)
        result.state = verdict.state
        health = verdict.health
        keep_values = result.ok
        old = prev_row or {}
        health_out.append({
            "ap": result.ap, "state": health.state, "since": iso(health.since), "since_ts": health.since,
            "last_poll": stamp, "last_poll_ts": now,
            "last_ok": stamp if result.ok else old.get("last_ok"),
            "misses": health.misses, "oks": health.oks,
            "uptime": result.values.get("uptime_s") if keep_values else old.get("uptime"),
            "clients": result.values.get("clients") if keep_values else None,
            "latency_ms": result.latency_ms if keep_values else None,
            "cpu": result.values.get("cpu") if keep_values else None,
            "mem": result.values.get("mem") if keep_values else None,
            "radios_down": result.values.get("radios_down") if keep_values else None,
            "reasons": json.dumps([list(r) for r in verdict.reasons]),
            "error_kind": result.error_kind, "error": result.error,
            "counters": json.dumps(counters), "baseline": health.baseline,
            "changes": json.dumps(health.changes), "flapping": int(health.flapping),
            "sys_name": result.values.get("sys_name") if keep_values else old.get("sys_name"),
            "unavailable": (json.dumps(result.values.get("unavailable_why") or {}) if keep_values
                            else old.get("unavailable")),
        })
        samples.append((result.ap, int(ts), metrics))
        # alerts
        # the alerts the health rules own (a push's health-gate alert stays until a push is applied)
        current = {k: v for k, v in open_alerts.get(result.ap, {}).items() if k in ALERT_KINDS}
        wanted = wanted_alerts(verdict)
        to_open, to_keep, to_close = diff_alerts(set(current), wanted)
        mute_reason = (f"maintenance: {muted_by[result.ap]}" if result.ap in muted_by
                       else "flapping" if health.flapping else None)
        for kind in to_open:
            new_alerts.append({"ap": result.ap, "kind": kind, "severity": SEVERITY.get(kind, "warning"),
                               "message": wanted[kind], "state": "open", "first_seen": stamp, "last_seen": stamp,
                               "count": 1, "muted": int(mute_reason is not None), "mute_reason": mute_reason,
                               "notified": 0})
        for kind in to_keep:
            touched.append((stamp, wanted[kind], current[kind]["id"]))
        for kind in to_close:
            row = dict(current[kind])
            row.update(state="closed", closed=stamp, last_seen=stamp,
                       muted=int(bool(row.get("muted")) or mute_reason is not None),
                       mute_reason=row.get("mute_reason") or mute_reason)
            closed.append(row)
    with WRITE_LOCK:
        new_series: SeriesIds = {}
        with transaction(db):
            if samples:
                rows, new_series = sample_rows(db, samples, labels)
                history.write(db, rows)  # compressed chunks per series; heads closed here, in this transaction
            if health_out:
                db.table("health").insert_all(health_out, pk="ap", replace=True, batch_size=500)
            opened = []
            for alert in new_alerts:
                alert["id"] = db.table("alerts").insert(alert).last_pk
                opened.append(alert)
            if touched:
                db.conn.executemany("update alerts set last_seen = ?, message = ?, count = count + 1 where id = ?",
                                    touched)
            if closed:
                db.conn.executemany("update alerts set state = 'closed', closed = ?, last_seen = ?, muted = ?, "
                                    "mute_reason = ? where id = ?",
                                    [(a["closed"], a["last_seen"], a["muted"], a["mute_reason"], a["id"])
                                     for a in closed])
        if not db.conn.in_transaction:  # committed (not joined to a caller's transaction that may roll back)
            remember_series(db, new_series)
    events = [_event(a, "opened", by_name) for a in opened] + [_event(a, "closed", by_name) for a in closed]
    if send:
        deliver(db, events, now)
    return events


# -- series ids ----------------------------------------------------------------------------------
def sample_rows(db: sqlite_utils.Database, samples: Sequence[tuple[str, int, dict[str, float]]],
                labels: dict[str, dict[str, str]] | None = None) -> tuple[list[tuple[int, int, float]], SeriesIds]:
    """``(series id, ts, value)`` rows for the ``(ap, ts, metrics)`` of a poll, and the ids looked up.

    Call inside the write transaction; hand the ids to :func:`remember_series` once it has committed.
    Values that are None or NaN are not stored. In steady state every id is cached and this is one
    pass over the samples (a nested ap -> metric lookup: no key tuple per sample); otherwise the
    series not in the cache go through :func:`series_ids` first. ``labels`` (ap -> metric -> label,
    the interface name of ``in_bps:if<N>``) are stored with the series; a label that changed (an
    interface renamed) is updated.
    """
    known = _SERIES_IDS.get(db, {})
    try:
        rows = _rows_with_ids(known, samples)
        fresh: SeriesIds = {}
        ids = known
    except KeyError:
        fresh = series_ids(db, [(ap, m) for ap, _ts, metrics in samples for m, v in metrics.items()
                                if v is not None and not math.isnan(v) and m not in known.get(ap, ())], labels)
        ids = {ap: {**known.get(ap, {}), **fresh.get(ap, {})} for ap in {ap for ap, _ts, _metrics in samples}}
        rows = _rows_with_ids(ids, samples)
    if labels:
        _update_labels(db, ids, labels)
    return rows, fresh


def _update_labels(db: sqlite_utils.Database, ids: SeriesIds, labels: dict[str, dict[str, str]]) -> None:
    """Store the labels that differ from the ones known (one cache lookup per labelled series)."""
    cache = _SERIES_LABELS.setdefault(db, {})
    stale = [(label, ids[ap][metric]) for ap, mine in labels.items() for metric, label in mine.items()
             if metric in ids.get(ap, {}) and cache.get(ids[ap][metric]) != label]
    if not stale:
        return
    stored: dict[int, str | None] = {}
    for chunk in iter_chunks([series_id for _label, series_id in stale], 900):
        stored.update(db.execute(f"select id, label from series where id in ({', '.join('?' for _ in chunk)})",
                                 list(chunk)).fetchall())
    changed = [(label, series_id) for label, series_id in stale if stored.get(series_id, object()) != label]
    if changed:
        db.conn.executemany("update series set label = ? where id = ?", changed)
    cache.update({series_id: label for label, series_id in stale})


def _rows_with_ids(ids: SeriesIds, samples: Sequence[tuple[str, int, dict[str, float]]]
                   ) -> list[tuple[int, int, float]]:
    rows: list[tuple[int, int, float]] = []
    for ap, ts, metrics in samples:
        mine = ids[ap]
        rows.extend((mine[m], ts, v) for m, v in metrics.items() if v is not None and not math.isnan(v))
    return rows


def series_ids(db: sqlite_utils.Database, keys: Iterable[tuple[str, str]],
               labels: dict[str, dict[str, str]] | None = None) -> SeriesIds:
    """The series id of each ``(ap, metric)`` in ``keys`` as ap -> metric -> id; new series are created.

    Call inside the write transaction, and pass the result to :func:`remember_series` only after the
    commit (an id created in a transaction that rolls back must not be cached). Reads the stored
    series of the APs named (one query per 900 APs), then creates the missing ones in one batch:
    never one query per sample. A new ``in_bps:if<N>`` whose label (interface name) names a series
    of an earlier version (``in_bps:<name>``, no label) takes that series over, so its history goes on,
    unless several interfaces of the AP share that name (then the old series holds their sum and stays).
    """
    wanted = set(keys)
    if not wanted:
        return {}
    stored = _load_series(db, sorted({ap for ap, _metric in wanted}))
    new = sorted(wanted - stored.keys())
    if new and labels:
        adopted: list[tuple[str, str, int]] = []
        for ap, metric in new:
            mine = labels.get(ap, {})
            label = mine.get(metric)
            kind = metric.split(":", 1)[0]
            legacy = (ap, f"{kind}:{label}")
            # only a name one interface has: a series several same-named ones were summed into stays as it is
            unique = sum(1 for other, name in mine.items() if name == label and other.startswith(kind + ":")) == 1
            if label is not None and unique and legacy[1] != metric and legacy in stored:
                series_id = stored.pop(legacy)
                stored[(ap, metric)] = series_id
                adopted.append((metric, label, series_id))
        if adopted:
            db.conn.executemany("update series set metric = ?, label = ? where id = ?", adopted)
            new = sorted(wanted - stored.keys())
    if new:
        # inside the write transaction nobody else inserts: the new rows are the ids above the old maximum
        highest = db.execute("select coalesce(max(id), 0) from series").fetchone()[0]
        db.conn.executemany("insert into series (ap, metric, label) values (?, ?, ?)",
                            [(ap, metric, (labels or {}).get(ap, {}).get(metric)) for ap, metric in new])
        for series_id, ap, metric in db.execute("select id, ap, metric from series where id > ?", [highest]):
            stored[(ap, metric)] = series_id
    ids: SeriesIds = {}
    for ap, metric in wanted:
        ids.setdefault(ap, {})[metric] = stored[(ap, metric)]
    return ids


def remember_series(db: sqlite_utils.Database, ids: SeriesIds) -> None:
    """Cache committed series ids of ``db`` (safe across processes: series rows are never deleted)."""
    if ids:
        known = _SERIES_IDS.setdefault(db, {})
        for ap, metrics in ids.items():
            known.setdefault(ap, {}).update(metrics)


def _load_series(db: sqlite_utils.Database, aps: Sequence[str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for chunk in iter_chunks(aps, 900):
        marks = ", ".join("?" for _ in chunk)
        for series_id, ap, metric in db.execute(f"select id, ap, metric from series where ap in ({marks})", chunk):
            out[(ap, metric)] = series_id
    return out


def _parked(ap: dict[str, Any], windows: dict[str, tuple[str, str]], now: float,
            vars_of: Callable[[dict[str, Any]], dict[str, Any]] | None) -> bool:
    if ap.get("site_kind") not in (None, "transit") and not _json(ap.get("vars")).get("depot_window"):
        return False
    merged = vars_of(ap) if vars_of is not None and "tenant" in ap else None
    return in_depot(ap, windows, now, merged)


def _event(alert: dict[str, Any], event: str, aps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ap = aps.get(alert["ap"], {})
    return {"event": event, "id": alert["id"], "ap": alert["ap"], "site": ap.get("site"), "tenant": ap.get("tenant"),
            "kind": alert["kind"], "severity": alert.get("severity"), "state": alert["state"],
            "message": alert.get("message"), "first_seen": alert.get("first_seen"),
            "last_seen": alert.get("last_seen"), "closed": alert.get("closed"),
            "muted": bool(alert.get("muted")), "mute_reason": alert.get("mute_reason")}


def raise_alert(db: sqlite_utils.Database, ap: dict[str, Any], kind: str, message: str,
                severity: str = "critical", *, send: bool = True) -> dict[str, Any]:
    """Open an alert that netctl raises outside the health rules (a push stopped by its health gate), or
    refresh the one of that kind open for the AP; notifies like a poll's alerts. Returns its event."""
    stamp = iso(time.time())
    with WRITE_LOCK, transaction(db):
        rows = list(db.table("alerts").rows_where("ap = ? and kind = ? and state = 'open'", [ap["name"], kind]))
        if rows:
            db.conn.execute("update alerts set last_seen = ?, message = ?, count = count + 1 where id = ?",
                            [stamp, message, rows[0]["id"]])
            alert = {**rows[0], "last_seen": stamp, "message": message}
        else:
            alert = {"ap": ap["name"], "kind": kind, "severity": severity, "message": message, "state": "open",
                     "first_seen": stamp, "last_seen": stamp, "count": 1, "muted": 0, "mute_reason": None,
                     "notified": 0}
            alert["id"] = db.table("alerts").insert(alert).last_pk
    event = _event(alert, "opened" if not rows else "updated", {ap["name"]: ap})
    if send and not rows:
        deliver(db, [event])
    return event


def close_alerts(db: sqlite_utils.Database, aps: Sequence[str], kind: str) -> int:
    """Close the open alerts of ``kind`` of ``aps`` (their cause is gone: a later push was applied)."""
    if not aps:
        return 0
    stamp = iso(time.time())
    marks = ", ".join("?" for _ in aps)
    with WRITE_LOCK, transaction(db):
        return int(db.conn.execute(f"update alerts set state = 'closed', closed = ?, last_seen = ? "  # noqa: S608
                                   f"where kind = ? and state = 'open' and ap in ({marks})",
                                   [stamp, stamp, kind, *aps]).rowcount)


def deliver(db: sqlite_utils.Database, events: list[dict[str, Any]], now: float | None = None) -> None:
    """Send the unmuted events through the configured notifiers and queue them for the alert routes
    (sending the route batches due at ``now``); record the outcome on each alert. Never raises."""
    from netctl.notify import notify
    from netctl.notify.outbox import route_events

    loud = [e for e in events if not e["muted"]]
    for event in events:
        event["deliveries"] = []
    if not loud:
        route_events(db, loud, now)  # batches may be due without a new event
        return
    deliveries = notify(db, loud)
    by_alert: dict[Any, list[dict[str, Any]]] = {}
    for delivery in deliveries:
        by_alert.setdefault(delivery["alert"], []).append(delivery)
    with WRITE_LOCK, transaction(db):
        for event in loud:
            mine = by_alert.get(event["id"], [])
            event["deliveries"] = mine
            errors = "; ".join(f"{d['notifier']}: {d['error']}" for d in mine if not d["ok"])
            db.execute("update alerts set notified = notified + ?, notify_error = ? where id = ?",
                       [sum(1 for d in mine if d["ok"]), errors or None, event["id"]])
    route_events(db, loud, now)  # after the notifiers: a route's failure stays on the alert


def _rates(prev: dict[str, Any], counters: dict[str, float], rebooted: bool, ts: float) -> dict[str, float]:
    from netctl.poll.health import counter_rates

    prev_ts = prev.get("_ts") if prev else None
    return counter_rates({k: v for k, v in prev.items() if k != "_ts"} if prev else None, prev_ts, counters, ts,
                         rebooted=rebooted)


def _rows_for(db: sqlite_utils.Database, table: str, column: str, keys: Sequence[str], *, extra: str | None = None,
              many: bool = False) -> Any:
    """Rows of ``table`` whose ``column`` is in ``keys`` (chunked IN lists), as dict key -> row (or a list)."""
    out_map: dict[str, Any] = {}
    out_list: list[dict[str, Any]] = []
    keys = list(keys)
    for start in range(0, len(keys), 900):
        chunk = keys[start:start + 900]
        where = f"[{column}] in ({', '.join('?' for _ in chunk)})" + (f" and {extra}" if extra else "")
        for row in db[table].rows_where(where, chunk):
            if many:
                out_list.append(row)
            else:
                out_map[row[column]] = row
    return out_list if many else out_map


# -- roll-ups and retention -----------------------------------------------------------------------
def apply_retention(db: sqlite_utils.Database, now: float | None = None) -> dict[str, Any]:
    """Fold raw samples into 5-minute and hourly averages, then drop what is older than each window.

    Only complete buckets are folded; a watermark per level (``poll_settings``) makes the job
    idempotent and cheap when run often. Returns counts of rows folded and deleted (``deleted_samples``:
    raw samples). Raw samples are read from their chunks (:func:`netctl.poll.history.fold`, the same
    averages SQLite computes) and expired by a cutoff (:func:`netctl.poll.history.expire`). The roll-up
    tables have no ``ts`` index: every statement walks their primary key ``(series, ts)`` series by
    series (``series in (select id from series)``), reading and deleting runs of adjacent rows.
    """
    now = time.time() if now is None else now
    keep = retention_settings(db)
    summary: dict[str, Any] = {}
    with WRITE_LOCK, transaction(db):
        for level, source, width, value_expr in (
            ("5m", "samples", 300, "avg(value), min(value), max(value), count(*)"),
            ("1h", "samples_5m", 3600, "sum(value * n) / sum(n), min(min), max(max), sum(n)"),
        ):
            target = "samples_5m" if level == "5m" else "samples_1h"
            mark_key = f"rollup_{level}_done"
            done = get_setting(db, mark_key)
            if done is None:
                first = history.first_ts(db) if level == "5m" else db.execute(
                    f"select min((select min(ts) from [{source}] where series = s.id)) from series s").fetchone()[0]
                done = (int(first) // width) * width if first is not None else None
            upto = (int(now) // width) * width
            folded = 0
            if done is not None and upto > done and level == "5m":
                rolled = history.fold(db, done, upto, width)
                db.conn.executemany(f"insert or replace into [{target}] (series, ts, value, min, max, n) "
                                    "values (?, ?, ?, ?, ?, ?)", rolled)
                folded = len(rolled)
                set_setting(db, mark_key, upto)
            elif done is not None and upto > done:
                cursor = db.execute(
                    f"insert or replace into [{target}] (series, ts, value, min, max, n) "
                    f"select series, (ts / {width}) * {width}, {value_expr} from [{source}] "
                    f"where series in (select id from series) and ts >= ? and ts < ? group by series, ts / {width}",
                    [done, upto])
                folded = cursor.rowcount
                set_setting(db, mark_key, upto)
            summary[f"folded_{level}"] = folded
        summary["deleted_samples"] = history.expire(db, int(now - float(keep["raw_s"])))
        for table, key in (("samples_5m", "five_min_s"), ("samples_1h", "hourly_s")):
            cutoff = int(now - float(keep[key]))
            summary[f"deleted_{table}"] = db.execute(
                f"delete from [{table}] where series in (select id from series) and ts < ?", [cutoff]).rowcount
        summary["deleted_alerts"] = db.execute(
            "delete from alerts where state = 'closed' and closed < ?",
            [iso(now - float(keep["closed_alerts_s"]))]).rowcount
        summary["deleted_job_runs"] = db.execute(
            "delete from job_runs where status != 'running' and started < ?",
            [iso(now - float(keep["job_runs_s"]))]).rowcount
    return summary


def series(db: sqlite_utils.Database, ap: str, metric: str | None, since: float | None,
           now: float | None = None) -> list[dict[str, Any]]:
    """Samples of one AP (all metrics or one, ``metric`` may end in ``*``), oldest first.

    Raw samples where they exist; 5-minute then hourly roll-ups for older times. Each row has the
    series' ``label`` (the interface name of ``in_bps:if<N>``, else None); ``in_bps:eth0`` finds the
    ifIndex series labelled ``eth0``.
    """
    now = time.time() if now is None else now
    since = since if since is not None else now - 3600
    where = "s.ap = ?"
    params: list[Any] = [ap]
    if metric:
        if metric.endswith("*"):
            where += " and s.metric like ?"
            params.append(metric[:-1].replace("%", r"\%") + "%")
        elif ":" in metric:  # in_bps:if3, or in_bps:eth0 by the interface's name (its label)
            kind = metric.split(":", 1)[0]
            where += " and (s.metric = ? or (s.metric like ? and s.label = ?))"
            params.extend([metric, kind.replace("%", r"\%") + ":if%", metric.split(":", 1)[1]])
        else:
            where += " and s.metric = ?"
            params.append(metric)
    out: list[dict[str, Any]] = []
    # raw samples from their chunks (netctl.poll.history), then roll-ups for the times before the oldest
    names = {series_id: (name, label) for series_id, name, label in db.execute(
        f"select s.id, s.metric, s.label from series s where {where}", params).fetchall()}  # noqa: S608
    upper: float | None = None
    stamps: dict[int, str | None] = {}  # the metrics of a poll share its time: one ISO string each
    for series_id, samples in history.read(db, names, int(since)).items():
        name, label = names[series_id]
        for ts, value in samples:
            text = stamps.get(ts)
            if text is None:
                text = stamps[ts] = iso(ts)
            out.append({"ts": text, "epoch": ts, "metric": name, "label": label, "value": value,
                        "resolution": "raw"})
        upper = samples[0][0] if upper is None else min(upper, samples[0][0])
    where += " and x.ts >= ?"
    params.append(int(since))
    for table, resolution in (("samples_5m", "5m"), ("samples_1h", "1h")):
        clause = where + (" and x.ts < ?" if upper is not None else "")
        args = params + ([int(upper)] if upper is not None else [])
        rows = list(db.query(f"select s.metric as metric, s.label as label, x.ts as ts, x.value as value from series s "
                             f"join [{table}] x on x.series = s.id where {clause} order by x.ts, s.metric", args))
        for row in rows:
            out.append({"ts": iso(row["ts"]), "epoch": row["ts"], "metric": row["metric"], "label": row["label"],
                        "value": row["value"], "resolution": resolution})
        if rows:
            upper = min(r["ts"] for r in rows) if upper is None else min(upper, min(r["ts"] for r in rows))
    out.sort(key=lambda r: (r["epoch"], r["metric"]))
    return out


def iter_chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
