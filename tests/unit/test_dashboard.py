"""The school dashboard's facts (netctl.dashboard): devices per SSID, problems, today's curve, what is off."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.dashboard import curve, devices_per_ssid, latest_ssid_counts, problems, switched_off
from netctl.errors import NotFound
from tests.helpers.tui import NOW, add_users, iso, seed_activity, seed_city, seed_dashboard


def test_devices_per_ssid_sum_the_latest_poll_over_radios_and_aps_and_skip_down_aps() -> None:
    now = 10_000.0
    rows = [
        {"epoch": 9_000, "metric": "clients:Lernen@radio0", "value": 50.0},  # an older poll: not counted
        {"epoch": 9_600, "metric": "clients:Lernen@radio0", "value": 7.0},
        {"epoch": 9_600, "metric": "clients:Lernen@radio1", "value": 5.0},
        {"epoch": 9_600, "metric": "clients:Gast@radio1", "value": 2.0},
        {"epoch": 9_600, "metric": "clients", "value": 14.0},  # the total is no SSID
    ]
    assert latest_ssid_counts(rows, now) == {"Lernen": 12.0, "Gast": 2.0}
    assert latest_ssid_counts(rows, now + 3600) == {}  # a poll an hour old says nothing about now
    per_ap = {"ap1": {"Lernen": 12.0, "Gast": 2.0}, "ap2": {"Lernen": 3.0}, "ap3": {"Lernen": 40.0}}
    got = devices_per_ssid(per_ap, down=["ap3"], configured=[("Verwaltung", True), ("Lernen", True)])
    assert [(s.ssid, s.devices, s.enabled) for s in got] == [("Verwaltung", 0, True), ("Lernen", 15, True),
                                                            ("Gast", 2, None)]


def test_the_curve_sums_each_aps_peak_per_step_within_the_day() -> None:
    points = {"ap1": [(0.0, 3.0), (100.0, 5.0), (400.0, 4.0), (-10.0, 99.0)], "ap2": [(250.0, 10.0)]}
    assert curve(points, 0.0, 1000.0, step=300) == [(0.0, 15.0), (300.0, 4.0)]


def test_problems_list_aps_that_are_not_up_down_first_with_their_reasons() -> None:
    rows = [{"name": "ap1", "state": "up", "reasons": []},
            {"name": "ap3", "state": "degraded", "since": "t", "reasons": ["CPU above 90%"]},
            {"name": "ap2", "state": "down", "since": "t", "reasons": ["no answer to 3 polls", "(timeout)"]},
            {"name": "ap4", "state": "unknown", "reasons": []}]
    got = problems(rows)
    assert [(p.ap, p.state, p.reason) for p in got] == [
        ("ap2", "down", "no answer to 3 polls; (timeout)"), ("ap3", "degraded", "CPU above 90%"),
        ("ap4", "unknown", "not polled yet")]


def test_switched_off_names_each_thing_once_with_its_end_soonest_first() -> None:
    timed = [{"ssid": "Gast", "enabled": 0, "until": "2026-11-20T16:00:00+00:00", "until_local": "17:00",
              "who": "sam (os:sam)"}]
    overlays = [{"name": "exam-112", "vars": {"ssids_disabled": ["Lernen"]}, "until": "2026-11-20T11:00:00+00:00",
                 "until_local": "12:00", "who": "eva", "aps": ["ap1"]}]
    calendar = {"now": [{"ssid": "Lernen", "enabled": False, "because": "Herbstferien (ferien, off during its events)"},
                        {"ssid": "Gast", "enabled": False, "because": "covered by the timer"}],
                "changes": [{"ssid": "Lernen", "at": "2026-11-23T06:00", "at_local": "Mon 2026-11-23 07:00",
                             "enabled": True}]}
    got = switched_off(["Gast", "Lernen", "Verwaltung"], timed, overlays, calendar)
    assert [(o.what, o.kind, o.until_local) for o in got] == [
        ("exam-112", "overlay", "12:00"), ("Gast", "timer", "17:00"),
        ("Lernen", "calendar", "Mon 2026-11-23 07:00"), ("Verwaltung", "off", None)]
    assert got[1].why == "switched off by sam" and "ssids_disabled on 1 AP(s) (by eva)" in got[0].why


@pytest.fixture
def city(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed_city(memdb)
    add_users(memdb)
    seed_activity(memdb)
    return memdb


def test_the_dashboard_of_a_school_reads_what_is_stored_within_the_scope(city: sqlite_utils.Database) -> None:
    seed_dashboard(city)
    city.table("overlays").insert({"name": "zoo-night", "kind": "site", "target": "zoo-duisburg", "tenant": None,
                                   "vars": json.dumps({"ssids_disabled": ["Zoo-Gast"]}),
                                   "until": iso(NOW + dt.timedelta(hours=1)), "who": "eva", "created": iso(NOW),
                                   "state": "active"})
    sam = Netctl(city, user="sam")
    assert sam.dashboard.home_sites() == ["gs-meiderich"]
    board = sam.dashboard.site("gs-meiderich", now=NOW)
    assert board.title == "Grundschule Meiderich" and board.aps == 3 and board.timezone == "Europe/Berlin"
    # ap01's latest poll (seed_activity): 9 on Schule-Lernen, 4 on Schule-Verwaltung; ap03: 20 + 3
    assert {s.ssid: s.devices for s in board.ssids} == {"Schule-Lernen": 32, "Schule-Verwaltung": 4}
    assert board.devices == 36
    assert [(p.ap, p.state, p.reason) for p in board.problems] == [("gs-meiderich-ap02", "down", "down for a test")]
    assert [(o.what, o.kind, o.until_local) for o in board.switched_off] == [
        ("Duisburg-Free-WLAN", "timer", "16:30")]  # 15:30 UTC is 16:30 in Berlin
    local_midnight = dt.datetime(2026, 11, 20, tzinfo=dt.UTC).timestamp() - 3600
    assert board.start == local_midnight and board.curve[0][0] >= local_midnight
    assert board.curve[-1] == (int(NOW.timestamp()) // 300 * 300, 5 + 23 % 7 * 3)  # ap01's clients at NOW
    with pytest.raises(NotFound):
        sam.dashboard.site("zoo-duisburg", now=NOW)
    eva = Netctl(city, user="eva")
    zoo = eva.dashboard.site("zoo-duisburg", now=NOW)
    assert [(o.what, o.kind) for o in zoo.switched_off] == [("zoo-night", "overlay")]
    assert [p.ap for p in zoo.problems] == ["zoo-duisburg-ap03"]
