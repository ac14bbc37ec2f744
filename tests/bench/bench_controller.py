"""One poll of a WLAN controller with 1,000 APs and 10,000 clients vs net-snmp's ``snmpbulkwalk``.

The controllers are a Huawei AC (profile ``huawei-ac``: hwWlanApTable and hwWlanVapInfoTable) and a
Catalyst 9800 (profile ``cisco-wlc``: bsnAPTable and bsnAPIfTable), served by an snmpsim process of
this benchmark's own on loopback addresses of its own, from recordings written by the lab's generator
(:func:`lab.controller_snmp.render_controller_snmprec` with ``aps`` and ``clients``). Per controller:

- netctl: one ``Netctl.monitor.poll`` of the controller from a database with it in the inventory,
  as ``netctl poll NAME`` runs it: the GETBULK walk of the profile's columns (all columns at once, by
  the walk rule), parsing the AP tables and storing the APs the controller lists;
- the baseline: ``snmpbulkwalk`` of exactly those columns, one after the other (one process each, as
  shell-script pollers do), with netctl's max-repetitions: the agent-bound walk.

Both read the same static recording in the same run; the benchmark fails unless netctl lists the
same APs (MAC and name) with the same clients per AP (Huawei: and per SSID) as the walk, and both
the AP and client totals the recording was written with. The target is netctl within 1.5× of the
walk's time.
"""

from __future__ import annotations

import functools
import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.fleet_city import open_city, snmp_settings, write_inventory
from tests.bench.harness import Context, Row, median_of

#: the benchmark's own snmpsim endpoints (the lab's controllers are at 127.1.50.x, bench_walk at 127.9.0.1)
PORT = 1161
PROCESS = "snmpsim-bench-controller"
#: netctl's poll is the target if it takes at most this many times the walk's time
TARGET_FACTOR = 1.5
#: seconds snmpsim may take to index the recordings and answer
START_TIMEOUT = 90.0


@dataclass(frozen=True)
class Controller:
    """One benchmark controller: its inventory entry and the columns its profile reads."""

    name: str
    platform: str
    profile: str
    address: str
    model: str
    serial: str
    #: the columns whose values are compared: AP names, clients per AP (Cisco: per radio slot)
    name_column: tuple[str, str]
    clients_column: tuple[str, str]


CONTROLLERS = (
    Controller("bench-ac01", "huawei-ac", "huawei-ac", "127.9.0.11", "AC6508", "BENCHAC0001",
               ("ctl_ap", "name"), ("ctl_ap", "users")),
    Controller("bench-wlc01", "cisco-9800", "cisco-wlc", "127.9.0.12", "C9800-40-K9", "BENCHWLC001",
               ("ctl_ap", "name"), ("ctl_ap_if", "users")),
)


def _device(ctl: Controller) -> Any:
    from lab.inventory import LabDevice

    return LabDevice(name=ctl.name, platform=ctl.platform, address=ctl.address, port=22, model=ctl.model,
                     serial=ctl.serial, snmp_port=PORT)


def _start(ctx: Context, aps: int, clients: int) -> None:
    """Write the recordings and start snmpsim on the benchmark's endpoints (bounded wait)."""
    from lab import install, procs, snmp
    from lab.controller_snmp import render_controller_snmprec

    procs.stop(ctx.lab.dir, PROCESS)  # what an interrupted run may have left
    devices = [_device(c) for c in CONTROLLERS]
    plan = snmp.write_snmpsim(procs.runtime_dir(ctx.lab.dir) / "bench-controller", devices, ctx.lab.community,
                              ctx.lab.v3)
    for dev in devices:
        recording = plan.data_dir / "ap" / f"{dev.name}.snmprec"
        recording.write_text(render_controller_snmprec(dev, aps=aps, clients=clients))
        os.chmod(recording, 0o644)
    snmp.start_snmpsim(ctx.lab.dir, PROCESS, plan, install.tools_python())
    try:
        snmp.wait_snmpsim(ctx.lab.dir, PROCESS, plan, devices, ctx.lab.community,
                          timeout=START_TIMEOUT if not ctx.tiny else 30)
    except BaseException:
        _stop(ctx)
        raise


def _stop(ctx: Context) -> None:
    from lab import procs

    procs.stop(ctx.lab.dir, PROCESS)


class _Cpu:
    """CPU seconds spent while it is open: by this process (netctl), by its children (the
    ``snmpbulkwalk`` processes) and by the agent (the snmpsim process, from /proc)."""

    def __init__(self, ctx: Context) -> None:
        from lab import procs

        self.agent_pid = procs.read_pid(ctx.lab.dir, PROCESS)
        self.own = self.children = self.agent = 0.0

    def _agent(self) -> float:
        try:
            fields = Path(f"/proc/{self.agent_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> _Cpu:
        self._start = (time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN), self._agent())
        return self

    def __exit__(self, *exc: object) -> None:
        own, children, agent = self._start
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.own = time.process_time() - own
        self.children = now.ru_utime + now.ru_stime - children.ru_utime - children.ru_stime
        self.agent = self._agent() - agent


def _columns(ctl: Controller) -> list[tuple[str, str, str]]:
    """``(table, column, column OID)`` of every column a poll of ``ctl`` walks."""
    from netctl.poll.oids import PROFILES

    profile = PROFILES[ctl.profile]
    return [(table, column, spec.column_oid(column)) for table, spec in profile.tables.items()
            for column in spec.columns]


# -- the baseline ---------------------------------------------------------------------------------
def _bulkwalk(ctx: Context, ctl: Controller, out: dict[tuple[str, str], str], runs: list[tuple[float, _Cpu]]) -> float:
    """``snmpbulkwalk`` of every column netctl reads, one after the other; their output goes to ``out``
    (``(table, column) -> stdout``), (seconds, CPU) to ``runs``. Returns the seconds taken."""
    from netctl.poll.snmp import MAX_REPETITIONS

    env = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")
    texts = {}
    with _Cpu(ctx) as cpu:
        start = time.perf_counter()
        for table, column, oid in _columns(ctl):
            texts[(table, column)] = subprocess.run(
                ["snmpbulkwalk", "-v2c", "-c", ctx.lab.community, "-On", "-Oq", "-Ot", f"-Cr{MAX_REPETITIONS}",
                 "-t", "10", "-r", "1", f"udp:{ctl.address}:{PORT}", oid],
                capture_output=True, text=True, env=env, timeout=300, check=True).stdout
        took = time.perf_counter() - start
    out.clear()
    out.update(texts)
    runs.append((took, cpu))
    return took


def _walked(ctl: Controller, texts: dict[tuple[str, str], str]) -> dict[tuple[str, str], dict[str, str]]:
    """The walks' output as ``(table, column) -> {index: value as net-snmp prints it}``."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for table, column, oid in _columns(ctl):
        mine = rows[(table, column)] = {}
        for line in texts[(table, column)].splitlines():
            found, _, value = line.partition(" ")
            if not found.startswith(f".{oid}.") or value.startswith("No more variables"):
                continue
            mine[found[len(oid) + 2:]] = value.strip().strip('"')
    return rows


def _mac(index: str) -> str:
    return ":".join(f"{int(p):02x}" for p in index.split(".")[:6])


def _expected(ctl: Controller, walked: dict[tuple[str, str], dict[str, str]]) -> dict[str, Any]:
    """What the walk says: per AP MAC its name, clients and (Huawei) clients per SSID."""
    names = {_mac(i): name for i, name in walked[ctl.name_column].items()}
    clients: dict[str, int] = {}
    for index, value in walked[ctl.clients_column].items():
        clients[_mac(index)] = clients.get(_mac(index), 0) + int(value)
    ssids: dict[str, dict[str, int]] = {}
    if ctl.profile == "huawei-ac":
        for index, ssid in walked[("ctl_vap", "ssid")].items():
            mine = ssids.setdefault(_mac(index), {})
            mine[ssid] = mine.get(ssid, 0) + int(walked[("ctl_vap", "users")][index])
    return {"names": names, "clients": clients, "ssids": ssids}


# -- netctl ---------------------------------------------------------------------------------------
def _netctl_poll(ctx: Context, api: Any, ctl: Controller, runs: list[tuple[float, _Cpu]]) -> float:
    """One poll of ``ctl`` through the facade, as ``netctl poll NAME`` runs it; (seconds, CPU) to ``runs``."""
    with _Cpu(ctx) as cpu:
        start = time.perf_counter()
        results = api.monitor.poll(ctl.name)
        took = time.perf_counter() - start
    runs.append((took, cpu))
    result = next(r for r in results if r.ap == ctl.name)
    if not result.ok:
        raise RuntimeError(f"netctl's poll of {ctl.name} failed: {result.error_kind}: {result.error}")
    return took


def _check(api: Any, ctl: Controller, expected: dict[str, Any], aps: int, clients: int) -> None:
    """netctl's APs of ``ctl`` against the walk's, and both against what the recording holds."""
    found = {row["mac"]: row for row in api.controllers.aps(ctl.name)}
    names, counts = expected["names"], expected["clients"]
    problems = []
    if len(names) != aps or sum(counts.values()) != clients:
        problems.append(f"snmpbulkwalk read {len(names)} APs and {sum(counts.values())} clients, the recording "
                        f"holds {aps} and {clients}")
    if sorted(found) != sorted(names):
        problems.append(f"netctl lists {len(found)} APs, snmpbulkwalk {len(names)}; "
                        f"{len(set(found) ^ set(names))} MACs differ")
    wrong = [mac for mac in names if mac in found and (found[mac]["name"], found[mac]["clients"])
             != (names[mac], counts.get(mac))]
    if wrong:
        problems.append(f"{len(wrong)} APs differ in name or clients, e.g. {wrong[0]}: netctl "
                        f"{found[wrong[0]]['name']}/{found[wrong[0]]['clients']}, snmpbulkwalk "
                        f"{names[wrong[0]]}/{counts.get(wrong[0])}")
    if ctl.profile == "huawei-ac":
        ssids = {mac: row["ssids"] for mac, row in found.items() if row["ssids"]}
        walked = {mac: counts for mac, counts in expected["ssids"].items() if counts}
        differ = [mac for mac in set(ssids) | set(walked) if ssids.get(mac) != walked.get(mac)]
        if differ:
            problems.append(f"clients per SSID differ from the walk of hwWlanVapInfoTable on {len(differ)} APs")
    if problems:
        raise RuntimeError(f"{ctl.name}: netctl's poll does not match the walk: " + "; ".join(problems))


def _median_run(runs: list[tuple[float, _Cpu]]) -> _Cpu:
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2][1]


def _measure(ctx: Context, api: Any, ctl: Controller, aps: int, clients: int) -> list[Row]:
    """The walk and netctl's poll of one controller, checked against each other."""
    from netctl.poll.snmp import MAX_REPETITIONS

    texts: dict[tuple[str, str], str] = {}
    walks: list[tuple[float, _Cpu]] = []
    polls: list[tuple[float, _Cpu]] = []
    t_walk, s_walk = median_of(ctx.repeats, functools.partial(_bulkwalk, ctx, ctl, texts, walks))
    t_net, s_net = median_of(ctx.repeats, functools.partial(_netctl_poll, ctx, api, ctl, polls))
    _check(api, ctl, _expected(ctl, _walked(ctl, texts)), aps, clients)
    walk_cpu, poll_cpu = _median_run(walks), _median_run(polls)
    columns = _columns(ctl)
    tables = " + ".join(dict.fromkeys(t for t, _c, _o in columns))
    name = f"poll a controller: {aps} APs, {clients} clients ({ctl.profile})"
    factor = t_net / t_walk
    print(f"   {ctl.name}: netctl {t_net:.2f} s, snmpbulkwalk {t_walk:.2f} s: netctl takes {factor:.2f}× the "
          f"walk's time (target <= {TARGET_FACTOR}×)", flush=True)
    return [
        Row(name, "netctl poll (Netctl.monitor.poll)", t_net, "s",
            f"{factor:.2f}× the walk's time; {len(columns)} columns ({tables}) walked together, parsed and stored: "
            f"{poll_cpu.own:.2f} s CPU in netctl, {poll_cpu.agent:.2f} s in the agent; the same {aps} APs and "
            "clients per AP as the walk",
            baseline="snmpbulkwalk per column", target=f"<= {TARGET_FACTOR}× the walk", lower_better=True,
            met=None if ctx.tiny else factor <= TARGET_FACTOR, samples=s_net),
        Row(name, "snmpbulkwalk per column", t_walk, "s",
            f"{len(columns)} processes in sequence, -Cr{MAX_REPETITIONS} (netctl's max-repetitions): "
            f"{walk_cpu.children:.2f} s CPU in snmpbulkwalk, {walk_cpu.agent:.2f} s in the agent",
            lower_better=True, samples=s_walk),
    ]


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    aps, clients = ctx.size(1000, 20), ctx.size(10_000, 200)
    rows: list[Row] = []
    inventory = write_inventory(ctx.scratch / "controller.yaml", [
        {"name": c.name, "role": "controller", "platform": c.platform, "address": c.address, "port": 22,
         "model": c.model, "serial": c.serial, "snmp": snmp_settings("2c")} for c in CONTROLLERS])
    _start(ctx, aps, clients)
    try:
        api = open_city(ctx.scratch / "controller.db", ctx.lab, inventory)
        try:
            for ctl in CONTROLLERS:
                rows += _measure(ctx, api, ctl, aps, clients)
        finally:
            api.close()
    finally:
        _stop(ctx)
    return rows, [
        f"Controller polls: static snmpsim recordings written by lab/controller_snmp.py ({aps} APs and {clients} "
        "clients per controller). Both sides are bound by the agent (snmpsim's CPU per request and per value); "
        "snmpsim answers a GETBULK with at most 64 values, so netctl's 12 Huawei columns get 5 rows each per "
        "round while they all run, 10 once only the VAP table is left.",
    ]
