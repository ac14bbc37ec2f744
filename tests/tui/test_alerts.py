"""The alerts window and the alert counts (issue 17, item 8): acknowledged alerts are not open work,
alerts of one kind at one site are one row (as the notifications group them), and ages tick.

In-memory city, fixed clock (a mutable one where time has to pass), 80×24.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils
from textual.widgets import Static, Tree

from netctl.api import Netctl
from netctl.notify.routes import compose
from tests.helpers.tui import NOW, iso, settle, text_of
from tui.app import NetctlApp
from tui.screens.alerts import AlertsScreen
from tui.screens.ap_detail import ApDetailScreen
from tui.widgets.prompt import TextPrompt
from tui.widgets.table import VirtualTable

SIZE = (80, 24)


def rows(app: Any) -> dict[str, tuple[str, ...]]:
    table = app.screen.query_one("#alerts", VirtualTable)
    return dict(zip(table.keys, table.rows, strict=True))


def ack(db: sqlite_utils.Database, alert_id: int, who: str, note: str | None, minutes_ago: int) -> None:
    db.table("alerts").update(alert_id, {"acked_by": who, "acked_at": iso(NOW - dt.timedelta(minutes=minutes_ago)),
                                   "ack_note": note})


def more_down_at_meiderich(db: sqlite_utils.Database) -> None:
    """ap01 and ap03 of gs-meiderich down too: with alert 1 (ap02) three ``down`` alerts at one school."""
    db.table("alerts").insert_all([
        {"id": 5 + i, "ap": ap, "kind": "down", "severity": "critical", "message": "no answer to SNMP",
         "state": "open", "first_seen": iso(NOW - dt.timedelta(minutes=30 - i)), "last_seen": iso(NOW)}
        for i, ap in enumerate(("gs-meiderich-ap01", "gs-meiderich-ap03"))
    ])


async def test_acknowledged_alerts_are_not_counted_as_open(busy_db: Any, make_app: Any) -> None:
    ack(busy_db, 2, "eva", "swapping the PoE switch", minutes_ago=7)  # the zoo's CPU alert: someone is on it
    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        summary = text_of(app.screen.query_one("#summary", Static))
        assert "open alerts 2 (1 acknowledged)" in summary, summary
        tree = app.screen.query_one("#sites", Tree)
        labels = {str(node.data): str(node.label) for tenant in tree.root.children for node in tenant.children}
        assert "⚠" not in labels["zoo-duisburg"] and "✓1" in labels["zoo-duisburg"]
        assert "⚠1" in labels["dvg-fleet"] and "⚠1" in labels["gs-meiderich"]
        assert "⚠2" in str(tree.root.children[0].label)  # duisburg: the two nobody took yet

        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        assert text_of(app.screen.query_one("#count", Static)).startswith("2 open, 1 acknowledged")
        table = app.screen.query_one("#alerts", VirtualTable)
        assert table.keys == ["4", "1", "2"]  # the open ones first, then what someone is on
        assert rows(app)["2"][5] == "acked"
        table.move_to("2")
        await pilot.pause()
        detail = text_of(app.screen.query_one("#alert-detail", Static))
        assert "acknowledged by eva 7m ago: swapping the PoE switch" in detail, detail


async def test_one_kind_of_alert_at_one_site_is_one_row(busy_db: Any, make_app: Any) -> None:
    more_down_at_meiderich(busy_db)
    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await settle(pilot)
        shown = rows(app)
        group = "open:gs-meiderich:down"
        assert list(shown) == [group, "4", "2"]
        # the same words the notification for the site uses: "down on 3 APs"
        events = [dict(a, event="opened") for a in busy_db.query("select * from alerts where kind = 'down' "
                                                                 "and ap like 'gs-meiderich-%'")]
        title, _ = compose("gs-meiderich", events)
        assert "down on 3 APs" in title
        assert shown[group][1:4] == ("critical", "gs-meiderich", "down on 3 APs: no answer to SNMP")
        assert shown[group][4] == "50m"  # the oldest of them
        assert text_of(app.screen.query_one("#count", Static)).startswith("5 open, 0 acknowledged")

        await pilot.press("enter")  # open the group: one line per AP below it
        assert list(rows(app)) == [group, "6", "5", "1", "4", "2"]
        assert [rows(app)[k][2].strip() for k in ("6", "5", "1")] == [
            "gs-meiderich-ap03", "gs-meiderich-ap01", "gs-meiderich-ap02"]

        await pilot.press("k")  # on the group: acknowledges each of its alerts
        await settle(pilot)
        assert [busy_db.table("alerts").get(i)["acked_by"] for i in (1, 5, 6)] == ["ada"] * 3
        assert busy_db.table("alerts").get(4)["acked_by"] is None
        assert list(rows(app))[:2] == ["4", "2"] and "acked:gs-meiderich:down" in rows(app)

        table = app.screen.query_one("#alerts", VirtualTable)
        table.move_to("acked:gs-meiderich:down")
        await pilot.press("enter", "down", "enter")  # open the group, then its first AP
        await settle(pilot)
        assert isinstance(app.screen, ApDetailScreen) and app.screen.ap_name == "gs-meiderich-ap03"


async def test_alert_ages_tick_while_the_window_is_open(busy_db: Any) -> None:
    """The ages are re-formatted by a timer from what was loaded: time passes, nothing is read again."""
    now = [NOW]
    app = NetctlApp(Netctl(busy_db, user="ada"), refresh_seconds=0, clock=lambda: now[0], tick_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await settle(pilot)
        assert rows(app)["1"][4] == "50m"
        calls: list[Any] = []
        run = app.backend.run

        def counted(fn: Any) -> Any:
            calls.append(fn)
            return run(fn)

        app.backend.run = counted  # type: ignore[method-assign]
        now[0] = NOW + dt.timedelta(minutes=13)
        for _ in range(50):
            await pilot.pause(0.01)
            if rows(app)["1"][4] != "50m":
                break
        assert rows(app)["1"][4] == "1h" and rows(app)["2"][4] == "33m"
        assert calls == [] and not any(w.is_running for w in app.workers)


async def test_acknowledge_with_a_note_says_who_when_and_why(busy_db: Any, make_app: Any) -> None:
    app = make_app("sam", busy_db)  # sam's school: alert 1
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("K")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"on my way", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        row = busy_db.table("alerts").get(1)
        assert (row["acked_by"], row["ack_note"]) == ("sam", "on my way") and row["acked_at"]
        assert rows(app)["1"][5] == "acked"
        detail = text_of(app.screen.query_one("#alert-detail", Static))
        assert "acknowledged by sam" in detail and detail.rstrip().endswith(": on my way"), detail
