"""Alerts belong to what raised them: a poll opens and closes only health alerts, never one raised by
another part of netctl (a refused host key) that the poll knows nothing about."""

from __future__ import annotations

from typing import Any

from netctl.poll.store import record_results
from tests.helpers.poll import T0, add_city, dead, good


def open_kinds(api: Any, ap: str) -> set[str]:
    return {row["kind"] for row in api.session.db["alerts"].rows_where("ap = ? and state = 'open'", [ap])}


def test_a_healthy_poll_leaves_a_host_key_alert_open(api: Any) -> None:
    add_city(api)
    api.session.db["alerts"].insert({"ap": "ap1", "kind": "host-key-changed", "severity": "critical",
                             "message": "host key changed", "state": "open", "first_seen": "2026-11-27T10:00:00",
                             "last_seen": "2026-11-27T10:00:00", "count": 1, "muted": 0, "notified": 1})
    record_results(api.session.db, api.session.select(), [good("ap1", T0)], now=T0)
    record_results(api.session.db, api.session.select(), [good("ap1", T0 + 60)], now=T0 + 60)
    assert open_kinds(api, "ap1") == {"host-key-changed"}


def test_the_poll_still_closes_its_own_alerts(api: Any) -> None:
    add_city(api)
    for n in range(6):
        record_results(api.session.db, api.session.select(), [dead("ap1", T0 + 60 * n)], now=T0 + 60 * n)
    assert "down" in open_kinds(api, "ap1")
    record_results(api.session.db, api.session.select(), [good("ap1", T0 + 600)], now=T0 + 600)
    record_results(api.session.db, api.session.select(), [good("ap1", T0 + 660)], now=T0 + 660)
    assert "down" not in open_kinds(api, "ap1")
