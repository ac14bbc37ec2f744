"""Hostile agents and healthy ones in ONE ``netctl poll``: per-AP outcomes, and the healthy APs stored.

(And a legacy agent without ifXTable: its traffic comes from the 32-bit ifTable octets.)

The hostile APs are addresses of a proxy in front of the lab's real net-snmp snmpd that misbehaves on
purpose (``tests.lab.agents.misbehaving_proxy``): each mangles the agent's real replies in one way
(the cases of issue 12). The healthy APs are the lab's simulated APs of one school and the reference
snmpd itself. ``netctl poll`` runs as a real subprocess; what it stored is read back with sqlite3 and
the healthy values are compared with net-snmp's own ``snmpget``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlite_utils

from netctl.poll import history
from tests.lab.agents import misbehaving_proxy

pytestmark = pytest.mark.lab

REFERENCE = ("127.1.0.161", 1161)  # the lab's net-snmp snmpd
#: address -> misbehaviour, and the error kind a poll must report for it
CASES = {
    "127.9.12.1": ("huge-counter", "malformed"),
    "127.9.12.2": ("truncated", "malformed"),
    "127.9.12.3": ("outer-length-2-31", "malformed"),
    "127.9.12.4": ("garbage", "malformed"),
    "127.9.12.5": ("wrong-request-id", "timeout"),
    "127.9.12.6": ("extra-varbinds", "malformed"),
    "127.9.12.7": ("backwards", "malformed"),
    "127.9.12.8": ("no-tables", "partial"),
    "127.9.12.9": ("v1-reply", "unsupported"),
    "127.9.12.10": ("silent", "timeout"),
}
HEALTHY = ["gs-meiderich-ap01", "gs-meiderich-ap02", "gs-meiderich-ap03", "ref-healthy"]


@pytest.fixture
def hostile_city(city: Any, lab: Any) -> Iterator[Any]:
    """The city plus one AP per misbehaviour (behind the proxy) and the reference snmpd as a healthy AP."""
    city.session.db.table("tenants").insert({"name": "hostile", "title": "hostile agents", "vars": "{}"}, pk="name")
    city.session.db.table("sites").insert({"name": "hostile-site", "tenant": "hostile", "kind": "school", "vars": "{}"},
                                  pk="name")
    snmp = {"version": "2c", "port": 1161, "community": "secret:lab/snmp-community", "profile": "switch"}
    for address, (case, _kind) in CASES.items():
        city.inventory.add_ap({"name": f"hostile-{case}", "tenant": "hostile", "site": "hostile-site",
                               "platform": "openwrt",
                     "address": address, "snmp": snmp})
    city.inventory.add_ap({"name": "ref-healthy", "tenant": "hostile", "site": "hostile-site", "platform": "openwrt",
                 "address": REFERENCE[0], "snmp": snmp})
    # the healthy agents are real snmpds reporting this host's load: a busy test machine must not make them
    # "degraded" (what this module checks is how each misbehaviour is classified, not the host's CPU)
    city.monitor.set_health_rules(cpu_high=101.0, mem_high=101.0)
    with misbehaving_proxy({address: case for address, (case, _kind) in CASES.items()}, REFERENCE):
        yield city


def snmpget(host: str, port: int, community: str, oid: str) -> str:
    out = subprocess.run(["snmpget", "-v2c", "-c", community, "-On", "-Oqv", "-t", "2", "-r", "1", f"{host}:{port}",
                          oid], capture_output=True, text=True, timeout=20, check=True,
                         env={"MIBS": "", "PATH": "/usr/bin:/bin"}).stdout
    return out.strip().strip('"')


def test_one_poll_of_hostile_and_healthy_agents(hostile_city: Any, lab: Any) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "from netctl.cli import main; main()", "--db", hostile_city.session.db_path, "poll",
         "hostile-*", *HEALTHY, "--timeout", "1", "--retries", "1", "--json"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ))
    elapsed = time.monotonic() - started
    assert done.returncode == 5, done.stderr  # some APs failed: the poll still returned, with every result
    results = {r["ap"]: r for r in json.loads(done.stdout)}
    assert elapsed < 30  # a bad datagram costs its AP a request, not the poll its life
    kinds = {ap: r["error_kind"] for ap, r in results.items()}
    assert kinds == {**{f"hostile-{case}": kind for case, kind in CASES.values()}, **dict.fromkeys(HEALTHY)}
    errors = {ap: r["error"] or "" for ap, r in results.items()}
    assert "Counter32 of 1800 octets" in errors["hostile-huge-counter"]
    assert "request-ids" in errors["hostile-wrong-request-id"]
    assert "not increasing" in errors["hostile-backwards"]
    assert "values" in errors["hostile-extra-varbinds"]
    assert "tables did not arrive" in errors["hostile-no-tables"]
    assert "SNMPv1" in errors["hostile-v1-reply"]
    assert all("decoded" in errors[f"hostile-{c}"] for c in ("truncated", "outer-length-2-31", "garbage"))
    # stored, read back without netctl: the healthy APs are up with their samples, the hostile ones are not up
    community = lab.secrets["lab/snmp-community"]
    with sqlite3.connect(hostile_city.session.db_path) as db:
        health = dict(db.execute("select ap, state from health").fetchall())
        error_kinds = dict(db.execute("select ap, error_kind from health").fetchall())
        owners = dict(db.execute("select id, ap from series").fetchall())
        samples: dict[str, int] = {}
        for series_id, _ts, _value in history.rows(sqlite_utils.Database(db)):  # raw samples: compressed chunks
            samples[owners[series_id]] = samples.get(owners[series_id], 0) + 1
        alerts = set(db.execute("select ap, kind from alerts where state = 'open'").fetchall())
    assert {ap: health.get(ap) for ap in HEALTHY} == dict.fromkeys(HEALTHY, "up")
    assert {ap: samples.get(ap, 0) >= 3 for ap in HEALTHY} == dict.fromkeys(HEALTHY, True), samples
    for case, kind in CASES.values():
        ap = f"hostile-{case}"
        assert health[ap] != "up" and error_kinds[ap] == kind
        if kind != "timeout":
            assert (ap, f"poll-{kind}") in alerts
    for ap in HEALTHY[:3]:
        address = hostile_city.session.get_ap(ap)["address"]
        assert results[ap]["values"]["sys_name"] == snmpget(address, 1161, community, "1.3.6.1.2.1.1.5.0")
    assert results["ref-healthy"]["values"]["sys_name"] == snmpget(*REFERENCE, community, "1.3.6.1.2.1.1.5.0")


def test_the_pysnmp_path_reports_the_walk_and_request_id_cases_alike(hostile_city: Any) -> None:
    results = {r.ap: r for r in hostile_city.monitor.poll(["hostile-extra-varbinds", "hostile-backwards",
                                                    "hostile-no-tables", "hostile-garbage", "ref-healthy"],
                                                   timeout=1, retries=1, fast=False)}
    assert {ap: r.error_kind for ap, r in results.items()} == {
        "hostile-extra-varbinds": "malformed", "hostile-backwards": "malformed", "hostile-no-tables": "partial",
        "hostile-garbage": "malformed", "ref-healthy": None}
    # alone: pysnmp matches replies by request-id only, so polled beside others, a reply with a wrong
    # request-id can be taken for another AP's (the fast path also checks the sender; docs/polling.md)
    [wrong_id] = hostile_city.monitor.poll("hostile-wrong-request-id", timeout=1, retries=1, fast=False)
    assert wrong_id.error_kind == "timeout" and "request-ids" in (wrong_id.error or "")


def test_an_agent_without_ifxtable_gets_32_bit_traffic_on_both_paths(api: Any, tmp_path: Any) -> None:
    from tests.lab.agents import snmpd_without_ifxtable

    host, port = "127.9.12.20", 1161
    api.inventory.import_secrets({"test/legacy": "legacycomm"})
    api.session.db.table("tenants").insert({"name": "t", "title": "t", "vars": "{}"}, pk="name")
    api.session.db.table("sites").insert({"name": "s", "tenant": "t", "kind": "school", "vars": "{}"}, pk="name")
    api.inventory.add_ap({"name": "legacy-ap", "tenant": "t", "site": "s", "platform": "openwrt", "address": host,
                "snmp": {"version": "2c", "port": port, "community": "secret:test/legacy"}})
    with snmpd_without_ifxtable(tmp_path, host, port, "legacycomm"):
        no_ifx = subprocess.run(["snmpbulkwalk", "-v2c", "-c", "legacycomm", "-On", f"{host}:{port}",
                                 "1.3.6.1.2.1.31.1.1.1.6"], capture_output=True, text=True, timeout=20,
                                env={"MIBS": "", "PATH": "/usr/bin:/bin"}).stdout
        assert "Counter64" not in no_ifx  # the agent really serves no 64-bit octets
        first = {fast: api.monitor.poll("legacy-ap", timeout=1, retries=1, fast=fast)[0] for fast in (True, False)}
        served = {}
        for line in subprocess.run(["snmpbulkwalk", "-v2c", "-c", "legacycomm", "-On", "-Oq", f"{host}:{port}",
                                    "1.3.6.1.2.1.2.2.1.10"], capture_output=True, text=True, timeout=20,
                                   env={"MIBS": "", "PATH": "/usr/bin:/bin"}).stdout.splitlines():
            oid, _, value = line.partition(" ")
            served[int(oid.rsplit(".", 1)[1])] = int(value)
        time.sleep(1.1)
        [second] = api.monitor.poll("legacy-ap", timeout=1, retries=1)
    for result in (*first.values(), second):
        assert result.ok, result.error
        interfaces = result.values["interfaces"]
        assert interfaces and {i["counter_bits"] for i in interfaces} == {32}
        assert all(i["in_octets"] is not None for i in interfaces)
    # the 32-bit counters netctl read are the ones snmpbulkwalk reads (read a moment later: never smaller)
    polled = {i["index"]: i["in_octets"] for i in first[True].values["interfaces"]}
    assert set(polled) == set(served)
    assert all(0 <= served[index] - polled[index] < 10_000_000 for index in polled)
    indexes = {fast: [i["index"] for i in r.values["interfaces"]] for fast, r in first.items()}
    assert indexes[True] == indexes[False]
    names = {r["metric"] for r in api.monitor.metrics("legacy-ap", since=time.time() - 600)}
    assert {"in_bps", "out_bps"} <= names
