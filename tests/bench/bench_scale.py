"""State scale: 100,000 APs on 2 cores (issue 18).

- **Poll cycle**: one ``Netctl.monitor.poll`` of 100,000 APs with recording (poll, samples, health,
  alerts), in this process (the in-process runner) and spread over two worker processes
  (``workers=2``); the baseline of the first is the same cycle over 10,000 APs, of the second the
  in-process cycle over the same 100,000 (the speed-up). Each measured cycle follows a first one
  (counters known, so rates are computed as in steady state).
- **status**: ``netctl status --json`` over the 100,000 polled APs as a whole process, against the
  same over the 10,000.
- **TUI**: start-up and keypress-to-repaint with 100,000 APs (:mod:`tests.bench.bench_tui`'s
  measurement), against the same app with 10,000.

Agents: real net-snmp ``snmpd`` processes on loopback (:func:`lab.fleet.start_snmpd_fleet`, 100
addresses per snmpd). 100,000 agents would take 1,000 snmpd processes (about 12 MiB resident each,
12 GiB on a shared 24 GiB machine) and more addresses than one fleet holds, so the 100,000 APs are
spread over 10,000 agent addresses, ten APs per address: every AP is its own inventory entry with
its own name and is polled with its own requests (100,000 request/reply exchanges per cycle, each
matched by request-id), only the agent behind an address is shared.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.fleet_city import open_city, snmp_settings
from tests.bench.harness import Context, Row, median_of

AGENT_BASE = "127.5"
FLEET = "scale"


def _inventory(path: Path, n: int, agents: list[tuple[str, int]]) -> Path:
    """A JSON inventory of ``n`` APs spread round-robin over ``agents``."""
    snmp = snmp_settings("2c", profile="scalar")
    sites = max(1, n // 100)
    doc = {
        "tenants": [{"name": "bench", "title": "Benchmark state"}],
        "sites": [{"name": f"bench-{s:03d}", "tenant": "bench", "kind": "school", "title": f"Site {s}"}
                  for s in range(sites)],
        "aps": [{"name": f"sc-{i:06d}", "platform": "netconf-wlan", "site": f"bench-{(i // 100) % sites:03d}",
                 "address": agents[i % len(agents)][0], "port": 830, "snmp": snmp} for i in range(n)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def _agents_cpu(lab: Any) -> float:
    """CPU seconds the scale fleet's snmpd processes have used so far."""
    import re

    from lab import procs

    total = 0
    for name, pid in procs.running(lab.dir).items():
        if re.fullmatch(rf"snmpd-{FLEET}\d+", name):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    """CPU seconds of this process and its finished children (worker processes)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class _Cycle:
    """One full poll cycle, its record_results share timed apart, the CPU of netctl and the agents."""

    def __init__(self, api: Any, n: int, lab: Any) -> None:
        self.api, self.n, self.lab = api, n, lab
        self.cpu: dict[int, list[tuple[float, float]]] = {}  # workers -> [(netctl CPU s, agents' CPU s)]

    def run(self, workers: int) -> tuple[float, float, int]:
        """(wall s of the whole cycle, s in record_results, APs ok)."""
        import netctl.poll.store as store
        from netctl.selection import Selection

        real = store.record_results
        spent = [0.0]

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t

        store.record_results = timed  # type: ignore[assignment]
        try:
            cpu0, agents0 = _own_cpu(), _agents_cpu(self.lab)
            t0 = time.perf_counter()
            results = self.api.monitor.poll(Selection(tenant="bench"), workers=workers)
            wall = time.perf_counter() - t0
            self.cpu.setdefault(workers, []).append((_own_cpu() - cpu0, _agents_cpu(self.lab) - agents0))
        finally:
            store.record_results = real  # type: ignore[assignment]
        ok = sum(1 for r in results if r.ok)
        if ok < self.n * 0.99:
            raise RuntimeError(f"only {ok} of {self.n} APs answered: the benchmark did not measure a real poll")
        return wall, spent[0], ok


def _status_cli(db_path: str, n: int) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "netctl.cli", "--db", db_path, "status", "--json"], check=True,
                         capture_output=True, env=dict(os.environ), timeout=120).stdout
    took = time.perf_counter() - start
    if json.loads(out)["totals"]["total"] != n:
        raise RuntimeError("status did not list every AP")
    return took


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    from lab.fleet import start_snmpd_fleet, stop_snmpd_fleet
    from tests.bench.bench_tui import _measure

    rows: list[Row] = []
    notes: list[str] = []
    big, small = ctx.size(100_000, 40), ctx.size(10_000, 8)
    agents = start_snmpd_fleet(ctx.size(10_000, 4), base=AGENT_BASE, lab=ctx.lab, name=FLEET)
    try:
        cities: dict[int, Any] = {}
        imports: dict[int, float] = {}
        for n in (small, big):
            t0 = time.perf_counter()
            cities[n] = open_city(ctx.scratch / f"scale-{n}.db", ctx.lab,
                                  _inventory(ctx.scratch / f"scale-{n}.json", n, agents))
            imports[n] = time.perf_counter() - t0
        figures: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
        first: dict[int, float] = {}
        cpu: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for n in (small, big):
            cycle = _Cycle(cities[n], n, ctx.lab)
            first[n] = cycle.run(1)[0]  # no previous counters yet: not measured
            for workers in ((1, 2) if n == big else (1,)):
                runs = figures.setdefault((n, workers), [])
                for _ in range(max(1, ctx.repeats)):
                    runs.append(cycle.run(workers))
                cpu[(n, workers)] = cycle.cpu[workers]
        name = f"poll cycle of {big:,} APs v2c (poll, store, health, alerts)"

        def pick(key: tuple[int, int]) -> tuple[float, float, int]:
            runs = sorted(figures[key])
            return runs[len(runs) // 2]

        def detail(key: tuple[int, int]) -> str:
            wall, rec, ok = pick(key)
            own, agents = (statistics.median(c[i] for c in cpu[key]) for i in (0, 1))
            return (f"{ok}/{key[0]} ok; record_results {rec:.2f} s, poll and planning {wall - rec:.2f} s; "
                    f"CPU: netctl {own:.1f} s (workers included), snmpd agents {agents:.1f} s; "
                    f"first cycle (no counters yet) {first[key[0]]:.2f} s")

        one = pick((big, 1))[0]
        rows.append(Row(name, "in-process runner", one, "s",
                        detail((big, 1)) + f"; inventory import before it {imports[big]:.1f} s",
                        baseline=f"{small:,} APs, in-process runner", target="<= 60 s (the poll interval)",
                        lower_better=True, met=None if ctx.tiny else one <= 60,
                        samples=[r[0] for r in figures[(big, 1)]]))
        two = pick((big, 2))[0]
        rows.append(Row(name, "two worker processes", two, "s", detail((big, 2)) + "; the speed-up is the ratio",
                        baseline="in-process runner", target="<= 60 s (the poll interval)", lower_better=True,
                        met=None if ctx.tiny else two <= 60, samples=[r[0] for r in figures[(big, 2)]]))
        rows.append(Row(name, f"{small:,} APs, in-process runner", pick((small, 1))[0], "s", detail((small, 1)),
                        lower_better=True, samples=[r[0] for r in figures[(small, 1)]]))

        # -- netctl status over the polled cities, whole process --------------------------------
        paths = {}
        for n in (small, big):
            paths[n] = str(cities[n].session.db_path)
            cities[n].close()
        sname = f"status over {big:,} APs"
        status_runs = ctx.size(max(3, ctx.repeats), 1)
        t_big, samples = median_of(status_runs, lambda: _status_cli(paths[big], big))
        t_small, small_samples = median_of(status_runs, lambda: _status_cli(paths[small], small))
        rows.append(Row(sname, "netctl status --json (whole process)", t_big, "s",
                        "interpreter start, imports, query, JSON output; the APs polled above",
                        baseline=f"the same over {small:,} APs", target="< 1 s", lower_better=True,
                        met=None if ctx.tiny else t_big < 1, samples=samples))
        rows.append(Row(sname, f"the same over {small:,} APs", t_small, "s", "", lower_better=True,
                        samples=small_samples))
    finally:
        stop_snmpd_fleet(ctx.lab, name=FLEET)

    # -- the TUI ---------------------------------------------------------------------------------
    tui = {n: [asyncio.run(_measure(n)) for _ in range(ctx.repeats)] for n in (small, big)}
    med = {n: [statistics.median(r[i] for r in runs) for i in range(3)] for n, runs in tui.items()}
    tname = f"TUI with {big + 12:,} APs"
    base = f"same app, {small + 12:,} APs"
    rows.append(Row(tname, "start-up to first settled screen", med[big][0], "s", "overview, workers done",
                    baseline=base + " (start-up)", target="< 3 s", lower_better=True,
                    met=None if ctx.tiny else med[big][0] < 3))
    rows.append(Row(tname, "AP table load (worker)", med[big][1], "s", "press `a` until the table is filled",
                    baseline=base + " (table load)", lower_better=True))
    rows.append(Row(tname, "keypress-to-repaint (filter)", med[big][2], "s",
                    "median of 7 filter keystrokes over all rows, less the pilot's cost of a key that changes nothing",
                    baseline=base + " (keypress)", target="< 100 ms", lower_better=True,
                    met=None if ctx.tiny else med[big][2] < 0.1))
    for i, what in enumerate(("start-up", "table load", "keypress")):
        rows.append(Row(tname, f"{base} ({what})", med[small][i], "s", "", lower_better=True))
    notes.append(f"State scale: {big:,} APs spread over {len(agents):,} real snmpd agent addresses on loopback "
                 f"({-(-len(agents) // 100)} snmpd processes), {big // len(agents)} APs per address, each AP polled "
                 "with its own requests (scalar profile, 8 OIDs).")
    return rows, notes
