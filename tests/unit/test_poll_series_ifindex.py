"""Per-interface series are keyed by ifIndex (``in_bps:if<N>``) with the interface name as their label.

Same-named interfaces (a controller's eight "Link Aggregate" ports) are eight series, a renamed interface
keeps its series, and history stored under the names of earlier versions stays readable: ``m009`` turns
``in_bps:<name> (ifIndex N)`` into ``in_bps:ifN``, and a series named only by its interface
(``in_bps:eth0``) becomes that interface's ifIndex series at the first poll that serves it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netctl.cli import cli
from netctl.poll.model import PollResult
from netctl.store import migrations, open_db
from tests.helpers.poll import T0, add_city, record


def answer(ts: float, interfaces: list[tuple[int, str, int]]) -> PollResult:
    values = {"sys_name": "ap1", "uptime_s": ts - T0 + 5000, "cpu": 5.0, "mem": 20.0, "clients": 3, "radios_down": 0,
              "interfaces": [{"index": index, "name": name, "oper": "up", "in_octets": octets, "out_octets": octets,
                              "counter_bits": 64, "in_errors": 0, "out_errors": 0}
                             for index, name, octets in interfaces]}
    return PollResult("ap1", True, latency_ms=2.0, values=values, ts=ts)


def traffic(api: Any, **kwargs: Any) -> dict[tuple[str, int], tuple[str | None, float]]:
    return {(r["metric"], r["epoch"]): (r.get("label"), r["value"])
            for r in api.monitor.metrics("ap1", since=T0 - 4000, **kwargs) if r["metric"].startswith("in_bps:")}


def test_same_named_interfaces_are_one_series_each_labelled_with_the_name(api: Any) -> None:
    add_city(api)
    ports = [(11, "Link Aggregate", 0), (12, "Link Aggregate", 0), (1, "eth0", 0)]
    record(api, [answer(T0, ports)], T0)
    record(api, [answer(T0 + 10, [(i, n, 10 * i) for i, n, _o in ports])], T0 + 10)
    got = traffic(api)
    assert got == {("in_bps:if11", int(T0 + 10)): ("Link Aggregate", 88.0),
                   ("in_bps:if12", int(T0 + 10)): ("Link Aggregate", 96.0),
                   ("in_bps:if1", int(T0 + 10)): ("eth0", 8.0)}


def test_a_renamed_interface_keeps_its_series_and_takes_the_new_name(api: Any) -> None:
    add_city(api)
    record(api, [answer(T0, [(3, "eth0", 0)])], T0)
    record(api, [answer(T0 + 10, [(3, "eth0", 100)])], T0 + 10)
    record(api, [answer(T0 + 20, [(3, "uplink", 200)])], T0 + 20)  # a new name: no rate, same series
    record(api, [answer(T0 + 30, [(3, "uplink", 300)])], T0 + 30)
    assert traffic(api) == {("in_bps:if3", int(T0 + 10)): ("uplink", 80.0),
                            ("in_bps:if3", int(T0 + 30)): ("uplink", 80.0)}
    assert api.session.db.execute("select count(*) from series where metric like 'in_bps:%'").fetchone()[0] == 1


def test_a_series_is_found_by_its_interface_name_too(api: Any) -> None:
    add_city(api)
    record(api, [answer(T0, [(3, "eth0", 0), (4, "eth1", 0)])], T0)
    record(api, [answer(T0 + 10, [(3, "eth0", 100), (4, "eth1", 100)])], T0 + 10)
    assert set(traffic(api, metric="in_bps:eth0")) == {("in_bps:if3", int(T0 + 10))}
    assert set(traffic(api, metric="in_bps:if4")) == {("in_bps:if4", int(T0 + 10))}


def test_cli_metrics_shows_the_interface_name(api: Any) -> None:
    add_city(api)
    record(api, [answer(T0, [(7, "wlan0", 0)])], T0)
    record(api, [answer(T0 + 10, [(7, "wlan0", 100)])], T0 + 10)
    args = ["--db", str(api.session.db_path), "metrics", "ap1", "--metric", "in_bps:*", "--since", "2020-01-01"]
    rows = json.loads(CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False).output)
    assert {(r["metric"], r["label"]) for r in rows} == {("in_bps:if7", "wlan0")}
    text = CliRunner().invoke(cli, args, catch_exceptions=False).output
    line = next(line for line in text.splitlines() if "in_bps:if7" in line)
    assert "wlan0" in line


def test_history_stored_by_interface_name_continues_under_the_ifindex(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < "009"])
    db = open_db(path, create=True)
    old = [("ap1", "in_bps:eth0"), ("ap1", "in_bps:Link Aggregate (ifIndex 11)"),
           ("ap1", "in_bps:Link Aggregate (ifIndex 12)"), ("ap1", "clients")]
    db.conn.executemany("insert into series (ap, metric) values (?, ?)", old)
    db.conn.executemany("insert into samples (series, ts, value) values (?, ?, ?)",
                        [(i, int(T0 - 600), float(i)) for i in range(1, 5)])
    db.conn.commit()
    db.conn.close()
    monkeypatch.undo()
    from netctl.api import Netctl

    api = Netctl(path)
    add_city(api)
    stored = {r["metric"]: r.get("label") for r in api.monitor.metrics("ap1", since=T0 - 4000)}
    assert stored == {"in_bps:eth0": None, "in_bps:if11": "Link Aggregate", "in_bps:if12": "Link Aggregate",
                      "clients": None}
    record(api, [answer(T0, [(1, "eth0", 0)])], T0)
    record(api, [answer(T0 + 10, [(1, "eth0", 100)])], T0 + 10)
    got = traffic(api)
    assert got == {("in_bps:if1", int(T0 - 600)): ("eth0", 1.0), ("in_bps:if1", int(T0 + 10)): ("eth0", 80.0),
                   ("in_bps:if11", int(T0 - 600)): ("Link Aggregate", 2.0),
                   ("in_bps:if12", int(T0 - 600)): ("Link Aggregate", 3.0)}
    api.close()


def test_history_of_merged_same_named_interfaces_is_not_given_to_one_of_them(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # before interfaces were told apart, eight "Link Aggregate" ports summed into one series by name:
    # that history belongs to none of them alone and stays under its old name
    path = tmp_path / "merged.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < "009"])
    db = open_db(path, create=True)
    db.conn.execute("insert into series (ap, metric) values ('ap1', 'in_bps:Link Aggregate')")
    db.conn.execute("insert into samples (series, ts, value) values (1, ?, 5.0)", [int(T0 - 600)])
    db.conn.commit()
    db.conn.close()
    monkeypatch.undo()
    from netctl.api import Netctl

    api = Netctl(path)
    add_city(api)
    ports = [(11, "Link Aggregate", 0), (12, "Link Aggregate", 0)]
    record(api, [answer(T0, ports)], T0)
    record(api, [answer(T0 + 10, [(i, n, 100) for i, n, _o in ports])], T0 + 10)
    got = {r["metric"]: r["label"] for r in api.monitor.metrics("ap1", metric="in_bps:*", since=T0 - 4000)}
    assert got == {"in_bps:Link Aggregate": None, "in_bps:if11": "Link Aggregate", "in_bps:if12": "Link Aggregate"}
    api.close()
