"""Planning an import: validate entries, check references, and diff against the database.

Pure: :func:`plan_import` takes the raw entries of all files and a :class:`Snapshot` of what the
database holds, and returns the :class:`Plan` (what to add and change) and every problem found.
Files of one import may reference each other (a CSV of vehicle APs naming a site defined in a YAML
file), and may reference what the database already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netctl.errors import Problem
from netctl.inventory.validate import (
    Entry,
    validate_ap,
    validate_globals,
    validate_group,
    validate_site,
    validate_tenant,
)

KINDS = ("globals", "tenants", "sites", "groups", "aps")
_VALIDATORS = {"tenant": validate_tenant, "site": validate_site, "group": validate_group, "ap": validate_ap}
#: fields compared to decide "changed" (timestamps are not part of the definition)
COMPARED = {
    "tenants": ("title", "vars"),
    "sites": ("tenant", "kind", "title", "address", "lat", "lon", "vars"),
    "groups": ("vars",),
    "aps": ("tenant", "site", "role", "platform", "address", "port", "model", "serial", "vehicle_id",
            "groups", "tags", "snmp", "credentials", "vars", "controller", "mac", "ap_group", "ap_id"),
}


@dataclass
class Snapshot:
    """What the database holds (decoded rows), keyed like the import keys them."""

    globals: dict[str, Any] = field(default_factory=dict)
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    aps: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Plan:
    """Rows to write per kind, and the report of what happens to each entry."""

    added: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    changed: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    removed: list[dict[str, Any]] = field(default_factory=list)  # AP rows (only with prune)
    report: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.removed) or any(self.added[k] or self.changed[k] for k in KINDS)


def group_key(record: dict[str, Any]) -> str:
    return f"{record['tenant']}/{record['name']}"


def plan_import(entries: list[Entry], existing: Snapshot, *,
                prune: bool = False) -> tuple[Plan, list[Problem]]:
    """Validate ``entries``, check references and duplicates, and diff against ``existing``.

    With ``prune``, the files are the complete list of APs of every site they mention (as a site
    entry or as the site of an AP): APs of those sites that the files do not list are removed.
    """
    problems: list[Problem] = []
    batch: dict[str, dict[Any, tuple[Entry, dict[str, Any]]]] = {k: {} for k in KINDS}
    new_globals: dict[str, Any] = {}
    globals_seen: dict[str, Entry] = {}
    shadow: dict[str, set[Any]] = {"tenants": set(), "sites": set(), "groups": set()}
    for entry in entries:
        if entry.kind == "globals":
            values, trouble = validate_globals(entry)
            problems.extend(trouble)
            for key, value in (values or {}).items():
                if key in globals_seen and new_globals[key] != value:
                    first = globals_seen[key]
                    where = f"{first.file}:{first.line_of(f'vars.{key}')}"
                    problems.append(Problem(entry.file, entry.line_of(f"vars.{key}"),
                                            f"global {key!r} is also set at {where} with another value"))
                new_globals[key] = value
                globals_seen.setdefault(key, entry)
            continue
        record, trouble = _VALIDATORS[entry.kind](entry)
        problems.extend(trouble)
        if record is None or not record.get("name") or (entry.kind == "group" and not record.get("tenant")):
            _shadow(entry, shadow)
            continue
        kind = entry.kind + "s"
        pk: Any = (record["tenant"], record["name"]) if kind == "groups" else record["name"]
        if pk in batch[kind]:
            first = batch[kind][pk][0]
            what = {"tenants": "tenant", "sites": "site", "groups": "group", "aps": "AP name"}[kind]
            label = "/".join(pk) if isinstance(pk, tuple) else pk
            problems.append(Problem(entry.file, entry.line, f"duplicate {what} {label!r} (first defined at "
                                                            f"{first.file}:{first.line})",
                                    record["name"] if kind == "aps" else None))
            continue
        batch[kind][pk] = (entry, record)

    # names of entries that failed validation count as known, so one bad site does not also
    # report every AP on it as "unknown site"
    tenants = set(existing.tenants) | set(batch["tenants"]) | shadow["tenants"]
    site_tenant = {name: row["tenant"] for name, row in existing.sites.items()}
    site_tenant.update({name: "" for name in shadow["sites"]})
    for name, (entry, site) in batch["sites"].items():
        if site["tenant"] is None:
            site_tenant[name] = ""
            continue
        if site["tenant"] not in tenants:
            problems.append(Problem(entry.file, entry.line_of("tenant"),
                                    f"unknown tenant {site['tenant']!r} for site {name!r}; "
                                    "define it under tenants:"))
        old = existing.sites.get(name)
        if old is not None and old["tenant"] != site["tenant"]:
            problems.append(Problem(entry.file, entry.line_of("tenant"),
                                    f"site {name!r} belongs to tenant {old['tenant']!r}; moving a site to "
                                    "another tenant is not supported (create a new site)"))
        site_tenant[name] = site["tenant"]
    for (tenant, _), (entry, _) in batch["groups"].items():
        if tenant not in tenants:
            problems.append(Problem(entry.file, entry.line_of("tenant"),
                                    f"unknown tenant {tenant!r} for group; define it under tenants:"))
    groups = set(existing.groups) | set(batch["groups"])
    for entry, ap in batch["aps"].values():
        if ap["site"] is None or site_tenant.get(ap["site"]) == "" or ap["site"] in shadow["sites"]:
            continue
        known_groups = groups | {(site_tenant.get(ap["site"], ""), g) for g in shadow["groups"]}
        problems.extend(check_ap_references(ap, entry, site_tenant, known_groups))

    problems.extend(check_controller_references(list(batch["aps"].values()), existing.aps))

    order = {path: i for i, path in enumerate(dict.fromkeys(e.file for e in entries))}
    problems.sort(key=lambda p: (order.get(p.file, -1), p.line or 0))
    plan = Plan()
    if problems:
        return plan, problems
    _diff_globals(plan, new_globals, existing.globals)
    for kind in ("tenants", "sites", "groups", "aps"):
        old_rows: dict[Any, dict[str, Any]] = getattr(existing, kind)
        added, changed, unchanged, fields = [], [], [], {}
        for key, (_, record) in batch[kind].items():
            label = group_key(record) if kind == "groups" else record["name"]
            old = old_rows.get(key)
            if old is None:
                plan.added[kind].append(record)
                added.append(label)
                continue
            diff = [f for f in COMPARED[kind] if _norm(old.get(f)) != _norm(record.get(f))]
            if diff:
                plan.changed[kind].append(record)
                changed.append(label)
                fields[label] = diff
            else:
                unchanged.append(label)
        plan.report[kind] = {"added": added, "changed": changed, "unchanged": unchanged, "removed": [],
                             "fields": fields}
    if prune:
        mentioned = set(batch["sites"]) | {ap["site"] for _, ap in batch["aps"].values()}
        plan.removed = [row for name, row in sorted(existing.aps.items())
                        if row["site"] in mentioned and name not in batch["aps"]]
        plan.report["aps"]["removed"] = [row["name"] for row in plan.removed]
    return plan, problems


def _shadow(entry: Entry, shadow: dict[str, set[Any]]) -> None:
    name = entry.data.get("name")
    if isinstance(name, str) and entry.kind in ("tenant", "site", "group"):
        shadow[entry.kind + "s"].add(name)


def check_ap_references(ap: dict[str, Any], entry: Entry, site_tenant: dict[str, str],
                        groups: set[tuple[str, str]]) -> list[Problem]:
    """Site, tenant and groups of one AP against what exists. Fills in ``ap['tenant']``."""
    problems: list[Problem] = []
    tenant = site_tenant.get(ap["site"])
    if tenant is None:
        problems.append(Problem(entry.file, entry.line_of("site"),
                                f"unknown site {ap['site']!r}; define it under sites: "
                                "(or import its file too)",
                                ap["name"]))
        return problems
    if ap.get("tenant") and ap["tenant"] != tenant:
        problems.append(Problem(entry.file, entry.line_of("tenant"),
                                f"tenant {ap['tenant']!r} does not match site {ap['site']!r} "
                                f"(tenant {tenant!r})",
                                ap["name"]))
    ap["tenant"] = tenant
    for group in ap.get("groups") or []:
        if (tenant, group) not in groups:
            problems.append(Problem(entry.file, entry.line_of("groups"),
                                    f"unknown group {group!r} of tenant {tenant!r}; define it under groups:",
                                    ap["name"]))
    return problems


def check_controller_references(batch: list[tuple[Entry, dict[str, Any]]],
                                existing: dict[str, dict[str, Any]]) -> list[Problem]:
    """The ``controller`` of each AP in ``batch`` against the inventory as it will be (``existing``
    with ``batch`` applied): it must name an entry with ``role: controller``, and one controller knows
    a MAC address and an AP ID once. A controller that ``batch`` turns into another role while APs still name it is a
    problem at that entry."""
    problems: list[Problem] = []
    names = {ap["name"] for _, ap in batch}
    roles = {name: row.get("role") or "ap" for name, row in existing.items()}
    roles.update({ap["name"]: ap.get("role") or "ap" for _, ap in batch})
    macs: dict[tuple[str, str], str] = {}
    ids: dict[tuple[str, int], str] = {}
    for name, row in existing.items():
        if name not in names and row.get("controller") and row.get("mac"):
            macs[(row["controller"], row["mac"])] = name
        if name not in names and row.get("controller") and row.get("ap_id") is not None:
            ids[(row["controller"], row["ap_id"])] = name
    for entry, ap in batch:
        controller = ap.get("controller")
        if not controller:
            continue
        if controller not in roles:
            problems.append(Problem(entry.file, entry.line_of("controller"),
                                    f"unknown controller {controller!r}; name an entry with role: controller "
                                    "(or import its file too)", ap["name"]))
            continue
        if roles[controller] != "controller":
            problems.append(Problem(entry.file, entry.line_of("controller"),
                                    f"{controller!r} is not a controller (its role is {roles[controller]}); "
                                    "give it role: controller or name another controller", ap["name"]))
            continue
        if ap.get("mac"):
            other = macs.setdefault((controller, ap["mac"]), ap["name"])
            if other != ap["name"]:
                problems.append(Problem(entry.file, entry.line_of("mac"),
                                        f"MAC {ap['mac']} on controller {controller!r} belongs to AP {other!r} already",
                                        ap["name"]))
        if ap.get("ap_id") is not None:
            other = ids.setdefault((controller, ap["ap_id"]), ap["name"])
            if other != ap["name"]:
                problems.append(Problem(entry.file, entry.line_of("ap_id"),
                                        f"ap_id {ap['ap_id']} on controller {controller!r} belongs to AP {other!r} "
                                        "already; give another (or leave it out: netctl numbers it)", ap["name"]))
    by_name = {ap["name"]: entry for entry, ap in batch}
    for name, row in existing.items():
        controller = row.get("controller")
        if name in names or not controller or controller not in by_name or roles[controller] == "controller":
            continue
        entry = by_name[controller]
        problems.append(Problem(entry.file, entry.line_of("role"),
                                f"AP {name!r} names {controller!r} as its controller: keep role: controller "
                                f"(or change {name}'s controller first)", controller))
    return problems


def _diff_globals(plan: Plan, new: dict[str, Any], old: dict[str, Any]) -> None:
    added, changed, unchanged = [], [], []
    for key, value in new.items():
        if key not in old:
            added.append(key)
            plan.added["globals"].append({"key": key, "value": value})
        elif _norm(old[key]) != _norm(value):
            changed.append(key)
            plan.changed["globals"].append({"key": key, "value": value})
        else:
            unchanged.append(key)
    plan.report["globals"] = {"added": added, "changed": changed, "unchanged": unchanged, "removed": [],
                              "fields": {k: ["value"] for k in changed}}


def _norm(value: Any) -> Any:
    """Compare ints and floats, lists and tuples alike; ``None`` and empty text alike."""
    if value == "":
        return None
    if isinstance(value, tuple):
        return [_norm(v) for v in value]
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value
