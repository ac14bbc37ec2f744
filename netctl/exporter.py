"""Prometheus metrics of the current state: what the store holds now, read at scrape time.

``netctl exporter`` serves ``/metrics`` for a Prometheus server that keeps the long history a city's
tools already use; netctl's own store keeps what the TUI needs. Nothing is counted in this process:
each scrape reads the store (:func:`read_snapshot`, one facade per scrape, so the acting user's role
and scope are checked again every time) and turns it into metric families (:func:`families`, pure).

What a scrape reads, each in one query whose cost grows with the APs in scope, never with history:

- ``health`` (one row per AP): up, state, uptime, clients, the last poll's duration, error kind,
  misses, CPU, memory, radios down;
- the samples of each AP's last poll: clients per SSID and radio, rates per interface and in total
  (one primary-key lookup per series, at the time of the AP's last ``up`` sample, so a series the
  last poll did not write, e.g. an SSID switched off, is not exported with an old value);
- ``job_runs`` of the jobs the user may see: runs per status, the last run's status, start,
  duration, APs and failures.

Labels: ``tenant``, ``site``, ``ap`` on every AP metric, ``ssid``/``radio`` and ``interface``/``ifindex``
where they apply, ``job`` on job metrics. An AP never polled has only ``netctl_ap_state{state="unknown"}``.

Raises (from :func:`read_snapshot`): PermissionDenied when the acting user may not view, NotFound /
StoreError when the database or the user is gone.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from netctl.api import Netctl

#: the address ``netctl exporter`` listens on unless told otherwise (loopback: see docs/polling.md)
DEFAULT_LISTEN = "127.0.0.1:9464"
STATES = ("up", "degraded", "down", "unknown")
AP_LABELS = ["tenant", "site", "ap"]

#: the latest sample of each per-SSID and per-interface series, taken at the AP's last poll (``up``)
LAST_POLL_SAMPLES = """
with last as (
  select s.ap as ap, (select max(x.ts) from samples x where x.series = s.id) as ts
  from series s where s.metric = 'up'
)
select s.ap, s.metric, s.label, x.value
from last join series s on s.ap = last.ap
join samples x on x.series = s.id and x.ts = last.ts
where s.metric like 'clients:%' or s.metric like 'in_bps%' or s.metric like 'out_bps%'
   or s.metric = 'if_errors_ps'
"""


@dataclass
class ApState:
    """One AP as a scrape sees it: where it is, its ``health`` row (None: never polled), its last samples."""

    name: str
    tenant: str
    site: str
    health: dict[str, Any] | None = None
    ssids: list[tuple[str, str, float]] = field(default_factory=list)  # ssid, radio, clients
    interfaces: list[tuple[str, str, str, float]] = field(default_factory=list)  # kind, ifindex, name, bps
    totals: dict[str, float] = field(default_factory=dict)  # in_bps, out_bps, if_errors_ps


@dataclass
class JobState:
    """One job: runs kept in ``job_runs`` per status and its last run (None: never ran)."""

    name: str
    runs: dict[str, int] = field(default_factory=dict)
    last: dict[str, Any] | None = None


@dataclass
class Snapshot:
    """What one scrape exports: the APs in the user's scope (by name) and the jobs the user may see."""

    aps: list[ApState]
    jobs: list[JobState]
    read_s: float = 0.0


def read_snapshot(nc: Netctl) -> Snapshot:
    """Read the current state of every AP in the acting user's scope, and of the jobs they may see.

    Raises PermissionDenied when the user may not view.
    """
    import time

    started = time.perf_counter()
    session = nc.session
    session.require("view")
    db = session.db
    scope = session.scope
    aps = {name: ApState(name, tenant, site) for name, site, tenant in db.execute(
        "select name, site, tenant from aps order by name").fetchall() if scope.allows(tenant, site)}
    cursor = db.execute(
        "select ap, state, last_poll, last_poll_ts, last_ok, misses, uptime, clients, latency_ms, cpu, mem, "
        "radios_down, error_kind from health")
    columns = [c[0] for c in cursor.description]
    for row in cursor.fetchall():
        ap = aps.get(row[0])
        if ap is not None:
            ap.health = dict(zip(columns, row, strict=True))
    for name, metric, label, value in db.execute(LAST_POLL_SAMPLES).fetchall():
        ap = aps.get(name)
        if ap is None or value is None:
            continue
        kind, _, rest = metric.partition(":")
        if kind == "clients":
            ssid, _, radio = rest.rpartition("@")
            ap.ssids.append((ssid or rest, radio, value))
        elif not rest:
            ap.totals[kind] = value
        elif rest.startswith("if"):
            ap.interfaces.append((kind, rest[2:], label or rest, value))
    for ap in aps.values():
        ap.ssids.sort()
        ap.interfaces.sort(key=lambda i: (i[0], _index_key(i[1])))
    return Snapshot(list(aps.values()), _jobs(nc), time.perf_counter() - started)


def _index_key(index: str) -> tuple[int, str]:
    return (int(index), "") if index.isdigit() else (1 << 62, index)


def _jobs(nc: Netctl) -> list[JobState]:
    visible = [job["name"] for job in nc.jobs.list_jobs()]
    if not visible:
        return []
    jobs = {name: JobState(name) for name in visible}
    marks = ", ".join("?" for _ in visible)
    db = nc.session.db
    for name, status, count in db.execute(
            f"select job, status, count(*) from job_runs where job in ({marks}) group by job, status", visible):
        jobs[name].runs[status] = count
    cursor = db.execute(
        f"select job, started, ended, status, aps, failures from job_runs where id in "
        f"(select max(id) from job_runs where job in ({marks}) group by job)", visible)
    columns = [c[0] for c in cursor.description]
    for row in cursor.fetchall():
        jobs[row[0]].last = dict(zip(columns, row, strict=True))
    return list(jobs.values())


def _epoch(stamp: str | None) -> float | None:
    if not stamp:
        return None
    moment = dt.datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _gauge(name: str, documentation: str, labels: list[str], unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels, unit=unit)


def families(snapshot: Snapshot) -> Iterator[Metric]:
    """The metric families of ``snapshot`` (pure: the same snapshot gives the same exposition)."""
    up = _gauge("netctl_ap_up", "1 if the AP answered its last poll, 0 if not (absent: never polled)", AP_LABELS)
    state = _gauge("netctl_ap_state", "The AP's health state (1 for the current one)", [*AP_LABELS, "state"])
    uptime = _gauge("netctl_ap_uptime_seconds", "sysUpTime of the AP at its last good poll", AP_LABELS)
    clients = _gauge("netctl_ap_clients", "Wireless clients of the AP at its last good poll", AP_LABELS)
    duration = _gauge("netctl_ap_poll_duration_seconds", "How long the AP's last good poll took", AP_LABELS)
    last_poll = _gauge("netctl_ap_last_poll_timestamp_seconds", "When the AP was last polled", AP_LABELS)
    misses = _gauge("netctl_ap_poll_misses", "Polls in a row the AP did not answer", AP_LABELS)
    error = _gauge("netctl_ap_poll_error", "1 with the error kind of the AP's last poll when it failed",
                   [*AP_LABELS, "kind"])
    cpu = _gauge("netctl_ap_cpu_percent", "CPU load of the AP at its last good poll", AP_LABELS)
    mem = _gauge("netctl_ap_memory_used_percent", "Memory in use on the AP at its last good poll", AP_LABELS)
    radios = _gauge("netctl_ap_radios_down", "Radios and VAPs down at the AP's last good poll", AP_LABELS)
    totals = {
        "in_bps": _gauge("netctl_ap_in_bits_per_second", "Inbound bits/s over all interfaces", AP_LABELS),
        "out_bps": _gauge("netctl_ap_out_bits_per_second", "Outbound bits/s over all interfaces", AP_LABELS),
        "if_errors_ps": _gauge("netctl_ap_interface_errors_per_second", "Interface errors/s over all interfaces",
                               AP_LABELS),
    }
    ssid = _gauge("netctl_ssid_clients", "Clients per SSID and radio at the AP's last good poll",
                  [*AP_LABELS, "ssid", "radio"])
    iface_labels = [*AP_LABELS, "interface", "ifindex"]
    interfaces = {
        "in_bps": _gauge("netctl_interface_in_bits_per_second", "Inbound bits/s of an interface", iface_labels),
        "out_bps": _gauge("netctl_interface_out_bits_per_second", "Outbound bits/s of an interface", iface_labels),
    }
    for ap in snapshot.aps:
        where = [ap.tenant, ap.site, ap.name]
        health = ap.health or {}
        current = health.get("state") or "unknown"
        for name in STATES:
            state.add_metric([*where, name], 1.0 if name == current else 0.0)
        if not health.get("last_poll"):
            continue
        answered = health.get("last_ok") == health["last_poll"] and not health.get("error_kind")
        up.add_metric(where, 1.0 if answered else 0.0)
        if health.get("last_poll_ts") is not None:
            last_poll.add_metric(where, float(health["last_poll_ts"]))
        misses.add_metric(where, float(health.get("misses") or 0))
        if not answered:
            error.add_metric([*where, str(health.get("error_kind") or "error")], 1.0)
            continue
        for family, key, scale in ((uptime, "uptime", 1.0), (clients, "clients", 1.0),
                                   (duration, "latency_ms", 0.001), (cpu, "cpu", 1.0), (mem, "mem", 1.0),
                                   (radios, "radios_down", 1.0)):
            if health.get(key) is not None:
                family.add_metric(where, float(health[key]) * scale)
        for key, value in sorted(ap.totals.items()):
            totals[key].add_metric(where, value)
        for name, radio, count in ap.ssids:
            ssid.add_metric([*where, name, radio], count)
        for kind, index, label, value in ap.interfaces:
            interfaces[kind].add_metric([*where, label, index], value)
    yield from (up, state, uptime, clients, duration, last_poll, misses, error, cpu, mem, radios, *totals.values(),
                ssid, *interfaces.values())
    yield from _job_families(snapshot.jobs)
    aps = _gauge("netctl_exporter_aps", "APs in the acting user's scope", [])
    aps.add_metric([], float(len(snapshot.aps)))
    read = _gauge("netctl_exporter_read_seconds", "How long this scrape took to read the store", [])
    read.add_metric([], round(snapshot.read_s, 6))
    yield aps
    yield read


def _job_families(jobs: list[JobState]) -> Iterator[Metric]:
    runs = _gauge("netctl_job_runs", "Runs of a job kept in job_runs (see retention), per status", ["job", "status"])
    status = _gauge("netctl_job_last_run_status", "1 with the status of the job's last run", ["job", "status"])
    started = _gauge("netctl_job_last_run_timestamp_seconds", "When the job's last run started", ["job"])
    took = _gauge("netctl_job_last_run_duration_seconds", "How long the job's last run took (ended runs)", ["job"])
    aps = _gauge("netctl_job_last_run_aps", "APs the job's last run worked on", ["job"])
    failures = _gauge("netctl_job_last_run_failures", "APs that failed in the job's last run", ["job"])
    for job in jobs:
        for name, count in sorted(job.runs.items()):
            runs.add_metric([job.name, name], float(count))
        last = job.last
        if last is None:
            continue
        status.add_metric([job.name, str(last["status"])], 1.0)
        begin, end = _epoch(last.get("started")), _epoch(last.get("ended"))
        if begin is not None:
            started.add_metric([job.name], begin)
            if end is not None:
                took.add_metric([job.name], max(0.0, end - begin))
        for family, key in ((aps, "aps"), (failures, "failures")):
            if last.get(key) is not None:
                family.add_metric([job.name], float(last[key]))
    yield from (runs, status, started, took, aps, failures)


class NetctlCollector:
    """A Prometheus collector that reads the store at every scrape through a new facade.

    ``open_api`` returns a facade for the acting user (closed after the scrape). Scrapes run one at a
    time: a slow store is never read twice at once by the same exporter.
    """

    def __init__(self, open_api: Callable[[], Netctl]) -> None:
        self._open_api = open_api
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            nc = self._open_api()
            try:
                snapshot = read_snapshot(nc)
            finally:
                nc.close()
        return families(snapshot)

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: registering must not read the store."""
        return iter(())


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; port 0: any free one) -> (host, port).

    Raises ConfigError when it is not one.
    """
    from netctl.errors import ConfigError

    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"cannot read the listen address {text!r}",
                          hint="use HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free port)")
    return host, int(port)


def serve(open_api: Callable[[], Netctl], listen: str = DEFAULT_LISTEN) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``/metrics`` on ``listen`` from a registry of its own (no process-wide state) in a thread.

    Returns the server (``shutdown()`` stops it) and its thread. Raises ConfigError for a bad address
    or one that cannot be bound.
    """
    from prometheus_client import CollectorRegistry, start_http_server

    from netctl.errors import ConfigError

    host, port = parse_listen(listen)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NetctlCollector(open_api))
    try:
        return start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {listen}: {exc.strerror or exc}",
                          hint="choose a free port with --listen HOST:PORT") from exc
