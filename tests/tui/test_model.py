"""The pure rules behind the screens: filtering, sorting, formatting, selections, site health."""

from __future__ import annotations

import datetime as dt

import pytest

from netctl.selection import Selection
from tui.model import (
    ApRow,
    LazyCells,
    ago,
    build_rows,
    duration,
    filter_rows,
    parse_selection,
    site_health,
    sort_rows,
)

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
ROWS = [
    ApRow("gs-a-ap01", "gs-a", "duisburg", "school", "up", 12, 3600.0, "applied"),
    ApRow("gs-a-ap02", "gs-a", "duisburg", "school", "down", None, None, "pending"),
    ApRow("zoo-ap01", "zoo", "duisburg", "zoo", "degraded", 40, 90.0, "drifted"),
]


def test_filter_words_and_fields() -> None:
    assert [r.name for r in filter_rows(ROWS, "gs- DOWN")] == ["gs-a-ap02"]
    assert [r.name for r in filter_rows(ROWS, "kind:zoo")] == ["zoo-ap01"]
    assert [r.name for r in filter_rows(ROWS, "config:p site:gs")] == ["gs-a-ap01", "gs-a-ap02"]
    assert filter_rows(ROWS, "") == ROWS and filter_rows(ROWS, "nothing-like-this") == []


def test_sort_puts_missing_values_last_either_way() -> None:
    assert [r.name for r in sort_rows(ROWS, "clients")] == ["gs-a-ap01", "zoo-ap01", "gs-a-ap02"]
    assert [r.name for r in sort_rows(ROWS, "clients", reverse=True)] == ["zoo-ap01", "gs-a-ap01", "gs-a-ap02"]


def test_formatting() -> None:
    assert [ago(NOW - dt.timedelta(seconds=s), NOW) for s in (5, 300, 7200, 200000)] == ["5s", "5m", "2h", "2d"]
    assert ago(None, NOW) == "never"
    assert [duration(s) for s in (42, 125, 3 * 3600 + 60, 3 * 86400 + 4 * 3600)] == ["42s", "2m05s", "3h01m", "3d04h"]
    cells = LazyCells(ROWS, NOW)
    assert len(cells) == 3 and cells[1][2:5] == ("down", "-", "-")


def test_parse_selection() -> None:
    assert parse_selection("gs-* site=gs-a tag=bus") == Selection(names=("gs-*",), site="gs-a", tag="bus")
    with pytest.raises(ValueError, match="unknown selection word 'colour=red'"):
        parse_selection("colour=red")


def test_rows_join_health_and_config_and_site_counts() -> None:
    aps = [
        {"name": "gs-a-ap01", "site": "gs-a", "tenant": "duisburg", "site_kind": "school"},
        {"name": "gs-a-ap02", "site": "gs-a", "tenant": "duisburg", "site_kind": "school"},
    ]
    status = {
        "aps": [
            {
                "name": "gs-a-ap01",
                "site": "gs-a",
                "state": "up",
                "clients": 3,
                "last_poll": "2026-11-20T09:29:00+00:00",
            },
            {
                "name": "gs-a-ap02",
                "state": "down",
                "since": "2026-11-20T08:30:00+00:00",
                "last_poll": "2026-11-20T09:29:00+00:00",
            },
        ]
    }
    rows = build_rows(aps, status, [{"ap": "gs-a-ap01", "status": "applied"}])
    assert [(r.state, r.clients, r.config) for r in rows] == [("up", 3, "applied"), ("down", None, "-")]
    assert ago(rows[1].last_seen, NOW) == "1h"  # a down AP was last seen when it went down
    health = site_health([{"name": "gs-a", "tenant": "duisburg", "kind": "school"}], rows, [{"site": "gs-a"}], status)
    assert health[0].counts == {"up": 1, "degraded": 0, "down": 1, "unknown": 0}
    assert health[0].open_alerts == 1 and ago(health[0].last_poll, NOW) == "1m"
