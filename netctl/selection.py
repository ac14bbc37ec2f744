"""Selecting APs: one query for the CLI, the TUI, jobs and pushes, with the user's scope applied.

A selection is data (so a job can be sent to a worker process or a task queue as JSON); resolving it
is the only place that turns it into AP rows, and it always applies the scope of the acting user, so
an out-of-scope AP can never be reached by any action.

An AP behind a WLAN controller is in scope by its own site, as any AP: a school-admin sees the APs of
their school whatever controller they hang on (a city's central AC stands in its data centre). The
controller itself is an inventory entry at its own site: only users whose scope holds that site see it,
its AP table (``netctl controller aps``) and its configuration. Selecting by controller
(``Selection(controller=NAME)``, ``--controller NAME``) means the APs behind it, and so needs the
controller in scope: a user who may not see it is refused (:class:`~netctl.errors.NotFound`, as for any
name outside the scope), never handed an empty or partial list.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from netctl.errors import NotFound
from netctl.i18n import _


@dataclass(frozen=True)
class Scope:
    """What a user may see and act on. ``None`` for a field means no limit on it."""

    tenants: frozenset[str] | None = None
    sites: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    def allows(self, tenant: str, site: str) -> bool:
        if self.tenants is not None and tenant not in self.tenants:
            return False
        if self.sites is not None and site not in self.sites:
            return False
        return True

    def to_dict(self) -> dict[str, list[str] | None]:
        return {"tenants": sorted(self.tenants) if self.tenants is not None else None,
                "sites": sorted(self.sites) if self.sites is not None else None}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Scope:
        t, s = raw.get("tenants"), raw.get("sites")
        return cls(frozenset(t) if t is not None else None, frozenset(s) if s is not None else None)


@dataclass(frozen=True)
class Selection:
    """Which APs: name globs (``gs-*``, exact names) and filters. Empty selection = all in scope."""

    names: tuple[str, ...] = ()
    tenant: str | None = None
    site: str | None = None
    kind: str | None = None
    group: str | None = None
    tag: str | None = None
    role: str | None = None
    platform: str | None = None
    #: the APs behind this controller (their ``controller`` field)
    controller: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Selection:
        raw = json.loads(text)
        raw["names"] = tuple(raw.get("names") or ())
        return cls(**raw)

    def describe(self) -> str:
        parts = list(self.names)
        for key in ("tenant", "site", "kind", "group", "tag", "role", "platform", "controller"):
            value = getattr(self, key)
            if value:
                parts.append(f"{key}={value}")
        return " ".join(parts) or "all"


def select_aps(db: sqlite_utils.Database, selection: Selection, scope: Scope | None = None) -> list[dict[str, Any]]:
    """Return the AP rows (dicts, JSON columns decoded) matching ``selection`` within ``scope``.

    Ordered by name. Unknown names simply match nothing; callers that need "exactly these APs"
    compare the result with the names they asked for. A ``controller`` that is no controller ``scope``
    holds raises NotFound (:func:`check_controller`).
    """
    where: list[str] = []
    params: dict[str, Any] = {}
    if selection.controller:
        check_controller(db, selection.controller, scope)
        where.append("aps.controller = :controller")
        params["controller"] = selection.controller
    if selection.tenant:
        where.append("aps.tenant = :tenant")
        params["tenant"] = selection.tenant
    if selection.site:
        where.append("aps.site = :site")
        params["site"] = selection.site
    if selection.kind:
        where.append("sites.kind = :kind")
        params["kind"] = selection.kind
    if selection.role:
        where.append("aps.role = :role")
        params["role"] = selection.role
    if selection.platform:
        where.append("aps.platform = :platform")
        params["platform"] = selection.platform
    if selection.group:
        where.append("exists (select 1 from json_each(aps.groups) where value = :group)")
        params["group"] = selection.group
    if selection.tag:
        where.append("exists (select 1 from json_each(aps.tags) where value = :tag)")
        params["tag"] = selection.tag
    exact = [n for n in selection.names if not any(c in n for c in "*?[")]
    globs = [n for n in selection.names if n not in exact]
    if selection.names and not globs:
        where.append(f"aps.name in ({', '.join(f':n{i}' for i in range(len(exact)))})")
        params.update({f"n{i}": n for i, n in enumerate(exact)})
    sql = ("select aps.*, sites.kind as site_kind from aps join sites on sites.name = aps.site"
           + (" where " + " and ".join(where) if where else "") + " order by aps.name")
    rows = []
    flat: dict[str, Any] = {}  # many APs share their snmp/groups/tags text: parse each text once
    for row in db.query(sql, params):
        if globs and not (row["name"] in exact or any(fnmatch.fnmatchcase(row["name"], g) for g in globs)):
            continue
        if scope is not None and not scope.allows(row["tenant"], row["site"]):
            continue
        for col in ("snmp", "groups", "tags"):
            text = row.get(col)
            if isinstance(text, str):
                if text not in flat:
                    flat[text] = json.loads(text)
                value = flat[text]
                row[col] = value.copy()  # flat values: a shallow copy is a full copy
        text = row.get("vars")
        if isinstance(text, str):
            row["vars"] = {} if text == "{}" else json.loads(text)
        rows.append(row)
    return rows


def check_controller(db: sqlite_utils.Database, name: str, scope: Scope | None = None) -> None:
    """Raise NotFound unless ``name`` is an inventory entry with ``role: controller`` that ``scope`` holds
    (one outside the scope does not exist for the user, as every name outside it)."""
    row = next(db.query("select tenant, site, role from aps where name = ?", [name]), None)
    visible = row is not None and (scope is None or scope.allows(row["tenant"], row["site"]))
    if not visible or row is None or row["role"] != "controller":
        raise NotFound(_("no controller named {name!r} (a selection by controller needs its site in your scope)")
                       .format(name=name), hint=_("list the controllers you may see with: netctl controller list"))
