"""Polling operations of the facade (poll, status, metrics, alerts, maintenance, notifiers, retention).

pysnmp is imported only inside :meth:`MonitorService.poll` (through :mod:`netctl.poll.snmp`), so opening the
facade stays fast. Every method is safe to call from a worker thread (the TUI does): reads open
their own cursors, writes hold :data:`netctl.poll.store.WRITE_LOCK` inside one transaction.

Raises: PermissionDenied (the role may not poll/ack/…), NotFound (unknown AP, alert, window,
notifier, job), ConfigError (bad time, bad rule, unknown notifier kind or job).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from netctl.core import Session
from netctl.errors import ConfigError, NotFound, SecretError
from netctl.inventory.ops import InventoryService
from netctl.poll.model import PollResult, Target
from netctl.results import Results
from netctl.runner import Event, Progress
from netctl.selection import Selection


def as_selection(selection: Selection | str | Sequence[str] | None) -> Selection:
    if selection is None:
        return Selection()
    if isinstance(selection, Selection):
        return selection
    if isinstance(selection, str):
        return Selection(names=(selection,))
    return Selection(names=tuple(selection))


def build_targets(db: Any, aps: Sequence[dict[str, Any]]) -> tuple[list[Target], list[PollResult]]:
    """SNMP targets for ``aps``; each secret reference is resolved once. APs that cannot be polled
    (no SNMP settings, an unresolvable secret) come back as failed results instead."""
    from netctl.inventory.secrets import is_reference, resolve_secret
    from netctl.poll.oids import profile_for

    resolved: dict[tuple[str | None, str], str] = {}
    tenant: str | None = None  # the AP's tenant: a secret resolves only for its own tenant's APs

    def secret(ref: Any, what: str) -> str | None:
        if ref in (None, ""):
            return None
        if not is_reference(ref):
            raise SecretError(f"the SNMP {what} is not a secret reference",
                              hint="store it with `netctl secret set NAME` and use secret:NAME")
        if (tenant, ref) not in resolved:
            resolved[(tenant, ref)] = resolve_secret(db, ref, tenant=tenant)
        return resolved[(tenant, ref)]

    targets: list[Target] = []
    failed: list[PollResult] = []
    for ap in aps:
        tenant = ap.get("tenant")
        snmp = ap.get("snmp") or {}
        if isinstance(snmp, str):
            snmp = json.loads(snmp or "{}")
        try:
            if not snmp:
                raise ConfigError("no SNMP settings", hint="set snmp.version/community (or v3 user) in the inventory")
            version = str(snmp.get("version") or "2c")
            profile = profile_for(ap.get("platform"), snmp.get("profile"))
            if version == "3":
                target = Target(ap["name"], ap["address"], int(snmp.get("port") or 161), "3",
                                user=snmp.get("user"), auth_protocol=str(snmp.get("auth_protocol") or "SHA"),
                                auth_key=secret(snmp.get("auth_key"), "auth key"),
                                priv_protocol=str(snmp.get("priv_protocol") or "AES"),
                                priv_key=secret(snmp.get("priv_key"), "privacy key"), profile=profile.name)
                if not target.user:
                    raise ConfigError("SNMPv3 without a user", hint="set snmp.user in the inventory")
                from netctl.poll.snmp import AUTH_PROTOCOLS, PRIV_PROTOCOLS

                for given, known, what in ((target.auth_protocol, AUTH_PROTOCOLS, "auth_protocol"),
                                           (target.priv_protocol, PRIV_PROTOCOLS, "priv_protocol")):
                    if given.upper() not in known:
                        raise ConfigError(f"unknown SNMPv3 {what} {given!r}",
                                          hint="use one of: " + ", ".join(sorted(known)))
            else:
                target = Target(ap["name"], ap["address"], int(snmp.get("port") or 161), version,
                                community=secret(snmp.get("community"), "community"), profile=profile.name)
                if target.community is None:
                    raise ConfigError("SNMP v2c without a community", hint="set snmp.community: secret:NAME")
        except (ConfigError, ValueError) as exc:
            failed.append(PollResult(ap["name"], False, error_kind="error", error=f"not polled: {exc}",
                                     ts=time.time(), exception=exc))
            continue
        targets.append(target)
    return targets, failed


def poll_targets_sharded(targets: Sequence[Target], *, workers: int | None, concurrency: int, timeout: float,
                         retries: int, progress: Progress | None = None,
                         fast: bool = True, deadline: float | None = None) -> list[PollResult]:
    """Poll in this process, or sharded over ``workers`` worker processes (each with one engine).

    ``workers`` None: as :func:`netctl.runner.shard_count` decides for the APs on the pysnmp engine
    path ("poll": SNMPv1, other SNMPv3 protocols) and on the fast path ("poll-fast"). One result per
    target, in order; ``progress`` gets each AP's "done" event.

    A worker that dies or answers garbage turns into failed results for its APs, never an exception.
    ``deadline`` bounds the poll (default: :func:`netctl.poll.snmp.poll_deadline`); a worker still
    running a minute after it is killed, and its APs fail.
    """
    from netctl import runner
    from netctl.poll.fast import fast_capable
    from netctl.poll.worker import POLL

    on_fast = sum(1 for t in targets if fast and fast_capable(t)) if workers is None else 0
    count = runner.shard_count({"poll": len(targets) - on_fast, "poll-fast": on_fast}, workers)
    options: dict[str, Any] = {"concurrency": concurrency, "timeout": timeout, "retries": retries, "fast": fast}
    if deadline is not None:
        options["deadline"] = deadline
    return runner.runner_for(count).run(POLL.with_options(**options), targets, progress)


class MonitorService:
    """Polling, health, alerts, maintenance windows and notifiers: ``Netctl.monitor``.

    Given the session and the inventory service (alert rules read the APs' layered variables).
    """

    def __init__(self, session: Session, *, inventory: InventoryService) -> None:
        self.session = session
        self.db = session.db
        self.inventory = inventory

    # -- polling --------------------------------------------------------------------------------
    def poll(self, selection: Selection | str | Sequence[str] | None = None, *, concurrency: int = 200,
             timeout: float = 2.0, retries: int = 1, workers: int | None = None,
             progress: Progress | None = None, record: bool = True,
             fast: bool = True, deadline: float | None = None) -> Results[PollResult]:
        """Poll the selected APs over SNMP; one :class:`PollResult` per AP, ordered by AP name.

        A dead AP costs its own timeout and never stalls the others. Big selections are sharded across
        ``workers`` processes (default: as :func:`netctl.runner.shard_count` decides, from 1,000 APs on
        the pysnmp engine path or 20,000 on the fast path, at most one per core). ``progress`` gets each
        AP's "done" :class:`netctl.runner.Event`. With ``record`` the samples, health states and alerts
        are written and notifications sent. ``fast=False`` polls every AP through the pysnmp engine (the reference
        implementation), e.g. to rule out the fast path when an agent behaves oddly. ``deadline`` bounds
        the whole poll in seconds (default: long enough for every AP to time out on every request);
        APs cut off by it are ``timeout`` results naming it, the others are recorded as usual.
        """
        from netctl.controllers.record import plan_poll, record_controllers

        self.session.require("poll")
        aps = self.session.select(as_selection(selection))
        # APs behind a WLAN controller are read from its AP table: their controller is polled instead
        plan = plan_poll(self.session, aps)
        polled = plan.direct + plan.extra
        extra = plan.extra_names
        targets, failed = build_targets(self.db, polled)
        relay: Progress | None = None
        if progress is not None:
            def relay(event: Event) -> None:
                if event.ap not in extra:
                    progress(event)

            for result in failed:
                relay(Event(result.ap, "done", result))
        results = poll_targets_sharded(targets, workers=workers, concurrency=concurrency, timeout=timeout,
                                       retries=retries, progress=relay, fast=fast, deadline=deadline)
        if record and results:
            from netctl.poll.store import record_results

            record_results(self.db, polled, results, vars_of=self.inventory.merged_vars)
        managed = record_controllers(self.session, plan, results + failed, record=record,
                                     vars_of=self.inventory.merged_vars, progress=progress)
        return Results(sorted([r for r in results + failed if r.ap not in extra] + managed, key=lambda r: r.ap))

    # -- health ---------------------------------------------------------------------------------
    def status(self, selection: Selection | str | Sequence[str] | None = None) -> dict[str, Any]:
        """Current health per AP (from the ``health`` table) and counts per site, site kind and in total,
        and each selected WLAN controller with the states of the APs behind it
        (:func:`netctl.controllers.summary.summarize`): ``{aps, sites, kinds, totals, controllers}``.

        Each AP's ``unavailable`` names what its last good poll asked for and the agent did not serve,
        with why (``{"clients": "the agent served no unifiVapTable …"}``): "not available", not zero.
        """
        from netctl.controllers.summary import summarize

        self.session.require("view")
        chosen = as_selection(selection)
        if chosen == Selection():
            # the whole scope: a lean query (no JSON columns decoded), scope applied row by row
            scope = self.session.scope
            aps = [{"name": n, "site": s, "tenant": t, "role": r, "site_kind": k}
                   for n, s, t, r, k in self.db.execute(
                       "select aps.name, aps.site, aps.tenant, aps.role, sites.kind from aps "
                       "join sites on sites.name = aps.site order by aps.name").fetchall()
                   if scope.allows(t, s)]
        else:
            aps = self.session.select(chosen)
        cursor = self.db.execute(
            "select ap, state, since, last_poll, uptime, clients, latency_ms, cpu, mem, radios_down, reasons, "
            "error_kind, flapping, unavailable from health")
        # rows stay tuples (a dict per AP only for the output): 100,000 APs in well under a second
        health = _HealthRows([c[0] for c in cursor.description], {row[0]: row for row in cursor.fetchall()})
        missing = (None,) * len(health.columns)
        counts: dict[tuple[str, str, str], int] = {}
        rows = []
        for ap in aps:
            (_, state, since, last_poll, uptime, clients, latency_ms, cpu, mem, radios_down, reasons, error_kind,
             flapping, unavailable) = health.rows.get(ap["name"], missing)
            state = state or "unknown"
            kind = ap.get("site_kind")
            rows.append({
                "name": ap["name"], "site": ap["site"], "tenant": ap["tenant"], "kind": kind,
                "role": ap.get("role"), "state": state, "since": since, "last_poll": last_poll,
                "uptime": uptime, "clients": clients, "latency_ms": latency_ms,
                "cpu": cpu, "mem": mem, "radios_down": radios_down,
                "reasons": _reasons(reasons), "error_kind": error_kind, "flapping": bool(flapping),
                "unavailable": _unavailable(unavailable),
            })
            key = (ap["site"], kind or "?", state)
            counts[key] = counts.get(key, 0) + 1
        empty = {"up": 0, "degraded": 0, "down": 0, "unknown": 0, "total": 0}
        sites: dict[str, dict[str, int]] = {}
        kinds: dict[str, dict[str, int]] = {}
        totals = dict(empty)
        for (site, kind, state), count in counts.items():
            for bucket in (sites.setdefault(site, dict(empty)), kinds.setdefault(kind, dict(empty)), totals):
                bucket[state] += count
                bucket["total"] += count
        controllers = summarize(self.db, self.session.scope,
                                [ap["name"] for ap in aps if ap.get("role") == "controller"], health)
        return {"aps": rows, "sites": sites, "kinds": kinds, "totals": totals, "controllers": controllers}

    def status_json(self) -> str:
        """:meth:`status` of the whole scope as compact JSON text (what ``netctl status --json`` prints when
        piped): the AP rows are written by SQLite's JSON functions, with no Python object per AP, so
        100,000 APs take a fraction of a second. Parsed, it equals ``status()``; numbers are written with
        15 significant digits (every value the poller stores has fewer)."""
        from netctl.controllers.summary import summarize

        self.session.require("view")
        scope = self.session.scope
        params = [json.dumps(sorted(scope.tenants)) if scope.tenants is not None else None,
                  json.dumps(sorted(scope.sites)) if scope.sites is not None else None]
        where = ("(?1 is null or aps.tenant in (select value from json_each(?1))) "
                 "and (?2 is null or aps.site in (select value from json_each(?2)))")
        joined = f"from aps join sites on sites.name = aps.site left join health on health.ap = aps.name where {where}"
        (aps_text,) = self.db.execute(
            "select '[' || coalesce(group_concat(row, ','), '') || ']' from (select json_object("
            "'name', aps.name, 'site', aps.site, 'tenant', aps.tenant, 'kind', sites.kind, 'role', aps.role, "
            "'state', coalesce(health.state, 'unknown'), 'since', health.since, 'last_poll', health.last_poll, "
            "'uptime', health.uptime, 'clients', health.clients, 'latency_ms', health.latency_ms, "
            "'cpu', health.cpu, 'mem', health.mem, 'radios_down', health.radios_down, "
            # json('[]') and the like are constants, parsed once per query, not once per row
            "'reasons', iif(health.reasons is null or health.reasons in ('', '[]'), json('[]'), "
            "json((select json_group_array(json_extract(value, '$[1]')) from json_each(health.reasons)))), "
            "'error_kind', health.error_kind, 'flapping', iif(health.flapping, json('true'), json('false')), "
            "'unavailable', iif(health.unavailable is null or health.unavailable in ('', '{}'), json('{}'), "
            "json(health.unavailable))) as row "  # noqa: S608
            f"{joined} order by aps.name)", params).fetchone()
        empty = {"up": 0, "degraded": 0, "down": 0, "unknown": 0, "total": 0}
        sites: dict[str, dict[str, int]] = {}
        kinds: dict[str, dict[str, int]] = {}
        totals = dict(empty)
        kind_of = dict(self.db.execute("select name, coalesce(kind, '?') from sites").fetchall())
        for site, state, count in self.db.execute(
                "select site, coalesce(state, 'unknown'), count(*) from "
                f"(select aps.site as site, health.state as state {joined}) group by 1, 2", params).fetchall():  # noqa: S608
            kind = kind_of[site]
            for bucket in (sites.setdefault(site, dict(empty)), kinds.setdefault(kind, dict(empty)), totals):
                bucket[state] += count
                bucket["total"] += count
        names = [name for name, tenant, site in self.db.execute(
            "select name, tenant, site from aps where role = 'controller'").fetchall() if scope.allows(tenant, site)]
        health: dict[str, Mapping[str, Any]] = {}
        if names:
            cursor = self.db.execute("select ap, state, since, reasons from health where ap in "
                                     "(select name from aps where controller is not null or role = 'controller')")
            health = {row[0]: {"state": row[1], "since": row[2], "reasons": row[3]} for row in cursor.fetchall()}
        rest = json.dumps({"sites": sites, "kinds": kinds, "totals": totals,
                           "controllers": summarize(self.db, scope, names, health)},
                          separators=(",", ":"), default=str, ensure_ascii=False)
        return '{"aps":' + aps_text + "," + rest[1:]

    def metrics(self, ap: str, metric: str | None = None, since: str | float | None = None) -> list[dict[str, Any]]:
        """The time series of one AP: ``[{ts, epoch, metric, value, resolution}]`` oldest first.

        ``since``: ``15m``/``2h``/``3d`` ago, an ISO time, or epoch seconds (default: the last hour).
        """
        from netctl.poll.store import parse_time, series

        self.session.require("view")
        self.session.get_ap(ap)
        start = parse_time(since) if isinstance(since, str) else since
        return series(self.db, ap, metric, start)

    def health_rules(self) -> dict[str, Any]:
        """The health rules in force (defaults with the database's overrides)."""
        from dataclasses import asdict

        from netctl.poll.store import load_rules

        return asdict(load_rules(self.db))

    def set_health_rules(self, **changes: Any) -> dict[str, Any]:
        """Override health rules (e.g. ``down_after_misses=2``); validated before anything is written."""
        from netctl.poll.health import Rules
        from netctl.poll.store import get_setting, set_setting

        self.session.require("maintenance")
        merged = {**(get_setting(self.db, "rules") or {}), **changes}
        Rules.from_dict(merged)
        set_setting(self.db, "rules", merged)
        return self.health_rules()

    # -- alerts ---------------------------------------------------------------------------------
    def alerts(self, open_only: bool = True, selection: Selection | str | Sequence[str] | None = None,
               limit: int = 1000) -> list[dict[str, Any]]:
        """Alerts (newest first) of the APs the user may see; only open ones unless ``open_only=False``."""
        self.session.require("view")
        where = "state = 'open'" if open_only else "1 = 1"
        chosen = as_selection(selection)
        if chosen == Selection():
            # the whole scope: only the APs that have alerts are read (not 100,000 inventory rows)
            scope = self.session.scope
            visible = {name: {"site": site} for name, site, tenant in self.db.execute(
                "select name, site, tenant from aps where name in "
                f"(select ap from alerts where {where})").fetchall() if scope.allows(tenant, site)}  # noqa: S608
        else:
            visible = {ap["name"]: ap for ap in self.session.select(chosen)}
        out = []
        for row in self.db.query(f"select * from alerts where {where} order by id desc"):
            ap = visible.get(row["ap"])
            if ap is None:
                continue
            row["site"] = ap["site"]
            row["muted"] = bool(row["muted"])
            out.append(row)
            if len(out) >= limit:
                break
        return out

    def ack_alert(self, alert_id: int, note: str | None = None) -> dict[str, Any]:
        """Acknowledge an alert (someone is on it). Raises NotFound for an unknown or invisible alert."""
        from netctl.poll.store import WRITE_LOCK, iso
        from netctl.store.db import transaction

        self.session.require("ack")
        rows = list(self.db.table("alerts").rows_where("id = ?", [int(alert_id)]))
        if not rows or not self.session.select(Selection(names=(rows[0]["ap"],))):
            raise NotFound(f"no alert with id {alert_id}", hint="list them with: netctl alerts list")
        with WRITE_LOCK, transaction(self.db):
            self.db.table("alerts").update(int(alert_id), {"acked_by": self.session.user_name,
                                                          "acked_at": iso(time.time()),
                                                     "ack_note": note})
        return dict(self.db.table("alerts").get(int(alert_id)))

    # -- maintenance windows --------------------------------------------------------------------
    def maintenance_add(self, selection: Selection | str | Sequence[str] | None, starts: str | float,
                        ends: str | float, *, name: str | None = None, reason: str | None = None) -> dict[str, Any]:
        """A window during which the selected APs keep being polled and recorded, but alerts stay muted.

        ``starts``/``ends``: ISO times, ``now``, or ``+2h``-style offsets from now.
        """
        from netctl.poll.store import iso

        self.session.require("maintenance")
        sel = as_selection(selection)
        if not self.session.select(sel):
            raise NotFound(f"the selection {sel.describe()!r} matches no AP you may see",
                           hint="check the names/filters with: netctl inventory list")
        start, end = _when(starts), _when(ends)
        if end <= start:
            raise ConfigError("a maintenance window must end after it starts", hint="e.g. --start now --end +2h")
        row = {"name": name or f"{sel.describe()} {iso(start)}", "selection": sel.to_json(), "starts": iso(start),
               "ends": iso(end), "reason": reason, "created_by": self.session.user_name, "created": iso(time.time())}
        row["id"] = self.db.table("maintenance").insert(row).last_pk
        return row

    def maintenance_list(self, active_only: bool = False) -> list[dict[str, Any]]:
        from netctl.poll.store import iso

        self.session.require("view")
        now = iso(time.time())
        rows = []
        for row in self.db.table("maintenance").rows_where(order_by="starts desc"):
            row["active"] = row["starts"] <= now < row["ends"]
            if active_only and not row["active"]:
                continue
            row["selection"] = json.loads(row["selection"])
            rows.append(row)
        return rows

    def maintenance_remove(self, window_id: int) -> None:
        self.session.require("maintenance")
        if self.db.table("maintenance").count_where("id = ?", [int(window_id)]) == 0:
            raise NotFound(f"no maintenance window {window_id}", hint="list them with: netctl maintenance list")
        self.db.table("maintenance").delete(int(window_id))

    # -- notifiers ------------------------------------------------------------------------------
    def notifier_add(self, name: str, kind: str, target: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add (or replace) a notifier: ``webhook`` URL, ``command`` line, or a plugin kind."""
        from netctl.notify import load_notifier

        self.session.require("maintenance")
        load_notifier(kind, target, options)  # validates before anything is stored
        row = {"name": name, "kind": kind, "target": target, "enabled": 1, "options": json.dumps(options or {})}
        self.db.table("notifiers").upsert(row, pk="name")
        return row

    def notifier_list(self) -> list[dict[str, Any]]:
        self.session.require("view")
        return list(self.db.table("notifiers").rows_where(order_by="name"))

    def notifier_remove(self, name: str) -> None:
        self.session.require("maintenance")
        if self.db.table("notifiers").count_where("name = ?", [name]) == 0:
            raise NotFound(f"no notifier named {name!r}", hint="list them with: netctl alerts notifiers")
        self.db.table("notifiers").delete(name)

    def notify_test(self) -> list[dict[str, Any]]:
        """Send a test event through every enabled notifier; one delivery result each."""
        from netctl.notify import notify
        from netctl.poll.store import iso

        self.session.require("maintenance")
        event = {"event": "test", "id": 0, "ap": None, "kind": "test", "state": "test",
                 "message": f"netctl test notification from {self.session.user_name}", "first_seen": iso(time.time())}
        return notify(self.db, [event])

    # -- retention (the jobs themselves: netctl.schedule.ops) ----------------------------------------
    def apply_retention(self) -> dict[str, Any]:
        """Fold raw samples into roll-ups and delete old rows (what the ``retention`` job runs)."""
        from netctl.poll.store import apply_retention

        self.session.require("jobs")
        return apply_retention(self.db)


def _reasons(text: str | None) -> list[str]:
    if not text or text == "[]":
        return []
    return [r[1] for r in json.loads(text)]


def _unavailable(text: str | None) -> dict[str, str]:
    if not text or text == "{}":
        return {}
    return dict(json.loads(text))


class _HealthRows(Mapping[str, Mapping[str, Any]]):
    """The health table as AP name -> row, each row a tuple until a dict of it is asked for."""

    def __init__(self, columns: list[str], rows: dict[str, tuple[Any, ...]]) -> None:
        self.columns, self.rows = columns, rows

    def __getitem__(self, ap: str) -> Mapping[str, Any]:
        return dict(zip(self.columns, self.rows[ap], strict=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _when(value: str | float) -> float:
    from netctl.poll.store import parse_time

    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    if text == "now":
        return time.time()
    if text.startswith("+"):
        return time.time() + (time.time() - parse_time(text[1:]))
    return parse_time(text)


__all__ = ["MonitorService", "PollResult", "Target", "as_selection", "build_targets"]
