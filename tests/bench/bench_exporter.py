"""Prometheus: one scrape of ``netctl exporter`` over 10,000 APs, against ``status`` over the same store.

The city is the storage benchmark's: one real poll of a lab AP cloned to every AP and recorded twice
through ``record_results`` (so interface rates exist), then scraped over HTTP on loopback from the
same server ``netctl exporter`` runs. The baseline is ``api.monitor.status()`` over the same APs in
the same run: the exporter reads more (the last poll's per-SSID and per-interface samples, the jobs)
and writes the exposition text.
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

from tests.bench.bench_storage import _city, _real_values, _results
from tests.bench.harness import Context, Row, median_of


class OneSnapshot:
    """A collector that yields the families of one snapshot (to time prometheus_client's writer alone)."""

    def __init__(self, snapshot: Any) -> None:
        self.snapshot = snapshot

    def collect(self) -> Any:
        from netctl.exporter import families

        return families(self.snapshot)


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    from prometheus_client import CollectorRegistry, generate_latest

    from netctl.api import Netctl
    from netctl.exporter import families, read_snapshot, render, serve
    from netctl.poll.store import record_results

    n = ctx.size(10_000, 20)
    values = _real_values(ctx)
    api = _city(ctx, "exporter", n)
    aps = api.session.select()
    names = [ap["name"] for ap in aps]
    now = time.time()
    for cycle in (1, 2):
        record_results(api.session.db, aps, _results(names, values, cycle), now=now - (3 - cycle) * 60, send=False)
    db_path = api.session.db_path
    name = f"Prometheus scrape over {n} APs"
    rows: list[Row] = []

    def status() -> float:
        start = time.perf_counter()
        assert api.monitor.status()["totals"]["total"] == n
        return time.perf_counter() - start

    def read() -> float:
        start = time.perf_counter()
        assert len(read_snapshot(api).aps) == n
        return time.perf_counter() - start

    snapshot = read_snapshot(api)

    def write_netctl() -> float:
        start = time.perf_counter()
        render(families(snapshot))
        return time.perf_counter() - start

    def write_client() -> float:
        start = time.perf_counter()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(OneSnapshot(snapshot))
        generate_latest(registry)
        return time.perf_counter() - start

    server, _thread = serve(lambda: Netctl(db_path), "127.0.0.1:0")
    body = [b""]

    def scrape() -> float:
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/metrics", timeout=60) as reply:
            body[0] = reply.read()
        return time.perf_counter() - start

    try:
        t_status, s_status = median_of(max(3, ctx.repeats), status)
        t_read, s_read = median_of(max(3, ctx.repeats), read)
        t_scrape, s_scrape = median_of(max(3, ctx.repeats), scrape)
        t_write, s_write = median_of(max(3, ctx.repeats), write_netctl)
        t_client, s_client = median_of(max(3, ctx.repeats), write_client)
    finally:
        server.shutdown()
        server.server_close()
        api.close()
    lines = [line for line in body[0].decode().splitlines() if line and not line.startswith("#")]
    ssids = sum(1 for line in lines if line.startswith("netctl_ssid_clients{"))
    if ssids < n:
        raise RuntimeError(f"the scrape exported {ssids} SSID series for {n} APs: it did not read the last poll")
    detail = f"{len(lines):,} series, {len(body[0]) / 1e6:.1f} MB of text; a new facade per scrape (scope checked)"
    rows.append(Row(name, "GET /metrics (netctl exporter)", t_scrape, "s", detail, baseline="api.monitor.status()",
                    target="< 10 s (Prometheus's default scrape_timeout)", lower_better=True,
                    met=None if ctx.tiny else t_scrape < 10.0, samples=s_scrape))
    rows.append(Row(name, "read the store (read_snapshot)", t_read, "s",
                    "health, the last poll's SSID and interface samples, job runs", baseline="api.monitor.status()",
                    lower_better=True, samples=s_read))
    rows.append(Row(name, "api.monitor.status()", t_status, "s", "health only", lower_better=True, samples=s_status))
    rows.append(Row(name, "families + netctl.exporter.render", t_write, "s", "the exposition text of one snapshot",
                    baseline="families + prometheus_client.generate_latest", lower_better=True, samples=s_write))
    rows.append(Row(name, "families + prometheus_client.generate_latest", t_client, "s", "the same bytes",
                    lower_better=True, samples=s_client))
    per_series = t_scrape / max(1, len(lines)) * 1e6
    return rows, [f"Prometheus scrape: {len(lines) / n:.0f} series per AP (state, last poll, clients per SSID "
                  f"and radio, rates per interface), {per_series:.1f} µs per series end to end over HTTP; the "
                  "store is read in one pass per table and the text written by netctl.exporter.render, which "
                  "writes the same bytes as prometheus_client.generate_latest."]
