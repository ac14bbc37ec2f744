"""Overlays: named, time-boxed variables on top of an AP's own ("exam mode in room 1.12 for 90 minutes").

``netctl overlay add exam-112 --ap gs-meiderich-ap07 --set vars.ssids_disabled=[Schule-Lernen] --until 90m``
stores the overlay and pushes the APs it covers (an AP, a site, or a group of a tenant); while it is
active its variables are the highest layer of those APs' variables (:func:`netctl.inventory.vars.ap_layers`),
so every render, diff, push and converge sees them. When it ends (its time, or ``netctl overlay end``)
its variables are gone and the APs are pushed again. The end is the scheduler's ``timers`` job
(:func:`netctl.ssids.timers_job`), so it survives a restart; an overlay whose time has passed no longer
counts even before that job runs. APs that cannot be reached are ``pending`` and get the right config
when they come back (automatic convergence).

Overlays hold plain values: no ``secret:``, ``env:`` or ``file:`` references, and not the reserved
keys ``ap``, ``site``, ``tenant``.

Raises: PermissionDenied (the user may not push), NotFound (target out of scope, unknown overlay),
ConfigError (bad name, no variables, a reference, a reserved key, an ``--until`` that cannot be read).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

import sqlite_utils

from netctl import timers
from netctl.core import Session
from netctl.errors import ConfigError, NotFound
from netctl.inventory.vars import RESERVED_KEYS
from netctl.results import Results
from netctl.selection import Selection
from netctl.store.db import transaction

if TYPE_CHECKING:
    from netctl.push.ops import ConfigService

ACTIVE = "active"
ENDED = "ended"
KINDS = ("ap", "site", "group")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_REFERENCE = re.compile(r"^(secret|env|file):")


def active_overlays(db: sqlite_utils.Database, ap: dict[str, Any], now: str) -> list[dict[str, Any]]:
    """The active overlays covering AP row ``ap`` at ``now`` (UTC ISO), oldest first: ``[{name, vars}]``."""
    if "overlays" not in db.table_names():
        return []
    groups = ap.get("groups") or []
    if isinstance(groups, str):
        groups = json.loads(groups)
    rows = db.query("select name, kind, target, tenant, vars from overlays where state = ? and until > ? "
                    "order by created, id", [ACTIVE, now])
    return [{"name": r["name"], "vars": json.loads(r["vars"] or "{}")} for r in rows if covers(r, ap, groups)]


def covers(overlay: dict[str, Any], ap: dict[str, Any], groups: list[str]) -> bool:
    """Whether ``overlay`` (kind, target, tenant) covers ``ap`` (in its ``groups``)."""
    kind, target = overlay["kind"], overlay["target"]
    if kind == "ap":
        return bool(ap["name"] == target)
    if kind == "site":
        return bool(ap.get("site") == target)
    return overlay.get("tenant") == ap.get("tenant") and target in groups


def check_vars(changes: dict[str, Any]) -> dict[str, Any]:
    """``{"vars.KEY": value}`` (as ``--set`` gives them) or ``{"KEY": value}`` to an overlay's variables."""
    found: dict[str, Any] = {}
    for raw, value in changes.items():
        key = raw.removeprefix("vars.")
        if not key or "." in key:
            raise ConfigError(f"overlay variable {raw!r} is not vars.NAME", hint="e.g. --set vars.max_clients=20")
        if key in RESERVED_KEYS:
            raise ConfigError(f"overlay variable {key!r} is reserved (a built-in fact)", hint="choose another name")
        if isinstance(value, str) and _REFERENCE.match(value):
            raise ConfigError(f"overlay variable {key!r} holds a reference ({value.split(':')[0]}:)",
                              hint="overlays hold plain values; put references in the inventory")
        if value is None:
            raise ConfigError(f"overlay variable {key!r} has no value", hint="give --set vars.NAME=VALUE")
        found[key] = value
    if not found:
        raise ConfigError("an overlay needs at least one variable", hint="give --set vars.NAME=VALUE")
    return found


class OverlayService:
    """Named, time-boxed variable overlays ("exam mode"): ``Netctl.overlays``.

    Given the session and the configuration service, which pushes the APs an overlay covers.
    """

    def __init__(self, session: Session, *, config: ConfigService) -> None:
        self.session = session
        self.db = session.db
        self.config = config

    def add(self, name: str, *, kind: str, target: str, changes: dict[str, Any], until: str,
            tenant: str | None = None, now: dt.datetime | None = None, concurrency: int = 20,
            confirm_timeout: int = 60) -> dict[str, Any]:
        """Store overlay ``name`` on an AP, a site or a group (``kind``, ``target``; a group needs its
        ``tenant``) with ``changes`` until ``until`` (:func:`netctl.timers.parse_until`), then push the
        APs it covers. Returns ``{overlay, results}`` (one push result per AP)."""
        self.session.require("push")
        if not _NAME.match(name):
            raise ConfigError(f"bad overlay name {name!r}", hint="letters, digits, '.', '_', '-', e.g. exam-112")
        if kind not in KINDS:
            raise ConfigError(f"an overlay covers an ap, a site or a group, not {kind!r}", hint="give --ap, --site "
                                                                                               "or --group")
        variables = check_vars(changes)
        aps = self._covered(kind, target, tenant)
        now = now or dt.datetime.now(dt.UTC)
        zone = self.session.site_timezone(aps[0]["site"])
        ends = timers.parse_until(until, now, zone)
        if list(self.db.table("overlays").rows_where("name = ? and state = ?", [name, ACTIVE])):
            raise ConfigError(f"overlay {name!r} is active already", hint=f"end it first: netctl overlay end {name}")
        stamp = now.isoformat(timespec="seconds")
        with transaction(self.db):
            self.db.table("overlays").insert({
                "name": name, "kind": kind, "target": target, "tenant": tenant or aps[0]["tenant"],
                "vars": json.dumps(variables), "until": ends.isoformat(timespec="seconds"), "who": self.session.who(),
                "created": stamp, "state": ACTIVE})
        results = self.config.push(Selection(names=tuple(ap["name"] for ap in aps)), concurrency=concurrency,
                                   confirm_timeout=confirm_timeout)
        return {"overlay": self.get(name), "results": results}

    def list_overlays(self, *, ended: bool = False, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Overlays covering APs the acting user may see (active ones; ``ended`` too):
        ``[{name, kind, target, vars, until, until_local, timezone, who, state, aps}]``."""
        self.session.require("view")
        now = now or dt.datetime.now(dt.UTC)
        where = None if ended else "state = 'active'"
        out = []
        for row in self.db.table("overlays").rows_where(where, order_by="created desc, id desc"):
            aps = self._visible_covered(row)
            if not aps:
                continue
            zone = self.session.site_timezone(aps[0]["site"])
            out.append({"name": row["name"], "kind": row["kind"], "target": row["target"],
                        "vars": json.loads(row["vars"] or "{}"), "until": row["until"],
                        "until_local": timers.until_text(row["until"], zone, now), "timezone": zone,
                        "who": row["who"], "state": row["state"], "ended": row.get("ended"),
                        "aps": [ap["name"] for ap in aps]})
        return out

    def get(self, name: str) -> dict[str, Any]:
        for row in self.list_overlays(ended=True):
            if row["name"] == name and row["state"] == ACTIVE:
                return row
        raise NotFound(f"no active overlay named {name!r}", hint="list them with: netctl overlay list")

    def end(self, name: str, *, now: dt.datetime | None = None, concurrency: int = 20,
            confirm_timeout: int = 60) -> Results[Any]:
        """End overlay ``name`` now and push the APs it covered; one push result per AP."""
        self.session.require("push")
        overlay = self.get(name)
        return self._end(overlay["name"], overlay["aps"], now or dt.datetime.now(dt.UTC), "ended by hand",
                         concurrency, confirm_timeout)

    def end_due(self, *, now: dt.datetime | None = None, concurrency: int = 20,
                confirm_timeout: int = 60) -> list[dict[str, Any]]:
        """End every overlay whose time has come (the ``timers`` job): one dict per overlay
        ``{overlay, ok, aps, reason}``. Ended even when an AP cannot be reached: that AP is pending."""
        now = now or dt.datetime.now(dt.UTC)
        if not self.session.can("push"):
            return []
        stamp = now.isoformat(timespec="seconds")
        done = []
        for row in list(self.db.table("overlays").rows_where("state = ? and until <= ?", [ACTIVE, stamp],
                                                             order_by="until")):
            aps = [ap["name"] for ap in self._visible_covered(row)]
            results = self._end(row["name"], aps, now, f"its time ended ({row['until']})", concurrency,
                                confirm_timeout)
            bad = [r for r in results if not r.ok]
            done.append({"overlay": row["name"], "ok": not bad, "aps": {r.ap: r.status for r in results},
                         "reason": "ended" + (f"; not yet on {', '.join(r.ap for r in bad)}: they get it "
                                              "when they come back" if bad else "")})
        return done

    # -- helpers --------------------------------------------------------------------------------
    def _end(self, name: str, aps: list[str], now: dt.datetime, why: str, concurrency: int,
             confirm_timeout: int) -> Results[Any]:
        with transaction(self.db):
            self.db.execute("update overlays set state = ?, ended = ?, ended_by = ?, reason = ? "
                            "where name = ? and state = ?",
                            [ENDED, now.isoformat(timespec="seconds"), self.session.who(), why, name, ACTIVE])
        if not aps:
            return Results()
        return self.config.push(Selection(names=tuple(aps)), concurrency=concurrency,
                                confirm_timeout=confirm_timeout)

    def _covered(self, kind: str, target: str, tenant: str | None) -> list[dict[str, Any]]:
        if kind == "ap":
            aps = [self.session.get_ap(target)]
        elif kind == "site":
            self.session.require_site(target)
            aps = self.session.select(Selection(site=target))
        else:
            aps = self.session.select(Selection(group=target, tenant=tenant))
        aps = [ap for ap in aps if ap.get("role", "ap") == "ap"]
        if not aps:
            raise NotFound(f"no access point in {kind} {target!r}", hint="check the name: netctl inventory list")
        return aps

    def _visible_covered(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        chosen = {"ap": Selection(names=(row["target"],)), "site": Selection(site=row["target"]),
                  "group": Selection(group=row["target"], tenant=row["tenant"])}[row["kind"]]
        return [ap for ap in self.session.select(chosen) if ap.get("role", "ap") == "ap"]

