"""Timed SSID switches in the store: the default job, the scope of the timer list, the site's time zone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.errors import ConfigError
from netctl.schedule.jobs import job_function
from netctl.ssids import timers_job
from tests.helpers.tui import add_users, seed_city

NOW = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)  # 16:00 in Berlin


@pytest.fixture
def city(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed_city(memdb)
    add_users(memdb)
    return memdb


def add_timer(db: sqlite_utils.Database, site: str, ssid: str, until: dt.datetime, who: str = "ada") -> None:
    db.table("ssid_timers").insert({"site": site, "ssid": ssid, "enabled": 0, "until": until.isoformat(), "who": who,
                              "created": NOW.isoformat(), "state": "active", "tries": 0})


def test_a_fresh_database_gets_the_timers_job_every_minute_owned_by_the_system(city: sqlite_utils.Database) -> None:
    jobs = {j["name"]: j for j in Netctl(city, user="ada").jobs.list_jobs()}
    assert (jobs["timers"]["job"], jobs["timers"]["interval_s"], jobs["timers"]["owner"]) == ("timers", 60.0, "@system")
    assert job_function("timers") is timers_job


def test_a_school_admin_sees_only_the_timers_of_their_sites(city: sqlite_utils.Database) -> None:
    add_timer(city, "gs-meiderich", "Guest", NOW + dt.timedelta(hours=1), who="eva")
    add_timer(city, "gym-hamborn", "Guest", NOW + dt.timedelta(hours=2))
    add_timer(city, "gs-moers-mitte", "Gast", NOW + dt.timedelta(days=1))
    seen = {user: [(t["site"], t["text"]) for t in Netctl(city, user=user).ssids.ssid_timers(now=NOW)]
            for user in ("ada", "eva", "sam")}
    assert seen["sam"] == [("gs-meiderich", "off until 17:00 by eva")]
    assert seen["eva"] == [("gs-meiderich", "off until 17:00 by eva"), ("gym-hamborn", "off until 18:00 by ada")]
    assert seen["ada"][-1] == ("gs-moers-mitte", "off until 2026-11-28 16:00 by ada")


def test_a_revert_run_touches_only_timers_the_user_may_switch(city: sqlite_utils.Database) -> None:
    add_timer(city, "gs-meiderich", "Guest", NOW - dt.timedelta(minutes=1))
    assert Netctl(city, user="sam").ssids.revert_due_timers(now=NOW) == []  # sam may not switch SSIDs
    assert [t["state"] for t in Netctl(city, user="ada").ssids.ssid_timers(now=NOW)] == ["active"]


def test_until_is_read_in_the_time_zone_of_the_sites_tenant(city: sqlite_utils.Database) -> None:
    ada = Netctl(city, user="ada")
    assert ada.ssids.ssid_until("gs-meiderich", "17:00", now=NOW)["until"] == "2026-11-27T16:00:00+00:00"
    city.table("tenants").update("moers", {"vars": json.dumps({"timezone": "UTC"})})
    got = ada.ssids.ssid_until("gs-moers-mitte", "17:00", now=NOW)
    assert (got["until"], got["text"], got["timezone"]) == ("2026-11-27T17:00:00+00:00", "17:00", "UTC")
    with pytest.raises(ConfigError, match="'15:30'.*passed"):
        ada.ssids.ssid_until("gs-meiderich", "15:30", now=NOW)
    city.table("tenants").update("moers", {"vars": json.dumps({"timezone": "Moers/Nowhere"})})
    with pytest.raises(ConfigError, match="Moers/Nowhere"):
        ada.ssids.ssid_until("gs-moers-mitte", "17:00", now=NOW)


def test_a_bad_until_is_refused_before_anything_is_stored_or_sent(city: sqlite_utils.Database) -> None:
    ada: Any = Netctl(city, user="ada")
    with pytest.raises(ConfigError, match="'soon'"):
        ada.ssids.set_ssid_enabled("gs-meiderich", "Guest", False, until="soon", now=NOW)
    assert city["ssid_timers"].count == 0
    assert json.loads(city.table("sites").get("gs-meiderich")["vars"]).get("ssids_disabled") is None
