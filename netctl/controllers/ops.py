"""The controller operations of the facade: ``Netctl.controllers`` (list, the APs behind one, adopt).

Reads come from what the last polls stored (``controller_aps``, ``controller_polls``; a poll of the
controller, ``netctl poll NAME``, refreshes them); the scope applies as everywhere: a controller
outside the user's scope does not exist for them (NotFound), nor do the APs behind it.

The shapes returned here are what ``--json`` prints (docs/inventory.md, docs/polling.md).
"""

from __future__ import annotations

import json
from typing import Any

from netctl.core import Session
from netctl.errors import ConfigError, NotFound
from netctl.inventory.ops import InventoryService
from netctl.poll.ops import MonitorService
from netctl.selection import Selection

#: the platform adopted APs get: configured on their controller, health from its AP table
ADOPTED_PLATFORM = "controller-ap"

#: the public shape of one discovered AP (``controller aps --json``)
AP_KEYS = ("name", "mac", "ip", "model", "serial", "status", "state", "clients", "ssids", "ap_group", "radios",
           "radios_down", "uptime_s", "ap_id", "inventory", "first_seen", "last_seen")


class ControllerService:
    """WLAN controllers and the APs their tables list: ``Netctl.controllers``.

    Given the session, the inventory service (adoption goes through its import checks) and the monitor
    service (``aps(..., poll=True)`` polls the controller first).
    """

    def __init__(self, session: Session, *, inventory: InventoryService, monitor: MonitorService) -> None:
        self.session = session
        self.db = session.db
        self.inventory = inventory
        self.monitor = monitor

    def controller(self, name: str) -> dict[str, Any]:
        """The inventory row of controller ``name`` within scope; NotFound otherwise."""
        rows = self.session.select(Selection(names=(name,), role="controller"))
        if not rows:
            known = [r["name"] for r in self.session.select(Selection(role="controller"))]
            raise NotFound(f"no controller named {name!r}",
                           hint=("controllers you may see: " + ", ".join(known)) if known
                           else "an inventory entry with role: controller is a controller")
        return rows[0]

    def _poll_row(self, name: str) -> dict[str, Any]:
        rows = list(self.db.query("select * from controller_polls where controller = ?", [name]))
        return rows[0] if rows else {}

    # -- reading --------------------------------------------------------------------------------
    def list_controllers(self) -> list[dict[str, Any]]:
        """Every controller within scope with its AP counts:
        ``[{name, tenant, site, platform, address, last_poll, last_ok, ok, error, discovered, up, down, other,
        inventory, missing}]`` (``inventory``: inventory APs naming it; ``missing``: those its last good
        table did not list; counts of a controller never read are None)."""
        self.session.require("view")
        out = []
        visible = self.session.select(Selection())
        behind: dict[str, list[dict[str, Any]]] = {}
        for ap in visible:
            if ap.get("controller"):
                behind.setdefault(ap["controller"], []).append(ap)
        for row in (ap for ap in visible if ap.get("role") == "controller"):
            name = row["name"]
            polled = self._poll_row(name)
            found = self._rows(name)
            read = bool(polled.get("last_ok"))
            statuses = [f["status"] for f in found]
            macs = {f["mac"] for f in found}
            names = {f["name"] for f in found}
            mine = behind.get(name, [])
            out.append({
                "name": name, "tenant": row["tenant"], "site": row["site"], "platform": row["platform"],
                "address": row["address"], "last_poll": polled.get("last_poll"), "last_ok": polled.get("last_ok"),
                "ok": bool(polled.get("ok")) if polled else None, "error": polled.get("error"),
                "discovered": len(found) if read else None,
                "up": statuses.count("up") if read else None,
                "down": sum(1 for s in statuses if s in ("down", "failed")) if read else None,
                "other": sum(1 for s in statuses if s not in ("up", "down", "failed")) if read else None,
                "inventory": len(mine),
                "missing": sum(1 for ap in mine if (ap.get("mac") not in macs if ap.get("mac")
                                                    else ap["name"] not in names)) if read else None,
            })
        return out

    def _rows(self, name: str) -> list[dict[str, Any]]:
        rows = list(self.db.query("select * from controller_aps where controller = ? order by name, mac", [name]))
        for row in rows:
            row["ssids"] = json.loads(row["ssids"]) if row.get("ssids") else None
        return rows

    def aps(self, name: str, *, poll: bool = False) -> list[dict[str, Any]]:
        """The APs controller ``name``'s AP table listed at its last good poll, by name:
        ``[{name, mac, ip, model, serial, status, state, clients, ssids, ap_group, radios, radios_down,
        uptime_s, ap_id, inventory, first_seen, last_seen}]``.

        ``status`` is up, down, joining, failed, standby or unknown; when the controller's last poll
        failed every AP's status is ``unknown`` (``state`` keeps what the controller last said).
        ``inventory`` is the inventory AP that is this row (by MAC, else by name), None for an AP not
        adopted. With ``poll`` the controller is polled first. NotFound for no such controller in scope;
        ConfigError when it was never read.
        """
        self.session.require("view")
        row = self.controller(name)
        if poll:
            self.monitor.poll(Selection(names=(name,)))
        polled = self._poll_row(name)
        if not polled.get("last_ok"):
            why = f": {polled.get('error_kind')}: {polled.get('error')}" if polled else ""
            raise ConfigError(f"controller {name!r} has not been read yet{why}",
                              hint=f"poll it: netctl poll {name} (its SNMP settings and profile must read "
                                   "its AP table)")
        stale = not polled.get("ok")
        mine = [ap for ap in self.session.select(Selection()) if ap.get("controller") == row["name"]]
        by_mac = {ap["mac"]: ap["name"] for ap in mine if ap.get("mac")}
        by_name = {ap["name"] for ap in mine if not ap.get("mac")}
        out = []
        for found in self._rows(name):
            match = by_mac.get(found["mac"]) or (found["name"] if found["name"] in by_name else None)
            shown = {key: found.get(key) for key in AP_KEYS}
            shown["inventory"] = match
            if stale:
                shown["status"] = "unknown"
            out.append(shown)
        return out

    # -- adoption -------------------------------------------------------------------------------
    def adopt(self, name: str, *, site: str | None = None, group: str | None = None,
              dry_run: bool = False) -> dict[str, Any]:
        """Add the APs controller ``name`` lists and the inventory lacks, as inventory APs naming it.

        Each gets the controller's name for it, its MAC and group on the controller, model, serial and
        IP (its management address), platform ``controller-ap``, site ``site`` (default: the
        controller's) and the tenant group ``group``. Idempotent: an AP already in the inventory (by MAC
        under this controller, else by name) is left as it is. One import (all or nothing, the import's
        checks). Returns ``{controller, dry_run, added, already, skipped: [{name, mac, reason}]}``.
        """
        from netctl.inventory.validate import MAX_AP_ID, NAME_RE, Entry

        self.session.require("inventory")
        row = self.controller(name)
        found = self.aps(name)
        target_site = site or row["site"]
        self.session.require_site(target_site)
        everyone = {r["name"]: (r["controller"], r["mac"]) for r in
                    self.db.query("select name, controller, mac from aps")}
        mine_macs = {mac for ctl, mac in everyone.values() if ctl == name and mac}
        added: list[str] = []
        already: list[str] = []
        skipped: list[dict[str, Any]] = []
        entries: list[Entry] = []
        for ap in found:
            label = ap["name"] or ap["mac"]
            if ap["inventory"] or ap["mac"] in mine_macs:
                already.append(ap["inventory"] or label)
                continue
            reason = None
            if not ap["name"]:
                reason = "the controller lists no name for it"
            elif not NAME_RE.match(ap["name"]):
                reason = (f"{ap['name']!r} is no valid netctl name (letters, digits, '.', '_', '-'): "
                          "rename it on the controller")
            elif ap["name"] in everyone:
                reason = f"an AP named {ap['name']!r} is in the inventory already (not this controller's {ap['mac']})"
            elif not ap["ip"]:
                reason = "the controller lists no IP address for it (netctl needs one as its address)"
            if reason:
                skipped.append({"name": ap["name"], "mac": ap["mac"], "reason": reason})
                continue
            data: dict[str, Any] = {"name": ap["name"], "site": target_site, "platform": ADOPTED_PLATFORM,
                                    "address": ap["ip"], "controller": name, "mac": ap["mac"]}
            for key, value in (("model", ap["model"]), ("serial", ap["serial"])):
                if value:
                    data[key] = value
            if ap["ap_group"] and NAME_RE.match(ap["ap_group"]):  # a group name netctl cannot hold is left out
                data["ap_group"] = ap["ap_group"]
            if ap["ap_id"] is not None and 0 <= ap["ap_id"] <= MAX_AP_ID:  # the ID the controller gave it
                data["ap_id"] = ap["ap_id"]
            if group:
                data["groups"] = [group]
            entries.append(Entry("ap", data, f"adopt {name}"))
            added.append(ap["name"])
        if entries:
            self.inventory.import_entries(entries, source=f"netctl inventory adopt {name}", dry_run=dry_run)
        return {"controller": name, "dry_run": dry_run, "added": added, "already": sorted(already),
                "skipped": skipped}
