"""Automatic convergence, the pure part: which pending APs are due, and the back-off after a failed try."""

from __future__ import annotations

import datetime as dt

from netctl.push import autoconverge

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def row(ap: str, retries: int = 0, retry_at: str | None = None) -> dict[str, object]:
    return {"ap": ap, "status": "pending", "retries": retries, "retry_at": retry_at}


def test_only_pending_aps_that_answered_and_may_be_tried_are_due() -> None:
    pending = [row("back"), row("still-away"), row("waiting", 1, (NOW + dt.timedelta(seconds=30)).isoformat()),
               row("waited", 1, (NOW - dt.timedelta(seconds=1)).isoformat()),
               row("gave-up", autoconverge.MAX_TRIES), row("tram-on-route")]
    answered = ["back", "waiting", "waited", "gave-up", "tram-on-route", "not-pending"]
    assert autoconverge.due(pending, answered, NOW, lambda ap: ap != "tram-on-route") == ["back", "waited"]


def test_each_failed_try_waits_longer_and_the_last_one_stops_trying() -> None:
    waits = []
    for tries in range(1, autoconverge.MAX_TRIES):
        fields = autoconverge.after_failure(tries, NOW)
        assert fields["retries"] == tries
        waits.append(dt.datetime.fromisoformat(fields["retry_at"]) - NOW)
        assert "next try" in autoconverge.describe(fields)
    assert waits == sorted(waits) and waits[0] >= dt.timedelta(minutes=1)
    last = autoconverge.after_failure(autoconverge.MAX_TRIES, NOW)
    assert last == {"retries": autoconverge.MAX_TRIES, "retry_at": None}
    assert "stopped trying" in autoconverge.describe(last) and "netctl converge" in autoconverge.describe(last)
    assert autoconverge.due([row("x", **last)], ["x"], NOW + dt.timedelta(days=1), lambda ap: True) == []
