"""The Prometheus collector on an in-memory database: exact exposition, scope, APs never polled."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric

from netctl.api import Netctl
from netctl.cli import cli
from netctl.core import os_login
from netctl.errors import ConfigError
from netctl.exporter import NetctlCollector, families, parse_listen, read_snapshot, render, serve
from netctl.store import open_db
from tests.helpers.poll import T0, add_city, dead, good, record

EXPECTED = """\
# HELP netctl_ap_up 1 if the AP answered its last poll, 0 if not (absent: never polled)
# TYPE netctl_ap_up gauge
netctl_ap_up{ap="ap1",site="school1",tenant="du"} 1.0
netctl_ap_up{ap="ap2",site="school1",tenant="du"} 0.0
# HELP netctl_ap_state The AP's health state (1 for the current one)
# TYPE netctl_ap_state gauge
netctl_ap_state{ap="ap1",site="school1",state="up",tenant="du"} 1.0
netctl_ap_state{ap="ap1",site="school1",state="degraded",tenant="du"} 0.0
netctl_ap_state{ap="ap1",site="school1",state="down",tenant="du"} 0.0
netctl_ap_state{ap="ap1",site="school1",state="unknown",tenant="du"} 0.0
netctl_ap_state{ap="ap2",site="school1",state="up",tenant="du"} 0.0
netctl_ap_state{ap="ap2",site="school1",state="degraded",tenant="du"} 0.0
netctl_ap_state{ap="ap2",site="school1",state="down",tenant="du"} 0.0
netctl_ap_state{ap="ap2",site="school1",state="unknown",tenant="du"} 1.0
netctl_ap_state{ap="bus1",site="fleet",state="up",tenant="du"} 0.0
netctl_ap_state{ap="bus1",site="fleet",state="degraded",tenant="du"} 0.0
netctl_ap_state{ap="bus1",site="fleet",state="down",tenant="du"} 0.0
netctl_ap_state{ap="bus1",site="fleet",state="unknown",tenant="du"} 1.0
# HELP netctl_ap_uptime_seconds sysUpTime of the AP at its last good poll
# TYPE netctl_ap_uptime_seconds gauge
netctl_ap_uptime_seconds{ap="ap1",site="school1",tenant="du"} 1060.0
# HELP netctl_ap_clients Wireless clients of the AP at its last good poll
# TYPE netctl_ap_clients gauge
netctl_ap_clients{ap="ap1",site="school1",tenant="du"} 12.0
# HELP netctl_ap_poll_duration_seconds How long the AP's last good poll took
# TYPE netctl_ap_poll_duration_seconds gauge
netctl_ap_poll_duration_seconds{ap="ap1",site="school1",tenant="du"} 0.003
# HELP netctl_ap_last_poll_timestamp_seconds When the AP was last polled
# TYPE netctl_ap_last_poll_timestamp_seconds gauge
netctl_ap_last_poll_timestamp_seconds{ap="ap1",site="school1",tenant="du"} 1.79000006e+09
netctl_ap_last_poll_timestamp_seconds{ap="ap2",site="school1",tenant="du"} 1.79000006e+09
# HELP netctl_ap_poll_misses Polls in a row the AP did not answer
# TYPE netctl_ap_poll_misses gauge
netctl_ap_poll_misses{ap="ap1",site="school1",tenant="du"} 0.0
netctl_ap_poll_misses{ap="ap2",site="school1",tenant="du"} 1.0
# HELP netctl_ap_poll_error 1 with the error kind of the AP's last poll when it failed
# TYPE netctl_ap_poll_error gauge
netctl_ap_poll_error{ap="ap2",kind="timeout",site="school1",tenant="du"} 1.0
# HELP netctl_ap_cpu_percent CPU load of the AP at its last good poll
# TYPE netctl_ap_cpu_percent gauge
netctl_ap_cpu_percent{ap="ap1",site="school1",tenant="du"} 10.0
# HELP netctl_ap_memory_used_percent Memory in use on the AP at its last good poll
# TYPE netctl_ap_memory_used_percent gauge
netctl_ap_memory_used_percent{ap="ap1",site="school1",tenant="du"} 30.0
# HELP netctl_ap_radios_down Radios and VAPs down at the AP's last good poll
# TYPE netctl_ap_radios_down gauge
netctl_ap_radios_down{ap="ap1",site="school1",tenant="du"} 0.0
# HELP netctl_ap_in_bits_per_second Inbound bits/s over all interfaces
# TYPE netctl_ap_in_bits_per_second gauge
netctl_ap_in_bits_per_second{ap="ap1",site="school1",tenant="du"} 100000.0
# HELP netctl_ap_out_bits_per_second Outbound bits/s over all interfaces
# TYPE netctl_ap_out_bits_per_second gauge
netctl_ap_out_bits_per_second{ap="ap1",site="school1",tenant="du"} 100000.0
# HELP netctl_ap_interface_errors_per_second Interface errors/s over all interfaces
# TYPE netctl_ap_interface_errors_per_second gauge
netctl_ap_interface_errors_per_second{ap="ap1",site="school1",tenant="du"} 0.0
# HELP netctl_ssid_clients Clients per SSID and radio at the AP's last good poll
# TYPE netctl_ssid_clients gauge
netctl_ssid_clients{ap="ap1",radio="ng",site="school1",ssid="Schule",tenant="du"} 12.0
# HELP netctl_interface_in_bits_per_second Inbound bits/s of an interface
# TYPE netctl_interface_in_bits_per_second gauge
netctl_interface_in_bits_per_second{ap="ap1",ifindex="1",interface="eth0",site="school1",tenant="du"} 100000.0
# HELP netctl_interface_out_bits_per_second Outbound bits/s of an interface
# TYPE netctl_interface_out_bits_per_second gauge
netctl_interface_out_bits_per_second{ap="ap1",ifindex="1",interface="eth0",site="school1",tenant="du"} 100000.0
# HELP netctl_job_runs Runs of a job kept in job_runs (see retention), per status
# TYPE netctl_job_runs gauge
netctl_job_runs{netctl_job="poll",status="failed"} 1.0
netctl_job_runs{netctl_job="poll",status="ok"} 1.0
# HELP netctl_job_last_run_status 1 with the status of the job's last run
# TYPE netctl_job_last_run_status gauge
netctl_job_last_run_status{netctl_job="poll",status="failed"} 1.0
# HELP netctl_job_last_run_timestamp_seconds When the job's last run started
# TYPE netctl_job_last_run_timestamp_seconds gauge
netctl_job_last_run_timestamp_seconds{netctl_job="poll"} 1.79e+09
# HELP netctl_job_last_run_duration_seconds How long the job's last run took (ended runs)
# TYPE netctl_job_last_run_duration_seconds gauge
netctl_job_last_run_duration_seconds{netctl_job="poll"} 2.0
# HELP netctl_job_last_run_aps APs the job's last run worked on
# TYPE netctl_job_last_run_aps gauge
netctl_job_last_run_aps{netctl_job="poll"} 2.0
# HELP netctl_job_last_run_failures APs that failed in the job's last run
# TYPE netctl_job_last_run_failures gauge
netctl_job_last_run_failures{netctl_job="poll"} 1.0
# HELP netctl_exporter_aps APs in the acting user's scope
# TYPE netctl_exporter_aps gauge
netctl_exporter_aps 3.0
# HELP netctl_exporter_read_seconds How long this scrape took to read the store
# TYPE netctl_exporter_read_seconds gauge
netctl_exporter_read_seconds 0.0
"""


class Families:
    """A collector that yields fixed families (the exposition of one snapshot, as Prometheus reads it)."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)


def exposition(collector: Any) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry).decode()


def on_shared_db(city: Netctl) -> Netctl:
    """A new facade on ``city``'s in-memory database whose close leaves that database open."""
    nc = Netctl(city.session.db)
    nc.session.close = lambda: None  # type: ignore[method-assign]
    return nc


@pytest.fixture
def city() -> Iterator[Netctl]:
    """ap1 answered two polls (the SSID "Alt" only in the first), ap2 one miss, bus1 never polled;
    two runs of the poll job, the last failed. The OS login is the admin ``ada``; ``sam`` sees only ``fleet``."""
    nc = Netctl(open_db(":memory:"))
    add_city(nc)
    first = good("ap1", T0, octets=0)
    first.values["ssids"].append({"index": 1, "ssid": "Alt", "radio": "na", "clients": 4})
    record(nc, [first], T0)
    record(nc, [good("ap1", T0 + 60, octets=750_000, clients=12), dead("ap2", T0 + 60)], T0 + 60)
    nc.session.db.table("job_runs").insert_all([
        {"job": "poll", "started": "2026-09-21T14:12:20+00:00", "ended": "2026-09-21T14:12:21+00:00",
         "status": "ok", "aps": 1, "failures": 0},
        {"job": "poll", "started": "2026-09-21T14:13:20+00:00", "ended": "2026-09-21T14:13:22+00:00",
         "status": "failed", "aps": 2, "failures": 1},
    ])
    nc.access.add_user("ada", "admin", os_login=os_login())
    nc.access.add_user("sam", "school-admin", sites=["fleet"])
    yield nc
    nc.close()


def test_exposition_of_a_small_city_is_exact(city: Netctl) -> None:
    snapshot = read_snapshot(city)
    snapshot.read_s = 0.0
    assert exposition(Families(list(families(snapshot)))) == EXPECTED
    assert render(families(snapshot)).decode() == EXPECTED  # the server's writer, byte for byte


def test_render_escapes_label_values_as_prometheus_client_does(city: Netctl) -> None:
    odd = good("ap1", T0 + 120, clients=5)
    odd.values["ssids"] = [{"index": 0, "ssid": 'Caf\u00e9 "Gast" \\ 2\nOG', "radio": "na", "clients": 5}]
    record(city, [odd], T0 + 120)
    snapshot = read_snapshot(city)
    text = render(families(snapshot)).decode()
    assert text == exposition(Families(list(families(snapshot))))
    assert 'ssid="Caf\u00e9 \\"Gast\\" \\\\ 2\\nOG"' in text


def test_collector_reads_the_store_at_each_scrape_with_a_facade_it_closes(city: Netctl) -> None:
    opened: list[Netctl] = []

    def open_api() -> Netctl:
        opened.append(on_shared_db(city))
        return opened[-1]

    collector = NetctlCollector(open_api)
    first = exposition(collector)
    assert re.sub(r"(?m)^netctl_exporter_read_seconds \S+$", "netctl_exporter_read_seconds 0.0", first) == EXPECTED
    record(city, [good("ap2", T0 + 120, clients=7)], T0 + 120)
    second = exposition(collector)
    assert 'netctl_ap_up{ap="ap2",site="school1",tenant="du"} 1.0' in second
    assert 'netctl_ssid_clients{ap="ap2",radio="ng",site="school1",ssid="Schule",tenant="du"} 7.0' in second
    assert len(opened) == 2


def test_a_school_admin_exports_only_their_sites(city: Netctl) -> None:
    sam = Netctl(city.session.db, user="sam")
    text = exposition(Families(list(families(read_snapshot(sam)))))
    assert 'ap="ap1"' not in text and 'ap="ap2"' not in text and "school1" not in text
    assert 'netctl_ap_state{ap="bus1",site="fleet",state="unknown",tenant="du"} 1.0' in text
    assert "netctl_exporter_aps 1.0" in text


def test_an_ap_never_polled_has_only_its_unknown_state(city: Netctl) -> None:
    text = exposition(Families(list(families(read_snapshot(city)))))
    lines = [line for line in text.splitlines() if 'ap="bus1"' in line]
    assert lines == [f'netctl_ap_state{{ap="bus1",site="fleet",state="{state}",tenant="du"}} {value}'
                     for state, value in (("up", "0.0"), ("degraded", "0.0"), ("down", "0.0"), ("unknown", "1.0"))]


def test_an_ssid_missing_from_the_last_poll_is_not_exported_with_its_old_value(city: Netctl) -> None:
    text = exposition(Families(list(families(read_snapshot(city)))))
    assert 'ssid="Alt"' not in text
    assert city.monitor.metrics("ap1", metric="clients:Alt@na", since=T0 - 1)  # the store still has it


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("9464", "127.0.0.1", "127.0.0.1:http", ":9464", "127.0.0.1:70000"):
        with pytest.raises(ConfigError):
            parse_listen(bad)


def test_serve_answers_metrics_over_http_on_loopback(city: Netctl) -> None:
    def open_api() -> Netctl:
        return on_shared_db(city)

    server, _thread = serve(open_api, "127.0.0.1:0")
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            body = reply.read().decode()
            assert reply.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert 'netctl_ap_clients{ap="ap1",site="school1",tenant="du"} 12.0' in body
        zipped = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(zipped, timeout=10) as reply:
            assert reply.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(reply.read()).decode().splitlines()[:4] == body.splitlines()[:4]
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        with pytest.raises(ConfigError, match="cannot listen"):
            serve(open_api, f"127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()


def test_a_scrape_as_a_removed_user_answers_503_with_the_reason(city: Netctl) -> None:
    city.access.remove_user("sam")
    server, _thread = serve(lambda: Netctl(city.session.db, user="sam"), "127.0.0.1:0")
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/metrics", timeout=10)
        assert caught.value.code == 503
        assert "no netctl user named 'sam'" in caught.value.read().decode()
    finally:
        server.shutdown()
        server.server_close()


def test_the_command_refuses_a_bad_listen_address(tmp_path: Path) -> None:
    db = tmp_path / "netctl.db"
    Netctl(db, create=True).close()
    result = CliRunner().invoke(cli, ["--db", str(db), "exporter", "--listen", "0.0.0.0"])
    assert result.exit_code != 0  # netctl.cli.main turns the ConfigError into its message and exit code
    assert isinstance(result.exception, ConfigError)
    assert "cannot read the listen address '0.0.0.0'" in str(result.exception)


def test_the_lab_test_fails_with_an_install_hint_when_prometheus_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import prometheus as helper

    monkeypatch.setattr(helper, "PROMETHEUS", str(tmp_path / "no-prometheus"))
    with pytest.raises(AssertionError, match="apt-get install -y prometheus"), \
            helper.prometheus(tmp_path, "127.0.0.1:9"):
        pass
