"""Poll throughput: netctl's poller against scripted and LibreNMS-style baselines and the agents' ceiling.

Agents: a fleet of net-snmp ``snmpd`` processes from the lab (cheap agents, so the poller is what is
measured). The poll is the standard scalar poll (8 OIDs, profile ``scalar``), as in the baselines.
"""

from __future__ import annotations

import time
from typing import Any

from tests.bench import snmp_baselines as base
from tests.bench.fleet_city import open_city, snmp_settings, write_inventory
from tests.bench.harness import Context, Row, median_of


def _auth(lab: Any, version: str) -> base.Auth:
    if version == "3":
        return base.Auth(version="3", user="labuser", auth_key=lab.secrets["lab/snmpv3-auth"],
                         priv_key=lab.secrets["lab/snmpv3-priv"])
    return base.Auth(community=lab.secrets["lab/snmp-community"])


def _netctl_poll(api: Any, n: int) -> tuple[float, float, int]:
    """One netctl poll of the whole bench tenant: (wall s, cpu s, APs ok)."""
    from netctl.selection import Selection

    with base._Clock() as clock:
        results = api.monitor.poll(Selection(tenant="bench"))
    ok = sum(1 for r in results if r.ok)
    return clock.wall, clock.cpu, ok


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    from lab.fleet import start_snmpd_fleet, stop_snmpd_fleet

    rows: list[Row] = []
    notes: list[str] = []
    n = ctx.size(1000, 6)
    targets = start_snmpd_fleet(n, lab=ctx.lab)
    try:
        for version in ("2c", "3"):
            name = f"poll {n} APs v{version}"
            auth = _auth(ctx.lab, version)
            inv = write_inventory(ctx.scratch / f"poll-v{version}.yaml", [
                {"name": f"bench-{i:05d}", "platform": "netconf-wlan", "address": host, "port": 830,
                 "snmp": snmp_settings(version, profile="scalar")}
                for i, (host, _port) in enumerate(targets)])
            api = open_city(ctx.scratch / f"poll-v{version}.db", ctx.lab, inv)
            runs: list[tuple[float, float, int]] = []

            def once(api: Any = api, runs: list[tuple[float, float, int]] = runs) -> float:
                wall, cpu, ok = _netctl_poll(api, n)
                runs.append((wall, cpu, ok))
                return ok / wall

            rate, samples = median_of(ctx.repeats, once)
            wall, cpu, ok = sorted(runs)[len(runs) // 2]
            target = ">= 1,000 APs/s" if version == "2c" else ">= 600 APs/s"
            goal = 1000 if version == "2c" else 600
            rows.append(Row(name, "netctl poll", rate, "APs/s", f"{ok}/{n} ok, {wall:.2f} s wall, {cpu:.2f} s CPU",
                            target=target, met=None if ctx.tiny else rate >= goal, samples=samples))
            api.close()

            m = _median_measure(ctx, lambda auth=auth: base.snmpget_spawn(targets, auth, parallel=50))
            rows.append(Row(name, "snmpget ×50 (LibreNMS-style)", m.rate, "APs/s", _detail(m)))
            rows[-2].baseline = "snmpget ×50 (LibreNMS-style)"
            rows[-2].target += ", >= 4× LibreNMS-style"
            m = _median_measure(ctx, lambda auth=auth: base.sequential_shared_engine(targets, auth))
            rows.append(Row(name, "sequential pysnmp, shared engine", m.rate, "APs/s", _detail(m)))
            sample = targets[: ctx.size(50, 3)]
            m = base.sequential_new_engine(sample, auth)
            rows.append(Row(name, "sequential pysnmp, new engine per AP", m.rate, "APs/s",
                            _detail(m) + f" (sample of {len(sample)})"))
            if version == "2c":
                m = _median_measure(ctx, lambda auth=auth: base.udp_ceiling(targets, auth))
                rows.append(Row(name, "agent ceiling (raw UDP)", m.rate, "APs/s", _detail(m)))
        if not ctx.tiny:
            rows.extend(_ten_thousand(ctx, notes))
    finally:
        stop_snmpd_fleet(ctx.lab)
    for row in rows:
        if row.variant == "netctl poll" and row.baseline and row.met is not None:
            snmpget = next(r for r in rows if r.bench == row.bench and r.variant == row.baseline)
            row.met = row.met and row.value >= 4 * snmpget.value
    return rows, notes


def _median_measure(ctx: Context, fn: Any) -> base.Measure:
    measures = [fn() for _ in range(ctx.repeats)]
    return sorted(measures, key=lambda m: m.rate)[len(measures) // 2]


def _detail(m: base.Measure) -> str:
    return f"{m.ok}/{m.aps} ok, {m.wall_s:.2f} s wall, {m.cpu_s:.2f} s CPU"


def _ten_thousand(ctx: Context, notes: list[str]) -> list[Row]:
    """10,000 APs registered (imported) and polled once, end to end."""
    from lab.fleet import start_snmpd_fleet, stop_snmpd_fleet

    n = 10_000
    stop_snmpd_fleet(ctx.lab)
    targets = start_snmpd_fleet(n, lab=ctx.lab)
    inv = write_inventory(ctx.scratch / "poll-10k.yaml", [
        {"name": f"bench-{i:05d}", "platform": "netconf-wlan", "address": host, "port": 830,
         "snmp": snmp_settings("2c", profile="scalar")} for i, (host, _port) in enumerate(targets)])
    t0 = time.perf_counter()
    api = open_city(ctx.scratch / "poll-10k.db", ctx.lab, inv)
    t_import = time.perf_counter() - t0
    wall, cpu, ok = _netctl_poll(api, n)
    api.close()
    total = time.perf_counter() - t0
    return [Row(f"poll {n} APs v2c", "register 10,000 targets + poll once", wall, "s",
                f"{ok}/{n} ok, {cpu:.2f} s CPU; inventory import before it {t_import:.2f} s, "
                f"{total:.2f} s end to end", target="<= 15 s", lower_better=True, met=wall <= 15)]
