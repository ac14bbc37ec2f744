"""Turning what an agent answered into the values netctl records (pure; no I/O).

The SNMP layer hands over plain data: each scalar as ``(type, value)`` and each table column as
``{index: (type, value)}``, where ``type`` is the SMI type name (``Counter32``, ``TimeTicks``,
``OctetString`` …, or ``noSuchObject`` / ``noSuchInstance`` / ``endOfMibView``). :func:`decode`
checks types against what the profile expects and raises :class:`PollError` (kind ``malformed``)
naming the OID when a reply cannot be what the agent claims it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netctl.errors import PollError
from netctl.poll.oids import HR_STORAGE_RAM, WIRELESS_IF_PREFIXES, Profile

Typed = tuple[str, Any]
RawScalars = dict[str, Typed]
RawTables = dict[str, dict[str, dict[str, Typed]]]


def fill_tables(tables: RawTables, columns: Sequence[tuple[str, str, Any]],
                walked: Sequence[dict[str, Typed]]) -> None:
    """Put each walked column (``columns[i]`` is ``(table, column, prefix)``) under ``tables[table][column]``."""
    for (table, column, _prefix), rows in zip(columns, walked, strict=True):
        tables.setdefault(table, {})[column] = rows


MISSING = frozenset({"noSuchObject", "noSuchInstance", "endOfMibView"})
INTEGER_TYPES = frozenset({"Integer", "Integer32", "Counter32", "Counter64", "Gauge32", "Unsigned32",
                           "TimeTicks"})
TEXT_TYPES = frozenset({"OctetString", "DisplayString", "Opaque", "IpAddress"})

#: the SMI type each known value must have; anything else is a malformed reply
EXPECTED: dict[str, frozenset[str]] = {
    "sys_uptime": frozenset({"TimeTicks"}),
    "sys_name": TEXT_TYPES,
    "sys_descr": TEXT_TYPES,
    "sys_object_id": frozenset({"ObjectIdentifier"}),
    "mem_total_kb": INTEGER_TYPES,
    "mem_avail_kb": INTEGER_TYPES,
}


def _malformed(message: str) -> PollError:
    return PollError(f"malformed reply: {message}", kind="malformed",
                     hint="the agent answered, but not with what its MIB defines; check its firmware/recording")


def _scalar(profile: Profile, raw: RawScalars, name: str) -> Any:
    typed = raw.get(name)
    if typed is None or typed[0] in MISSING:
        if name in profile.required:
            raise _malformed(f"{profile.scalars[name]} ({name}) missing")
        return None
    kind, value = typed
    expected = EXPECTED.get(name)
    if expected is not None and kind not in expected:
        raise _malformed(f"{profile.scalars[name]} ({name}) is {kind}, expected {'/'.join(sorted(expected))}")
    return value


def _int_column(column: dict[str, Typed], oid: str, index: str) -> int | None:
    kind, value = column[index]
    if kind in MISSING:
        return None
    if kind not in INTEGER_TYPES or not isinstance(value, int):
        raise _malformed(f"{oid}.{index} is {kind}, expected a number")
    return value


def _text_column(column: dict[str, Typed], index: str) -> str | None:
    kind, value = column[index]
    if kind in MISSING:
        return None
    return str(value)


def _table(profile: Profile, raw: RawTables, table: str) -> dict[str, dict[str, Typed]]:
    return raw.get(table, {}) if table in profile.tables else {}


def _rows(columns: dict[str, dict[str, Typed]]) -> list[str]:
    indexes: set[str] = set()
    for column in columns.values():
        indexes.update(column)
    return sorted(indexes, key=lambda i: tuple(int(p) for p in i.split(".") if p.isdigit()))


def _number(profile: Profile, raw: RawTables, table: str, column: str, index: str) -> int | None:
    if table not in profile.tables or column not in profile.tables[table].columns:
        return None
    col = _table(profile, raw, table).get(column, {})
    if index not in col:
        return None
    return _int_column(col, profile.tables[table].column_oid(column), index)


def _text(profile: Profile, raw: RawTables, table: str, column: str, index: str) -> str | None:
    if table not in profile.tables or column not in profile.tables[table].columns:
        return None
    col = _table(profile, raw, table).get(column, {})
    return _text_column(col, index) if index in col else None


def _octets32(profile: Profile, raw: RawTables, column: str, index: str) -> int | None:
    """32-bit ifTable octets: from the profile's own ifTable columns, else from its ifXTable fallback."""
    value = _number(profile, raw, "if", column, index)
    if value is not None:
        return value
    for name, (_missing, table) in profile.fallbacks.items():
        col = raw.get(name, {}).get(column, {})
        if column in table.columns and index in col:
            return _int_column(col, table.column_oid(column), index)
    return None


def decode(profile: Profile, scalars: RawScalars, tables: RawTables) -> dict[str, Any]:
    """The values of one poll: system facts, interfaces, CPU, memory, radios, SSIDs, clients, ifNumber
    (``scalar`` profile), and ``unavailable``: what the profile asks for that the agent did not serve
    (``unavailable_why``: the same, each with why).

    Raises PollError(kind="malformed") when a required scalar is missing or a value has the wrong type.
    """
    uptime_ticks = _scalar(profile, scalars, "sys_uptime")
    if uptime_ticks is not None and (not isinstance(uptime_ticks, int) or uptime_ticks < 0):
        raise _malformed(f"sysUpTime {uptime_ticks!r} is not a tick count")
    values: dict[str, Any] = {
        "sys_name": _scalar(profile, scalars, "sys_name"),
        "sys_descr": _scalar(profile, scalars, "sys_descr"),
        "sys_object_id": _scalar(profile, scalars, "sys_object_id"),
        "uptime_ticks": uptime_ticks,
        "uptime_s": uptime_ticks / 100 if uptime_ticks is not None else None,
    }

    interfaces = []
    if_cols = _table(profile, raw=tables, table="if")
    ifx_cols = _table(profile, raw=tables, table="ifx")
    for index in _rows(if_cols):
        name = _text(profile, tables, "if", "descr", index)
        hc_in = _number(profile, tables, "ifx", "hc_in_octets", index)
        hc_out = _number(profile, tables, "ifx", "hc_out_octets", index)
        oper = _number(profile, tables, "if", "oper_status", index)
        interfaces.append({
            "index": int(index), "name": name or f"if{index}",
            "oper": {1: "up", 2: "down"}.get(oper or 0, "other" if oper is not None else None),
            "in_octets": hc_in if hc_in is not None else _octets32(profile, tables, "in_octets", index),
            "out_octets": hc_out if hc_out is not None else _octets32(profile, tables, "out_octets", index),
            "counter_bits": 64 if hc_in is not None and ifx_cols else 32,
            "in_errors": _number(profile, tables, "if", "in_errors", index),
            "out_errors": _number(profile, tables, "if", "out_errors", index),
        })
    values["interfaces"] = interfaces

    loads = [v for i in _rows(_table(profile, tables, "cpu"))
             if (v := _number(profile, tables, "cpu", "load", i)) is not None]
    values["cpu"] = round(sum(loads) / len(loads), 1) if loads else None

    values["mem_total_kb"] = _scalar(profile, scalars, "mem_total_kb") if "mem_total_kb" in profile.scalars else None
    avail = _scalar(profile, scalars, "mem_avail_kb") if "mem_avail_kb" in profile.scalars else None
    mem = None
    if values["mem_total_kb"] and avail is not None:
        mem = round(100.0 * (values["mem_total_kb"] - avail) / values["mem_total_kb"], 1)
    else:
        for index in _rows(_table(profile, tables, "storage")):
            if _text(profile, tables, "storage", "type", index) != HR_STORAGE_RAM:
                continue
            size = _number(profile, tables, "storage", "size", index)
            used = _number(profile, tables, "storage", "used", index)
            units = _number(profile, tables, "storage", "alloc_units", index) or 1
            if size:
                mem = round(100.0 * (used or 0) / size, 1)
                values["mem_total_kb"] = size * units // 1024
            break
    values["mem"] = mem

    values["radios"] = [
        {"index": int(i) if i.isdigit() else i, "name": _text(profile, tables, "radio", "name", i),
         "radio": _text(profile, tables, "radio", "radio", i),
         "cu_total": _number(profile, tables, "radio", "cu_total", i)}
        for i in _rows(_table(profile, tables, "radio"))
    ]
    ssids = []
    for i in _rows(_table(profile, tables, "vap")):
        up = _number(profile, tables, "vap", "up", i)
        ssids.append({
            "index": int(i) if i.isdigit() else i,
            "ssid": _text(profile, tables, "vap", "essid", i),
            "name": _text(profile, tables, "vap", "name", i),
            "radio": _text(profile, tables, "vap", "radio", i),
            "channel": _number(profile, tables, "vap", "channel", i),
            "clients": _number(profile, tables, "vap", "stations", i),
            "up": None if up is None else up == 1,
            "rx_bytes": _number(profile, tables, "vap", "rx_bytes", i),
            "tx_bytes": _number(profile, tables, "vap", "tx_bytes", i),
        })
    values["ssids"] = ssids
    counts = [s["clients"] for s in ssids if s["clients"] is not None]
    values["clients"] = sum(counts) if counts else None
    wireless_down = sum(1 for i in interfaces if i["oper"] == "down"
                        and str(i["name"]).lower().startswith(WIRELESS_IF_PREFIXES))
    vaps_down = sum(1 for s in ssids if s["up"] is False)
    values["radios_down"] = wireless_down + vaps_down if (interfaces or ssids) else None
    if "if_number" in profile.scalars:
        if_number = _scalar(profile, scalars, "if_number")
        values["if_number"] = if_number if isinstance(if_number, int) else None
    values["unavailable_why"] = unavailable_why(profile, values, scalars)
    values["unavailable"] = list(values["unavailable_why"])
    if profile.raw:  # a controller's AP tables: read by netctl.controllers.mibs, not here
        values["raw"] = {table: tables.get(table, {}) for table in profile.raw}
    return values


def unavailable(profile: Profile, values: dict[str, Any]) -> list[str]:
    """What the profile asks for that the agent did not serve ("not available", never a zero)."""
    return list(unavailable_why(profile, values))


def unavailable_why(profile: Profile, values: dict[str, Any], scalars: RawScalars | None = None) -> dict[str, str]:
    """What the profile asks for that the agent did not serve -> why, in words an operator can check."""
    why: dict[str, str] = {}
    if "if" in profile.tables and not values["interfaces"]:
        why["interfaces"] = "the agent served no ifTable rows"
    elif any(i["in_octets"] is None for i in values["interfaces"]):
        names = [str(i["name"]) for i in values["interfaces"] if i["in_octets"] is None]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        why["traffic"] = f"neither ifXTable (64-bit) nor ifTable (32-bit) octet counters served for {shown}"
    if "cpu" in profile.tables and values["cpu"] is None:
        why["cpu"] = "the agent served no hrProcessorLoad rows"
    if ("mem_total_kb" in profile.scalars or "storage" in profile.tables) and values["mem"] is None:
        why["mem"] = "neither UCD memTotalReal/memAvailReal nor an hrStorageTable RAM row served"
    if "vap" in profile.tables and values["clients"] is None:
        why["clients"] = "the agent served no unifiVapTable station counts (no WLAN client table)"
    if "if_number" in profile.scalars and values.get("if_number") is None:
        typed = (scalars or {}).get("if_number")
        why["if_number"] = (f"ifNumber.0 answered {typed[0]}" if typed is not None and typed[0] in MISSING
                            else "ifNumber.0 not served")
    return why
