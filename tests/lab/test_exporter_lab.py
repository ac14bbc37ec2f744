"""A real Prometheus server scrapes `netctl exporter` after a real poll of lab APs, and holds what netctl stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netctl.selection import Selection
from tests.helpers.prometheus import exporter_process, prometheus

pytestmark = pytest.mark.lab

SITE = "gs-meiderich"


def by_label(result: list[dict[str, Any]], *labels: str) -> dict[tuple[str, ...], float]:
    return {tuple(series["metric"][label] for label in labels): float(series["value"][1]) for series in result}


def test_prometheus_scrapes_what_netctl_stored(city: Any, tmp_path: Path) -> None:
    city.jobs.set_job("poll", selection=Selection(site=SITE))
    run = city.jobs.run_job("poll")  # a real poll of the school, recorded as a job run
    assert run["status"] == "ok", run
    status = {row["name"]: row for row in city.monitor.status(Selection(site=SITE))["aps"]}
    stored_clients = {}
    for ap in status:
        for sample in city.monitor.metrics(ap, metric="clients:*", since="10m"):
            ssid, _, radio = sample["metric"].removeprefix("clients:").rpartition("@")
            stored_clients[(ap, ssid, radio)] = sample["value"]
    assert stored_clients, "the lab's SNMP agents served no clients per SSID for " + SITE

    with exporter_process(city.session.db_path) as target, prometheus(tmp_path, target) as server:
        up = by_label(server.wait_for(f'netctl_ap_up{{site="{SITE}"}}', count=len(status)), "ap", "tenant")
        assert up == {(ap, row["tenant"]): 1.0 for ap, row in status.items()}

        clients = by_label(server.wait_for(f'netctl_ssid_clients{{site="{SITE}"}}', count=len(stored_clients)),
                           "ap", "ssid", "radio")
        assert clients == stored_clients

        uptime = by_label(server.query(f'netctl_ap_uptime_seconds{{site="{SITE}"}}'), "ap")
        assert uptime == {(ap,): float(row["uptime"]) for ap, row in status.items() if row["uptime"] is not None}
        total = by_label(server.query(f'netctl_ap_clients{{site="{SITE}"}}'), "ap")
        assert total == {(ap,): float(row["clients"]) for ap, row in status.items() if row["clients"] is not None}

        others = server.query(f'netctl_ap_up{{site!="{SITE}"}}')
        assert others == []  # APs never polled have no up series, only their unknown state
        unknown = server.wait_for('netctl_ap_state{state="unknown"} == 1', count=1)
        assert {s["metric"]["ap"] for s in unknown}.isdisjoint(status)
        runs = city.jobs.runs(job="poll")
        assert [(r["status"], r["aps"], r["failures"]) for r in runs] == [("ok", len(status), 0)]
        job = {name: by_label(server.query(f'netctl_job_last_run_{name}{{netctl_job="poll"}}'), "netctl_job")
               for name in ("aps", "failures")}
        assert job == {"aps": {("poll",): float(len(status))}, "failures": {("poll",): 0.0}}
        last = by_label(server.query("netctl_job_last_run_status == 1"), "netctl_job", "status")
        assert last == {("poll", "ok"): 1.0}
        aps = server.query("netctl_exporter_aps")
        assert [float(s["value"][1]) for s in aps] == [float(len(city.inventory.list_aps(Selection())))]
