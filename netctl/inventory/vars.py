"""Variable precedence, in one function: global < tenant < site < group < AP < overlay.

Layers are merged key by key at the top level: a later layer replaces a key's whole value (a list
or mapping is replaced, not merged), so what an AP gets is always exactly one layer's value and
``netctl inventory vars AP`` can say which one. Groups come in the order they are listed on the AP;
a later group wins over an earlier one.

An overlay (:mod:`netctl.overlays`, "exam mode in room 1.12 for 90 minutes") is a named, time-boxed
layer on top of the AP's own: while it is active its variables win, then they are gone.

Built-in facts (the AP's name, site, tenant, model …) are added under the reserved keys ``ap``,
``site`` and ``tenant``; no layer may define those keys (the inventory validator rejects them).
"""

from __future__ import annotations

from typing import Any

#: Variable names that hold built-in facts; layers may not use them.
RESERVED_KEYS = frozenset({"ap", "site", "tenant"})


def merge_vars(layers: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge ``[(source, vars), …]`` (lowest precedence first).

    Returns ``(merged, sources)``: the merged variables, and for each key the source of the layer
    whose value won. Pure; the input mappings are not modified.
    """
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, layer in layers:
        for key, value in (layer or {}).items():
            merged[key] = value
            sources[key] = source
    return merged, sources


def layer_chain(layers: list[tuple[str, dict[str, Any]]], key: str) -> list[str]:
    """The sources that define ``key``, lowest precedence first (the last one wins)."""
    return [source for source, layer in layers if key in (layer or {})]


def ap_layers(globals_: dict[str, Any], tenant: dict[str, Any], site: dict[str, Any],
              groups: list[dict[str, Any]], ap: dict[str, Any],
              overlays: list[dict[str, Any]] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The layers of one AP in precedence order, labelled ``global``, ``tenant:NAME`` …

    ``groups`` are the AP's group rows in the order listed on the AP; ``overlays`` the active
    overlays that cover the AP (``{name, vars}``), oldest first: they come last and win.
    """
    layers: list[tuple[str, dict[str, Any]]] = [("global", globals_)]
    layers.append((f"tenant:{tenant['name']}", tenant.get("vars") or {}))
    layers.append((f"site:{site['name']}", site.get("vars") or {}))
    for group in groups:
        layers.append((f"group:{group['name']}", group.get("vars") or {}))
    layers.append((f"ap:{ap['name']}", ap.get("vars") or {}))
    for overlay in overlays or []:
        layers.append((f"overlay:{overlay['name']}", overlay.get("vars") or {}))
    return layers


def behind_controller(aps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The APs behind a controller as its templates configure them (``ap.aps``): ``[{id, name, mac, group}]``.

    ``aps`` are the inventory rows naming the controller (``name``, ``mac`` as ``aa:bb:cc:dd:ee:ff``,
    ``ap_group``, ``ap_id``); one without a MAC cannot be configured on a controller and is left out.
    An AP keeps the ``ap_id`` the inventory gives it (``netctl inventory adopt`` takes the controller's
    own); the others get the smallest IDs no AP holds, in MAC order: the same inventory always gives the
    same IDs, whoever renders it. Sorted by ID.
    """
    known = sorted((a for a in aps if a.get("mac")), key=lambda a: (str(a["mac"]), str(a["name"])))
    taken = {a["ap_id"] for a in known if a.get("ap_id") is not None}
    free = (i for i in range(len(known) + len(taken) + 1) if i not in taken)
    out = [{"id": a["ap_id"] if a.get("ap_id") is not None else next(free), "name": a["name"], "mac": a["mac"],
            "group": a.get("ap_group")} for a in known]
    return sorted(out, key=lambda a: (a["id"], a["mac"]))


def facts(tenant: dict[str, Any], site: dict[str, Any], ap: dict[str, Any],
          behind: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Built-in facts of an AP for templates: ``ap``, ``site`` and ``tenant`` (never secrets).

    A controller's ``ap`` fact also holds ``aps``, the inventory APs behind it (:func:`behind_controller`
    of ``behind``, the rows that name it as their controller).
    """
    snmp = ap.get("snmp") or {}
    out = {
        "ap": {
            "name": ap["name"], "role": ap.get("role") or "ap", "platform": ap["platform"],
            "address": ap["address"], "port": ap.get("port"), "model": ap.get("model"),
            "serial": ap.get("serial"), "vehicle_id": ap.get("vehicle_id"),
            "groups": list(ap.get("groups") or []), "tags": list(ap.get("tags") or []),
            "snmp": {k: snmp[k] for k in ("version", "port", "user") if k in snmp},
        },
        "site": {
            "name": site["name"], "title": site.get("title"), "kind": site["kind"],
            "address": site.get("address"), "lat": site.get("lat"), "lon": site.get("lon"),
        },
        "tenant": {"name": tenant["name"], "title": tenant.get("title")},
    }
    if (ap.get("role") or "ap") == "controller":
        out["ap"]["aps"] = behind_controller(behind or [])
    return out
