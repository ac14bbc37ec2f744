"""Each WLAN controller at a glance, from what the polls recorded: its own state and the states of the
APs behind it (``netctl status``, the TUI's overview and AP page). Nothing here talks to the network.

An AP behind a controller counts once, by its health state (``up``, ``degraded``, ``down``,
``unknown``), except that an AP whose controller's AP table did not list it at its last poll (health
reason ``controller-missing``, :mod:`netctl.controllers.record`) counts as ``missing`` instead of
``unknown``. Only the APs the session may see count; a controller outside the scope is never asked
about (the caller passes the controllers it selected within scope).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from netctl.controllers.record import MISSING_ALERT
from netctl.selection import Scope

#: what an AP behind a controller counts as (``aps`` of :func:`summarize` has these and ``total``)
BUCKETS = ("up", "degraded", "down", "unknown", "missing")


def ap_bucket(health: Mapping[str, Any] | None) -> str:
    """The count an AP behind a controller goes into, from its ``health`` row (raw ``reasons`` JSON text
    or a list of ``[kind, message]``; None: never recorded, ``unknown``)."""
    state = str((health or {}).get("state") or "unknown")
    if state != "unknown" or not health:
        return state if state in BUCKETS else "unknown"
    reasons = health.get("reasons") or []
    if isinstance(reasons, str):
        reasons = json.loads(reasons or "[]")
    return "missing" if any(r and r[0] == MISSING_ALERT for r in reasons) else "unknown"


def summarize(db: sqlite_utils.Database, scope: Scope | None, controllers: Sequence[str],
              health: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per controller of ``controllers`` (names the session selected within ``scope``), by name:
    ``{name, tenant, site, platform, state, since, last_poll, error, listed, aps: {up, degraded, down,
    unknown, missing, total}}``.

    ``state``/``since``: its own health (``health``: AP name -> health row, ``reasons`` as stored).
    ``last_poll``: when a poll last read it for its AP tables (None: never); ``error``: why that poll
    could not read them (None when it did); ``listed``: how many APs its last good table listed (None:
    never read). ``aps`` counts the inventory APs within ``scope`` that name it (:func:`ap_bucket`).
    """
    names = sorted(set(controllers))
    if not names:
        return []
    marks = ", ".join("?" for _ in names)
    rows = db.execute(f"select name, tenant, site, platform from aps where name in ({marks}) "  # noqa: S608
                      "order by name", names).fetchall()
    polls = {row["controller"]: row for row in db.query(
        "select controller, last_poll, last_ok, ok, error_kind, error from controller_polls "
        f"where controller in ({marks})", names)}  # noqa: S608
    listed = dict(db.execute(f"select controller, count(*) from controller_aps where controller in ({marks}) "  # noqa: S608
                             "group by controller", names).fetchall())
    counts = {name: {**dict.fromkeys(BUCKETS, 0), "total": 0} for name in names}
    for ap, tenant, site, controller in db.execute(
            f"select name, tenant, site, controller from aps where controller in ({marks})", names).fetchall():  # noqa: S608
        if scope is None or scope.allows(tenant, site):
            bucket = counts[controller]
            bucket[ap_bucket(health.get(ap))] += 1
            bucket["total"] += 1
    out = []
    for name, tenant, site, platform in rows:
        own = health.get(name) or {}
        poll = polls.get(name) or {}
        error = None
        if poll and not poll.get("ok"):
            error = ": ".join(str(part) for part in (poll.get("error_kind"), poll.get("error")) if part)
        out.append({"name": name, "tenant": tenant, "site": site, "platform": platform,
                    "state": own.get("state") or "unknown", "since": own.get("since"),
                    "last_poll": poll.get("last_poll"), "error": error,
                    "listed": listed.get(name, 0) if poll.get("last_ok") else None,
                    "aps": counts[name]})
    return out
