"""The pure rules behind the screens: filtering, sorting, formatting, selections, site health."""

from __future__ import annotations

import datetime as dt

import pytest

from netctl.selection import Selection
from tui.model import (
    ApRow,
    LazyCells,
    ago,
    alert_counts,
    build_rows,
    describe_filter,
    duration,
    filter_rows,
    group_alerts,
    local_time,
    parse_filter,
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
    assert len(cells) == 3 and cells[1][2:5] == ("offline", "-", "-")  # the plain word of "down"


def test_parse_selection() -> None:
    assert parse_selection("gs-* site=gs-a tag=bus") == Selection(names=("gs-*",), site="gs-a", tag="bus")
    assert parse_selection("gs-* site:gs-a tag:bus") == parse_selection("gs-* site=gs-a tag=bus")  # as the filter
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


# -- issue 17: the filter's selection syntax, alert groups, times in the site's zone --------------------
TAGGED = [
    ApRow("gs-a-ap01", "gs-a", "duisburg", "school", "up", 120, 3600.0, "applied", site_title="Grundschule A",
          tags=("bus",)),
    ApRow("gs-a-ap02", "gs-a", "duisburg", "school", "down", None, None, "pending", site_title="Grundschule A"),
    ApRow("zoo-ap01", "zoo", "duisburg", "zoo", "degraded", 40, 90.0, "drifted", site_title="Zoo Duisburg",
          groups=("outdoor",)),
]


def names(query: str) -> list[str]:
    return [r.name for r in filter_rows(TAGGED, query)]


def test_filter_speaks_the_selection_syntax() -> None:
    assert names("tag:bus") == names("tag=bus") == ["gs-a-ap01"]
    assert names("group:outdoor") == ["zoo-ap01"]
    assert names("grundschule") == ["gs-a-ap01", "gs-a-ap02"]  # the site's title
    assert names("site:Zoo") == ["zoo-ap01"]  # by title or name
    assert names("clients:>100") == ["gs-a-ap01"] and names("clients:<=40") == ["zoo-ap01"]
    assert names("clients:40") == names("clients:=40") == ["zoo-ap01"]
    assert names("clients:>5 state:up") == ["gs-a-ap01"]
    assert names("gs-a-ap0?") == ["gs-a-ap01", "gs-a-ap02"] and names("site:gs-*") == ["gs-a-ap01", "gs-a-ap02"]
    assert names("uptime:<100") == ["zoo-ap01"]


def test_a_bad_filter_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="unknown filter colour: use one of name:, site:"):
        parse_filter("colour:red")
    with pytest.raises(ValueError, match="clients:>lots: compare with a number"):
        parse_filter("clients:>lots")


def test_describe_filter_in_words() -> None:
    titles = {"gs-a": "Grundschule A"}
    assert describe_filter(parse_filter(""), titles) == ""
    assert describe_filter(parse_filter("site=gs-a state:down"), titles) == "at Grundschule A (gs-a), state down"
    assert describe_filter(parse_filter("tag:bus clients:>100 gs-*"), titles) == (
        "tagged bus, with clients > 100, named gs-*")
    assert describe_filter(parse_filter("site:gs- aula"), titles) == "at sites like gs-, matching 'aula'"


def alert(id: int, ap: str, site: str, kind: str = "down", **extra: object) -> dict[str, object]:
    return {"id": id, "ap": ap, "site": site, "kind": kind, "severity": "critical", "state": "open",
            "message": "no answer", "first_seen": f"2026-11-20T09:{id:02d}:00+00:00", **extra}


def test_alerts_of_one_kind_at_one_site_are_one_group_open_before_acked_before_closed() -> None:
    alerts = [alert(9, "a3", "gs-a"), alert(8, "z1", "zoo", "cpu"), alert(7, "a2", "gs-a"),
              alert(6, "a1", "gs-a", acked_by="eva"), alert(5, "a1", "gs-a", state="closed"),
              alert(4, "b1", "gs-b", message="other")]
    groups = group_alerts(alerts)
    assert [(g.key, [a["id"] for a in g.alerts]) for g in groups] == [
        ("open:gs-a:down", [9, 7]), ("8", [8]), ("4", [4]), ("6", [6]), ("5", [5])]
    first = groups[0]
    assert first.status == "open" and first.aps == ["a3", "a2"] and first.what == "down on 2 APs: no answer"
    assert [g.status for g in groups] == ["open", "open", "open", "acked", "closed"]
    assert group_alerts([alert(9, "a3", "gs-a"), alert(7, "a2", "gs-a", message="x")])[0].what == "down on 2 APs"
    assert alert_counts(alerts) == {"open": 4, "acked": 1, "closed": 1}


def test_local_time_in_the_site_zone() -> None:
    when = dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC)
    assert local_time(when, "Europe/Berlin", NOW) == "07:30 Europe/Berlin (3h ago)"
    assert local_time(when - dt.timedelta(days=1), "Europe/Berlin", NOW) == "2026-11-19 07:30 Europe/Berlin (1d ago)"
    assert local_time(when, "Europe/Berlin", NOW, date=True) == "2026-11-20 07:30 Europe/Berlin (3h ago)"
    assert local_time(None, "Europe/Berlin", NOW) == "-"
