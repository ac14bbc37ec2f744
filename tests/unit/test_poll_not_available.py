""""Not available" is kept apart from zero everywhere: decode, health row, status, CLI tables and JSON, TUI.

An agent that serves no interfaces, no octet counters, no WLAN client table or answers ifNumber with
noSuchInstance is still ``up``, but every reader says what is not available and why instead of showing
``interfaces: []``, 0 clients or nothing at all.
"""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from netctl.cli import cli
from netctl.poll.decode import decode
from netctl.poll.model import PollResult
from netctl.poll.oids import PROFILES
from tests.helpers.poll import T0, add_city, record

UPTIME = {"sys_uptime": ("TimeTicks", 100)}
IF_ROWS: dict[str, dict[str, tuple[str, Any]]] = {
    "descr": {"1": ("OctetString", "eth0")}, "oper_status": {"1": ("Integer", 1)},
    "in_errors": {"1": ("Counter32", 0)}, "out_errors": {"1": ("Counter32", 0)}}


def test_decode_says_why_each_value_is_not_available() -> None:
    empty = decode(PROFILES["wlan-ap"], {**UPTIME, "mem_total_kb": ("noSuchObject", None)}, {})
    why = empty["unavailable_why"]
    assert list(why) == empty["unavailable"] == ["interfaces", "cpu", "mem", "clients"]
    assert "ifTable" in why["interfaces"] and "unifiVapTable" in why["clients"]
    assert "hrProcessorLoad" in why["cpu"]
    # interfaces served, but neither ifXTable nor ifTable octets
    no_octets = decode(PROFILES["wlan-ap"], UPTIME, {"if": IF_ROWS, "ifx": {}})
    assert "ifXTable" in no_octets["unavailable_why"]["traffic"] and "ifTable" in no_octets["unavailable_why"][
        "traffic"]
    scalar = decode(PROFILES["scalar"], {**UPTIME, "if_number": ("noSuchInstance", None)}, {})
    assert scalar["unavailable_why"] == {"if_number": "ifNumber.0 answered noSuchInstance"}


def without_clients(ts: float) -> PollResult:
    values = {"sys_name": "ap1", "uptime_s": 1000.0, "cpu": 5.0, "mem": 20.0, "clients": None, "radios_down": None,
              "interfaces": [], "ssids": [], "unavailable": ["interfaces", "clients"],
              "unavailable_why": {"interfaces": "the agent served no ifTable rows",
                                  "clients": "the agent served no unifiVapTable rows (no WLAN client table)"}}
    return PollResult("ap1", True, latency_ms=2.0, values=values, ts=ts)


def test_status_names_what_is_not_available(api: Any) -> None:
    add_city(api)
    record(api, [without_clients(T0)], T0)
    [row] = api.monitor.status("ap1")["aps"]
    assert row["state"] == "up" and row["clients"] is None
    assert row["unavailable"] == {"interfaces": "the agent served no ifTable rows",
                                  "clients": "the agent served no unifiVapTable rows (no WLAN client table)"}
    runner = CliRunner()
    data = json.loads(runner.invoke(cli, ["--db", str(api.session.db_path), "status", "ap1", "--json"],
                                    catch_exceptions=False).output)
    assert data["aps"][0]["clients"] is None and "unifiVapTable" in data["aps"][0]["unavailable"]["clients"]
    text = runner.invoke(cli, ["--db", str(api.session.db_path), "status", "ap1"], catch_exceptions=False).output
    line = next(line for line in text.splitlines() if line.startswith("ap1"))
    assert "n/a" in line and "not available: interfaces, clients" in line
    # a later poll that serves clients clears it
    good = without_clients(T0 + 60)
    good.values.update(clients=4, unavailable=["interfaces"], unavailable_why={"interfaces": "none"})
    record(api, [good], T0 + 60)
    assert api.monitor.status("ap1")["aps"][0]["unavailable"] == {"interfaces": "none"}


def test_poll_table_says_not_available() -> None:
    from netctl.cli.poll import poll_rows

    [row] = poll_rows([without_clients(T0)])
    assert row[4] == "n/a" and "not available: interfaces, clients" in row[-1]
