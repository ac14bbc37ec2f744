"""Storage: samples inserted per second, the size of a day of polling after roll-ups, `status` over 10,000 APs.

Poll results are synthesised from one real poll of a lab AP (its values cloned with moving counters),
then written through the same ``record_results`` the poller uses, so health rules, samples, rates and
alerts are all exercised.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.fleet_city import open_city, snmp_settings, write_inventory
from tests.bench.harness import ROOT, Context, Row, median_of

DAY_POLLS = 24 * 60


def _real_values(ctx: Context) -> dict[str, Any]:
    """The values of one real poll of a lab AP (snmpsim), as the poller decodes them."""
    from netctl.selection import Selection

    inv = ROOT / "inventory"
    api = open_city(ctx.scratch / "storage-probe.db", ctx.lab, inv / "duisburg.yaml")
    try:
        result = api.monitor.poll(Selection(names=("gs-meiderich-ap01",)), record=False)[0]
    finally:
        api.close()
    if not result.ok:
        raise RuntimeError(f"the lab AP gs-meiderich-ap01 did not answer: {result.error}")
    return result.values


def _city(ctx: Context, name: str, n: int) -> Any:
    inv = write_inventory(ctx.scratch / f"{name}.yaml", [
        {"name": f"st-{i:05d}", "platform": "netconf-wlan", "address": f"127.3.{i // 250}.{i % 250 + 1}",
         "port": 830, "snmp": snmp_settings("2c")} for i in range(n)])
    return open_city(ctx.scratch / f"{name}.db", ctx.lab, inv)


def _results(names: list[str], values: dict[str, Any], cycle: int) -> list[Any]:
    from netctl.poll.model import PollResult

    out = []
    for name in names:
        v = copy.deepcopy(values)
        v["sys_name"] = name
        v["uptime_ticks"] = int(v.get("uptime_ticks", 0)) + cycle * 6000
        v["uptime_s"] = float(v.get("uptime_s", 0)) + cycle * 60
        for itf in v.get("interfaces", []):
            itf["in_octets"] += cycle * 1_000_000
            itf["out_octets"] += cycle * 2_000_000
        out.append(PollResult(ap=name, ok=True, latency_ms=3.0, values=v))
    return out


def _count_samples(api: Any) -> int:
    return int(api.session.db.execute("select count(*) from samples").fetchone()[0])


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    from netctl.poll.store import apply_retention, record_results

    rows: list[Row] = []
    notes: list[str] = []
    values = _real_values(ctx)

    # -- insert rate: one poll cycle of n APs ------------------------------------------------
    n = ctx.size(10_000, 20)
    api = _city(ctx, "storage-rate", n)
    aps = api.session.select()
    names = [ap["name"] for ap in aps]
    t0 = time.time() - 3600
    cycle = [0]

    def one_cycle() -> float:
        cycle[0] += 1
        before = _count_samples(api)
        results = _results(names, values, cycle[0])
        start = time.perf_counter()
        record_results(api.session.db, aps, results, now=t0 + cycle[0] * 60, send=False)
        took = time.perf_counter() - start
        return (_count_samples(api) - before) / took

    one_cycle()  # the first cycle has no previous counters (no rates): not measured
    rate, samples = median_of(ctx.repeats, one_cycle)
    per_ap = (_count_samples(api) / max(1, cycle[0])) / n
    rows.append(Row(f"store one poll cycle of {n} APs", "netctl record_results (batched)", rate, "samples/s",
                    f"{per_ap:.0f} samples per AP per poll; health, rates and alerts included",
                    baseline="one INSERT per sample, autocommit", samples=samples))

    # baseline: the same rows, one INSERT and commit each (how a naive poller stores)
    import sqlite3

    base_n = ctx.size(5_000, 200)
    path = ctx.scratch / "storage-naive.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("create table samples (ap text, metric text, ts integer, value real, primary key (ap, metric, ts))")
    sample_rows = [(f"st-{i % n:05d}", f"m{i // n}", i, 1.0) for i in range(base_n)]
    start = time.perf_counter()
    for row in sample_rows:
        conn.execute("insert into samples values (?, ?, ?, ?)", row)
    naive = base_n / (time.perf_counter() - start)
    conn.close()
    rows.append(Row(f"store one poll cycle of {n} APs", "one INSERT per sample, autocommit", naive, "samples/s",
                    f"{base_n} rows, WAL, synchronous default"))

    # -- status over n APs -------------------------------------------------------------------
    def status_api() -> float:
        start = time.perf_counter()
        got = api.monitor.status()
        assert got["totals"]["total"] == n
        return time.perf_counter() - start

    t_api, samples = median_of(max(3, ctx.repeats), status_api)
    rows.append(Row(f"status over {n} APs", "api.monitor.status()", t_api, "s", "current state from the health table",
                    target="< 0.5 s", lower_better=True, met=None if ctx.tiny else t_api < 0.5, samples=samples))
    db_path = str(api.session.db_path)
    api.close()

    def status_cli() -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netctl.cli", "--db", db_path, "status", "--json"], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ), timeout=60)
        return time.perf_counter() - start

    t_cli, samples = median_of(max(3, ctx.repeats), status_cli)

    def imports_only() -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import netctl.cli, netctl.cli.poll, netctl.api"], check=True,
                       timeout=60)
        return time.perf_counter() - start

    t_imports, _ = median_of(max(3, ctx.repeats), imports_only)
    notes.append(f"`netctl status --json` over {n} APs: {t_cli:.2f} s in all, of which starting Python and "
                 f"importing netctl takes {t_imports:.2f} s and api.monitor.status() {t_api:.2f} s; "
                 "the rest is output.")
    rows.append(Row(f"status over {n} APs", "netctl status --json (whole process)", t_cli, "s",
                    "interpreter start, imports, query, JSON output", target="< 0.5 s", lower_better=True,
                    met=None if ctx.tiny else t_cli < 0.5, samples=samples))

    # -- a day of 1-minute polls, roll-ups applied hourly, size extrapolated ------------------
    day_n = ctx.size(200, 3)
    polls = ctx.size(DAY_POLLS, 120)
    api = _city(ctx, "storage-day", day_n)
    aps = api.session.select()
    names = [ap["name"] for ap in aps]
    start_ts = time.time() - polls * 60
    start = time.perf_counter()
    for i in range(polls):
        now = start_ts + i * 60
        record_results(api.session.db, aps, _results(names, values, i), now=now, send=False)
        if i % 60 == 59:
            apply_retention(api.session.db, now=now)
    apply_retention(api.session.db, now=start_ts + polls * 60)
    took = time.perf_counter() - start
    api.session.db.execute("vacuum")
    size = Path(api.session.db_path).stat().st_size
    counts = {t: api.session.db[t].count for t in ("samples", "samples_5m", "samples_1h")}
    api.close()
    scale = 10_000 / day_n
    rows.append(Row("a day at 1-minute polls", f"{day_n} APs simulated, scaled to 10,000", size * scale / 2**20,
                    "MiB", f"{size / 2**20:.1f} MiB for {day_n} APs × {polls} polls (raw {counts['samples']}, "
                    f"5-min {counts['samples_5m']}, hourly {counts['samples_1h']} rows) in {took:.0f} s; "
                    "linear in APs", target="bounded (roll-ups)"))
    notes.append("Database size is measured for a day of simulated polls of a few hundred APs through the real "
                 "record/retention path and scaled linearly to 10,000 APs (rows per AP do not depend on the AP "
                 "count). Defaults: raw samples 2 h, 5-minute averages 2 days, hourly averages 30 days.")
    return rows, notes
