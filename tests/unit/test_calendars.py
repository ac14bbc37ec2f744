"""School calendars: the state rules ask for at a moment, their switches, hostile files, and who may store them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from netctl import calendars
from netctl.api import Netctl
from netctl.calendars import OFF_DURING, ON_DURING, Rule
from netctl.errors import ConfigError, NotFound, PermissionDenied

BERLIN = ZoneInfo("Europe/Berlin")


def ics(*events: str) -> str:
    return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//netctl//test//DE\n" + "".join(events) + "END:VCALENDAR\n"


def event(uid: str, start: str, end: str | None, summary: str, extra: str = "") -> str:
    lines = [f"BEGIN:VEVENT\nUID:{uid}\n", f"{start}\n"] + ([f"{end}\n"] if end else []) + [f"SUMMARY:{summary}\n"]
    return "".join(lines) + extra + "END:VEVENT\n"


FERIEN = ics(event("f", "DTSTART;VALUE=DATE:20261221", "DTEND;VALUE=DATE:20270107", "Weihnachtsferien"))
#: lessons Monday to Friday 07:50-13:15 Berlin time, from Monday 30 Nov 2026
UNTERRICHT = ics(event("u", "DTSTART;TZID=Europe/Berlin:20261130T075000", "DTEND;TZID=Europe/Berlin:20261130T131500",
                       "Unterricht", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\n"))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def state(rules: list[Rule], when: dt.datetime) -> bool:
    (wanted,) = calendars.wanted(rules, when)
    return wanted.enabled


def test_holidays_switch_the_ssid_off_exactly_at_local_midnight_and_back_on_after() -> None:
    rules = [Rule("gs", "Gast", "ferien", OFF_DURING, FERIEN)]
    assert state(rules, at(2026, 12, 20, 23, 59)) is True
    assert state(rules, at(2026, 12, 21, 0, 0)) is False  # 23:00 UTC the day before: the date is the site's
    assert state(rules, at(2027, 1, 6, 23, 59)) is False
    assert state(rules, at(2027, 1, 7, 0, 0)) is True


def test_school_hours_switch_pupils_on_only_during_lessons_across_the_clock_change() -> None:
    rules = [Rule("gs", "Lernen", "unterricht", ON_DURING, UNTERRICHT)]
    assert state(rules, at(2026, 11, 30, 7, 49)) is False
    assert state(rules, at(2026, 11, 30, 7, 50)) is True
    assert state(rules, at(2026, 11, 30, 13, 15)) is False
    assert state(rules, at(2026, 12, 5, 10, 0)) is False  # Saturday
    assert state(rules, at(2027, 3, 29, 7, 50)) is True  # the Monday after summer time began: still 07:50 local
    assert state(rules, at(2027, 3, 29, 7, 49)) is False


def test_off_wins_when_holidays_and_lessons_meet_and_public_holidays_depend_on_the_state() -> None:
    both = [Rule("gs", "Lernen", "unterricht", ON_DURING, UNTERRICHT),
            Rule("gs", "Lernen", "ferien", OFF_DURING, FERIEN)]
    assert state(both, at(2026, 12, 18, 9, 0)) is True
    wanted = calendars.wanted(both, at(2026, 12, 21, 9, 0))[0]  # a Monday, but holidays
    assert wanted.enabled is False and "Weihnachtsferien" in wanted.because
    # All Saints' Day (1 Nov) is a public holiday in NRW, not in Hesse
    nw = [Rule("gs", "Gast", "feiertage", OFF_DURING, holidays="NW")]
    he = [Rule("gs", "Gast", "feiertage", OFF_DURING, holidays="HE")]
    assert state(nw, at(2027, 11, 1, 12, 0)) is False and state(he, at(2027, 11, 1, 12, 0)) is True
    assert state(nw, at(2027, 11, 2, 0, 0)) is True


def test_summary_glob_keeps_only_matching_events() -> None:
    mixed = ics(event("a", "DTSTART;VALUE=DATE:20261221", "DTEND;VALUE=DATE:20261222", "Weihnachtsferien"),
                event("b", "DTSTART;VALUE=DATE:20261215", "DTEND;VALUE=DATE:20261216", "Elternsprechtag"))
    rules = [Rule("gs", "Gast", "ferien", OFF_DURING, mixed, summary="*ferien*")]
    assert state(rules, at(2026, 12, 15, 12, 0)) is True
    assert state(rules, at(2026, 12, 21, 12, 0)) is False


def test_transitions_list_each_switch_once_in_order() -> None:
    rules = [Rule("gs", "Gast", "ferien", OFF_DURING, FERIEN),
             Rule("gs", "Gast", "feiertage", OFF_DURING, holidays="NW")]
    changes = calendars.transitions(rules, at(2026, 12, 1, 12, 0), 60)
    assert [(c["at"], c["enabled"]) for c in changes] == [
        ("2026-12-01T11:00+00:00", True),
        ("2026-12-20T23:00+00:00", False),  # the 25th/26th (public holidays) fall inside: no extra switch
        ("2027-01-06T23:00+00:00", True),
    ]


@pytest.mark.parametrize(("text", "words"), [
    ("not a calendar at all", "not an iCalendar file"),
    (ics(), "has no events"),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n", "has no start"),
    ("BEGIN:VCALENDAR\n" + "X" * calendars.MAX_ICS_BYTES, "more than"),
])
def test_a_file_that_is_no_calendar_is_refused_naming_the_file(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as err:
        calendars.parse(text, "ferien.ics")
    assert "ferien.ics" in err.value.message


def test_a_repeating_event_without_end_is_cut_off_with_a_clear_error() -> None:
    runaway = ics(event("r", "DTSTART:20261201T000000Z", "DTEND:20261201T000030Z", "tick", "RRULE:FREQ=MINUTELY\n"))
    rules = [Rule("gs", "Gast", "tick", OFF_DURING, runaway)]
    with pytest.raises(ConfigError, match="more than 5000 events"):
        calendars.transitions(rules, at(2026, 12, 1, 12, 0), 14)


# -- the service: who may store what -----------------------------------------------------------------
@pytest.fixture
def city(memdb: sqlite_utils.Database) -> Netctl:
    from tests.helpers.access import seed

    seed(memdb)
    boot = Netctl(memdb)
    boot.access.add_user("ada", "admin", os_login="nobody-maps-here")
    boot.access.add_user("eva", "engineer", tenants=["duisburg"])
    boot.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    return Netctl(memdb, user="ada")


def test_storing_checks_the_ssid_the_name_and_the_users_right(city: Netctl, tmp_path: Path) -> None:
    source = tmp_path / "ferien.ics"
    source.write_text(FERIEN)
    db = city.session.db
    ssids = [s["name"] for s in city.ssids.site_ssids("gs-meiderich")]
    guest = next(s for s in ssids if "Free" in s)
    row = city.calendars.import_calendar("gs-meiderich", str(source), ssid=guest)
    assert (row["name"], row["mode"], row["events"]) == ("ferien", OFF_DURING, 1)
    with pytest.raises(ConfigError, match="already"):
        city.calendars.import_calendar("gs-meiderich", str(source), ssid=guest)
    with pytest.raises(ConfigError, match="has no SSID named 'Nonsense'"):
        city.calendars.import_calendar("gs-meiderich", str(source), ssid="Nonsense", name="x")
    with pytest.raises(ConfigError, match="cannot read calendar"):
        city.calendars.import_calendar("gs-meiderich", str(tmp_path / "missing.ics"), ssid=guest, name="y")
    with pytest.raises(ConfigError, match="unknown German state"):
        city.calendars.import_calendar("gs-meiderich", None, ssid=guest, holidays="XX")
    sam = Netctl(db, user="sam")
    with pytest.raises(PermissionDenied):
        sam.calendars.import_calendar("gs-meiderich", str(source), ssid=guest, name="mine")
    assert [r["name"] for r in sam.calendars.list_calendars()] == ["ferien"]  # sam sees his site's calendar
    Netctl(db, user="eva").access.allow_action("sam", f"ssid-toggle:{guest}")
    Netctl(db, user="sam").calendars.import_calendar("gs-meiderich", None, ssid=guest, holidays="nw")
    with pytest.raises(NotFound):
        Netctl(db, user="sam").calendars.show("gs-moers-mitte")
    moers = Netctl(db, user="eva")
    assert moers.calendars.list_calendars() == city.calendars.list_calendars("gs-meiderich")  # Duisburg only
    city.calendars.remove_calendar("gs-meiderich", "ferien")
    assert [r["name"] for r in city.calendars.list_calendars()] == ["holidays-NW"]
