"""``status_json``: the whole scope's status written by SQLite (what ``netctl status --json`` prints when
piped, 100,000 APs in well under a second) is, parsed, exactly ``status()``: every user's scope, the
controllers and the APs behind them, reasons, flapping and values not available.

The city is the controller status tests' (tests/helpers/controllers.py) with health rows of every kind
added; nothing is polled.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from netctl.api import Netctl
from netctl.cli import cli
from tests.helpers.controllers import seed_controllers
from tests.helpers.tui import NOW, add_users, seed_city


def seed(db: sqlite_utils.Database) -> None:
    seed_city(db)
    add_users(db)
    seed_controllers(db, NOW)
    db.table("health").upsert_all([
        {"ap": "gs-meiderich-ap01", "state": "degraded", "since": "2026-11-20T08:00:00+00:00",
         "last_poll": "2026-11-20T09:30:00+00:00", "uptime": 86400.0, "clients": 12, "latency_ms": 3.217,
         "cpu": 91.5, "mem": 40.25, "radios_down": 1,
         "reasons": json.dumps([["cpu", "CPU 91.5 % over 90 %"], ["radio", "1 radio down: Straße"]]),
         "flapping": 1, "unavailable": json.dumps({"clients": "the agent served no unifiVapTable"})},
        {"ap": "gs-meiderich-ap02", "state": "down", "since": "2026-11-20T09:00:00+00:00",
         "last_poll": "2026-11-20T09:30:00+00:00", "error_kind": "timeout", "reasons": "[]", "flapping": 0,
         "unavailable": ""},
    ], pk="ap", alter=True)


@pytest.fixture
def city(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed(memdb)
    return memdb


@pytest.mark.parametrize("user", ["ada", "eva", "sam"])
def test_status_json_is_status_for_every_scope(city: sqlite_utils.Database, user: str) -> None:
    api = Netctl(city, user=user)
    want = api.monitor.status()
    got = json.loads(api.monitor.status_json())
    assert got == want
    assert got["aps"], "the user sees APs"
    # the rows of every kind are in it (each of these users sees gs-meiderich)
    rows = {a["name"]: a for a in got["aps"]}
    flappy = rows["gs-meiderich-ap01"]
    assert flappy["flapping"] is True
    assert flappy["reasons"] == ["CPU 91.5 % over 90 %", "1 radio down: Straße"]
    assert flappy["unavailable"] == {"clients": "the agent served no unifiVapTable"}
    assert rows["gs-meiderich-ap02"]["unavailable"] == {} and rows["gs-meiderich-ap02"]["flapping"] is False


def test_status_json_keeps_the_aps_in_name_order(city: sqlite_utils.Database) -> None:
    names = [a["name"] for a in json.loads(Netctl(city, user="ada").monitor.status_json())["aps"]]
    assert names == sorted(names) and len(names) == len(set(names))


def test_netctl_status_json_prints_the_same_document(tmp_path: Path) -> None:
    path = tmp_path / "netctl.db"
    with Netctl(path, create=True) as nc:
        seed(nc.session.db)
        want = nc.monitor.status()
    runner = CliRunner()
    printed = runner.invoke(cli, ["--db", str(path), "--user", "ada", "status", "--json"], catch_exceptions=False)
    assert printed.exit_code == 0
    assert json.loads(printed.output) == want
    # --problems still goes through status()
    problems = json.loads(runner.invoke(cli, ["--db", str(path), "--user", "ada", "status", "--json", "--problems"],
                                        catch_exceptions=False).output)
    assert problems["aps"] and all(a["state"] != "up" for a in problems["aps"])
