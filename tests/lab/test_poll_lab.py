"""SNMP polling against the lab's real agents (snmpsim APs and the net-snmp reference snmpd).

- the values netctl reads equal what net-snmp's own ``snmpget`` reads from the same agent;
- SNMPv3 authPriv works, a wrong auth key, a wrong privacy key and a wrong community are reported as
  ``auth``, an address nobody answers as ``timeout``;
- an agent stopped mid-run turns its AP down after the configured misses and back up when it returns;
- a real agent serving a wrong type (net-snmp ``override``) is reported as ``malformed``.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.agents import misbehaving_snmpd

pytestmark = pytest.mark.lab

REFERENCE = ("127.1.0.161", 1161)  # the lab's net-snmp snmpd (v2c + v3 labuser SHA/AES)
MISBEHAVING = ("127.9.0.1", 1161)  # a net-snmp snmpd of this test, told to serve a wrong type


def snmpget(host: str, port: int, oids: list[str], auth: list[str]) -> dict[str, str]:
    """Values as net-snmp's snmpget prints them with -Oqvn (value only, numeric), keyed by OID."""
    out = subprocess.run(["snmpget", *auth, "-On", "-Oq", "-Ot", "-Oe", "-t", "2", "-r", "1", f"{host}:{port}",
                          *oids], capture_output=True, text=True, timeout=20, check=True,
                         env={"MIBS": "", "PATH": "/usr/bin:/bin"}).stdout
    values = {}
    for line in out.splitlines():
        oid, _, value = line.partition(" ")
        values[oid.lstrip(".")] = value.strip().strip('"')
    return values


def v2c(lab: Any) -> list[str]:
    return ["-v2c", "-c", lab.secrets["lab/snmp-community"]]


def test_city_poll_reads_every_ap_and_matches_snmpget(city: Any, lab: Any) -> None:
    results = city.monitor.poll(timeout=2, retries=1)
    assert len(results) == len(city.session.select()) >= 70
    failed = [(r.ap, r.error_kind, r.error) for r in results if not r.ok]
    assert failed == []
    by_name = {r.ap: r for r in results}
    for r in results:
        assert r.values["sys_name"] == r.ap  # each AP answered for itself
        assert r.latency_ms is not None and r.latency_ms > 0
    for name in ("gs-meiderich-ap01", "bus-1201-ap01", "gs-meiderich-sw01"):
        ap = city.session.get_ap(name)
        got = snmpget(ap["address"], ap["snmp"]["port"],
                      ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.2.2.1.2.2",
                       "1.3.6.1.2.1.31.1.1.1.1.2"], v2c(lab))
        values = by_name[name].values
        assert got["1.3.6.1.2.1.1.5.0"] == values["sys_name"]
        assert got["1.3.6.1.2.1.1.1.0"] == values["sys_descr"]
        assert got["1.3.6.1.2.1.1.2.0"].lstrip(".") == values["sys_object_id"]
        assert got["1.3.6.1.2.1.31.1.1.1.1.2"] == values["interfaces"][1]["name"]
    ap_values = by_name["gs-meiderich-ap01"].values
    assert ap_values["clients"] == sum(s["clients"] for s in ap_values["ssids"]) > 0
    assert {s["radio"] for s in ap_values["ssids"]} == {"ng", "na"}
    assert ap_values["mem_total_kb"] == int(snmpget("127.1.1.1", 1161, ["1.3.6.1.4.1.2021.4.5.0"],
                                                    v2c(lab))["1.3.6.1.4.1.2021.4.5.0"])
    # the v3-only zoo AP was polled with its authPriv user
    assert by_name["zoo-entrance-ap01"].ok
    # recorded: health, status counts, metrics
    status = city.monitor.status()
    assert status["totals"]["total"] == len(results)
    assert status["totals"]["unknown"] == 0
    series = city.monitor.metrics("gs-meiderich-ap01", metric="clients")
    assert series and series[-1]["value"] == ap_values["clients"]


def test_reference_snmpd_v3_and_v2c_against_snmpget(api: Any, lab: Any) -> None:
    api.inventory.import_secrets({**lab.secrets, "test/wrong-auth": "not-the-auth-key",
                                  "test/wrong-priv": "not-the-priv-key",
                        "test/wrong-community": "not-the-community"})
    api.session.db.table("tenants").insert({"name": "ref", "title": "reference", "vars": "{}"}, pk="name")
    api.session.db.table("sites").insert({"name": "ref-site", "tenant": "ref", "kind": "school", "vars": "{}"},
                                         pk="name")
    host, port = REFERENCE
    v3 = {"version": "3", "port": port, "user": "labuser", "auth_protocol": "SHA", "priv_protocol": "AES",
          "auth_key": "secret:lab/snmpv3-auth", "priv_key": "secret:lab/snmpv3-priv"}
    aps = {
        "ref-v3": v3,
        "ref-v3-wrong-auth": {**v3, "auth_key": "secret:test/wrong-auth"},
        "ref-v3-wrong-priv": {**v3, "priv_key": "secret:test/wrong-priv"},
        "ref-v2c": {"version": "2c", "port": port, "community": "secret:lab/snmp-community"},
        "ref-v2c-wrong": {"version": "2c", "port": port, "community": "secret:test/wrong-community"},
        "ref-nobody": {"version": "2c", "port": 1161, "community": "secret:lab/snmp-community"},
    }
    for name, snmp in aps.items():
        api.inventory.add_ap({"name": name, "tenant": "ref", "site": "ref-site", "platform": "openwrt",
                    "address": "127.1.0.250" if name == "ref-nobody" else host, "snmp": snmp})
    started = time.monotonic()
    results = {r.ap: r for r in api.monitor.poll(timeout=1, retries=0)}
    elapsed = time.monotonic() - started
    assert results["ref-v3"].ok, results["ref-v3"].error
    assert results["ref-v2c"].ok, results["ref-v2c"].error
    assert (results["ref-v3-wrong-auth"].error_kind, results["ref-v3-wrong-priv"].error_kind,
            results["ref-v2c-wrong"].error_kind, results["ref-nobody"].error_kind) == ("auth", "auth", "auth",
                                                                                      "timeout")
    assert "digest" in results["ref-v3-wrong-auth"].error.lower()
    assert elapsed < 10  # dead and refused APs cost their own timeout, concurrently
    auth, priv = lab.secrets["lab/snmpv3-auth"], lab.secrets["lab/snmpv3-priv"]
    got = snmpget(host, port, ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.1.0", "1.3.6.1.4.1.2021.4.5.0"],
                  ["-v3", "-l", "authPriv", "-u", "labuser", "-a", "SHA", "-A", auth, "-x", "AES", "-X", priv])
    for name in ("ref-v3", "ref-v2c"):
        values = results[name].values
        assert values["sys_name"] == got["1.3.6.1.2.1.1.5.0"]
        assert values["sys_descr"] == got["1.3.6.1.2.1.1.1.0"]
        assert values["mem_total_kb"] == int(got["1.3.6.1.4.1.2021.4.5.0"])
    states = {a["name"]: (a["state"], a["error_kind"]) for a in api.monitor.status()["aps"]}
    assert states["ref-v3-wrong-auth"] == ("unknown", "auth")
    assert {a["kind"] for a in api.monitor.alerts() if a["ap"] == "ref-v3-wrong-auth"} == {"poll-auth"}


def test_agent_stopped_mid_run_goes_down_after_misses_and_comes_back(city: Any, lab: Any) -> None:
    ap = "gym-hamborn-ap02"
    city.monitor.set_health_rules(down_after_misses=2, up_after_oks=1)
    options = {"timeout": 0.5, "retries": 0}
    assert city.monitor.poll(ap, **options)[0].state == "up"
    lab.stop_snmp_agent(ap)
    try:
        first = city.monitor.poll(ap, **options)[0]
        assert (first.ok, first.error_kind, first.state) == (False, "timeout", "up")  # one miss: not yet down
        second = city.monitor.poll(ap, **options)[0]
        assert second.state == "down"
        [alert] = [a for a in city.monitor.alerts() if a["ap"] == ap]
        assert alert["kind"] == "down" and alert["state"] == "open"
    finally:
        lab.start_snmp_agent(ap)
    deadline = time.monotonic() + 10
    back = city.monitor.poll(ap, **options)[0]
    while not back.ok and time.monotonic() < deadline:
        time.sleep(0.3)
        back = city.monitor.poll(ap, **options)[0]
    assert back.ok and back.state == "up"
    assert [a for a in city.monitor.alerts() if a["ap"] == ap] == []
    closed = [a for a in city.monitor.alerts(open_only=False) if a["ap"] == ap]
    assert closed[0]["state"] == "closed"
    up_series = [r["value"] for r in city.monitor.metrics(ap, metric="up")]
    assert up_series[:1] == [1.0] and 0.0 in up_series and up_series[-1] == 1.0


@pytest.fixture
def misbehaving_agent(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real net-snmp snmpd whose sysUpTime is overridden with a string (a broken firmware's answer)."""
    with misbehaving_snmpd(tmp_path, *MISBEHAVING) as agent:
        yield agent


def test_malformed_reply_from_a_real_agent(api: Any, misbehaving_agent: tuple[str, int]) -> None:
    host, port = misbehaving_agent
    api.inventory.import_secrets({"test/broken": "brokencomm"})
    api.session.db.table("tenants").insert({"name": "ref", "title": "reference", "vars": "{}"}, pk="name")
    api.session.db.table("sites").insert({"name": "ref-site", "tenant": "ref", "kind": "school", "vars": "{}"},
                                         pk="name")
    api.inventory.add_ap({"name": "broken-ap", "tenant": "ref", "site": "ref-site", "platform": "openwrt",
                          "address": host,
                "snmp": {"version": "2c", "port": port, "community": "secret:test/broken"}})
    [result] = api.monitor.poll("broken-ap", timeout=1, retries=0)
    assert (result.ok, result.error_kind) == (False, "malformed")
    assert "1.3.6.1.2.1.1.3.0" in result.error and "TimeTicks" in result.error
    assert api.monitor.status()["aps"][0]["state"] == "unknown"
    assert [a["kind"] for a in api.monitor.alerts()] == ["poll-malformed"]


def test_sharded_poll_across_worker_processes(city: Any) -> None:
    sharded = city.monitor.poll(timeout=2, retries=1, workers=2)
    assert [r.ap for r in sharded] == sorted(ap["name"] for ap in city.session.select())
    assert all(r.ok for r in sharded), [(r.ap, r.error) for r in sharded if not r.ok]
    assert all(r.values["sys_name"] == r.ap for r in sharded)  # each worker's engine reached the right agent
    assert city.monitor.status()["totals"]["unknown"] == 0  # the parent recorded every shard's results
