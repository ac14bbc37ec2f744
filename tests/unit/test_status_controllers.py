"""WLAN controllers in ``status`` (issue 15, "TUI and CLI"): each controller in the selection and the
user's scope with its own state and the states of the APs behind it, from what the polls recorded;
``netctl status`` prints them, ``--json`` in the shape docs/polling.md promises.

The controllers and their APs are rows as their polls leave them (tests/helpers/controllers.py) on the
TUI tests' small city; nothing is polled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from netctl.api import Netctl
from netctl.cli import cli
from netctl.selection import Selection
from tests.helpers.controllers import seed_controllers
from tests.helpers.doc_shapes import assert_shape, inline_shapes, section
from tests.helpers.tui import NOW, add_users, seed_city

ROOT = Path(__file__).resolve().parents[2]
SHAPES = inline_shapes(section(ROOT / "docs" / "polling.md", "Commands"))

DU_AC01 = {"name": "du-ac01", "tenant": "duisburg", "site": "du-rechenzentrum", "platform": "huawei-ac",
           "state": "up", "since": "2026-11-18T09:30:00+00:00", "last_poll": "2026-11-20T09:30:00+00:00",
           "error": None, "listed": 4,
           "aps": {"up": 2, "degraded": 0, "down": 1, "unknown": 1, "missing": 1, "total": 5}}
MO_WLC01 = {"name": "mo-wlc01", "tenant": "moers", "site": "gs-moers-mitte", "platform": "cisco-9800",
            "state": "down", "since": "2026-11-20T08:30:00+00:00", "last_poll": "2026-11-20T09:30:00+00:00",
            "error": "timeout: no answer (request timed out)", "listed": 2,
            "aps": {"up": 0, "degraded": 0, "down": 0, "unknown": 2, "missing": 0, "total": 2}}


def seed(db: sqlite_utils.Database) -> None:
    seed_city(db)
    add_users(db)
    seed_controllers(db, NOW)


@pytest.fixture
def city(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed(memdb)
    return memdb


def test_status_counts_the_aps_behind_each_controller_by_state(city: sqlite_utils.Database) -> None:
    assert Netctl(city, user="ada").monitor.status()["controllers"] == [DU_AC01, MO_WLC01]


def test_a_controller_counts_only_the_aps_the_user_may_see(city: sqlite_utils.Database) -> None:
    # eva (tenant duisburg): not Moers' controller; sam (gs-meiderich): not the AC, though its APs stand at
    # sam's school
    assert Netctl(city, user="eva").monitor.status()["controllers"] == [DU_AC01]
    assert Netctl(city, user="sam").monitor.status()["controllers"] == []
    # an AP at eva's school behind Moers' controller is hers (by its site), counted under no controller of hers
    city.table("aps").update("du-cap05", {"controller": "mo-wlc01"})
    eva = Netctl(city, user="eva").monitor.status()
    assert eva["controllers"][0]["aps"]["total"] == 4 and "du-cap05" in {a["name"] for a in eva["aps"]}
    assert [c["name"] for c in eva["controllers"]] == ["du-ac01"]
    assert Netctl(city, user="ada").monitor.status()["controllers"][1]["aps"]["total"] == 3


def test_a_selection_shows_the_controllers_it_holds_with_all_their_aps(city: sqlite_utils.Database) -> None:
    monitor = Netctl(city, user="ada").monitor
    assert monitor.status(Selection(names=("du-ac01",)))["controllers"] == [DU_AC01]
    assert monitor.status(Selection(role="controller"))["controllers"] == [DU_AC01, MO_WLC01]
    assert monitor.status(Selection(site="gs-meiderich"))["controllers"] == []  # its APs, not the AC


def test_a_controller_never_read_and_one_whose_aps_are_all_listed(city: sqlite_utils.Database) -> None:
    city.execute("delete from controller_polls where controller = 'mo-wlc01'")
    city.execute("delete from health where ap = 'mo-wlc01'")
    city.table("health").update("du-cap04", {"state": "up", "reasons": "[]"})
    du, mo = Netctl(city, user="ada").monitor.status()["controllers"]
    assert mo["state"] == "unknown" and (mo["last_poll"], mo["error"], mo["listed"]) == (None, None, None)
    assert du["aps"] == {"up": 3, "degraded": 0, "down": 1, "unknown": 1, "missing": 0, "total": 5}


def run(db: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def test_netctl_status_prints_the_controllers_and_json_has_the_documented_shape(tmp_path: Path) -> None:
    path = tmp_path / "netctl.db"
    with Netctl(path, create=True) as nc:
        seed(nc.session.db)
    text = run(path, "--user", "ada", "status").output
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "CONTROLLER SITE PLATFORM STATE APS UP DEGRADED DOWN UNKNOWN MISSING LISTED POLL" in lines
    assert "du-ac01 du-rechenzentrum huawei-ac up 5 2 0 1 1 1 4 ok" in lines
    assert "mo-wlc01 gs-moers-mitte cisco-9800 down 2 0 0 0 2 0 2 timeout: no answer (request timed out)" in lines
    assert lines[-1] == "2 controller(s): 1 up, 0 degraded, 1 down, 0 unknown; 7 AP(s) behind them: 2 up, " \
                        "0 degraded, 1 down, 3 unknown, 1 missing"
    printed = json.loads(run(path, "--user", "ada", "status", "--json").output)
    assert printed["controllers"] == [DU_AC01, MO_WLC01]
    assert_shape(SHAPES["status --json"], printed, "status --json")
    # a user who sees no controller gets no controller lines, and an empty list
    sam = run(path, "--user", "sam", "status").output
    assert "CONTROLLER" not in sam and "controller(s)" not in sam
    assert json.loads(run(path, "--user", "sam", "status", "--json").output)["controllers"] == []
