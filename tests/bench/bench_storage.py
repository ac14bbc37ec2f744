"""Storage: samples inserted per second, the size of a day of polling after roll-ups, `status` over 10,000 APs,
and raw history in compressed chunks against a row per sample.

Poll results are synthesised from one real poll of a lab AP (its values cloned with moving counters),
then written through the same ``record_results`` the poller uses, so health rules, samples, rates and
alerts are all exercised.

Compact history (:func:`_history`): a day of 1-minute polls kept raw (raw retention above a day), the
samples each poll's ``record_results`` wrote replayed at once, in one transaction per poll, into two
files holding only samples: netctl's chunk store (:mod:`netctl.poll.history`) and :class:`RowStore`,
the row-per-sample table netctl used before (the baseline, kept here and not in netctl). Bytes per
sample are the files' growth after a WAL checkpoint (free pages included) and the pages the sample
tables take (``dbstat``); write throughput is samples per second of those transactions, commit
included; read latency is ``series()`` of one AP over 24 hours against the old ``series()`` query.
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


def _results(names: list[str], values: dict[str, Any], cycle: int, noise: Noise | None = None) -> list[Any]:
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
        if noise is None:
            out.append(PollResult(ap=name, ok=True, latency_ms=3.0, values=v))
        else:
            out.append(noise.result(name, v, cycle))
    return out


class Noise:
    """Values as a real fleet has them: each AP answers 0-2.5 s into the poll, traffic varies from poll to
    poll (rates of random 0-4 Mbit/s), clients wander, CPU, memory and latency jitter."""

    def __init__(self, seed: int = 18) -> None:
        import random

        self.rng = random.Random(seed)
        self.octets: dict[tuple[str, int, str], int] = {}
        self.clients: dict[tuple[str, int], int] = {}
        self.start = 0.0

    def result(self, name: str, v: dict[str, Any], cycle: int) -> Any:
        from netctl.poll.model import PollResult

        rng = self.rng
        for itf in v.get("interfaces", []):
            for key in ("in_octets", "out_octets"):
                ident = (name, itf["index"], key)
                self.octets[ident] = self.octets.get(ident, itf[key]) + rng.randint(0, 30_000_000)
                itf[key] = self.octets[ident]
        for ssid in v.get("ssids", []):
            ident2 = (name, ssid["index"])
            self.clients[ident2] = max(0, self.clients.get(ident2, ssid["clients"]) + rng.randint(-2, 2))
            ssid["clients"] = self.clients[ident2]
        v["clients"] = sum(s["clients"] for s in v.get("ssids", []))
        v["cpu"] = float(rng.randint(2, 60))
        v["mem"] = round(rng.uniform(40, 60), 1)
        return PollResult(ap=name, ok=True, latency_ms=round(rng.uniform(1, 20), 3), values=v,
                          ts=self.start + cycle * 60 + rng.uniform(0, 2.5))


def _written(api: Any, ts: float) -> int:
    """Samples the poll at ``ts`` wrote (each series' newest sample is in its head)."""
    return int(api.session.db.execute("select count(*) from sample_heads where last_ts = ?", [int(ts)]).fetchone()[0])


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

    written = [0]

    def one_cycle() -> float:
        cycle[0] += 1
        results = _results(names, values, cycle[0])
        start = time.perf_counter()
        record_results(api.session.db, aps, results, now=t0 + cycle[0] * 60, send=False)
        took = time.perf_counter() - start
        written[0] = _written(api, t0 + cycle[0] * 60)
        return written[0] / took

    one_cycle()  # the first cycle has no previous counters (no rates): not measured
    rate, samples = median_of(ctx.repeats, one_cycle)
    per_ap = written[0] / n
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
    rows.extend(_hot_path(ctx, values, ctx.size(2_000, 10), warm=ctx.size(120, 2)))

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
    from netctl.poll import history

    counts = {t: api.session.db[t].count for t in ("samples_5m", "samples_1h")}
    counts["samples"] = len(history.rows(api.session.db))
    api.close()
    scale = 10_000 / day_n
    rows.append(Row("a day at 1-minute polls", f"{day_n} APs simulated, scaled to 10,000", size * scale / 2**20,
                    "MiB", f"{size / 2**20:.1f} MiB for {day_n} APs × {polls} polls (raw {counts['samples']}, "
                    f"5-min {counts['samples_5m']}, hourly {counts['samples_1h']} rows) in {took:.0f} s; "
                    "linear in APs", target="bounded (roll-ups)"))
    notes.append("Database size is measured for a day of simulated polls of a few hundred APs through the real "
                 "record/retention path and scaled linearly to 10,000 APs (rows per AP do not depend on the AP "
                 "count). Defaults: raw samples 2 h, 5-minute averages 2 days, hourly averages 30 days.")
    _history(ctx, values, rows, notes)
    return rows, notes


def _hot_path(ctx: Context, values: dict[str, Any], n: int, warm: int) -> list[Row]:
    """The poll's recording (record_results of n APs) with raw samples as chunks and, in a second city,
    as rows of the row-per-sample table (the store before migration 018), cycles taken in turns, after
    ``warm`` 1-minute cycles (2 hours: the raw window of the default retention is full, heads are open
    at every stage of their window)."""
    import statistics

    from netctl.poll import history
    from netctl.poll.store import record_results

    real_write = history.write

    def row_write(db: Any, sample_rows: Any) -> int:
        db.conn.executemany("insert or ignore into samples_rows (series, ts, value) values (?, ?, ?)", sample_rows)
        return 0

    cities = {}
    for key in ("chunks", "rows"):
        api = _city(ctx, f"storage-hot-{key}", n)
        api.session.db.execute("CREATE TABLE samples_rows (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
                               "PRIMARY KEY (series, ts)) WITHOUT ROWID")
        aps = api.session.select()
        cities[key] = (api, aps, [ap["name"] for ap in aps])
    t0 = float(int(time.time()) // 60 * 60 - 86400)
    rates: dict[str, list[float]] = {"chunks": [], "rows": []}
    try:
        for cycle in range(warm + max(5, ctx.repeats)):
            for key in ("chunks", "rows") if cycle % 2 else ("rows", "chunks"):
                api, aps, names = cities[key]
                results = _results(names, values, cycle)
                history.write = real_write if key == "chunks" else row_write  # type: ignore[assignment]
                started = time.perf_counter()
                record_results(api.session.db, aps, results, now=t0 + cycle * 60, send=False)
                took = time.perf_counter() - started
                if cycle >= warm:
                    written = api.session.db.execute("select count(*) from sample_heads where last_ts = ?" if key ==
                                                     "chunks" else "select count(*) from samples_rows where ts = ?",
                                                     [int(t0 + cycle * 60)]).fetchone()[0]
                    rates[key].append(written / took)
    finally:
        history.write = real_write  # type: ignore[assignment]
        for api, _aps, _names in cities.values():
            path = Path(api.session.db_path)
            api.close()
            for suffix in ("", "-wal", "-shm"):  # scratch databases of a few hundred MB
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    name = f"record_results of {n} APs after {warm} polls: raw samples as chunks or as rows"
    return [Row(name, "chunks (netctl)", statistics.median(rates["chunks"]), "samples/s",
                "health, rates, alerts and the samples' heads; heads closing into chunks included",
                baseline="rows (the store before migration 018)", samples=rates["chunks"]),
            Row(name, "rows (the store before migration 018)", statistics.median(rates["rows"]), "samples/s",
                "the same, samples by insert or ignore into a row-per-sample table; cycles taken in turns",
                samples=rates["rows"])]


# -- compact history: a day of raw samples, chunks against a row per sample ---------------------------
OLD_SERIES = ("select s.metric as metric, s.label as label, x.ts as ts, x.value as value from series s "
              "join [{table}] x on x.series = s.id where s.ap = ? and x.ts >= ?{upper} order by x.ts, s.metric")


class RowStore:
    """The baseline: raw samples as netctl stored them before migration 018, one row per sample in
    ``samples (series, ts, value)`` WITHOUT ROWID, primary key ``(series, ts)``, written with
    ``insert or ignore``, read by the ``series()`` of that version. A file of its own (WAL, like netctl's)."""

    def __init__(self, path: Path, series_rows: list[tuple[Any, ...]]) -> None:
        import sqlite3

        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("CREATE TABLE series (id INTEGER PRIMARY KEY, ap TEXT NOT NULL, metric TEXT NOT NULL, "
                          "label TEXT)")
        self.conn.execute("CREATE UNIQUE INDEX idx_series_ap_metric ON series (ap, metric)")
        self.conn.execute("CREATE TABLE samples (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
                          "PRIMARY KEY (series, ts)) WITHOUT ROWID")
        for name in ("samples_5m", "samples_1h"):
            self.conn.execute(f"CREATE TABLE {name} (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
                              "min REAL, max REAL, n INTEGER, PRIMARY KEY (series, ts)) WITHOUT ROWID")
        self.conn.executemany("insert into series (id, ap, metric, label) values (?, ?, ?, ?)", series_rows)

    def write(self, rows: list[tuple[int, int, float]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany("insert or ignore into samples (series, ts, value) values (?, ?, ?)", rows)
        self.conn.execute("COMMIT")

    def series(self, ap: str, since: int) -> list[dict[str, Any]]:
        """``series(db, ap, None, since)`` as it was: raw rows, then roll-ups before the oldest."""
        from netctl.poll.store import iso

        out: list[dict[str, Any]] = []
        upper: int | None = None
        for table, resolution in (("samples", "raw"), ("samples_5m", "5m"), ("samples_1h", "1h")):
            sql = OLD_SERIES.format(table=table, upper=" and x.ts < ?" if upper is not None else "")
            cursor = self.conn.execute(sql, [ap, since] + ([upper] if upper is not None else []))
            found = [dict(zip(("metric", "label", "ts", "value"), row, strict=True)) for row in cursor]
            for row in found:
                out.append({"ts": iso(row["ts"]), "epoch": row["ts"], "metric": row["metric"], "label": row["label"],
                            "value": row["value"], "resolution": resolution})
            if found:
                low = min(r["ts"] for r in found)
                upper = low if upper is None else min(upper, low)
        out.sort(key=lambda r: (r["epoch"], r["metric"]))
        return out

    def raw(self, ids: list[int], since: int) -> list[tuple[int, int, float]]:
        marks = ", ".join("?" * len(ids))
        return self.conn.execute(f"select series, ts, value from samples where series in ({marks}) and ts >= ? "
                                 "order by series, ts", [*ids, since]).fetchall()

    def size(self) -> int:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    def pages(self) -> int:
        return int(self.conn.execute("select sum(pgsize) from dbstat where name = 'samples'").fetchone()[0] or 0)

    def remove(self) -> None:
        self.conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class ChunkStore:
    """netctl's store of raw samples (netctl.poll.history) in a file holding only samples, written by
    the same transactions as :class:`RowStore`."""

    def __init__(self, path: Path, series_rows: list[tuple[Any, ...]]) -> None:
        from netctl.store import open_db

        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.path = path
        self.db = open_db(path, create=True)
        self.db.conn.executemany("insert into series (id, ap, metric, label) values (?, ?, ?, ?)", series_rows)

    def write(self, rows: list[tuple[int, int, float]]) -> None:
        from netctl.poll import history
        from netctl.store.db import transaction

        with transaction(self.db):
            history.write(self.db, rows)

    def series(self, ap: str, since: int) -> list[dict[str, Any]]:
        from netctl.poll.store import series

        return series(self.db, ap, None, since)

    def raw(self, ids: list[int], since: int) -> list[tuple[int, int, float]]:
        from netctl.poll import history

        return history.rows(self.db, ids, since)

    def size(self) -> int:
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    def pages(self) -> int:
        return int(self.db.execute("select sum(pgsize) from dbstat where name in "
                                   "('sample_heads', 'sample_chunks', 'sample_heads_wend')").fetchone()[0] or 0)

    def remove(self) -> None:
        self.db.conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def _history(ctx: Context, values: dict[str, Any], rows: list[Row], notes: list[str]) -> None:
    """A day of 1-minute polls kept raw: bytes per sample, write throughput, reading 24 h of one AP."""
    for label, n, noise in (("benchmark values", ctx.size(200, 3), None),
                            ("noisy values", ctx.size(100, 3), Noise())):
        _history_day(ctx, values, rows, notes, label, n, noise)


def _history_day(ctx: Context, values: dict[str, Any], rows: list[Row], notes: list[str], label: str, n: int,
                 noise: Noise | None) -> None:
    from netctl.poll import history
    from netctl.poll import store as poll_store

    polls = ctx.size(DAY_POLLS, 150)
    tag = "clean" if noise is None else "noisy"
    api = _city(ctx, f"history-{tag}", n)
    db = api.session.db
    aps = api.session.select()
    names = [ap["name"] for ap in aps]
    start_ts = float(int(time.time()) // 60 * 60 - polls * 60)
    if noise is not None:
        noise.start = start_ts
    captured: list[list[tuple[int, int, float]]] = []
    real_write = history.write

    def capture(db_: Any, sample_rows: Any) -> int:
        sample_rows = list(sample_rows)
        captured.append(sample_rows)
        return real_write(db_, sample_rows)

    record = poll_store.record_results
    # the first two polls create the series (the first has no rates yet); the stores are measured from the third
    for i in range(2):
        record(db, aps, _results(names, values, i, noise), now=start_ts + i * 60, send=False)
    series_rows = db.execute("select id, ap, metric, label from series").fetchall()
    chunk_store = ChunkStore(ctx.scratch / f"history-{tag}-chunks.db", series_rows)
    row_store = RowStore(ctx.scratch / f"history-{tag}-rows.db", series_rows)
    sizes = {"netctl": chunk_store.size(), "rows": row_store.size()}
    city_size = _checkpointed(api)
    took = {"netctl": 0.0, "rows": 0.0}
    count = 0
    for i in range(2, polls):
        captured.clear()
        history.write = capture  # type: ignore[assignment]
        try:
            record(db, aps, _results(names, values, i, noise), now=start_ts + i * 60, send=False)
        finally:
            history.write = real_write  # type: ignore[assignment]
        if len(series_rows) != db.execute("select count(*) from series").fetchone()[0]:
            raise RuntimeError("a series appeared after the second poll: the replay stores would lack it")
        for sample_rows in captured:
            count += len(sample_rows)
            for key, target in (("netctl", chunk_store), ("rows", row_store)):
                started = time.perf_counter()
                target.write(sample_rows)  # type: ignore[attr-defined]
                took[key] += time.perf_counter() - started
    grown = {"netctl": chunk_store.size() - sizes["netctl"], "rows": row_store.size() - sizes["rows"]}
    pages = {"netctl": chunk_store.pages(), "rows": row_store.pages()}
    city_grown = _checkpointed(api) - city_size
    api.close()
    # the same history read back, from both
    ap = names[len(names) // 2]
    since = int(start_ts)
    new_read = chunk_store.series(ap, since)
    old_read = row_store.series(ap, since)
    if new_read != old_read:
        raise RuntimeError(f"series() of {ap} differs between the chunk store and the row store")
    ids = [i for (i,) in chunk_store.db.execute("select id from series where ap = ?", [ap])]
    if chunk_store.raw(ids, since) != row_store.raw(ids, since):
        raise RuntimeError(f"the raw samples of {ap} differ between the chunk store and the row store")
    reads: dict[str, tuple[float, list[float]]] = {}
    for key, target in (("netctl", chunk_store), ("rows", row_store)):
        def read_once(target: Any = target) -> float:
            started = time.perf_counter()
            target.series(ap, since)
            return time.perf_counter() - started

        def raw_once(target: Any = target) -> float:
            started = time.perf_counter()
            target.raw(ids, since)
            return time.perf_counter() - started

        reads[key] = median_of(max(5, ctx.repeats), read_once)
        reads[f"{key}-raw"] = median_of(max(5, ctx.repeats), raw_once)
    chunk_store.remove()  # scratch files of a few hundred MB at full size
    row_store.remove()

    name = f"raw history, a day of 1-minute polls ({label})"
    per = {k: grown[k] / max(1, count) for k in grown}
    rows.append(Row(name, "netctl chunks: file growth", per["netctl"], "B/sample",
                    f"{grown['netctl'] / 2**20:.1f} MiB for {count:,} samples ({n} APs × {polls - 2} polls); "
                    f"sample tables' pages {pages['netctl'] / max(1, count):.2f} B/sample; the city's own "
                    f"database (health, alerts, counters too) grew {city_grown / max(1, count):.2f} B/sample",
                    baseline="row per sample: file growth", lower_better=True,
                    target="<= 3 B/sample" if noise is None else "",
                    met=None if ctx.tiny or noise is not None else per["netctl"] <= 3))
    rows.append(Row(name, "row per sample: file growth", per["rows"], "B/sample",
                    f"{grown['rows'] / 2**20:.1f} MiB; table pages {pages['rows'] / max(1, count):.2f} B/sample"))
    rows.append(Row(name, "netctl chunks: write", count / took["netctl"], "samples/s",
                    "history.write, one transaction per poll, closing heads included",
                    baseline="row per sample: write"))
    rows.append(Row(name, "row per sample: write", count / took["rows"], "samples/s",
                    "executemany insert or ignore, one transaction per poll"))
    samples_read = sum(1 for r in new_read if r["resolution"] == "raw")
    rows.append(Row(name, "netctl chunks: series() of one AP, 24 h", reads["netctl"][0], "s",
                    f"{samples_read:,} samples, {len({r['metric'] for r in new_read})} metrics, the same rows as "
                    "the baseline's; one ISO string per poll time (the old code made one per row)",
                    baseline="row per sample: series() of one AP, 24 h", lower_better=True,
                    samples=reads["netctl"][1]))
    rows.append(Row(name, "row per sample: series() of one AP, 24 h", reads["rows"][0], "s",
                    "the series() query before migration 018", lower_better=True, samples=reads["rows"][1]))
    rows.append(Row(name, "netctl chunks: raw samples of one AP, 24 h", reads["netctl-raw"][0], "s",
                    "history.rows: (series, ts, value) tuples, the chunks and heads decoded",
                    baseline="row per sample: raw samples of one AP, 24 h", lower_better=True,
                    samples=reads["netctl-raw"][1]))
    rows.append(Row(name, "row per sample: raw samples of one AP, 24 h", reads["rows-raw"][0], "s",
                    "select series, ts, value ... order by series, ts", lower_better=True,
                    samples=reads["rows-raw"][1]))
    if noise is None:
        notes.append(f"Raw history: a day of 1-minute polls of {n} APs kept raw (no retention run), each poll's "
                     "samples as record_results wrote them replayed into two files in one transaction per poll: "
                     "netctl's chunks (netctl/poll/history.py: per series an open head of 10-byte records, closed "
                     "every 2 hours into a chunk of delta-of-delta timestamps and decimal-delta or XOR values, "
                     "byte-transposed and deflated) and the row-per-sample table of migration 005 (baseline). "
                     "Bytes per sample are file growth after a WAL checkpoint, free pages included.")
    else:
        notes.append("Noisy values: each AP answers 0–2.5 s into the poll (integer-second timestamps jitter), "
                     "traffic rates are random 0–4 Mbit/s per interface and poll (3 decimals of noise each), clients "
                     "random walks, CPU, memory and latency random: about what a fleet serves, and near the worst "
                     "for any codec (random rates carry ~32 bits of entropy each).")


def _checkpointed(api: Any) -> int:
    api.session.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(Path(api.session.db_path).stat().st_size)
