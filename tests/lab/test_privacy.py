"""Privacy by default: polling the lab stores counts per SSID and AP, never a MAC address.

The lab's recordings (lab/snmp.py) serve MAC addresses: each interface's ifPhysAddress and each
VAP's BSSID (unifiVapBssId). They serve no per-client station table, so the served MACs stand in
for any per-device identifier an agent could hand out. After polling APs of every kind twice, every
column of every table of the database is scanned: no MAC-shaped value, and none of the MACs the
agents served (in any spelling, or as raw bytes), may be stored.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from netctl.poll import history
from netctl.selection import Selection
from tests.helpers.snmp import snmp_get

pytestmark = pytest.mark.lab

APS = ("gs-meiderich-ap01", "zoo-koala-ap04", "bus-1201-ap01")
#: unifiVapBssId of the first VAP
BSSID_0 = "1.3.6.1.4.1.41112.1.6.1.2.1.2.0"
HEX = "0-9a-fA-F"
MAC_SHAPED = re.compile(
    rf"(?<![{HEX}])(?:[{HEX}]{{2}}[:-]){{5}}[{HEX}]{{2}}(?![{HEX}])"  # 02:1a:2b:3c:4d:5e, 02-1A-…
    rf"|(?<![{HEX}.])[{HEX}]{{4}}\.[{HEX}]{{4}}\.[{HEX}]{{4}}(?![{HEX}.])"  # 021a.2b3c.4d5e
)


def served_macs(name: str) -> set[str]:
    """The MAC addresses the AP's agent serves (12 lower-case hex digits), from its recording."""
    from lab.inventory import read_inventory
    from lab.snmp import render_snmprec

    device = next(d for d in read_inventory() if d.name == name)
    macs = set()
    for line in render_snmprec(device).splitlines():
        _oid, tag, value = line.split("|", 2)
        if tag == "4x" and len(value) == 12:
            macs.add(value.lower())
    return macs


def spellings(mac: str) -> list[str]:
    pairs = [mac[i : i + 2] for i in range(0, 12, 2)]
    return [mac, ":".join(pairs), "-".join(pairs), f"{mac[:4]}.{mac[4:8]}.{mac[8:]}"]


def test_polling_stores_no_mac_address_in_any_table(city: Any, lab: Any) -> None:
    macs = {name: served_macs(name) for name in APS}
    assert all(len(found) >= 4 for found in macs.values()), macs  # interfaces and BSSIDs
    # the agent really serves them: one BSSID read over the test's own SNMP session
    got = snmp_get(lab.endpoints["snmp"][APS[0]], [BSSID_0], community=lab.community)
    assert got is not None and str(got[BSSID_0]).lower().removeprefix("0x") in macs[APS[0]]

    for _ in range(2):  # the second poll stores rates too
        results = city.monitor.poll(Selection(names=APS), timeout=2.0, retries=1)
        assert [(r.ap, r.ok) for r in results] == [(name, True) for name in sorted(APS)], [r.error for r in results]
    names = dict(city.session.db.execute("select id, metric from series").fetchall())
    clients = {names[series_id] for series_id in history.read(city.session.db)}  # the series holding raw samples
    assert "clients" in clients, clients  # the counts are there

    every_mac = {m for found in macs.values() for m in found}
    text_forms = {s.lower() for mac in every_mac for s in spellings(mac)}
    raw_forms = {bytes.fromhex(mac) for mac in every_mac}
    tables = city.session.db.table_names()
    assert {"sample_heads", "sample_chunks", "series", "health"} <= set(tables)  # the scan reads the chunks' bytes
    assert macs_stored(city.session.db, text_forms, raw_forms) == []
    # the scan finds what it looks for: a served MAC planted in a scratch table, in two spellings
    planted = sorted(every_mac)[0]
    city.session.db["scratch"].insert({"note": f"seen {spellings(planted)[3].upper()}", "raw": bytes.fromhex(planted)})
    assert len(macs_stored(city.session.db, text_forms, raw_forms)) == 3  # shaped + served text, raw bytes


def macs_stored(db: Any, text_forms: set[str], raw_forms: set[bytes]) -> list[str]:
    """Every ``table.column`` holding a MAC-shaped value or a served MAC (any spelling, or raw bytes)."""
    findings: list[str] = []
    for table in db.table_names():
        for row in db.query(f"select * from [{table}]"):
            for column, value in row.items():
                if isinstance(value, bytes):
                    if any(raw in value for raw in raw_forms) or any(
                            form.encode() in value.lower() for form in text_forms):
                        findings.append(f"{table}.{column}: bytes holding a served MAC")
                    continue
                text = str(value)
                shaped = MAC_SHAPED.search(text)
                if shaped:
                    findings.append(f"{table}.{column}: {shaped.group(0)}")
                low = text.lower()
                findings += [f"{table}.{column}: served MAC {form}" for form in text_forms if form in low]
    return findings
