"""Controllers without a network: the lab's controller recordings read as a poll hands them over, and a
poll result made of them (the shape :func:`netctl.poll.decode.decode` gives a controller profile); and
:func:`check_discovery`, which holds netctl's discovery on a lab controller to ``snmpbulkwalk``."""

from __future__ import annotations

import time
from typing import Any

from lab.controller_snmp import render_controller_snmprec
from lab.inventory import CONTROLLER_FILES, LabDevice, read_inventory
from netctl.poll.model import PollResult
from netctl.poll.oids import PROFILES
from tests.helpers.snmp import bulkwalk, mac

HW_AP, HW_VAP = "1.3.6.1.4.1.2011.6.139.13.3.3.1", "1.3.6.1.4.1.2011.6.139.17.1.1.1"
BSN_AP, BSN_AP_IF = "1.3.6.1.4.1.14179.2.2.1.1", "1.3.6.1.4.1.14179.2.2.2.1"
_HUAWEI_COLUMNS = (HW_AP, 4, 13, 3, 2, HW_AP, 44)
#: per lab controller: (AP table, its name, IP, model and serial columns, the table and column of client counts)
COLUMNS = {"du-ac01": _HUAWEI_COLUMNS, "ge-ac01": _HUAWEI_COLUMNS, "do-wlc01": (BSN_AP, 3, 19, 16, 17, BSN_AP_IF, 15)}
HUAWEI = ("du-ac01", "ge-ac01")
TYPES = {"2": "Integer", "64": "IpAddress", "65": "Counter32", "66": "Gauge32", "67": "TimeTicks",
         "6": "ObjectIdentifier"}


def lab_controller(name: str) -> LabDevice:
    return next(d for d in read_inventory(files=CONTROLLER_FILES) if d.name == name)


def typed(tag: str, value: str) -> tuple[str, Any]:
    """One snmprec value as the SNMP layer types it (octet strings: printable UTF-8 text, else ``0x`` hex)."""
    if tag in ("4", "4x"):
        raw = bytes.fromhex(value) if tag == "4x" else value.encode()
        try:
            text = raw.decode("utf-8")
            if text.isprintable() or not raw:
                return "OctetString", text
        except UnicodeDecodeError:
            pass
        return "OctetString", "0x" + raw.hex()
    kind = TYPES[tag.split(":")[0]]
    return kind, value if kind in ("IpAddress", "ObjectIdentifier") else int(value)


def raw_tables(text: str, profile: str) -> dict[str, dict[str, dict[str, tuple[str, Any]]]]:
    """The raw tables of ``profile`` read out of a recording (what the walk would hand over)."""
    spec = PROFILES[profile]
    out: dict[str, dict[str, dict[str, tuple[str, Any]]]] = {t: {c: {} for c in spec.tables[t].columns}
                                                             for t in spec.raw}
    prefixes = [(t, c, spec.tables[t].column_oid(c) + ".") for t in spec.raw for c in spec.tables[t].columns]
    for line in text.splitlines():
        oid, tag, value = line.split("|", 2)
        for table, column, prefix in prefixes:
            if oid.startswith(prefix):
                out[table][column][oid[len(prefix):]] = typed(tag, value)
    return out


def controller_result(name: str, profile: str, raw: dict[str, Any] | None = None, *, ok: bool = True,
                      error_kind: str | None = None) -> PollResult:
    """A poll result of controller ``name`` carrying ``raw`` (default: its lab recording's tables)."""
    if not ok:
        return PollResult(name, False, error_kind=error_kind or "timeout", error="no answer (request timed out)",
                          ts=time.time())
    if raw is None:
        raw = raw_tables(render_controller_snmprec(lab_controller(name)), profile)
    values = {"sys_name": name, "uptime_s": 1000.0, "interfaces": [], "ssids": [], "clients": None,
              "unavailable_why": {}, "unavailable": [], "raw": raw}
    return PollResult(name, True, latency_ms=1.0, values=values, ts=time.time())


# -- controllers as recorded rows (the TUI tests' city) ---------------------------------------------
#: the APs :func:`seed_controllers` puts behind each controller: name -> (site, health state or None: never
#: recorded, health reason kind)
BEHIND: dict[str, dict[str, tuple[str, str | None, str | None]]] = {
    "du-ac01": {"du-cap01": ("gs-meiderich", "up", None), "du-cap02": ("gs-meiderich", "up", None),
                "du-cap03": ("gs-meiderich", "down", "down"),
                "du-cap04": ("gs-meiderich", "unknown", "controller-missing"),
                "du-cap05": ("gym-hamborn", None, None)},
    "mo-wlc01": {"mo-cap01": ("gs-moers-mitte", "unknown", "controller-unreachable"),
                 "mo-cap02": ("gym-hamborn", "unknown", "controller-unreachable")},
}


def seed_controllers(db: Any, now: Any) -> None:
    """Two controllers with APs behind them on the TUI tests' city (:func:`tests.helpers.tui.seed_city`),
    written as the rows their polls leave (inventory, ``health``, ``controller_polls``, ``controller_aps``).

    du-ac01 (Huawei AC, Duisburg's data centre du-rechenzentrum) is up; its last table listed du-cap01..03
    and one AP not in the inventory, so du-cap04 is missing; du-cap05 was never recorded. Its APs stand at
    gs-meiderich (and one at gym-hamborn): a user whose scope holds those schools but not the data centre
    sees them (an AP is in scope by its own site), not the controller. mo-wlc01 (Catalyst 9800, Moers) is
    down and was last read an hour ago; its APs are unknown, one of them at a Duisburg school. Addresses
    are loopback port 9, where nothing answers.
    """
    import datetime as dt
    import json

    def iso(when: dt.datetime) -> str:
        return when.isoformat(timespec="seconds")

    db.table("sites").insert({"name": "du-rechenzentrum", "tenant": "duisburg", "kind": "office",
                              "title": "Rechenzentrum Duisburg", "vars": "{}"})
    platform = {"du-ac01": "huawei-ac", "mo-wlc01": "cisco-9800"}
    home = {"du-ac01": ("duisburg", "du-rechenzentrum"), "mo-wlc01": ("moers", "gs-moers-mitte")}
    rows: list[dict[str, Any]] = [{"name": name, "tenant": home[name][0], "site": home[name][1], "role": "controller",
                                   "platform": platform[name], "address": "127.0.0.1", "port": 9} for name in BEHIND]
    health: list[dict[str, Any]] = [
        {"ap": "du-ac01", "state": "up", "since": iso(now - dt.timedelta(days=2)), "last_poll": iso(now),
         "reasons": "[]"},
        {"ap": "mo-wlc01", "state": "down", "since": iso(now - dt.timedelta(hours=1)), "last_poll": iso(now),
         "reasons": json.dumps([["down", "no answer to 3 polls in a row"]]), "error_kind": "timeout"}]
    tenant = {"gs-meiderich": "duisburg", "gym-hamborn": "duisburg", "gs-moers-mitte": "moers"}
    for controller, aps in BEHIND.items():
        for index, (name, (site, state, why)) in enumerate(aps.items()):
            rows.append({"name": name, "tenant": tenant[site], "site": site, "platform": "controller-ap",
                         "address": "127.0.0.1", "port": 9, "controller": controller,
                         "mac": f"60:de:44:76:e3:{index + (0 if controller == 'du-ac01' else 16):02x}",
                         "ap_group": "schulen", "tags": '["schule"]'})
            if state is not None:
                health.append({"ap": name, "state": state, "since": iso(now - dt.timedelta(hours=3)),
                               "last_poll": iso(now), "clients": 12 if state == "up" else None,
                               "reasons": json.dumps([[why, f"{why} (test)"]]) if why else "[]"})
    db.table("aps").insert_all(rows)
    db.table("health").insert_all(health, alter=True)
    db.table("controller_polls").insert_all([
        {"controller": "du-ac01", "last_poll": iso(now), "last_ok": iso(now), "ok": 1, "aps": 4},
        {"controller": "mo-wlc01", "last_poll": iso(now), "last_ok": iso(now - dt.timedelta(hours=1)), "ok": 0,
         "error_kind": "timeout", "error": "no answer (request timed out)", "aps": None}])
    listed = [("du-cap01", 0, "up"), ("du-cap02", 1, "up"), ("du-cap03", 2, "down"), ("du-new-ap", 9, "up")]
    db.table("controller_aps").insert_all(
        [{"controller": "du-ac01", "mac": f"60:de:44:76:e3:{i:02x}", "name": name, "status": status,
          "first_seen": iso(now), "last_seen": iso(now)} for name, i, status in listed]
        + [{"controller": "mo-wlc01", "mac": f"60:de:44:76:e3:{i:02x}", "name": name, "status": "up",
            "first_seen": iso(now), "last_seen": iso(now)} for name, i in (("mo-cap01", 16), ("mo-cap02", 17))])


def check_discovery(api: Any, lab: Any, controller: str) -> None:
    """Poll lab ``controller`` through ``api`` and hold the APs it lists (MAC, name, IP, model, serial,
    clients, per SSID where the controller says) to what ``snmpbulkwalk`` of the same columns lists."""
    table, name, ip, model, serial, count_table, count = COLUMNS[controller]
    found = {r["mac"]: r for r in api.controllers.aps(controller, poll=True)}
    walked = {column: bulkwalk(lab, controller, f"{table}.{column}") for column in (name, ip, model, serial)}
    assert len(walked[name]) == 40
    assert sorted(found) == sorted(mac(i) for i in walked[name])
    for index, ap_name in walked[name].items():
        row = found[mac(index)]
        assert (row["name"], row["ip"], row["model"], row["serial"]) == (
            ap_name, walked[ip][index], walked[model][index], walked[serial][index])
    clients: dict[str, int] = {}
    for index, value in bulkwalk(lab, controller, f"{count_table}.{count}").items():
        clients[mac(index)] = clients.get(mac(index), 0) + int(value)  # the 9800: per radio slot
    assert {m: r["clients"] for m, r in found.items()} == clients and sum(clients.values()) > 300
    assert {r["status"] for r in found.values()} == {"up", "down", "joining"}
    if controller in HUAWEI:  # clients per SSID from the VAP table, per AP
        ssids, users = bulkwalk(lab, controller, f"{HW_VAP}.6"), bulkwalk(lab, controller, f"{HW_VAP}.9")
        per_ap: dict[str, dict[str, int]] = {}
        for index, ssid in ssids.items():
            mine = per_ap.setdefault(mac(index), {})
            mine[ssid] = mine.get(ssid, 0) + int(users[index])
        assert {m: r["ssids"] for m, r in found.items() if r["ssids"]} == {m: s for m, s in per_ap.items() if s}
    else:  # AIRESPACE has per-SSID counts only in client tables, which netctl never walks
        assert {r["ssids"] is None for r in found.values() if r["clients"]} == {True}
