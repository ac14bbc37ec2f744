"""A real net-snmp snmpd restarted between two polls: the poll after the restart stores no traffic rate.

The agent's counters may start again with it (net-snmp's ifTable comes from the kernel and goes on, an
AP's own agent often does not), so netctl must not compute a rate across a restart. Here the restarted
agent has been up for longer than at the first poll (sysUpTime did not go back), but for less time than
has passed since that poll: the restart is still seen. The poll after that has rates again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.lab.agents import snmpd

pytestmark = pytest.mark.lab

HOST, PORT, COMMUNITY = "127.9.13.1", 1161, "restartcomm"


def traffic_at(api: Any, ts: float) -> set[str]:
    return {r["metric"] for r in api.monitor.metrics("restart-ap", since=ts - 1)
            if r["epoch"] == int(ts) and r["metric"].startswith(("in_bps", "out_bps"))}


def test_no_rate_across_an_agent_restart(api: Any, tmp_path: Path) -> None:
    api.inventory.import_secrets({"test/restart": COMMUNITY})
    api.session.db.table("tenants").insert({"name": "t", "title": "t", "vars": "{}"}, pk="name")
    api.session.db.table("sites").insert({"name": "s", "tenant": "t", "kind": "school", "vars": "{}"}, pk="name")
    api.inventory.add_ap({"name": "restart-ap", "tenant": "t", "site": "s", "platform": "openwrt", "address": HOST,
                "snmp": {"version": "2c", "port": PORT, "community": "secret:test/restart", "profile": "switch"}})
    config = f"rocommunity {COMMUNITY} 127.0.0.0/8"
    with snmpd(tmp_path, HOST, PORT, COMMUNITY, config):
        [first] = api.monitor.poll("restart-ap", timeout=1, retries=1)
        time.sleep(2.6)
    with snmpd(tmp_path, HOST, PORT, COMMUNITY, config):
        time.sleep(first.values["uptime_s"] + 0.3)  # up longer than at the first poll
        [second] = api.monitor.poll("restart-ap", timeout=1, retries=1)
        time.sleep(1.1)
        [third] = api.monitor.poll("restart-ap", timeout=1, retries=1)
    for result in (first, second, third):
        assert result.ok, result.error
        assert result.values["interfaces"]
    assert second.values["uptime_s"] > first.values["uptime_s"]  # sysUpTime did not go back
    assert second.values["uptime_s"] < second.ts - first.ts  # but the agent is younger than the gap
    assert traffic_at(api, second.ts) == set()
    assert {"in_bps", "out_bps"} <= traffic_at(api, third.ts)
    assert any(m.startswith("in_bps:if") for m in traffic_at(api, third.ts))
