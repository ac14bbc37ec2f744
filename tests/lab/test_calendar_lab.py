"""A school calendar switches an SSID at its boundaries, on a real AP, read back over the test's own
NETCONF session.

The scheduler's ``calendars`` job function runs here with a clock the test passes in (no sleeping):
a minute before the holidays start nothing happens; at the start the guest SSID goes off once
(audited as the system naming the calendar), a second run at the same time changes nothing; when
the holidays end it comes back on. A timed switch someone made by hand wins while it runs.

AP: bk-sued-ap02 (no other test pushes it), moved into a site of its own in the test's database.
Every test leaves the AP with its inventory config (all SSIDs on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netctl.schedule.calendars import calendars_job
from netctl.selection import Selection
from tests.helpers.lab import with_psks
from tests.helpers.netconf import read_leaf

pytestmark = pytest.mark.lab

AP = "bk-sued-ap02"
SITE = "bk-sued-calendar"
GUEST = "Duisburg-Free-WLAN"
BERLIN = ZoneInfo("Europe/Berlin")
#: the holidays: the guest SSID is off from Mon 21 Dec 2026 00:00 to Thu 7 Jan 2027 00:00 (Berlin time)
FERIEN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//netctl//lab//DE
BEGIN:VEVENT
UID:ferien-2026@lab
DTSTART;VALUE=DATE:20261221
DTEND;VALUE=DATE:20270107
SUMMARY:Weihnachtsferien
END:VEVENT
END:VCALENDAR
"""
START = dt.datetime(2026, 12, 21, 0, 0, tzinfo=BERLIN)
END = dt.datetime(2027, 1, 7, 0, 0, tzinfo=BERLIN)


def enabled(api: Any, ssid: str = GUEST) -> list[str]:
    return read_leaf(api, AP, f"//n:ssid[n:name='{ssid}']/n:enabled/text()")


@pytest.fixture
def site(city: Any, tmp_path: Path) -> Iterator[Any]:
    """The AP alone in its site, pushed with its inventory config, with the holiday calendar on its guest SSID."""
    with_psks(city)
    db = city.session.db
    db["sites"].insert({**db["sites"].get("bk-sued"), "name": SITE})
    db["aps"].update(AP, {"site": SITE})
    city.access.add_user("ada", "admin", os_login="no-such-login")
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    assert enabled(city) == ["true"]
    ics = tmp_path / "ferien.ics"
    ics.write_text(FERIEN)
    city.calendars.import_calendar(SITE, str(ics), ssid=GUEST, name="ferien")
    try:
        yield city
    finally:
        db["sites"].update(SITE, {"vars": db["sites"].get("bk-sued")["vars"]})
        back = city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20)
        assert all(r.ok for r in back), [r.reason for r in back]
    assert enabled(city) == ["true"]


def run(api: Any, at: dt.datetime) -> list[dict[str, Any]]:
    """One run of the scheduler's calendars job, as the admin, at ``at``."""
    return calendars_job(api.session.db_path, user="ada", now=at.astimezone(dt.UTC), options={"confirm_timeout": 20})


def test_the_holidays_switch_the_guest_ssid_off_at_their_start_and_on_at_their_end(site: Any) -> None:
    before = run(site, START - dt.timedelta(minutes=1))
    assert [(r["ssid"], r["changed"], r["enabled"]) for r in before] == [(GUEST, False, True)], before
    assert enabled(site) == ["true"]

    at_start = run(site, START)
    assert [(r["ok"], r["changed"], r["enabled"]) for r in at_start] == [(True, True, False)], at_start
    assert at_start[0]["aps"] == {AP: "applied"} and "Weihnachtsferien" in at_start[0]["reason"]
    assert enabled(site) == ["false"]
    assert enabled(site, "Schule-Lernen") == ["true"]  # only that SSID changed
    audit = [a for a in site.config.audit(ap=AP) if a["action"].startswith("ssid-")]
    assert audit[0]["action"] == "ssid-off" and audit[0]["who"].startswith("@system (calendar ferien, run as ada")
    assert "Weihnachtsferien" in audit[0]["template"]

    again = run(site, START + dt.timedelta(minutes=1))
    assert [(r["ok"], r["changed"]) for r in again] == [(True, False)], again
    assert len([a for a in site.config.audit(ap=AP) if a["action"].startswith("ssid-")]) == 1  # nothing sent twice

    at_end = run(site, END)
    assert [(r["ok"], r["changed"], r["enabled"]) for r in at_end] == [(True, True, True)], at_end
    assert enabled(site) == ["true"]


def test_a_timed_switch_made_by_hand_wins_over_the_calendar_while_it_runs(site: Any) -> None:
    now = START + dt.timedelta(hours=9)
    hand = site.ssids.set_ssid_enabled(SITE, GUEST, True, until="2027-01-01T12:00", now=now.astimezone(dt.UTC),
                                       confirm_timeout=20)
    assert [r.ok for r in hand] == [True]
    held = run(site, now + dt.timedelta(minutes=1))
    assert [(r["changed"], r["enabled"]) for r in held] == [(False, True)] and "timed switch" in held[0]["reason"]
    assert enabled(site) == ["true"]
