"""Exam mode: a named, time-boxed overlay of variables on one AP, pushed, read back over the test's own
NETCONF session, and gone again when the scheduler's timers job ends it (with a clock the test passes).

AP: bk-sued-ap02 (shared only with test_calendar_lab.py; each test leaves it with its inventory config).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from netctl.cli import cli
from netctl.selection import Selection
from netctl.ssids import timers_job
from tests.helpers.lab import with_psks
from tests.helpers.netconf import TX_5G, read_leaf

pytestmark = pytest.mark.lab

AP = "bk-sued-ap02"
OTHER = "bk-sued-ap03"
PUPILS = "Schule-Lernen"


def ssid_enabled(api: Any, ap: str, ssid: str) -> list[str]:
    return read_leaf(api, ap, f"//n:ssid[n:name='{ssid}']/n:enabled/text()")


@pytest.fixture
def room(city: Any) -> Iterator[Any]:
    with_psks(city)
    city.access.add_user("ada", "admin", os_login="no-such-login")
    assert all(r.ok for r in city.config.push(Selection(names=(AP,)), confirm_timeout=20))
    before = read_leaf(city, AP, TX_5G)
    yield city
    back = city.config.push(Selection(names=(AP,)), confirm_timeout=20)
    assert all(r.ok for r in back), [r.reason for r in back]
    assert ssid_enabled(city, AP, PUPILS) == ["true"] and read_leaf(city, AP, TX_5G) == before


def test_exam_mode_switches_the_pupils_ssid_off_in_one_room_and_ends_by_itself(room: Any) -> None:
    db = room.session.db_path
    before_tx = read_leaf(room, AP, TX_5G)
    out = CliRunner().invoke(cli, ["--db", db, "overlay", "add", "exam-112", "--ap", AP, "--set",
                                   f"vars.ssids_disabled=[{PUPILS}]", "--set", "vars.radio_5g_tx_power=8",
                                   "--until", "90m", "--confirm-timeout", "20", "--json"])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["overlay"]["aps"] == [AP] and [r["status"] for r in shown["results"]] == ["applied"]
    assert ssid_enabled(room, AP, PUPILS) == ["false"] and read_leaf(room, AP, TX_5G) == ["8"]
    # only that AP: its neighbour in the same site keeps the pupils' SSID
    assert room.inventory.merged_vars(room.session.get_ap(OTHER)).get("ssids_disabled") in (None, [])
    sources = {v["key"]: v["source"] for v in room.inventory.ap_vars(AP)}
    assert sources["radio_5g_tx_power"] == "overlay:exam-112"
    listed = CliRunner().invoke(cli, ["--db", db, "overlay", "list"])
    assert "exam-112" in listed.output and "ap " + AP in listed.output

    until = dt.datetime.fromisoformat(shown["overlay"]["until"])
    early = timers_job(db, user="ada", now=until - dt.timedelta(minutes=1), options={"confirm_timeout": 20})
    assert early == [] and ssid_enabled(room, AP, PUPILS) == ["false"]
    ended = timers_job(db, user="ada", now=until, options={"confirm_timeout": 20})
    assert [(r["overlay"], r["ok"], r["aps"]) for r in ended] == [("exam-112", True, {AP: "applied"})], ended
    assert ssid_enabled(room, AP, PUPILS) == ["true"] and read_leaf(room, AP, TX_5G) == before_tx
    assert timers_job(db, user="ada", now=until + dt.timedelta(minutes=1), options={"confirm_timeout": 20}) == []
    assert [o["state"] for o in room.overlays.list_overlays(ended=True)] == ["ended"]
