"""Inventory operations of the facade (import, export, list, show, add, set, remove, vars, secrets).

Reads go through ``self.select`` (or filter by ``self.session.scope``) so a user only ever sees the tenants
and sites of their scope; writes call ``self.session.require("inventory")`` (secrets: ``"secrets"``). Every
multi-row write is one transaction: an import either applies completely or not at all.

The shapes returned here are what ``--json`` prints; they are documented in docs/inventory.md and
kept stable. Secret references (``secret:NAME`` …) appear as written; secret values are resolved
only by drivers when a connection is made, never here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import replace
from typing import Any

from netctl.core import Session
from netctl.errors import InventoryError, NotFound, PermissionDenied, Problem
from netctl.inventory import secrets as secret_store
from netctl.inventory.plan import (
    COMPARED,
    KINDS,
    Snapshot,
    check_ap_references,
    check_controller_references,
    plan_import,
)
from netctl.inventory.validate import (
    AP_FIELDS,
    GROUP_FIELDS,
    NAME_RE,
    SITE_FIELDS,
    TENANT_FIELDS,
    Entry,
    validate_ap,
)
from netctl.inventory.vars import ap_layers, facts, layer_chain, merge_vars
from netctl.overlays import active_overlays
from netctl.platforms import PLATFORMS
from netctl.selection import Selection
from netctl.store.db import transaction

JSON_COLUMNS = ("vars", "snmp", "groups", "tags")
SECRET_NAME_HELP = "letters, digits, '.', '_', '-' and '/' (e.g. lab/netconf)"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its JSON columns decoded (in place; returns the row)."""
    for col in JSON_COLUMNS:
        if isinstance(row.get(col), str):
            row[col] = json.loads(row[col])
    return row


def _encode(record: dict[str, Any]) -> dict[str, Any]:
    """A record ready for the database: JSON columns as JSON text."""
    row = dict(record)
    for col in JSON_COLUMNS:
        if col in row:
            empty: Any = {} if col in ("vars", "snmp") else []
            row[col] = json.dumps(row[col] if row[col] is not None else empty, ensure_ascii=False)
    return row


def public_ap(row: dict[str, Any]) -> dict[str, Any]:
    """The stable JSON shape of one AP (``inventory list --json`` / ``show --json``)."""
    row = _decode(dict(row))
    platform = PLATFORMS.get(row.get("platform") or "")
    return {
        "name": row["name"], "tenant": row["tenant"], "site": row["site"], "site_kind": row.get("site_kind"),
        "role": row.get("role") or "ap", "platform": row["platform"],
        "transport": platform.transport if platform else None,
        "address": row["address"], "port": row.get("port"), "model": row.get("model"),
        "serial": row.get("serial"), "vehicle_id": row.get("vehicle_id"),
        "groups": list(row.get("groups") or []), "tags": list(row.get("tags") or []),
        "snmp": dict(row.get("snmp") or {}), "credentials": row.get("credentials"),
        "vars": dict(row.get("vars") or {}), "controller": row.get("controller"), "mac": row.get("mac"),
        "ap_group": row.get("ap_group"), "ap_id": row.get("ap_id"), "created": row.get("created"),
        "updated": row.get("updated"),
    }


class InventoryService:
    """APs, sites, tenants, groups, variables and secrets: ``Netctl.inventory``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.db = session.db

    # -- database -------------------------------------------------------------------------------
    def db_info(self) -> dict[str, Any]:
        """Path, applied migrations, journal mode and row counts (``netctl init``)."""
        migrations = [r["name"] for r in self.db["_migrations"].rows_where(order_by="name")]
        mode = self.db.execute("pragma journal_mode").fetchone()[0]
        counts = {t: self.db[t].count for t in ("tenants", "sites", "groups", "aps", "secrets")}
        return {"path": self.session.db_path, "migrations": migrations, "journal_mode": mode, "counts": counts}

    def _snapshot(self) -> Snapshot:
        snap = Snapshot()
        snap.globals = {r["key"]: json.loads(r["value"]) for r in self.db["globals"].rows}
        snap.tenants = {r["name"]: _decode(r) for r in self.db["tenants"].rows}
        snap.sites = {r["name"]: _decode(r) for r in self.db["sites"].rows}
        snap.groups = {(r["tenant"], r["name"]): _decode(r) for r in self.db["groups"].rows}
        snap.aps = {r["name"]: _decode(r) for r in self.db["aps"].rows}
        return snap

    def _visible_tenant(self, tenant: str) -> bool:
        return self.session.scope.tenants is None or tenant in self.session.scope.tenants

    # -- import / export ------------------------------------------------------------------------
    def import_inventory(self, paths: list[str], *, dry_run: bool = False,
                         prune: bool = False) -> dict[str, Any]:
        """Import YAML/JSON/CSV files as one all-or-nothing, idempotent transaction.

        Returns the report ``{"dry_run", "files", "changed", <kind>: {"added", "changed",
        "unchanged", "removed", "fields"}}`` for kinds globals, tenants, sites, groups and aps.
        Nothing is removed unless ``prune``: then APs of the sites the files mention but do not
        list are removed. Raises InventoryError with every problem of every file (the database is
        left unchanged), PermissionDenied when the user may not change the inventory or an entry
        lies outside their scope.
        """
        from netctl.inventory.loaders import load_files  # PyYAML only when files are read

        self.session.require("inventory")
        entries, problems = load_files([str(p) for p in paths])
        if dry_run:
            return self._plan_and_apply(paths, entries, problems, dry_run=True, prune=prune)
        # plan inside the write transaction: what it compares against cannot change under it
        with transaction(self.db):
            return self._plan_and_apply(paths, entries, problems, dry_run=False, prune=prune)

    def import_entries(self, entries: list[Entry], *, source: str, dry_run: bool = False) -> dict[str, Any]:
        """Import entries made by netctl itself (``netctl inventory adopt``) exactly as a file's: the same
        checks, scope and report, one transaction. ``source`` names them in problems."""
        self.session.require("inventory")
        if dry_run:
            return self._plan_and_apply([source], entries, [], dry_run=True, prune=False)
        with transaction(self.db):
            return self._plan_and_apply([source], entries, [], dry_run=False, prune=False)

    def _plan_and_apply(self, paths: list[str], entries: list[Entry], problems: list[Problem], *,
                        dry_run: bool, prune: bool) -> dict[str, Any]:
        snap = self._snapshot()
        plan, more = plan_import(entries, snap, prune=prune)
        problems = problems + more
        if (plan.added["globals"] or plan.changed["globals"]) and not self.session.can("globals"):
            self.session.require("globals")
        if not problems:
            file = str(paths[0]) if len(paths) == 1 else "import"
            for kind in KINDS:
                for record in plan.added[kind] + plan.changed[kind]:
                    problems += self._reference_problems(kind, record, _old_record(snap, kind, record), file)
            problems += self._controller_scope_problems(plan.added["aps"] + plan.changed["aps"], snap, entries)
        if problems:
            order = {str(path): i for i, path in enumerate(paths)}
            problems.sort(key=lambda p: (order.get(p.file, len(order)), p.line or 0))
            raise InventoryError(problems)
        self._check_scope(plan.added, plan.changed,
                          {"globals": [], "tenants": [], "sites": [], "groups": [], "aps": plan.removed})
        report: dict[str, Any] = {"dry_run": dry_run, "files": [str(p) for p in paths],
                                  "changed": plan.has_changes}
        report.update({kind: plan.report[kind] for kind in KINDS})
        if dry_run or not plan.has_changes:
            return report
        now = _now()
        rows = plan.added["globals"] + plan.changed["globals"]
        if rows:
            self.db.table("globals").upsert_all(
                [{"key": r["key"], "value": json.dumps(r["value"], ensure_ascii=False)} for r in rows],
                pk="key")
        for kind, pk in (("tenants", "name"), ("sites", "name"), ("groups", ("tenant", "name"))):
            if plan.added[kind]:
                self.db.table(kind).insert_all([_encode(r) for r in plan.added[kind]], pk=pk)
            if plan.changed[kind]:
                self.db.table(kind).upsert_all([_encode(r) for r in plan.changed[kind]], pk=pk)
        if plan.added["aps"]:
            self.db.table("aps").insert_all(
                [_encode({**r, "created": now, "updated": now}) for r in plan.added["aps"]],
                pk="name", batch_size=500)
        for start in range(0, len(plan.removed), 500):
            names = [row["name"] for row in plan.removed[start:start + 500]]
            self.db.execute(f"delete from aps where name in ({', '.join('?' * len(names))})", names)
        if plan.changed["aps"]:
            self.db.table("aps").upsert_all([_encode({**r, "updated": now}) for r in plan.changed["aps"]],
                                            pk="name", batch_size=500)
        return report

    def _controller_scope_problems(self, records: list[dict[str, Any]], snap: Snapshot,
                                   entries: list[Entry]) -> list[Problem]:
        """A controller outside the acting user's scope does not exist for them: naming one is the same
        problem as naming an unknown controller."""
        if self.session.scope.tenants is None and self.session.scope.sites is None:
            return []
        mine = {r["name"]: r for r in records}
        where = {str(e.data.get("name")): e for e in entries if e.kind == "ap"}
        problems = []
        for record in records:
            controller = record.get("controller")
            if not controller:
                continue
            row = mine.get(controller) or snap.aps.get(controller) or {}
            if row and self.session.scope.allows(row.get("tenant") or "", row.get("site") or ""):
                continue
            entry = where.get(record["name"])
            problems.append(Problem(entry.file if entry else "import", entry.line_of("controller") if entry else None,
                                    f"unknown controller {controller!r}; name an entry with role: controller "
                                    "(or import its file too)", record["name"]))
        return problems

    def _check_scope(self, *plans: dict[str, list[dict[str, Any]]]) -> None:
        if self.session.scope.tenants is None and self.session.scope.sites is None:
            return
        outside: list[str] = []
        for plan in plans:
            for record in plan["tenants"] + plan["groups"]:
                if not self._visible_tenant(record["tenant"] if "tenant" in record else record["name"]):
                    outside.append(f"tenant {record.get('tenant', record['name'])}")
            for record in plan["sites"]:
                if not self.session.scope.allows(record["tenant"], record["name"]):
                    outside.append(f"site {record['name']}")
            for record in plan["aps"]:
                if not self.session.scope.allows(record["tenant"], record["site"]):
                    outside.append(f"AP {record['name']}")
            if plan["globals"]:
                outside.append("global variables")
        if outside:
            names = ", ".join(sorted(set(outside))[:10])
            raise PermissionDenied(f"user {self.session.user_name!r} may not change: {names}",
                                   hint="import only what lies in your scope, or ask an admin")

    def export_inventory(self, fmt: str = "yaml", *, delimiter: str = ",") -> str:
        """The inventory (within the user's scope) as YAML, JSON or CSV; re-importable.

        YAML and JSON hold every section; CSV holds the APs only (one row each, ``snmp_*`` and
        ``vars.NAME`` columns). Secrets appear only as their references.
        """
        if fmt not in ("yaml", "json", "csv"):
            raise NotFound(f"unknown export format {fmt!r}", hint="use yaml, csv or json")
        aps = [public_ap(r) for r in self.session.select(Selection())]
        if fmt == "csv":
            return _aps_to_csv(aps, delimiter)
        doc = self._export_doc(aps)
        if fmt == "json":
            return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        import yaml

        header = "# netctl inventory export; re-import with: netctl inventory import FILE\n"
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return header + yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True,
                                  default_flow_style=False)

    def _export_doc(self, aps: list[dict[str, Any]]) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        globals_ = {r["key"]: json.loads(r["value"]) for r in self.db["globals"].rows_where(order_by="key")}
        if globals_:
            doc["globals"] = globals_
        doc["tenants"] = [_prune({"name": r["name"], "title": r["title"], "vars": _decode(r)["vars"]})
                          for r in self.db["tenants"].rows_where(order_by="name")
                          if self._visible_tenant(r["name"])]
        sites = []
        for r in self.db["sites"].rows_where(order_by="tenant, name"):
            if not self.session.scope.allows(r["tenant"], r["name"]):
                continue
            geo = {"lat": r["lat"], "lon": r["lon"]} if r["lat"] is not None else None
            sites.append(_prune({"name": r["name"], "tenant": r["tenant"], "kind": r["kind"],
                                 "title": r["title"], "address": r["address"], "geo": geo,
                                 "vars": _decode(r)["vars"]}))
        doc["sites"] = sites
        doc["groups"] = [_prune({"name": r["name"], "tenant": r["tenant"], "vars": _decode(r)["vars"]})
                         for r in self.db["groups"].rows_where(order_by="tenant, name")
                         if self._visible_tenant(r["tenant"])]
        doc["aps"] = [_prune({k: (None if k == "role" and ap[k] == "ap" else ap[k]) for k in AP_FIELDS})
                      for ap in aps]
        return doc

    # -- reading --------------------------------------------------------------------------------
    def list_aps(self, selection: Selection | None = None) -> list[dict[str, Any]]:
        """APs matching ``selection`` within scope, in the public shape (references, never values)."""
        return [public_ap(r) for r in self.session.select(selection)]

    def show_ap(self, name: str) -> dict[str, Any]:
        """One AP with its site and tenant titles. Raises NotFound (also when out of scope)."""
        ap = public_ap(self.session.get_ap(name))
        site = self.db.table("sites").get(ap["site"])
        tenant = self.db.table("tenants").get(ap["tenant"])
        ap["site_title"] = site["title"]
        ap["tenant_title"] = tenant["title"]
        return ap

    def list_tenants(self) -> list[dict[str, Any]]:
        """``[{name, title, sites, aps, vars}]`` within scope."""
        sites = {s["name"]: s for s in self.list_sites()}
        out = []
        for r in self.db["tenants"].rows_where(order_by="name"):
            if not self._visible_tenant(r["name"]):
                continue
            mine = [s for s in sites.values() if s["tenant"] == r["name"]]
            out.append({"name": r["name"], "title": r["title"], "sites": len(mine),
                        "aps": sum(s["aps"] for s in mine), "vars": _decode(r)["vars"]})
        return out

    def list_sites(self, tenant: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """``[{name, tenant, kind, title, address, lat, lon, aps, vars}]`` within scope."""
        query = "select site, count(*) as n from aps group by site"
        counts = {r["site"]: r["n"] for r in self.db.query(query)}
        out = []
        for r in self.db["sites"].rows_where(order_by="tenant, name"):
            if not self.session.scope.allows(r["tenant"], r["name"]):
                continue
            if (tenant and r["tenant"] != tenant) or (kind and r["kind"] != kind):
                continue
            out.append({"name": r["name"], "tenant": r["tenant"], "kind": r["kind"], "title": r["title"],
                        "address": r["address"], "lat": r["lat"], "lon": r["lon"],
                        "aps": counts.get(r["name"], 0), "vars": _decode(r)["vars"]})
        return out

    def list_groups(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """``[{tenant, name, aps, vars}]`` within scope (``aps`` counts only visible APs)."""
        counts: dict[tuple[str, str], int] = {}
        for ap in self.session.select(Selection(tenant=tenant)):
            for group in ap["groups"]:
                counts[(ap["tenant"], group)] = counts.get((ap["tenant"], group), 0) + 1
        out = []
        for r in self.db["groups"].rows_where(order_by="tenant, name"):
            if not self._visible_tenant(r["tenant"]) or (tenant and r["tenant"] != tenant):
                continue
            out.append({"tenant": r["tenant"], "name": r["name"],
                        "aps": counts.get((r["tenant"], r["name"]), 0), "vars": _decode(r)["vars"]})
        return out

    def tree(self) -> list[dict[str, Any]]:
        """Tenants → sites with kind and AP counts (the TUI overview).

        ``[{name, title, aps, sites: [{name, title, kind, aps}]}]``
        """
        out = []
        sites = self.list_sites()
        for tenant in self.list_tenants():
            mine = [{"name": s["name"], "title": s["title"], "kind": s["kind"], "aps": s["aps"]}
                    for s in sites if s["tenant"] == tenant["name"]]
            out.append({"name": tenant["name"], "title": tenant["title"], "aps": sum(s["aps"] for s in mine),
                        "sites": mine})
        return out

    # -- variables ------------------------------------------------------------------------------
    def _layers(self, ap: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
        ap = _decode(dict(ap))
        globals_ = {r["key"]: json.loads(r["value"]) for r in self.db["globals"].rows}
        tenant = _decode(self.db.table("tenants").get(ap["tenant"]))
        site = _decode(self.db.table("sites").get(ap["site"]))
        groups = []
        for name in ap.get("groups") or []:
            rows = list(self.db["groups"].rows_where("tenant = ? and name = ?", [ap["tenant"], name]))
            groups.append(_decode(rows[0]) if rows else {"name": name, "vars": {}})
        overlays = active_overlays(self.db, ap, _now())
        # a controller's templates configure every AP naming it, whoever may see those APs
        behind = (list(self.db.query("select name, mac, ap_group, ap_id from aps where controller = ?", [ap["name"]]))
                  if ap.get("role") == "controller" else None)
        return ap_layers(globals_, tenant, site, groups, ap, overlays), facts(tenant, site, ap, behind)

    def merged_vars(self, ap_row: dict[str, Any]) -> dict[str, Any]:
        """The render context of one AP: variables merged global < tenant < site < group < AP < active overlay,
        plus the built-in facts under ``ap``, ``site`` and ``tenant``."""
        layers, builtin = self._layers(ap_row)
        merged, _ = merge_vars(layers)
        return {**merged, **builtin}

    def ap_vars(self, name: str) -> list[dict[str, Any]]:
        """Merged variables of AP ``name``: ``[{key, value, source, overrides}]`` sorted by key,
        then the facts (source ``fact``). ``overrides`` lists the lower layers that also set the key."""
        layers, builtin = self._layers(self.session.get_ap(name))
        merged, sources = merge_vars(layers)
        out = []
        for key in sorted(merged):
            chain = layer_chain(layers, key)
            out.append({"key": key, "value": merged[key], "source": sources[key], "overrides": chain[:-1]})
        out.extend({"key": key, "value": value, "source": "fact", "overrides": []}
                   for key, value in builtin.items())
        return out

    def _reference_problems(self, kind: str, record: dict[str, Any], old: dict[str, Any] | None,
                            file: str) -> list[Problem]:
        """The secret, env and file references ``record`` adds (not in ``old``) that its tenant may not
        use, or the acting user may not set (:func:`netctl.inventory.secrets.reference_problem`)."""
        tenant = None if kind == "globals" else record["name"] if kind == "tenants" else record.get("tenant")
        label = {"globals": "global variable", "tenants": f"tenant {record.get('name')}",
                 "sites": f"site {record.get('name')}", "groups": f"group {record.get('tenant')}/{record.get('name')}",
                 "aps": f"AP {record.get('name')}"}[kind]
        before = _references(old) if old else set()
        problems = []
        for path, ref in sorted(_references(record) - before):
            why = secret_store.reference_problem(self.db, ref, tenant=tenant, admin=self.session.can("global-secrets"))
            if why:
                problems.append(Problem(file, None, f"{label}: {path}: {why}",
                                        record.get("name") if kind == "aps" else None))
        return problems

    # -- single-AP changes ----------------------------------------------------------------------
    def _check_one(self, record: dict[str, Any], entry: Entry, problems: list[Problem],
                   old: dict[str, Any] | None = None) -> dict[str, Any]:
        if record.get("site") and record.get("name"):
            site_tenant = {r["name"]: r["tenant"] for r in self.db.query("select name, tenant from sites")}
            groups = {(r["tenant"], r["name"]) for r in self.db.query("select tenant, name from groups")}
            problems += check_ap_references(record, entry, site_tenant, groups)
        if record.get("name"):
            query = "select name, tenant, site, role, controller, mac, ap_id from aps"
            existing = {r["name"]: r for r in self.db.query(query)}
            problems += check_controller_references([(entry, record)], existing)
            if not problems:
                problems += self._controller_scope_problems([record], Snapshot(aps=existing), [entry])
        if problems:
            raise InventoryError(problems)
        if not self.session.scope.allows(record["tenant"], record["site"]):
            raise NotFound(f"no site named {record['site']!r}",
                           hint="list sites with: netctl inventory sites")
        problems = self._reference_problems("aps", record, old, entry.file)
        if problems:
            raise InventoryError(problems)
        return record

    def add_ap(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Add one AP (fields as in an inventory file). Raises InventoryError listing every problem."""
        self.session.require("inventory")
        entry = Entry("ap", dict(fields), "add")
        record, problems = validate_ap(entry)
        if record.get("name") and self.db["aps"].count_where("name = ?", [record["name"]]):
            problems.append(Problem("add", None, f"an AP named {record['name']!r} exists already; change it "
                                                 f"with: netctl inventory set {record['name']} FIELD=VALUE",
                                    record["name"]))
        record = self._check_one(record, entry, problems)
        now = _now()
        with transaction(self.db):
            self.db.table("aps").insert(_encode({**record, "created": now, "updated": now}), pk="name")
        return self.show_ap(record["name"])

    def set_ap(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change fields of AP ``name``: ``{"address": …, "snmp.community": …, "vars.x": …}``.

        A value of ``None`` clears an optional field or removes a variable / SNMP setting. The AP is
        validated as a whole afterwards. Returns ``{"ap": public AP, "changed": [fields]}``.
        """
        self.session.require("inventory")
        current = public_ap(self.session.get_ap(name))
        raw: dict[str, Any] = {k: current[k] for k in AP_FIELDS}
        raw["snmp"], raw["vars"] = dict(raw["snmp"]), dict(raw["vars"])
        problems: list[Problem] = []
        for key, value in changes.items():
            top, _, sub = key.partition(".")
            if top == "name":
                problems.append(Problem("set", None, f"rename an AP with: netctl inventory rename {name} NEW", name))
            elif sub and top in ("snmp", "vars"):
                if value is None:
                    raw[top].pop(sub, None)
                else:
                    raw[top][sub] = value
            elif top in AP_FIELDS and not sub:
                raw[top] = value
            else:
                problems.append(Problem("set", None, f"unknown field {key!r}; use one of: "
                                                     f"{', '.join(AP_FIELDS)}, snmp.FIELD, vars.NAME", name))
        if "site" in changes and "tenant" not in changes:
            raw["tenant"] = None
        entry = Entry("ap", raw, "set")
        record, trouble = validate_ap(entry)
        record = self._check_one(record, entry, problems + trouble, old=current)
        diff = [f for f in COMPARED["aps"] if json.dumps(current.get(f)) != json.dumps(record.get(f))]
        if diff:
            with transaction(self.db):
                changed = {**{f: record[f] for f in diff}, "updated": _now()}
                self.db.table("aps").update(name, _encode(changed))
        return {"ap": self.show_ap(name), "changed": diff}

    def rename_ap(self, old: str, new: str) -> dict[str, Any]:
        """Rename AP ``old`` to ``new``, history included, in one transaction.

        Every table row that names the AP (config versions and status, audit, health, alerts,
        sample series) follows it, and so do job and maintenance-window selections that name it
        exactly; an audit row records the rename. InventoryError when ``new`` is not a valid AP
        name, is taken, or still carries the history of a removed AP of that name.
        """
        import uuid

        self.session.require("inventory")
        self.session.get_ap(old)
        named = [t for t in self.db.table_names() if t != "aps" and "ap" in self.db[t].columns_dict]
        problems: list[Problem] = []
        if not NAME_RE.match(new):
            problems.append(Problem("rename", None, f"bad AP name {new!r}: use letters, digits, '.', '_' and '-' "
                                                    "(at most 64, starting with a letter or digit)", old))
        elif self.db["aps"].count_where("name = ?", [new]):
            problems.append(Problem("rename", None, f"an AP named {new!r} exists already", old))
        else:
            leftover = [t for t in named if self.db[t].count_where("ap = ?", [new])]
            if leftover:
                problems.append(Problem("rename", None, f"a removed AP named {new!r} left history "
                                                        f"({', '.join(sorted(leftover))}); choose another name", old))
        if problems:
            raise InventoryError(problems)
        now = _now()
        with transaction(self.db):
            self.db.execute("update aps set name = ?, updated = ? where name = ?", [new, now, old])
            # a renamed controller: the APs naming it and what its polls saw follow it
            self.db.execute("update aps set controller = ? where controller = ?", [new, old])
            for table in ("controller_aps", "controller_polls"):
                self.db.execute(f"update [{table}] set controller = ? where controller = ?", [new, old])
            for table in named:
                self.db.execute(f"update [{table}] set ap = ? where ap = ?", [new, old])
            for table, key in (("jobs", "name"), ("maintenance", "id")):
                for row in self.db.query(f"select [{key}], selection from [{table}]"):
                    selection = Selection.from_json(row["selection"] or "{}")
                    if old in selection.names:
                        names = tuple(new if n == old else n for n in selection.names)
                        self.db.execute(f"update [{table}] set selection = ? where [{key}] = ?",
                                        [replace(selection, names=names).to_json(), row[key]])
            self.db.table("audit").insert({
                "run": uuid.uuid4().hex[:12], "ts": now, "who": self.session.who(), "action": "rename",
                "selection": old, "ap": new, "outcome": "renamed", "reason": f"renamed from {old}", "dry_run": 0,
            })
        return self.show_ap(new)

    def set_entry(self, kind: str, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a tenant, site or group (``kind``) through the same checks as an import.

        ``name`` is ``TENANT/GROUP`` for a group. ``changes`` as for :meth:`set_ap`: ``{"title": …,
        "vars.x": …}``; None clears a field or variable. Returns that kind's import report
        (``changed``/``unchanged`` and the fields that changed). Names are not changed here.
        """
        self.session.require("inventory")
        fields = {"tenant": TENANT_FIELDS, "site": SITE_FIELDS, "group": GROUP_FIELDS}.get(kind)
        if fields is None:
            raise InventoryError([Problem("set", None, f"unknown kind {kind!r}: use tenant, site or group")])
        snap = self._snapshot()
        rows: dict[Any, dict[str, Any]] = (
            snap.tenants if kind == "tenant" else snap.sites if kind == "site" else snap.groups
        )
        key: Any = tuple(name.split("/", 1)) if kind == "group" else name
        current = rows.get(key)
        tenant = (current or {}).get("tenant") if kind != "tenant" else name
        visible = current is not None and self._visible_tenant(str(tenant)) and (
            kind != "site" or self.session.scope.allows(str(tenant), name))
        if not visible or current is None:
            hint = "groups are named TENANT/GROUP" if kind == "group" else f"list them with: netctl inventory {kind}s"
            raise NotFound(f"no {kind} named {name!r}", hint=hint)
        raw: dict[str, Any] = {f: current.get(f) for f in fields if f not in ("geo", "vars")}
        raw = {f: v for f, v in raw.items() if v is not None}
        raw["vars"] = dict(current.get("vars") or {})
        problems: list[Problem] = []
        for field_name, value in changes.items():
            top, _, sub = field_name.partition(".")
            if top == "name" or (kind == "group" and top == "tenant"):
                problems.append(Problem("set", None, f"a {kind}'s name cannot be changed here; "
                                                     "change it in the inventory file and import it", name))
            elif top == "vars" and sub:
                if value is None:
                    raw["vars"].pop(sub, None)
                else:
                    raw["vars"][sub] = value
            elif top in fields and top not in ("vars", "geo") and not sub:
                if value is None:
                    raw.pop(top, None)
                else:
                    raw[top] = value
            else:
                allowed = ", ".join(f for f in fields if f not in ("name", "vars", "geo"))
                problems.append(Problem("set", None, f"unknown field {field_name!r}; use one of: {allowed}, "
                                                     "vars.NAME", name))
        if problems:
            raise InventoryError(problems)
        entry = Entry(kind, raw, f"netctl inventory set-{kind} {name}")
        with transaction(self.db):
            report = self._plan_and_apply([entry.file], [entry], [], dry_run=False, prune=False)
        return dict(report[f"{kind}s"])

    def set_globals(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Set global variables (the lowest layer, under every AP of every tenant: admins only); a value
        of None removes one. Returns the report."""
        self.session.require("inventory")
        self.session.require("globals")
        keep = {k: v for k, v in changes.items() if v is not None}
        drop = sorted(k for k, v in changes.items() if v is None)
        entry = Entry("globals", {"vars": keep}, "netctl inventory set-global")
        with transaction(self.db):
            report = dict(self._plan_and_apply([entry.file], [entry], [], dry_run=False, prune=False)["globals"])
            removed = [k for k in drop if self.db["globals"].count_where("key = ?", [k])]
            for k in removed:
                self.db.table("globals").delete(k)
        report["removed"] = removed
        return report

    def remove_ap(self, name: str) -> None:
        """Remove AP ``name`` (NotFound when it does not exist or is out of scope)."""
        self.session.require("inventory")
        self.session.get_ap(name)
        behind = [r["name"] for r in self.db.query("select name from aps where controller = ? order by name", [name])]
        if behind:
            shown = ", ".join(behind[:5]) + (f" and {len(behind) - 5} more" if len(behind) > 5 else "")
            raise InventoryError([Problem("remove", None, f"{len(behind)} AP(s) name {name!r} as their controller "
                                                          f"({shown}); remove them or change their controller first",
                                          name)])
        with transaction(self.db):
            self.db.table("aps").delete(name)

    # -- secrets --------------------------------------------------------------------------------
    def _secret_name(self, name: str) -> str:
        if not name or not all(NAME_RE.match(part) for part in name.split("/")):
            raise InventoryError([Problem("secret", None,
                                          f"bad secret name {name!r}: use {SECRET_NAME_HELP}")])
        return name

    def set_secret(self, name: str, value: str) -> None:
        """Store ``value`` encrypted under ``name`` (referenced as ``secret:NAME``)."""
        self.session.require("secrets")
        with transaction(self.db):
            secret_store.set_secret(self.db, self._secret_name(name), value)

    def import_secrets(self, mapping: dict[str, Any]) -> list[str]:
        """Store many secrets in one transaction; JSON objects (credentials) are stored as JSON text."""
        self.session.require("secrets")
        names = [self._secret_name(n) for n in mapping]
        with transaction(self.db):
            for name in names:
                value = mapping[name]
                secret_store.set_secret(self.db, name, value if isinstance(value, str) else json.dumps(value))
        return sorted(names)

    def secret_file_dir(self) -> str | None:
        """The one directory ``file:`` references may read (None: ``file:`` references are refused)."""
        path = secret_store.file_dir(self.db)
        return str(path) if path else None

    def set_secret_file_dir(self, path: str | None) -> str | None:
        """Set (None: clear) the directory ``file:`` references may read (admins). Returns its real path."""
        self.session.require("secrets")
        self.session.require("global-secrets")
        with transaction(self.db):
            real = secret_store.set_file_dir(self.db, path)
        return str(real) if real else None

    def list_secrets(self) -> list[dict[str, str]]:
        """``[{name, updated}]``: names only, values are never listed."""
        return secret_store.list_secrets(self.db)

    def delete_secret(self, name: str) -> None:
        """Remove secret ``name``; NotFound when there is none."""
        self.session.require("secrets")
        with transaction(self.db):
            if not secret_store.delete_secret(self.db, name):
                raise NotFound(f"no secret named {name!r}", hint="list them with: netctl secret list")


def _references(record: dict[str, Any]) -> set[tuple[str, str]]:
    """``(field path, reference)`` for every secret reference in a record's variables, SNMP settings
    and credentials (a global variable record: ``{"key", "value"}``), lists and mappings included."""
    found: set[tuple[str, str]] = set()

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{path}.{key}", item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(path, item)
        elif isinstance(value, str) and value.strip().startswith(secret_store.SCHEMES):
            found.add((path, value.strip()))

    if "key" in record and "value" in record:
        walk(str(record["key"]), record["value"])
    else:
        for column in ("vars", "snmp", "credentials"):
            if record.get(column) is not None:
                walk(column, record[column])
    return found


def _old_record(snap: Snapshot, kind: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """The stored row ``record`` replaces, if any."""
    if kind == "globals":
        return {"key": record["key"], "value": snap.globals[record["key"]]} if record["key"] in snap.globals else None
    if kind == "groups":
        return snap.groups.get((record["tenant"], record["name"]))
    rows: dict[str, dict[str, Any]] = getattr(snap, kind)
    return rows.get(record["name"])


def _prune(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty fields so exported files read like hand-written ones."""
    return {k: v for k, v in record.items() if v not in (None, "", [], {})}


def _aps_to_csv(aps: list[dict[str, Any]], delimiter: str) -> str:
    from netctl.inventory.loaders import CSV_AP_COLUMNS, CSV_SNMP_COLUMNS, format_cell_value

    var_keys = sorted({key for ap in aps for key in ap["vars"]})
    columns = list(CSV_AP_COLUMNS) + list(CSV_SNMP_COLUMNS) + [f"vars.{k}" for k in var_keys]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for ap in aps:
        row: list[str] = []
        for col in CSV_AP_COLUMNS:
            value = ap.get(col)
            if col in ("groups", "tags"):
                row.append(",".join(value or []))
            elif col == "role" and value == "ap":
                row.append("")
            else:
                row.append("" if value is None else str(value))
        row += ["" if ap["snmp"].get(c[5:]) is None else str(ap["snmp"][c[5:]]) for c in CSV_SNMP_COLUMNS]
        row += [format_cell_value(ap["vars"][k]) if k in ap["vars"] else "" for k in var_keys]
        writer.writerow(row)
    return buf.getvalue()
