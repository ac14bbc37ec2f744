"""Alert routes, the pure parts: which events a route takes, quiet hours, grouping into batches, the message."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netctl.errors import ConfigError
from netctl.notify.routes import Route, check_route, compose, due_batches, held_until, matches

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> float:
    """Epoch seconds of a Berlin local time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


def event(ap: str, *, kind: str = "down", severity: str = "critical", site: str = "gs-neudorf",
          tenant: str = "du", what: str = "opened", alert_id: int = 1) -> dict[str, Any]:
    return {"event": what, "id": alert_id, "ap": ap, "site": site, "tenant": tenant, "kind": kind,
            "severity": severity, "state": "open" if what == "opened" else "closed",
            "message": "no answer (request timed out)", "first_seen": "2026-11-27T10:00:00+00:00",
            "last_seen": "2026-11-27T10:00:00+00:00", "closed": None, "muted": False, "mute_reason": None}


def test_matching_by_tenant_site_severity_and_kind() -> None:
    everything = Route("all", ("secret:hook",), min_severity="info")
    schools = Route("du", ("secret:hook",), tenant="du", min_severity="warning")
    neudorf_down = Route("neudorf", ("secret:hook",), site="gs-neudorf", kinds=("down",))
    assert matches(everything, event("ap1", severity="info"))
    assert matches(schools, event("ap1", severity="warning"))
    assert not matches(schools, event("ap1", severity="info"))  # below the route's minimum
    assert not matches(schools, event("ap1", tenant="mh"))
    assert matches(neudorf_down, event("ap1"))
    assert not matches(neudorf_down, event("ap1", kind="cpu-high", severity="warning"))
    assert not matches(neudorf_down, event("ap1", site="gs-altstadt"))
    assert not matches(Route("off", ("secret:hook",), enabled=False), event("ap1"))
    assert not matches(everything, {**event("ap1"), "muted": True})  # maintenance windows stay quiet


def test_a_route_is_checked_before_it_is_stored() -> None:
    check_route(Route("ok", ("secret:mail",), quiet="22:00-06:30", group_s=120))
    for bad, words in ((Route("clear", ("mailto://u:pw@example.org",)), "secret reference"),
                       (Route("none", ()), "at least one"),
                       (Route("sev", ("secret:x",), min_severity="loud"), "severity"),
                       (Route("quiet", ("secret:x",), quiet="late"), "HH:MM-HH:MM"),
                       (Route("group", ("secret:x",), group_s=-1), "group")):
        with pytest.raises(ConfigError, match=words):
            check_route(bad)


def test_quiet_hours_hold_until_the_window_ends_in_the_site_time_zone() -> None:
    night = Route("night", ("secret:x",), quiet="22:00-06:30", critical_in_quiet=False)
    assert held_until(night, event("ap1"), at("2026-11-27T23:10:00"), "Europe/Berlin") == at("2026-11-28T06:30:00")
    assert held_until(night, event("ap1"), at("2026-11-28T05:59:00"), "Europe/Berlin") == at("2026-11-28T06:30:00")
    assert held_until(night, event("ap1"), at("2026-11-28T06:30:00"), "Europe/Berlin") is None
    assert held_until(night, event("ap1"), at("2026-11-27T12:00:00"), "Europe/Berlin") is None
    # the same instant is 23:10 in Berlin but 22:10 in London: the site's zone counts
    assert held_until(night, event("ap1"), at("2026-11-27T21:30:00"), "Europe/London") is None
    passes = Route("pager", ("secret:x",), quiet="22:00-06:30", critical_in_quiet=True)
    assert held_until(passes, event("ap1"), at("2026-11-27T23:10:00"), "Europe/Berlin") is None
    assert held_until(passes, event("ap1", kind="cpu-high", severity="warning"), at("2026-11-27T23:10:00"),
                      "Europe/Berlin") == at("2026-11-28T06:30:00")
    assert held_until(Route("always", ("secret:x",)), event("ap1"), at("2026-11-27T23:10:00"), "Europe/Berlin") is None


def test_batches_per_route_and_site_wait_for_the_grouping_window() -> None:
    queued = [{"id": n, "route": "noc", "site": "gs-neudorf", "due_ts": 1000.0 + n, "event": event(f"ap{n}")}
              for n in range(1, 26)]
    queued.append({"id": 99, "route": "noc", "site": "gs-altstadt", "due_ts": 5000.0,
                   "event": event("x1", site="gs-altstadt")})
    assert due_batches(queued, 999.0) == []
    [(key, batch)] = due_batches(queued, 1001.0)  # the first one is due: the whole site goes, later ones too
    assert key == ("noc", "gs-neudorf") and [item["id"] for item in batch] == list(range(1, 26))
    assert [key for key, _batch in due_batches(queued, 5000.0)] == [("noc", "gs-altstadt"), ("noc", "gs-neudorf")]


def test_one_message_lists_every_ap_of_a_site_outage_and_how_to_acknowledge() -> None:
    events = [event(f"gs-neudorf-ap{n}", alert_id=100 + n) for n in range(1, 26)]
    title, body = compose("gs-neudorf", events)
    assert title == "[netctl] gs-neudorf: down on 25 APs"
    for n in range(1, 26):
        assert f"#{100 + n} gs-neudorf-ap{n} down" in body
    assert "netctl alerts ack 101 --note" in body and "netctl alerts ack ID" in body
    back = [event(f"gs-neudorf-ap{n}", alert_id=100 + n, what="closed") for n in range(1, 26)]
    title, body = compose("gs-neudorf", back)
    assert title == "[netctl] gs-neudorf: resolved: down on 25 APs"
    assert "Resolved at gs-neudorf (25):" in body and "gs-neudorf-ap25" in body and "alerts ack" not in body
    title, _body = compose("gs-neudorf", events, site_title="Grundschule Neudorf")
    assert title == "[netctl] Grundschule Neudorf (gs-neudorf): down on 25 APs"
    acked = [{**events[0], "acked_by": "eva", "ack_note": "Switch im Keller getauscht"}, *events[1:]]
    _title, body = compose("gs-neudorf", acked)
    assert "#101 gs-neudorf-ap1 down (critical)" in body
    assert "acknowledged by eva: Switch im Keller getauscht" in body.splitlines()[1]
    assert "netctl alerts ack 102 --note" in body  # the example names an alert nobody acknowledged yet
    title, body = compose("gs-neudorf", events[:1], held="22:00-06:30 Europe/Berlin")
    assert title == "[netctl] gs-neudorf: down on gs-neudorf-ap1"
    assert "held during quiet hours 22:00-06:30 Europe/Berlin" in body


def test_the_secret_parts_of_apprise_urls_are_masked() -> None:
    from netctl.inventory.secrets import MASK
    from netctl.notify.outbox import mask, secret_parts

    for url, secret, kept in (
        ("tgram://123456789:AAHfiqksKZ8WmR2zSjiQ7/-100123456", "AAHfiqksKZ8WmR2zSjiQ7", "POST "),
        ("matrixs://netctl:hunter2@matrix.example.org/#schul-it", "hunter2", "matrix.example.org"),
        ("mailtos://netctl:pw@mail.example.org?to=it@schule.example", ":pw@", "mail.example.org"),
        ("json://hook.example.org/api/8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36", "hook.example.org"),
        ("workflows://prod.example.com:443/a7c3bd1f2e/sig0x7f3a9b2c", "sig0x7f3a9b2c", "prod.example.com"),
    ):
        parts = secret_parts(url)
        assert mask(f"failed to send to {url}", parts) == f"failed to send to {MASK}"
        text = mask(f"POST {url.split('://', 1)[1]}", parts)  # how HTTP libraries log it
        assert secret not in text and kept in text, text
