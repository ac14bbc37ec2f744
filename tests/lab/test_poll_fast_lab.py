"""The fast SNMP path (own BER codec, USM) against the pysnmp engine path and net-snmp's own tools.

- every AP of the example city (snmpsim APs and switches, the v3 zoo AP) polled by both paths gives the
  same results, value for value;
- the lab's reference net-snmp snmpd: both paths agree on values and on every failure kind (wrong
  community, wrong auth key, wrong privacy key, unknown user, nobody there, a wrong type served);
- table walks (v2c and v3 authPriv, several GETBULK rounds) equal ``snmpbulkwalk`` row for row;
- a request lost on the way is sent again (the same message) and answered; without retries it times out;
- a v2c-only poll never loads pysnmp.
"""

from __future__ import annotations

import asyncio
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netctl.poll.fast import FastSession
from netctl.poll.model import PollResult, Target
from netctl.poll.ops import build_targets
from netctl.poll.snmp import poll_targets
from tests.lab.agents import misbehaving_snmpd

pytestmark = pytest.mark.lab

REFERENCE = ("127.1.0.161", 1161)  # the lab's net-snmp snmpd (v2c + v3 labuser SHA/AES)
MISBEHAVING = ("127.9.0.2", 1161)  # a net-snmp snmpd of this module serving a wrong type
#: values the lab's simulated APs change from one request to the next (counters, load, clients, uptime)
MOVING = frozenset({"uptime_ticks", "uptime_s", "in_octets", "out_octets", "in_errors", "out_errors", "clients",
                    "cpu", "mem"})


def shape(value: Any, key: str = "") -> Any:
    """``value`` with every moving number replaced by its type: everything else must match exactly."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v, key) for v in value]
    return type(value).__name__ if key in MOVING else value


def comparable(result: PollResult) -> tuple[Any, ...]:
    return result.ap, result.ok, result.error_kind, shape(result.values)


def test_whole_city_fast_path_equals_pysnmp_path(city: Any) -> None:
    targets, failed = build_targets(city.session.db, city.session.select())
    assert failed == [] and len(targets) >= 70
    assert {t.version for t in targets} == {"2c", "3"}
    # generous timeouts: one simulator process serves the whole city, and the machine is shared
    fast = poll_targets(targets, timeout=3, retries=2, fast=True)
    engine = poll_targets(targets, timeout=3, retries=2, fast=False)
    assert [(r.ap, r.error) for r in fast + engine if not r.ok] == []
    assert [comparable(r) for r in fast] == [comparable(r) for r in engine]
    # the static half of the city (names, descriptions, indexes, SSIDs, memory size) is compared exactly
    assert sum(len(r.values["interfaces"]) + len(r.values["ssids"]) for r in fast) > 300
    by_name = {r.ap: r for r in fast}
    assert by_name["zoo-entrance-ap01"].values["sys_name"] == "zoo-entrance-ap01"  # the v3 AP
    assert by_name["gs-meiderich-ap01"].values["clients"] > 0
    assert all(r.latency_ms is not None and r.latency_ms > 0 for r in fast)
    # the facade's switch, through two worker processes: the engine path there too, same answers
    sharded = city.monitor.poll(timeout=3, retries=2, workers=2, fast=False)
    assert [(r.ap, r.error) for r in sharded if not r.ok] == []
    assert [comparable(r) for r in sharded] == [comparable(r) for r in fast]


def reference_targets(lab: Any) -> list[Target]:
    host, port = REFERENCE
    auth, priv, community = lab.secrets["lab/snmpv3-auth"], lab.secrets["lab/snmpv3-priv"], lab.secrets[
        "lab/snmp-community"]
    v3 = {"version": "3", "user": "labuser", "auth_key": auth, "priv_key": priv}
    targets = [Target(f"v2c-{p}", host, port, "2c", community=community, profile=p)
               for p in ("scalar", "wlan-ap", "wlan-ap-full", "switch", "legacy-if")]
    targets += [Target(f"v3-{p}", host, port, profile=p, **v3) for p in ("scalar", "wlan-ap-hr", "switch")]
    targets += [
        Target("v2c-wrong-community", host, port, "2c", community="not-the-community", profile="scalar"),
        Target("v3-wrong-auth", host, port, profile="scalar", **{**v3, "auth_key": "not-the-auth-key"}),
        Target("v3-wrong-priv", host, port, profile="scalar", **{**v3, "priv_key": "not-the-priv-key"}),
        Target("v3-unknown-user", host, port, profile="scalar", **{**v3, "user": "nobody"}),
        Target("v2c-nobody", "127.1.0.250", port, "2c", community=community, profile="scalar"),
        Target("v3-nobody", "127.1.0.250", port, profile="scalar", **v3),
    ]
    return targets


def steady(result: PollResult) -> tuple[Any, ...]:
    """What a live Linux agent serves the same twice: identity, interface names/indexes, memory size."""
    v = result.values
    interfaces = [(i["index"], i["name"], i["counter_bits"]) for i in v.get("interfaces", [])]
    return (result.ap, result.ok, result.error_kind, v.get("sys_name"), v.get("sys_descr"), v.get("sys_object_id"),
            v.get("mem_total_kb"), interfaces, v.get("engine_answers"))


def test_reference_agent_both_paths_agree_on_values_and_failures(lab: Any) -> None:
    targets = reference_targets(lab)
    started = time.monotonic()
    fast = poll_targets(targets, timeout=1, retries=0, fast=True)
    elapsed = time.monotonic() - started
    engine = poll_targets(targets, timeout=1, retries=0, fast=False)
    assert [steady(r) for r in fast] == [steady(r) for r in engine]
    kinds = {r.ap: r.error_kind for r in fast}
    assert {ap: kind for ap, kind in kinds.items() if kind} == {
        "v2c-wrong-community": "auth", "v3-wrong-auth": "auth", "v3-wrong-priv": "auth", "v3-unknown-user": "auth",
        "v2c-nobody": "timeout", "v3-nobody": "timeout"}
    errors = {r.ap: r.error or "" for r in fast}
    assert "digest" in errors["v3-wrong-auth"].lower()
    assert "privacy" in errors["v3-wrong-priv"]
    assert "unknown user" in errors["v3-unknown-user"]
    assert elapsed < 6  # dead and refusing agents cost their own timeout, concurrently
    ok = {r.ap: r for r in fast if r.ok}
    assert len(ok) == 8 and {r.values["sys_name"] for r in ok.values()} == {"netctl-lab-snmpd"}
    assert ok["v3-wlan-ap-hr"].values["mem"] is not None  # hrStorage walked over authPriv
    assert len(ok["v2c-switch"].values["interfaces"]) == len(ok["v3-switch"].values["interfaces"]) >= 2


@pytest.fixture
def misbehaving_agent(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real net-snmp snmpd whose sysUpTime is overridden with a string (a broken firmware's answer)."""
    with misbehaving_snmpd(tmp_path, *MISBEHAVING) as agent:
        yield agent


def test_wrong_type_is_malformed_on_both_paths(misbehaving_agent: tuple[str, int]) -> None:
    host, port = misbehaving_agent
    target = Target("broken-ap", host, port, "2c", community="brokencomm", profile="scalar")
    [fast] = poll_targets([target], timeout=1, retries=0, fast=True)
    [engine] = poll_targets([target], timeout=1, retries=0, fast=False)
    assert (fast.ok, fast.error_kind, fast.error) == (engine.ok, engine.error_kind, engine.error)
    assert fast.error_kind == "malformed" and "1.3.6.1.2.1.1.3.0" in (fast.error or "")


# -- walks against snmpbulkwalk -------------------------------------------------------------------
#: columns a Linux snmpd serves unchanged between two walks: system group, sysORTable, ifTable, hrStorage
WALKED = ["1.3.6.1.2.1.1", "1.3.6.1.2.1.1.9.1.2", "1.3.6.1.2.1.1.9.1.3", "1.3.6.1.2.1.2.2.1.1",
          "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.2.2.1.4", "1.3.6.1.2.1.2.2.1.6",
          "1.3.6.1.2.1.25.2.3.1.2", "1.3.6.1.2.1.25.2.3.1.3", "1.3.6.1.2.1.25.2.3.1.4"]


def bulkwalk(oid: str, auth: list[str]) -> list[tuple[str, str]]:
    """``snmpbulkwalk -On -Ox`` rows as (OID, value text), wrapped hex lines joined."""
    host, port = REFERENCE
    out = subprocess.run(["snmpbulkwalk", *auth, "-On", "-Oq", "-Ot", "-Oe", "-Ox", "-Cr3", "-t", "2", "-r", "1",
                          f"{host}:{port}", oid], capture_output=True, text=True, timeout=30, check=True,
                         env={"MIBS": "", "PATH": "/usr/bin:/bin"}).stdout
    rows: list[tuple[str, str]] = []
    for line in out.splitlines():
        if line.startswith("."):
            name, _, value = line.partition(" ")
            rows.append((name.lstrip("."), value))
        elif rows:
            rows[-1] = (rows[-1][0], rows[-1][1] + " " + line)
    return rows


def normalised(kind: str, value: Any) -> Any:
    if kind == "OctetString":
        return bytes.fromhex(value[2:]) if value.startswith("0x") else value.encode()
    if kind == "ObjectIdentifier":
        return value
    return int(value) if isinstance(value, int) else str(value)


def from_tool(value: str) -> Any:
    if value.startswith('"'):
        return bytes.fromhex(value.strip('"').replace(" ", ""))
    if value.startswith("."):
        return value.lstrip(".")
    return int(value) if value.lstrip("-").isdigit() else value


async def fast_walk(target: Target, columns: list[str]) -> list[dict[str, tuple[str, Any]]]:
    session = FastSession(timeout=2, retries=1, max_repetitions=3)
    await session.open([target])
    try:
        return await session.walk(target, [tuple(int(p) for p in c.split(".")) for c in columns])
    finally:
        session.close()


@pytest.mark.parametrize("version", ["2c", "3"])
def test_walk_equals_snmpbulkwalk_row_for_row(lab: Any, version: str) -> None:
    host, port = REFERENCE
    if version == "3":
        auth, priv = lab.secrets["lab/snmpv3-auth"], lab.secrets["lab/snmpv3-priv"]
        target = Target("ref", host, port, "3", user="labuser", auth_key=auth, priv_key=priv)
        tool = ["-v3", "-l", "authPriv", "-u", "labuser", "-a", "SHA", "-A", auth, "-x", "AES", "-X", priv]
    else:
        target = Target("ref", host, port, "2c", community=lab.secrets["lab/snmp-community"])
        tool = ["-v2c", "-c", lab.secrets["lab/snmp-community"]]
    walked = asyncio.run(fast_walk(target, WALKED))
    total = 0
    for column, rows in zip(WALKED, walked, strict=True):
        ours = [(f"{column}.{index}", normalised(*typed)) for index, typed in rows.items()]
        theirs = [(oid, from_tool(value)) for oid, value in bulkwalk(column, tool)]
        if column == "1.3.6.1.2.1.1":  # sysUpTime moves between the two walks
            ours = [r for r in ours if r[0] != "1.3.6.1.2.1.1.3.0"]
            theirs = [r for r in theirs if r[0] != "1.3.6.1.2.1.1.3.0"]
        assert ours == theirs, column
        total += len(ours)
    assert total > 60  # many GETBULK rounds at 3 repetitions


def test_v2c_poll_does_not_load_pysnmp(lab: Any) -> None:
    host, port = REFERENCE
    script = ("import sys; from netctl.poll.model import Target; from netctl.poll.snmp import poll_targets; "
              f"r = poll_targets([Target('ref', {host!r}, {port}, '2c', community=sys.stdin.read(), "
              "profile='wlan-ap')], timeout=2, retries=1)[0]; "
              "print(r.ok, r.values.get('sys_name'), any(m.startswith('pysnmp') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], input=lab.secrets["lab/snmp-community"],
                         capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out == ["True", "netctl-lab-snmpd", "False"]


# -- retries: a lossy link in front of the reference agent ----------------------------------------
class LossyLink(threading.Thread):
    """A UDP relay (test plumbing, not an agent) in front of the reference snmpd that loses the first copy
    of every datagram sent to it: only a request sent again (a retry of the same message) gets through."""

    def __init__(self, front: tuple[str, int]) -> None:
        super().__init__(daemon=True)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(front)
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.upstream.connect(REFERENCE)
        self.seen: set[bytes] = set()
        self.lost = 0
        self.client: Any = None
        self.done = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.done.is_set() and time.monotonic() < deadline:
            ready, _w, _x = select.select([self.front, self.upstream], [], [], 0.05)
            for sock in ready:
                if sock is self.front:
                    data, self.client = self.front.recvfrom(65535)
                    if data not in self.seen:
                        self.seen.add(data)
                        self.lost += 1
                        continue
                    self.upstream.send(data)
                else:
                    self.front.sendto(self.upstream.recv(65535), self.client)

    def close(self) -> None:
        self.done.set()
        self.join(timeout=5)
        self.front.close()
        self.upstream.close()


@pytest.fixture
def lossy_link() -> Iterator[LossyLink]:
    link = LossyLink(("127.9.0.3", 1161))
    link.start()
    try:
        yield link
    finally:
        link.close()


@pytest.mark.parametrize("version", ["2c", "3"])
def test_lost_requests_are_retried_with_the_same_message(lab: Any, lossy_link: LossyLink, version: str) -> None:
    host, port = lossy_link.front.getsockname()
    if version == "3":
        target = Target("lossy", host, port, "3", user="labuser", auth_key=lab.secrets["lab/snmpv3-auth"],
                        priv_key=lab.secrets["lab/snmpv3-priv"], profile="scalar")
    else:
        target = Target("lossy", host, port, "2c", community=lab.secrets["lab/snmp-community"], profile="scalar")
    [once] = poll_targets([target], timeout=0.3, retries=0)
    assert (once.ok, once.error_kind) == (False, "timeout")  # every first copy is lost, and no retry
    [retried] = poll_targets([target], timeout=0.3, retries=1)
    assert retried.ok, retried.error
    assert retried.values["sys_name"] == "netctl-lab-snmpd"
    assert retried.latency_ms is not None and retried.latency_ms >= 300  # answered only after one timeout
    assert lossy_link.lost >= (3 if version == "3" else 2)  # v3: the discovery was lost and retried too
