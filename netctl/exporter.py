"""Prometheus metrics of the current state: what the store holds now, read at scrape time.

``netctl exporter`` serves ``/metrics`` for a Prometheus server that keeps the long history a city's
tools already use; netctl's own store keeps what the TUI needs. Nothing is counted in this process:
each scrape reads the store (:func:`read_snapshot`, one facade per scrape, so the acting user's role
and scope are checked again every time) and turns it into metric families (:func:`families`, pure).

What a scrape reads, each in one query whose cost grows with the APs in scope, never with history
(the AP queries in one read transaction, so health and samples come from the same polls):

- ``health`` (one row per AP): up, state, uptime, clients, the last poll's duration, error kind,
  misses, CPU, memory, radios down;
- the samples of each AP's last poll: clients per SSID and radio, rates per interface and in total
  (one primary-key lookup per series, at the time of the AP's last ``up`` sample, so a series the
  last poll did not write, e.g. an SSID switched off, is not exported with an old value);
- ``job_runs`` of the jobs the user may see: runs per status, the last run's status, start,
  duration, APs and failures.

Labels: ``tenant``, ``site``, ``ap`` on every AP metric, ``ssid``/``radio`` and ``interface``/``ifindex``
where they apply, ``netctl_job`` on job metrics (not ``job``: Prometheus gives every scraped series the
``job`` label of its scrape configuration). An AP never polled has only its ``netctl_ap_state`` series.

Raises (from :func:`read_snapshot`): PermissionDenied when the acting user may not view, NotFound /
StoreError when the database or the user is gone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

#: prometheus_client's float formatting (Go's), typed
go_float: Callable[[float], str] = floatToGoString

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from prometheus_client import CollectorRegistry

    from netctl.api import Netctl

logger = logging.getLogger(__name__)

#: the address ``netctl exporter`` listens on unless told otherwise (loopback: see docs/polling.md)
DEFAULT_LISTEN = "127.0.0.1:9464"
STATES = ("up", "degraded", "down", "unknown")

#: the latest sample of each per-SSID and per-interface series, taken at the AP's last poll (``up``);
#: a series' newest sample is always in its open chunk (``sample_heads``, see netctl.poll.history)
LAST_POLL_SAMPLES = """
with last as (
  select s.ap as ap, h.last_ts as ts
  from series s join sample_heads h on h.series = s.id where s.metric = 'up'
)
select s.ap, s.metric, s.label, h.last_value
from last join series s on s.ap = last.ap
join sample_heads h on h.series = s.id and h.last_ts = last.ts
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
    jobs = _jobs(nc)
    db = session.db
    scope = session.scope
    own = not db.conn.in_transaction
    if own:  # one read transaction: health and samples of the same polls, whatever commits meanwhile
        db.execute("BEGIN")
    try:
        aps = {name: ApState(name, tenant, site) for name, site, tenant in db.execute(
            "select name, site, tenant from aps order by name").fetchall() if scope.allows(tenant, site)}
        cursor = db.execute(
            "select ap, state, last_poll, last_poll_ts, last_ok, misses, uptime, clients, latency_ms, cpu, mem, "
            "radios_down, error_kind from health")
        columns = [c[0] for c in cursor.description]
        health = cursor.fetchall()
        samples = db.execute(LAST_POLL_SAMPLES).fetchall()
    finally:
        if own:
            db.execute("COMMIT")
    for row in health:
        ap = aps.get(row[0])
        if ap is not None:
            ap.health = dict(zip(columns, row, strict=True))
    for name, metric, label, value in samples:
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
    return Snapshot(list(aps.values()), jobs, time.perf_counter() - started)


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


def _gauge(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation)


def _add(family: Metric, labels: dict[str, str], value: float) -> None:
    """Append one sample; ``labels`` may be shared by many samples (an AP's labels across its families)."""
    family.samples.append(Sample(family.name, labels, value))


def families(snapshot: Snapshot) -> Iterator[Metric]:
    """The metric families of ``snapshot`` (pure: the same snapshot gives the same exposition).

    Every sample of one AP that carries only the AP's labels shares one label dict, which
    :func:`render` turns into text once per AP.
    """
    up = _gauge("netctl_ap_up", "1 if the AP answered its last poll, 0 if not (absent: never polled)")
    state = _gauge("netctl_ap_state", "The AP's health state (1 for the current one)")
    uptime = _gauge("netctl_ap_uptime_seconds", "sysUpTime of the AP at its last good poll")
    clients = _gauge("netctl_ap_clients", "Wireless clients of the AP at its last good poll")
    duration = _gauge("netctl_ap_poll_duration_seconds", "How long the AP's last good poll took")
    last_poll = _gauge("netctl_ap_last_poll_timestamp_seconds", "When the AP was last polled")
    misses = _gauge("netctl_ap_poll_misses", "Polls in a row the AP did not answer")
    error = _gauge("netctl_ap_poll_error", "1 with the error kind of the AP's last poll when it failed")
    cpu = _gauge("netctl_ap_cpu_percent", "CPU load of the AP at its last good poll")
    mem = _gauge("netctl_ap_memory_used_percent", "Memory in use on the AP at its last good poll")
    radios = _gauge("netctl_ap_radios_down", "Radios and VAPs down at the AP's last good poll")
    totals = {
        "in_bps": _gauge("netctl_ap_in_bits_per_second", "Inbound bits/s over all interfaces"),
        "out_bps": _gauge("netctl_ap_out_bits_per_second", "Outbound bits/s over all interfaces"),
        "if_errors_ps": _gauge("netctl_ap_interface_errors_per_second", "Interface errors/s over all interfaces"),
    }
    ssid = _gauge("netctl_ssid_clients", "Clients per SSID and radio at the AP's last good poll")
    interfaces = {
        "in_bps": _gauge("netctl_interface_in_bits_per_second", "Inbound bits/s of an interface"),
        "out_bps": _gauge("netctl_interface_out_bits_per_second", "Outbound bits/s of an interface"),
    }
    for ap in snapshot.aps:
        where = {"tenant": ap.tenant, "site": ap.site, "ap": ap.name}
        health = ap.health or {}
        current = health.get("state") or "unknown"
        for name in STATES:
            _add(state, {**where, "state": name}, 1.0 if name == current else 0.0)
        if not health.get("last_poll"):
            continue
        answered = health.get("last_ok") == health["last_poll"] and not health.get("error_kind")
        _add(up, where, 1.0 if answered else 0.0)
        if health.get("last_poll_ts") is not None:
            _add(last_poll, where, float(health["last_poll_ts"]))
        _add(misses, where, float(health.get("misses") or 0))
        if not answered:
            _add(error, {**where, "kind": str(health.get("error_kind") or "error")}, 1.0)
            continue
        for family, key, scale in ((uptime, "uptime", 1.0), (clients, "clients", 1.0),
                                   (duration, "latency_ms", 0.001), (cpu, "cpu", 1.0), (mem, "mem", 1.0),
                                   (radios, "radios_down", 1.0)):
            if health.get(key) is not None:
                _add(family, where, float(health[key]) * scale)
        for key, value in sorted(ap.totals.items()):
            _add(totals[key], where, value)
        for name, radio, count in ap.ssids:
            _add(ssid, {**where, "ssid": name, "radio": radio}, count)
        for kind, index, label, value in ap.interfaces:
            _add(interfaces[kind], {**where, "interface": label, "ifindex": index}, value)
    yield from (up, state, uptime, clients, duration, last_poll, misses, error, cpu, mem, radios, *totals.values(),
                ssid, *interfaces.values())
    yield from _job_families(snapshot.jobs)
    aps = _gauge("netctl_exporter_aps", "APs in the acting user's scope")
    _add(aps, {}, float(len(snapshot.aps)))
    read = _gauge("netctl_exporter_read_seconds", "How long this scrape took to read the store")
    _add(read, {}, round(snapshot.read_s, 6))
    yield aps
    yield read


def _job_families(jobs: list[JobState]) -> Iterator[Metric]:
    runs = _gauge("netctl_job_runs", "Runs of a job kept in job_runs (see retention), per status")
    status = _gauge("netctl_job_last_run_status", "1 with the status of the job's last run")
    started = _gauge("netctl_job_last_run_timestamp_seconds", "When the job's last run started")
    took = _gauge("netctl_job_last_run_duration_seconds", "How long the job's last run took (ended runs)")
    aps = _gauge("netctl_job_last_run_aps", "APs the job's last run worked on")
    failures = _gauge("netctl_job_last_run_failures", "APs that failed in the job's last run")
    for job in jobs:
        for name, count in sorted(job.runs.items()):
            _add(runs, {"netctl_job": job.name, "status": name}, float(count))
        last = job.last
        if last is None:
            continue
        where = {"netctl_job": job.name}
        _add(status, {**where, "status": str(last["status"])}, 1.0)
        begin, end = _epoch(last.get("started")), _epoch(last.get("ended"))
        if begin is not None:
            _add(started, where, begin)
            if end is not None:
                _add(took, where, max(0.0, end - begin))
        for family, key in ((aps, "aps"), (failures, "failures")):
            if last.get(key) is not None:
                _add(family, where, float(last[key]))
    yield from (runs, status, started, took, aps, failures)


def _label_value(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r'\"')
    return value


def render(metrics: Iterable[Metric]) -> bytes:
    """The text exposition (format 0.0.4) of gauge families, byte for byte what
    :func:`prometheus_client.generate_latest` writes for them, in about a fifth of its time over
    10,000 APs: a label set shared by several samples (an AP's own) is written once.

    Raises ValueError for a family that is not a gauge or a sample with a timestamp or exemplar
    (:class:`NetctlCollector` yields neither).
    """
    out: list[str] = []
    written: dict[int, str] = {}
    keep: list[dict[str, str]] = []  # the label dicts behind ``written``'s ids stay alive until the end
    for metric in metrics:
        if metric.type != "gauge":
            raise ValueError(f"render writes gauges only, not {metric.type} {metric.name}")
        doc = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {metric.name} {doc}\n# TYPE {metric.name} gauge\n")
        for sample in metric.samples:
            if sample.timestamp is not None or sample.exemplar is not None:
                raise ValueError(f"render writes plain samples only ({sample.name})")
            labels = sample.labels
            text = written.get(id(labels))
            if text is None:
                text = ("{" + ",".join(f'{k}="{_label_value(v)}"' for k, v in sorted(labels.items())) + "}"
                        if labels else "")
                written[id(labels)] = text
                keep.append(labels)
            out.append(f"{sample.name}{text} {go_float(sample.value)}\n")
    return "".join(out).encode()


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


#: what a scrape answers with: the text format Prometheus 2 asks for
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_app(registry: CollectorRegistry) -> Callable[..., list[bytes]]:
    """A WSGI application serving ``registry`` at ``/metrics`` (gzip when the scraper accepts it).

    A scrape that cannot read the store (the user was removed, the database is gone) answers 503 with
    netctl's message, so Prometheus marks the target down and shows why.
    """
    import gzip

    from netctl.errors import NetctlError

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"netctl exporter: metrics are at /metrics\n"]
        try:
            body = render(registry.collect())
        except NetctlError as exc:
            logger.warning("scrape failed: %s", exc)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"netctl exporter: {exc}\n".encode()]
        headers = [("Content-Type", CONTENT_TYPE)]
        if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = gzip.compress(body, compresslevel=1)
            headers.append(("Content-Encoding", "gzip"))
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve(open_api: Callable[[], Netctl], listen: str = DEFAULT_LISTEN) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``/metrics`` on ``listen`` in a thread, from a registry of its own holding one
    :class:`NetctlCollector` (no process-wide state).

    Returns the server (``shutdown()`` stops it) and its thread. Raises ConfigError for a bad address
    or one that cannot be bound.
    """
    import socket
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from prometheus_client import CollectorRegistry

    from netctl.errors import ConfigError

    host, port = parse_listen(listen)

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            logger.debug("%s " + format, self.address_string(), *args)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(NetctlCollector(open_api))
    try:
        server = make_server(host, port, metrics_app(registry), server_class=Server, handler_class=Quiet)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {listen}: {exc.strerror or exc}",
                          hint="choose a free port with --listen HOST:PORT") from exc
    thread = threading.Thread(target=server.serve_forever, name="netctl-exporter", daemon=True)
    thread.start()
    return server, thread
