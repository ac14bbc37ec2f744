"""Controllers without a network: the lab's controller recordings read as a poll hands them over, and a
poll result made of them (the shape :func:`netctl.poll.decode.decode` gives a controller profile)."""

from __future__ import annotations

import time
from typing import Any

from lab.controller_snmp import render_controller_snmprec
from lab.inventory import CONTROLLER_FILES, LabDevice, read_inventory
from netctl.poll.model import PollResult
from netctl.poll.oids import PROFILES

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
