"""The APs a controller's SNMP tables list, read from the raw rows a poll hands over (pure; no I/O).

A controller's profile (:data:`netctl.poll.oids.PROFILES`, ``controller=FAMILY``) walks these tables
by GETBULK and passes them on undecoded as ``values["raw"][table][column] = {index: (type, value)}``.
:func:`parse_aps` turns them into one :class:`DiscoveredAp` per row of the AP table. OIDs as the MIB
files define them (read from LibreNMS's ``mibs/`` folder; tests/data/controller-mibs/README.md names
the files, their versions and licences):

``huawei`` — HUAWEI-WLAN-AP-MIB ``hwWlanApTable`` 1.3.6.1.4.1.2011.6.139.13.3.3, INDEX hwWlanApMac
(MacAddress: six sub-identifiers), columns 2 hwWlanApSn, 3 hwWlanApTypeInfo, 4 hwWlanApName,
5 hwWlanApGroup, 6 hwWlanApRunState, 13 hwWlanApIpAddress, 18 hwWlanApRunTime (ticks),
44 hwWlanApOnlineUserNum, 67 hwWlanApId; HUAWEI-WLAN-VAP-MIB ``hwWlanVapInfoTable``
1.3.6.1.4.1.2011.6.139.17.1.1 (INDEX hwWlanVapApMac, hwWlanVapRadioIndex, hwWlanVapWlanId): 6 hwWlanVapSSID,
9 hwWlanVapStaOnlineCnt, 10 hwWlanVapStatus (up 1, down 2): the clients per SSID of each AP.

``airespace`` — AIRESPACE-WIRELESS-MIB (AireOS and the Catalyst 9800) ``bsnAPTable``
1.3.6.1.4.1.14179.2.2.1 (INDEX bsnAPDot3MacAddress): 3 bsnAPName, 6 bsnAPOperationStatus,
16 bsnAPModel, 17 bsnAPSerialNumber, 19 bsnApIpAddress, 30 bsnAPGroupVlanName; ``bsnAPIfTable``
1.3.6.1.4.1.14179.2.2.2 (INDEX bsnAPDot3MacAddress, bsnAPIfSlotId): 12 bsnAPIfOperStatus,
15 bsnApIfNoOfUsers. This MIB has clients per AP and SSID only in its station tables (one row per
client, indexed by the client's MAC); netctl never reads a client table (docs/privacy.md), so these
APs have clients per AP and radio, and no per-SSID counts.

Nothing an agent sends is trusted: a row whose index is no MAC address, or a value of the wrong type,
is left out (that field, or that row) and named in the problems :func:`parse_aps` returns; the walk
itself is bounded and checked by :mod:`netctl.poll.walk`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

Typed = tuple[str, Any]
RawColumns = Mapping[str, Mapping[str, Typed]]
RawTables = Mapping[str, RawColumns]

INTEGER_TYPES = frozenset({"Integer", "Integer32", "Counter32", "Counter64", "Gauge32", "Unsigned32", "TimeTicks"})
TEXT_TYPES = frozenset({"OctetString", "DisplayString", "Opaque"})

#: the status words netctl uses for an AP behind a controller, whatever the controller calls it
STATUSES = ("up", "down", "joining", "failed", "standby", "unknown")

#: HUAWEI-WLAN-AP-MIB hwWlanApRunState
HUAWEI_RUN_STATE: dict[int, str] = {
    1: "idle", 2: "autofind", 3: "typeNotMatch", 4: "fault", 5: "config", 6: "configFailed", 7: "download",
    8: "normal", 9: "committing", 10: "commitFailed", 11: "standby", 12: "verMismatch", 13: "nameConflicted",
    14: "invalid", 15: "countryCodeMismatch",
}
HUAWEI_STATUS: dict[str, str] = {
    "normal": "up",
    # fault: the AP lost its CAPWAP link to the AC; idle: configured, never came online
    "fault": "down", "idle": "down",
    "autofind": "joining", "config": "joining", "download": "joining", "committing": "joining",
    "typeNotMatch": "failed", "configFailed": "failed", "commitFailed": "failed", "verMismatch": "failed",
    "nameConflicted": "failed", "invalid": "failed", "countryCodeMismatch": "failed",
    # online on the standby AC of a hot-standby pair: not served by this one
    "standby": "standby",
}
#: AIRESPACE-WIRELESS-MIB bsnAPOperationStatus
AIRESPACE_OPERATION: dict[int, str] = {1: "associated", 2: "disassociating", 3: "downloading"}
AIRESPACE_STATUS: dict[str, str] = {"associated": "up", "disassociating": "down", "downloading": "joining"}
#: bsnAPIfOperStatus
AIRESPACE_RADIO_DOWN = 1
#: hwWlanVapStatus
HUAWEI_VAP_DOWN = 2

#: at most this many problems are named; the rest are counted
MAX_PROBLEMS = 20

_HEX = re.compile(r"[0-9a-f]{12}\Z")


# -- MAC addresses --------------------------------------------------------------------------------
def normalise_mac(text: Any) -> str:
    """A MAC address in netctl's form ``aa:bb:cc:dd:ee:ff``. Raises ValueError saying why.

    Accepts ``aa:bb:cc:dd:ee:ff``, ``aa-bb-cc-dd-ee-ff``, VRP's ``aabb-ccdd-eeff``, Cisco's
    ``aabb.ccdd.eeff`` and bare ``aabbccddeeff``, in either case.
    """
    if not isinstance(text, str):
        raise ValueError("must be text such as aa:bb:cc:dd:ee:ff")
    raw = text.strip().lower()
    groups = re.split(r"[:.\-]", raw)
    sizes = [len(g) for g in groups]
    if sizes not in ([2] * 6, [4] * 3, [12]):
        raise ValueError("use aa:bb:cc:dd:ee:ff (also aabb-ccdd-eeff or aabb.ccdd.eeff)")
    digits = "".join(groups)
    if not _HEX.match(digits):
        raise ValueError("a MAC address has 12 hexadecimal digits")
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def vrp_mac(mac: str) -> str:
    """``aa:bb:cc:dd:ee:ff`` as VRP writes it: ``aabb-ccdd-eeff``."""
    digits = mac.replace(":", "")
    return "-".join(digits[i:i + 4] for i in range(0, 12, 4))


def mac_from_index(index: str) -> str | None:
    """The MAC address a table index of six sub-identifiers encodes (a fixed-size MacAddress INDEX);
    also the length-prefixed form some agents send (``6.a.b.c.d.e.f``). None for anything else."""
    parts = index.split(".")
    if len(parts) == 7 and parts[0] == "6":
        parts = parts[1:]
    if len(parts) != 6 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        return None
    return ":".join(f"{int(p):02x}" for p in parts)


# -- one AP ---------------------------------------------------------------------------------------
@dataclass
class DiscoveredAp:
    """One AP as its controller lists it. ``status`` is one of :data:`STATUSES`; ``state`` is the
    controller's own word for it (``normal``, ``fault``, ``associated`` …)."""

    mac: str
    name: str | None = None
    ip: str | None = None
    model: str | None = None
    serial: str | None = None
    status: str = "unknown"
    state: str | None = None
    ap_group: str | None = None
    clients: int | None = None
    #: clients per SSID (Huawei: its VAP table); None: the controller serves no per-SSID counts
    ssids: dict[str, int] | None = None
    radios: int | None = None
    radios_down: int | None = None
    uptime_s: float | None = None
    ap_id: int | None = None
    index: str = field(default="", repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("index")
        return out


def huawei_status(run_state: int | None) -> tuple[str, str | None]:
    """``(status, state)`` of a hwWlanApRunState value (an unknown number: ``unknown``, ``state=N``)."""
    if run_state is None:
        return "unknown", None
    state = HUAWEI_RUN_STATE.get(run_state)
    if state is None:
        return "unknown", f"state={run_state}"
    return HUAWEI_STATUS[state], state


def airespace_status(operation: int | None) -> tuple[str, str | None]:
    """``(status, state)`` of a bsnAPOperationStatus value."""
    if operation is None:
        return "unknown", None
    state = AIRESPACE_OPERATION.get(operation)
    if state is None:
        return "unknown", f"state={operation}"
    return AIRESPACE_STATUS[state], state


class _Reader:
    """Typed reads of raw columns; a value of the wrong type is None and a problem."""

    def __init__(self, raw: RawTables) -> None:
        self.raw = raw
        self.problems: list[str] = []
        self.hidden = 0

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.hidden += 1

    def column(self, table: str, column: str) -> Mapping[str, Typed]:
        return (self.raw.get(table) or {}).get(column) or {}

    def indexes(self, table: str) -> list[str]:
        seen: dict[str, None] = {}
        for rows in (self.raw.get(table) or {}).values():
            seen.update(dict.fromkeys(rows))
        return sorted(seen, key=lambda i: tuple(int(p) if p.isdigit() else -1 for p in i.split(".")))

    def text(self, table: str, column: str, index: str) -> str | None:
        typed = self.column(table, column).get(index)
        if typed is None or typed[0] in ("noSuchObject", "noSuchInstance", "endOfMibView"):
            return None
        if typed[0] not in TEXT_TYPES or not isinstance(typed[1], str):
            self.problem(f"{table}.{column}.{index} is {typed[0]}, expected text")
            return None
        value = typed[1].strip()
        return value or None

    def number(self, table: str, column: str, index: str) -> int | None:
        typed = self.column(table, column).get(index)
        if typed is None or typed[0] in ("noSuchObject", "noSuchInstance", "endOfMibView"):
            return None
        if typed[0] not in INTEGER_TYPES or not isinstance(typed[1], int) or isinstance(typed[1], bool):
            self.problem(f"{table}.{column}.{index} is {typed[0]}, expected a number")
            return None
        return typed[1]

    def address(self, table: str, column: str, index: str) -> str | None:
        typed = self.column(table, column).get(index)
        if typed is None or typed[0] in ("noSuchObject", "noSuchInstance", "endOfMibView"):
            return None
        if typed[0] != "IpAddress" or not isinstance(typed[1], str):
            self.problem(f"{table}.{column}.{index} is {typed[0]}, expected an IpAddress")
            return None
        return None if typed[1] in ("0.0.0.0", "") else typed[1]

    def rows_by_mac(self, table: str) -> dict[str, str]:
        """index -> MAC of every row of ``table``; rows whose index is no MAC are problems."""
        out: dict[str, str] = {}
        seen: set[str] = set()
        # the MIB's own form (six sub-identifiers) first: a length-prefixed copy of a row is the duplicate
        for index in sorted(self.indexes(table), key=lambda i: i.count(".") != 5):
            mac = mac_from_index(index)
            if mac is None:
                self.problem(f"{table} row {index} has no MAC address index: left out")
                continue
            if mac in seen:
                self.problem(f"{table} lists {mac} twice (row {index}): left out")
                continue
            seen.add(mac)
            out[index] = mac
        return out

    def vaps(self) -> dict[str, tuple[dict[str, int], int]] | None:
        """AP MAC -> (SSID -> clients, VAPs down), from a VAP table indexed by AP MAC, radio and WLAN
        (None: the agent served no VAP rows)."""
        if not self.indexes("ctl_vap"):
            return None
        out: dict[str, tuple[dict[str, int], int]] = {}
        for index in self.indexes("ctl_vap"):
            parts = index.split(".")
            mac = mac_from_index(".".join(parts[:-2])) if len(parts) > 2 else None
            if mac is None or not all(p.isdigit() for p in parts[-2:]):
                self.problem(f"ctl_vap row {index} is not MAC.radio.wlan: left out")
                continue
            ssid = self.text("ctl_vap", "ssid", index) or f"wlan{parts[-1]}"
            users = self.number("ctl_vap", "users", index)
            counts, down = out.get(mac, ({}, 0))
            if users is not None:
                counts[ssid] = counts.get(ssid, 0) + users
            out[mac] = (counts, down + (self.number("ctl_vap", "status", index) == HUAWEI_VAP_DOWN))
        return out


def parse_aps(family: str, raw: RawTables) -> tuple[list[DiscoveredAp], list[str]]:
    """The APs of one controller's tables (``family``: ``huawei`` or ``airespace``), ordered by MAC,
    and the problems met (rows and values left out, each named). Raises ValueError for an unknown family."""
    reader = _Reader(raw)
    if family == "huawei":
        aps = _huawei(reader)
    elif family == "airespace":
        aps = _airespace(reader)
    else:
        raise ValueError(f"unknown controller MIB family {family!r}")
    vaps = reader.vaps() if family == "huawei" else None
    for ap in aps:
        if vaps is not None:
            counts, down = vaps.get(ap.mac, ({}, 0))
            ap.ssids = dict(sorted(counts.items()))
            ap.radios_down = down if ap.status == "up" else None
        elif ap.clients == 0:
            ap.ssids = {}
    problems = reader.problems + ([f"… and {reader.hidden} more"] if reader.hidden else [])
    return sorted(aps, key=lambda a: a.mac), problems


def _huawei(r: _Reader) -> list[DiscoveredAp]:
    aps = []
    for index, mac in r.rows_by_mac("ctl_ap").items():
        status, state = huawei_status(r.number("ctl_ap", "run_state", index))
        ticks = r.number("ctl_ap", "run_time", index)
        aps.append(DiscoveredAp(
            mac=mac, index=index, name=r.text("ctl_ap", "name", index), ip=r.address("ctl_ap", "ip", index),
            model=r.text("ctl_ap", "type", index), serial=r.text("ctl_ap", "sn", index), status=status, state=state,
            ap_group=r.text("ctl_ap", "group", index), clients=r.number("ctl_ap", "users", index),
            uptime_s=ticks / 100 if ticks is not None and status == "up" else None,
            ap_id=r.number("ctl_ap", "id", index),
        ))
    return aps


def _airespace(r: _Reader) -> list[DiscoveredAp]:
    radios: dict[str, list[tuple[int | None, int | None]]] = {}
    for index in r.indexes("ctl_ap_if"):
        head, _, slot = index.rpartition(".")
        mac = mac_from_index(head)
        if mac is None or not slot.isdigit():
            r.problem(f"ctl_ap_if row {index} is not MAC.slot: left out")
            continue
        radios.setdefault(mac, []).append((r.number("ctl_ap_if", "oper", index), r.number("ctl_ap_if", "users", index)))
    aps = []
    for index, mac in r.rows_by_mac("ctl_ap").items():
        status, state = airespace_status(r.number("ctl_ap", "status", index))
        mine = radios.get(mac, [])
        users = [u for _oper, u in mine if u is not None]
        aps.append(DiscoveredAp(
            mac=mac, index=index, name=r.text("ctl_ap", "name", index), ip=r.address("ctl_ap", "ip", index),
            model=r.text("ctl_ap", "model", index), serial=r.text("ctl_ap", "serial", index), status=status,
            state=state, ap_group=r.text("ctl_ap", "group", index),
            clients=sum(users) if users else None,
            radios=len(mine) if mine else None,
            radios_down=sum(1 for oper, _u in mine if oper == AIRESPACE_RADIO_DOWN) if mine else None,
        ))
    return aps
