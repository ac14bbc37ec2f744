"""Poll results to record without an agent: a small city, a good and a dead answer, and the store's
recording step, at fixed times."""

from __future__ import annotations

import json
from typing import Any

from netctl.poll.model import PollResult
from netctl.poll.store import record_results

T0 = 1_790_000_000.0  # a fixed time (in 2026), at noon-ish UTC


def add_city(api: Any, transit_window: str = "01:00-04:30") -> None:
    db = api.session.db
    db["tenants"].insert({"name": "du", "title": "Duisburg", "vars": json.dumps({"timezone": "Europe/Berlin"})})
    db["sites"].insert_all([
        {"name": "school1", "tenant": "du", "kind": "school", "vars": "{}"},
        {"name": "fleet", "tenant": "du", "kind": "transit", "vars": json.dumps({"depot_window": transit_window})},
    ])
    snmp = json.dumps({"version": "2c", "port": 1161, "community": "secret:x"})
    db["aps"].insert_all([
        {"name": "ap1", "tenant": "du", "site": "school1", "platform": "netconf-wlan", "address": "127.0.0.1",
         "snmp": snmp},
        {"name": "ap2", "tenant": "du", "site": "school1", "platform": "netconf-wlan", "address": "127.0.0.2",
         "snmp": snmp},
        {"name": "bus1", "tenant": "du", "site": "fleet", "platform": "openwrt", "address": "127.0.0.3",
         "snmp": snmp},
    ])


def good(ap: str, ts: float, *, octets: int = 0, clients: int = 20, cpu: float = 10.0) -> PollResult:
    values = {"sys_name": ap, "uptime_s": ts - T0 + 1000, "cpu": cpu, "mem": 30.0, "clients": clients,
              "radios_down": 0,
              "ssids": [{"index": 0, "ssid": "Schule", "radio": "ng", "clients": clients}],
              "interfaces": [{"index": 1, "name": "eth0", "oper": "up", "in_octets": octets, "out_octets": octets,
                              "counter_bits": 64, "in_errors": 0, "out_errors": 0}]}
    return PollResult(ap, True, latency_ms=3.0, values=values, ts=ts)


def dead(ap: str, ts: float) -> PollResult:
    return PollResult(ap, False, error_kind="timeout", error="no answer (request timed out)", ts=ts)


def record(api: Any, results: list[PollResult], now: float) -> list[dict[str, Any]]:
    return record_results(api.session.db, api.session.select(), results, now=now)
