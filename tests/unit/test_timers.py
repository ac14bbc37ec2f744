"""Timed SSID switches: reading ``--until`` and choosing the due timers, pure, with a clock the test passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from netctl.errors import ConfigError
from netctl.timers import after_failure, describe, due, parse_until

BERLIN = "Europe/Berlin"
#: 16:00 in Berlin (CET, UTC+1)
NOW = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("17:00", utc(2026, 11, 27, 16, 0)),
    ("7:05", None),  # past: refused (below)
    ("23:59", utc(2026, 11, 27, 22, 59)),
    ("90m", utc(2026, 11, 27, 16, 30)),
    ("2h", utc(2026, 11, 27, 17, 0)),
    ("1h30m", utc(2026, 11, 27, 16, 30)),
    ("1d", utc(2026, 11, 28, 15, 0)),
    ("2026-11-28T07:30", utc(2026, 11, 28, 6, 30)),
    ("2026-11-28 07:30", utc(2026, 11, 28, 6, 30)),
    ("2026-11-28T07:30:00+00:00", utc(2026, 11, 28, 7, 30)),
    ("2026-11-28T07:30Z", utc(2026, 11, 28, 7, 30)),
])
def test_until_reads_a_clock_time_today_a_date_time_or_a_duration(value: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(ConfigError):
            parse_until(value, NOW, BERLIN)
        return
    got = parse_until(value, NOW, BERLIN)
    assert got == expected and got.tzinfo is not None


def test_a_clock_time_is_in_the_time_zone_given_and_summer_time_counts() -> None:
    summer = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)  # 12:00 in Berlin (CEST, UTC+2)
    assert parse_until("17:00", summer, BERLIN) == utc(2026, 7, 1, 15, 0)
    assert parse_until("17:00", summer, "UTC") == utc(2026, 7, 1, 17, 0)


def test_a_time_already_past_today_is_refused_not_taken_as_tomorrow() -> None:
    with pytest.raises(ConfigError) as err:
        parse_until("15:30", NOW, BERLIN)  # 16:00 in Berlin now
    assert "'15:30'" in err.value.message and "passed" in err.value.message
    assert "16:00" in err.value.message and BERLIN in err.value.message
    with pytest.raises(ConfigError, match="passed"):
        parse_until("16:00", NOW, BERLIN)  # now is not later than now
    with pytest.raises(ConfigError, match="passed"):
        parse_until("2026-11-27T15:59", NOW, BERLIN)


@pytest.mark.parametrize("value", ["", "  ", "5pm", "25:00", "17:60", "17", "tomorrow", "0m", "-5m", "90x",
                                   "2026-11-28", "2026-13-01T07:00", "99999999999999d", "17:00; rm -rf /",
                                   "2026-11-28T07:30+99:00", "40d"])
def test_bad_until_is_refused_naming_the_value_and_the_accepted_forms(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_until(value, NOW, BERLIN)
    assert repr(value) in err.value.message
    text = err.value.message + " " + (err.value.hint or "")
    assert "17:00" in text and "90m" in text and "2026-" in text


def test_an_unknown_time_zone_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        parse_until("17:00", NOW, "Mars/Olympus")


def timer(id: int, until: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {"id": id, "site": "s", "ssid": "x", "enabled": 0, "until": until.isoformat(), "who": "ada",
            "state": "active", "retry_at": None, "claimed_until": None, **extra}


def test_due_timers_are_the_active_ones_whose_time_has_come_oldest_first() -> None:
    rows = [
        timer(1, NOW + dt.timedelta(minutes=1)),
        timer(2, NOW),
        timer(3, NOW - dt.timedelta(hours=2)),
        timer(4, NOW - dt.timedelta(hours=1), state="reverted"),
        timer(5, NOW - dt.timedelta(hours=1), state="cancelled"),
        timer(6, NOW - dt.timedelta(hours=1), state="failed"),
        timer(7, NOW - dt.timedelta(hours=1), retry_at=(NOW + dt.timedelta(minutes=2)).isoformat()),
        timer(8, NOW - dt.timedelta(hours=1), retry_at=(NOW - dt.timedelta(minutes=2)).isoformat()),
        timer(9, NOW - dt.timedelta(hours=1), claimed_until=(NOW + dt.timedelta(minutes=5)).isoformat()),
        timer(10, NOW - dt.timedelta(hours=1), claimed_until=(NOW - dt.timedelta(minutes=5)).isoformat()),
    ]
    assert [r["id"] for r in due(rows, NOW)] == [3, 8, 10, 2]
    assert [r["id"] for r in due(rows, NOW + dt.timedelta(minutes=1))] == [3, 8, 10, 2, 1]
    assert due(rows, NOW - dt.timedelta(hours=3)) == []


def test_a_failed_revert_is_tried_again_later_and_later() -> None:
    first, third, many = after_failure(1, NOW), after_failure(3, NOW), after_failure(50, NOW)
    assert first == {"tries": 1, "retry_at": (NOW + dt.timedelta(minutes=1)).isoformat(timespec="seconds")}
    assert third["retry_at"] == (NOW + dt.timedelta(minutes=5)).isoformat(timespec="seconds")
    assert many["retry_at"] == (NOW + dt.timedelta(minutes=15)).isoformat(timespec="seconds")


def test_a_timer_reads_as_an_operator_says_it() -> None:
    row = timer(1, utc(2026, 11, 27, 16, 0))
    assert describe(row, BERLIN, NOW) == "off until 17:00 by ada"
    tomorrow = timer(2, utc(2026, 11, 28, 6, 30), enabled=1, who="sam (os:root)")
    assert describe(tomorrow, BERLIN, NOW) == "on until 2026-11-28 07:30 by sam"
