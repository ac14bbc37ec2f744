"""Recording polls: health rows, samples and rates, alerts, maintenance, notifications, retention, status.

The poll results here are built by hand (inputs to the recording logic, not a stand-in for an agent);
the SNMP path itself is tested against real agents in tests/lab/test_poll_lab.py. Notifications go
to a real HTTP server and a real command started by the test.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from netctl.errors import ConfigError, NotFound
from netctl.poll import history
from netctl.poll.store import apply_retention, record_results
from tests.helpers.poll import T0, add_city, dead, good, record
from tests.helpers.receivers import http_receiver


def test_samples_rates_and_health_rows(api: Any) -> None:
    add_city(api)
    record(api, [good("ap1", T0, octets=1_000)], T0)
    record(api, [good("ap1", T0 + 60, octets=1_000 + 60 * 125)], T0 + 60)
    series = {(r["metric"], r["epoch"]): r["value"] for r in api.monitor.metrics("ap1", since=T0 - 10)}
    assert series[("in_bps:if1", int(T0 + 60))] == pytest.approx(1000.0)  # 125 bytes/s = 1000 bit/s
    assert series[("clients", int(T0))] == 20
    assert series[("clients:Schule@ng", int(T0))] == 20
    assert series[("up", int(T0))] == 1.0
    assert ("in_bps", int(T0)) not in series  # no rate on the first poll
    only = api.monitor.metrics("ap1", metric="in_bps*", since=T0 - 10)
    assert {(r["metric"], r["label"]) for r in only} == {("in_bps", None), ("in_bps:if1", "eth0")}
    row = api.session.db["health"].get("ap1")
    assert row["state"] == "up" and row["clients"] == 20 and row["latency_ms"] == 3.0


def test_down_alert_opens_after_misses_and_closes_on_recovery_with_webhook(api: Any) -> None:
    add_city(api)
    with http_receiver(status=204) as hook:
        api.monitor.notifier_add("noc", "webhook", f"http://{hook.base()}/hook")
        api.monitor.set_health_rules(down_after_misses=2)
        record(api, [good("ap1", T0)], T0)
        record(api, [dead("ap1", T0 + 60)], T0 + 60)
        assert api.monitor.alerts() == []
        events = record(api, [dead("ap1", T0 + 120)], T0 + 120)
        assert [(e["event"], e["kind"]) for e in events] == [("opened", "down")]
        [alert] = api.monitor.alerts()
        assert alert["state"] == "open" and alert["severity"] == "critical" and alert["notified"] == 1
        record(api, [dead("ap1", T0 + 180)], T0 + 180)
        assert api.monitor.alerts()[0]["count"] == 2
        events = record(api, [good("ap1", T0 + 240)], T0 + 240)
        assert [(e["event"], e["kind"]) for e in events] == [("closed", "down")]
        assert api.monitor.alerts() == []
        closed = api.monitor.alerts(open_only=False)[0]
        assert closed["state"] == "closed" and closed["first_seen"] < closed["closed"]
        received = [post["json"] for post in hook.posts]
    assert [(e["event"], e["ap"], e["kind"], e["site"]) for e in received] == [
        ("opened", "ap1", "down", "school1"), ("closed", "ap1", "down", "school1")]


def test_maintenance_records_but_mutes(api: Any, tmp_path: Path) -> None:
    add_city(api)
    out = tmp_path / "events.jsonl"
    script = tmp_path / "hook.py"
    script.write_text(f"import sys\nopen({str(out)!r}, 'a').write(sys.stdin.read() + '\\n')\n")
    api.monitor.notifier_add("cmd", "command", f"{sys.executable} {script}")
    api.monitor.set_health_rules(down_after_misses=1)
    window = api.monitor.maintenance_add(["ap2"], "now", "+1h", reason="firmware upgrade")
    now = time.time()
    events = record(api, [dead("ap1", now), dead("ap2", now)], now)
    assert {e["ap"]: e["muted"] for e in events} == {"ap1": False, "ap2": True}
    muted = [a for a in api.monitor.alerts() if a["ap"] == "ap2"][0]
    assert muted["muted"] and muted["mute_reason"] == f"maintenance: {window['name']}"
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert [(e["ap"], e["event"]) for e in lines] == [("ap1", "opened")]
    assert api.monitor.status()["totals"]["down"] == 2  # still recorded as down
    assert [w["id"] for w in api.monitor.maintenance_list(active_only=True)] == [window["id"]]
    api.monitor.maintenance_remove(window["id"])
    with pytest.raises(NotFound):
        api.monitor.maintenance_remove(window["id"])


def test_failed_notifier_is_recorded_not_raised(api: Any) -> None:
    add_city(api)
    api.monitor.notifier_add("gone", "webhook", "http://127.0.0.1:9/nothing-listens")
    api.monitor.set_health_rules(down_after_misses=1)
    events = record(api, [dead("ap1", T0)], T0)
    assert events[0]["deliveries"][0]["ok"] is False
    assert "unreachable" in api.monitor.alerts()[0]["notify_error"]
    with pytest.raises(ConfigError, match="unknown notifier kind"):
        api.monitor.notifier_add("x", "carrier-pigeon", "coop 7")


def test_depot_window_keeps_a_parked_vehicle_out_of_down(api: Any) -> None:
    add_city(api, transit_window="00:00-23:59")
    api.monitor.set_health_rules(down_after_misses=1)
    now = time.time()
    record(api, [dead("bus1", now), dead("ap1", now)], now)
    states = {a["name"]: a["state"] for a in api.monitor.status()["aps"]}
    assert states["bus1"] == "unknown" and states["ap1"] == "down"
    assert [a["ap"] for a in api.monitor.alerts()] == ["ap1"]
    # the same through the layered variables (global < tenant < site < group < AP), as api.monitor.poll does
    record_results(api.session.db, api.session.select(), [dead("bus1", now + 60)], now=now + 60,
                   vars_of=api.inventory.merged_vars)
    assert api.session.db.table("health").get("bus1")["state"] == "unknown"
    api.session.db.execute("update sites set vars = '{}' where name = 'fleet'")
    record_results(api.session.db, api.session.select(), [dead("bus1", now + 120)], now=now + 120,
                   vars_of=api.inventory.merged_vars)
    assert api.session.db.table("health").get("bus1")["state"] == "down"  # no depot window any more: an outage


def test_ack_alert(api: Any) -> None:
    add_city(api)
    api.monitor.set_health_rules(down_after_misses=1)
    record(api, [dead("ap1", T0)], T0)
    alert_id = api.monitor.alerts()[0]["id"]
    row = api.monitor.ack_alert(alert_id, note="technician on the way")
    assert row["acked_by"] == api.session.user_name and row["ack_note"] == "technician on the way"
    with pytest.raises(NotFound):
        api.monitor.ack_alert(99999)


def test_retention_rolls_up_and_bounds_the_tables(api: Any) -> None:
    add_city(api)
    for i in range(24):  # two hours, every 5 minutes
        record(api, [good("ap1", T0 + 300 * i, octets=i * 1000, clients=10 + i)], T0 + 300 * i)
    now = T0 + 300 * 24
    api.session.db["poll_settings"].upsert({"key": "retention", "value": json.dumps({"raw_s": 3600})}, pk="key")
    summary = apply_retention(api.session.db, now=now)
    assert summary["folded_5m"] > 0 and summary["deleted_samples"] > 0
    raw_left = min(ts for _s, ts, _v in history.rows(api.session.db))
    assert raw_left >= now - 3600
    five = api.session.db.execute("select value, n from samples_5m join series on series.id = samples_5m.series "
                          "where ap = 'ap1' and metric = 'clients' order by ts").fetchall()
    assert [v for v, _n in five][:3] == [10, 11, 12]
    hourly = api.session.db.execute("select value from samples_1h join series on series.id = samples_1h.series "
                            "where metric = 'clients' order by ts").fetchall()
    assert hourly and all(isinstance(v[0], float) for v in hourly)
    series = api.monitor.metrics("ap1", metric="clients", since=T0 - 1)
    assert {r["resolution"] for r in series} >= {"raw", "5m"}
    # a second run folds nothing new
    assert apply_retention(api.session.db, now=now)["folded_5m"] == 0
    # closed alerts and job runs older than their windows go too
    old = "2020-01-01T00:00:00+00:00"
    api.session.db.table("alerts").insert({"ap": "ap1", "kind": "down", "state": "closed", "closed": old})
    api.session.db.table("job_runs").insert({"job": "poll", "started": old, "status": "ok"})
    later = apply_retention(api.session.db, now=now)
    assert (later["deleted_alerts"], later["deleted_job_runs"]) == (1, 1)


def test_status_counts_per_site_and_kind(api: Any) -> None:
    add_city(api)
    api.monitor.set_health_rules(down_after_misses=1)
    record(api, [good("ap1", T0), dead("ap2", T0), good("bus1", T0, cpu=99.0)], T0)
    data = api.monitor.status()
    assert data["sites"]["school1"] == {"up": 1, "degraded": 0, "down": 1, "unknown": 0, "total": 2}
    assert data["kinds"]["transit"]["degraded"] == 1
    assert data["totals"]["total"] == 3
    bus = [a for a in data["aps"] if a["name"] == "bus1"][0]
    assert bus["cpu"] == 99.0 and bus["reasons"] and "CPU" in bus["reasons"][0]


def test_status_of_ten_thousand_aps_is_fast(api: Any) -> None:
    db = api.session.db
    db["tenants"].insert({"name": "big", "vars": "{}"})
    db["sites"].insert_all([{"name": f"s{i}", "tenant": "big", "kind": "school", "vars": "{}"} for i in range(100)])
    db["aps"].insert_all([{"name": f"ap{i:05d}", "tenant": "big", "site": f"s{i % 100}", "platform": "netconf-wlan",
                           "address": "127.0.0.1", "snmp": "{}"} for i in range(10_000)])
    db["health"].insert_all([{"ap": f"ap{i:05d}", "state": ("up", "down", "degraded")[i % 3], "clients": i % 50}
                             for i in range(10_000)], pk="ap")
    timings = []
    for _ in range(3):  # CPU time, best of three: the machine is shared, the target is the code's own cost
        started = time.process_time()
        data = api.monitor.status()
        timings.append(time.process_time() - started)
    elapsed = min(timings)
    assert data["totals"]["total"] == 10_000 and data["totals"]["down"] == 3333
    assert elapsed < 0.5, f"status of 10,000 APs took {elapsed:.2f} s"


def test_bad_times_are_clear_errors(api: Any) -> None:
    add_city(api)
    with pytest.raises(ConfigError, match="cannot read the time"):
        api.monitor.metrics("ap1", since="yesterday-ish")
    with pytest.raises(ConfigError, match="must end after"):
        api.monitor.maintenance_add(["ap1"], "now", "2000-01-01T00:00")
    with pytest.raises(NotFound):
        api.monitor.metrics("no-such-ap")


def test_notifier_plugin_through_an_entry_point(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "pagerplug-1.0.dist-info").mkdir(parents=True)
    (site / "pagerplug-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: pagerplug\nVersion: 1.0\n")
    (site / "pagerplug-1.0.dist-info" / "entry_points.txt").write_text(
        "[netctl.notifiers]\npager = pagerplug:Pager\n")
    sent = tmp_path / "sent.json"
    (site / "pagerplug.py").write_text(
        "import json\n"
        "class Pager:\n"
        "    def __init__(self, target, **options):\n"
        "        self.target = target\n"
        "    def send(self, event):\n"
        f"        open({str(sent)!r}, 'w').write(json.dumps([self.target, event['ap'], event['event']]))\n")
    monkeypatch.syspath_prepend(str(site))
    from netctl.notify import NOTIFIERS, available_kinds

    NOTIFIERS.reload()  # look for plugins again: this one was installed after netctl looked
    assert "pager" in available_kinds()
    add_city(api)
    api.monitor.notifier_add("oncall", "pager", "+49-203-0000")
    api.monitor.set_health_rules(down_after_misses=1)
    record(api, [dead("ap1", T0)], T0)
    assert json.loads(sent.read_text()) == ["+49-203-0000", "ap1", "opened"]
    monkeypatch.undo()
    NOTIFIERS.reload()  # the plugin is gone from sys.path again
    assert "pager" not in available_kinds()


def test_series_ids_are_reused_across_polls_connections_and_rollbacks(api: Any, tmp_path: Path) -> None:
    from netctl.api import Netctl
    from netctl.store.db import transaction

    add_city(api)
    record(api, [good("ap1", T0, octets=0)], T0)
    record(api, [good("ap1", T0 + 60, octets=6000)], T0 + 60)  # adds the rate series
    count = api.session.db["series"].count
    ids = dict(api.session.db.execute("select metric, id from series where ap = 'ap1'").fetchall())
    assert count == len(ids) and {"up", "clients", "clients:Schule@ng", "in_bps:if1"} <= set(ids)
    queries: list[str] = []
    with api.session.db.tracer(lambda sql, params: queries.append(sql)):
        record(api, [good("ap1", T0 + 120, octets=12000)], T0 + 120)
    # every id came from the cache: no query reads or writes the series table
    assert not [q for q in queries if re.search(r"\b(from|into|update|join) series\b", q)], queries
    # a second connection (another process) starts with an empty cache and finds the same ids
    other = Netctl(api.session.db_path)
    try:
        record_results(other.session.db, other.session.select(), [good("ap1", T0 + 180, octets=18000)], now=T0 + 180)
    finally:
        other.close()
    assert dict(api.session.db.execute("select metric, id from series where ap = 'ap1'").fetchall()) == ids
    assert [r["value"] for r in api.monitor.metrics("ap1", metric="clients", since=T0 - 1)] == [20, 20, 20, 20]
    # series created in a transaction that rolls back are not remembered
    with pytest.raises(RuntimeError), transaction(api.session.db):
        record(api, [good("ap2", T0)], T0)
        raise RuntimeError("the caller's transaction fails")
    assert api.session.db["series"].count == count
    record(api, [good("ap2", T0 + 60)], T0 + 60)
    assert api.monitor.metrics("ap2", metric="up", since=T0 - 1)[0]["value"] == 1.0
    known = {i for (i,) in api.session.db.execute("select id from series")}
    assert [row for row in history.rows(api.session.db) if row[0] not in known] == []  # no orphan samples


def test_retention_folds_each_series_apart_and_keeps_removed_aps(api: Any) -> None:
    add_city(api)
    for i in range(36):  # three hours, every 5 minutes: ap1 clients 10+i, ap2 clients 100
        now = T0 + 300 * i
        record(api, [good("ap1", now, clients=10 + i), good("ap2", now, clients=100)], now)
    api.session.db["aps"].delete("ap2")  # removed from the inventory; its history stays and still rolls up
    api.session.db["poll_settings"].upsert({"key": "retention", "value": json.dumps({"raw_s": 3600})}, pk="key")
    now = T0 + 300 * 36
    raw = len(history.rows(api.session.db))  # one sample per series and 5-minute bucket (T0 is not on a bucket edge)
    summary = apply_retention(api.session.db, now=now)
    assert summary["folded_5m"] == raw

    def rows(table: str, ap: str, columns: str = "ts, value") -> list[tuple[Any, ...]]:
        if table == "samples":  # raw samples: compressed chunks (netctl.poll.history)
            [series_id] = [i for (i,) in api.session.db.execute(
                "select id from series where ap = ? and metric = 'clients'", [ap])]
            return [(ts, value) for _s, ts, value in history.rows(api.session.db, [series_id])]
        return api.session.db.execute(f"select {columns} from [{table}] x join series s on s.id = x.series "
                              "where s.ap = ? and s.metric = 'clients' order by ts", [ap]).fetchall()

    start = int(T0) // 300 * 300
    assert rows("samples_5m", "ap1", "value, n") == [(10.0 + i, 1) for i in range(36)]
    assert rows("samples_5m", "ap2", "value, min, max") == [(100.0, 100.0, 100.0)] * 36
    hourly = rows("samples_1h", "ap1", "ts, value, min, max, n")
    first_hour = int(T0) // 3600 * 3600
    in_first = [10 + i for i in range(36) if start + 300 * i < first_hour + 3600]
    assert hourly[0] == (first_hour, sum(in_first) / len(in_first), min(in_first), max(in_first), len(in_first))
    assert summary["deleted_samples"] > 0
    assert min(ts for _s, ts, _v in history.rows(api.session.db)) >= int(now - 3600)
    assert {ts for ts, _v in rows("samples", "ap2")} == {ts for ts, _v in rows("samples", "ap1")}
    # past the 5-minute window only hourly rows are left, for both APs
    later = apply_retention(api.session.db, now=now + 2 * 86400 + 3600)
    assert later["deleted_samples_5m"] > 0 and later["deleted_samples"] > 0
    assert rows("samples_5m", "ap2") == [] and rows("samples_1h", "ap2")
    assert api.session.db["series"].count > 0
