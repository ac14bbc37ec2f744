"""Polling across a slow link (10 ms round trip), where concurrency matters: netctl vs the sequential loop."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from tests.bench import snmp_baselines as base
from tests.bench.bench_poll import _auth, _detail, _netctl_poll
from tests.bench.fleet_city import open_city, snmp_settings, write_inventory
from tests.bench.harness import ROOT, Context, Row, median_of

DELAY_MS = 5.0  # one way; RTT = 10 ms


def _measure_rtt(front: tuple[str, int], community: str) -> float:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    times = []
    for i in range(5):
        start = time.perf_counter()
        sock.sendto(base.encode_v2c_get(community, 7000 + i, base.SCALAR_OIDS[:1]), front)
        sock.recvfrom(65535)
        times.append(time.perf_counter() - start)
    sock.close()
    return sorted(times)[len(times) // 2] * 1000


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    from lab.fleet import start_snmpd_fleet, stop_snmpd_fleet

    n = ctx.size(200, 5)
    agents = start_snmpd_fleet(n, lab=ctx.lab)
    fronts = [(f"127.5.{i // 250}.{i % 250 + 1}", 1161) for i in range(n)]
    mapping = ctx.scratch / "relay.map"
    mapping.write_text("".join(f"{f[0]} {f[1]} {a[0]} {a[1]}\n" for f, a in zip(fronts, agents, strict=True)))
    relay = subprocess.Popen([sys.executable, "-m", "tests.bench.delay_relay", "--delay-ms", str(DELAY_MS),
                              "--map", str(mapping), "--max-seconds", "900"], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    rows: list[Row] = []
    try:
        assert relay.stdout is not None
        if relay.stdout.readline().strip() != "relay ready":
            raise RuntimeError("the delay relay did not start")
        auth = _auth(ctx.lab, "2c")
        rtt = _measure_rtt(fronts[0], auth.community)
        name = f"poll {n} APs v2c over {2 * DELAY_MS:.0f} ms RTT"
        inv = write_inventory(ctx.scratch / "rtt.yaml", [
            {"name": f"rtt-{i:05d}", "platform": "netconf-wlan", "address": host, "port": 830,
             "snmp": snmp_settings("2c", profile="scalar")} for i, (host, _p) in enumerate(fronts)])
        api = open_city(ctx.scratch / "rtt.db", ctx.lab, inv)
        runs: list[tuple[float, float, int]] = []

        def once() -> float:
            wall, cpu, ok = _netctl_poll(api, n)
            runs.append((wall, cpu, ok))
            return ok / wall

        rate, samples = median_of(ctx.repeats, once)
        wall, cpu, ok = sorted(runs)[len(runs) // 2]
        api.close()
        rows.append(Row(name, "netctl poll", rate, "APs/s",
                        f"{ok}/{n} ok, {wall:.2f} s wall, {cpu:.2f} s CPU; measured RTT {rtt:.1f} ms",
                        baseline="sequential pysnmp, shared engine", samples=samples))
        measures = [base.sequential_shared_engine(fronts, auth) for _ in range(ctx.repeats)]
        m = sorted(measures, key=lambda x: x.rate)[len(measures) // 2]
        rows.append(Row(name, "sequential pysnmp, shared engine", m.rate, "APs/s", _detail(m)))
    finally:
        relay.terminate()
        try:
            relay.wait(timeout=10)
        except subprocess.TimeoutExpired:
            relay.kill()
        stop_snmpd_fleet(ctx.lab)
    notes = ["The 10 ms link is a user-space UDP relay on loopback adding 5 ms each way "
             "(tests/bench/delay_relay.py): the kernel of these machines has no netem queueing discipline."]
    return rows, notes
