"""Pilot-driven tests of every screen at 80×24 (in-memory city, fixed clock)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static, TabbedContent, TabPane, Tree

from tests.helpers.tui import choose_in_palette, settle, text_of
from tui.screens.ap_detail import ApDetailScreen
from tui.screens.aps import ApsScreen
from tui.screens.help import HelpScreen
from tui.screens.overview import OverviewScreen
from tui.screens.push import PushScreen
from tui.widgets.table import VirtualTable

SIZE = (80, 24)


def tree_labels(app: Any) -> list[str]:
    tree = app.screen.query_one("#sites", Tree)
    out = []
    for tenant in tree.root.children:
        out.append(str(tenant.label))
        out += ["  " + str(site.label) for site in tenant.children]
    return out


def table(app: Any, selector: str = "#aps") -> VirtualTable:
    return app.screen.query_one(selector, VirtualTable)


async def test_overview_shows_tenants_and_sites_with_counts(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        labels = tree_labels(app)
        assert labels[0].startswith("duisburg  4 sites")
        assert any(label.strip().startswith("Zoo Duisburg") and "zoo" in label for label in labels)
        assert any(label.strip().startswith("DVG Busse und Bahnen") and "transit" in label for label in labels)
        assert labels[-2].startswith("moers  1 site  ")
        summary = text_of(app.screen.query_one("#summary", Static))
        assert summary.startswith("15 APs")  # no devices line before any poll reported clients


async def test_overview_enter_on_site_shows_its_aps(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # first site of duisburg (sites sorted by name)
        await settle(pilot)
        assert isinstance(app.screen, ApsScreen)
        assert app.screen.query_one("#filter", Input).value == "site:dvg-fleet"
        assert table(app).keys == ["dvg-fleet-ap01", "dvg-fleet-ap02", "dvg-fleet-ap03"]


async def test_aps_filter_sort_and_open_detail(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ApsScreen)
        assert table(app).row_count == 15
        await pilot.press("slash", *"zoo")
        assert table(app).keys == ["zoo-duisburg-ap01", "zoo-duisburg-ap02", "zoo-duisburg-ap03"]
        app.screen.query_one("#filter", Input).value = "tenant:moers"  # a field filter
        await pilot.pause()
        assert [k.startswith("gs-moers-mitte") for k in table(app).keys] == [True] * 3
        await pilot.press("end", "ctrl+u", "escape")  # clear the filter, back to the table
        assert table(app).row_count == 15
        await pilot.press("s")  # next column: site
        assert app.screen.sort_key == "site"
        assert table(app).keys[0].startswith("dvg-fleet")
        await pilot.press("S")  # reversed
        assert table(app).keys[0].startswith("zoo-duisburg")
        await pilot.press("home", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ApDetailScreen)
        assert app.screen.ap_name == "zoo-duisburg-ap02"
        facts = text_of(app.screen.query_one("#facts", Static))
        assert "openconfig-wlan" in facts and "SNZOO02" in facts
        await pilot.press("escape")
        assert isinstance(app.screen, ApsScreen)
        await pilot.click("#aps", offset=(3, 0))  # a click on the "AP" title sorts by name
        assert app.screen.sort_key == "name" and table(app).keys[0] == "dvg-fleet-ap01"
        await pilot.click("#aps", offset=(3, 0))  # again: reversed
        assert table(app).keys[0] == "zoo-duisburg-ap03"
        app.screen.query_one("#filter", Input).value = "gym-hamborn-ap02"
        await pilot.press("slash", "enter")  # quick jump by exact name
        await settle(pilot)
        assert isinstance(app.screen, ApDetailScreen) and app.screen.ap_name == "gym-hamborn-ap02"


async def test_detail_tabs_render(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gym-hamborn-ap01")
        await settle(pilot)
        tabs = app.screen.query_one("#tabs", TabbedContent)
        for pane in ("tab-radios", "tab-graphs", "tab-config", "tab-alerts", "tab-audit", "tab-facts"):
            tabs.active = pane
            await pilot.pause()
            shown = [p.id for p in app.screen.query(TabPane) if p.display and p.region.area]
            assert shown == [pane], f"{pane} selected, {shown} on screen"
        # an AP with no polls, alerts or audit yet: every tab says so instead of waiting forever
        for name in ("facts", "radios", "alerts", "audit"):
            text = text_of(app.screen.query_one(f"#{name}", Static))
            assert text.strip() and "loading" not in text, (name, text)


async def test_the_ap_page_says_what_is_temporary_and_until_when(make_app: Any) -> None:
    """An overlay ("exam mode") changes an AP's variables for a while: its page names it, its variables
    and when it ends; its neighbour's page does not."""
    import datetime as dt
    import json

    app = make_app("ada")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90)
    app.backend.api.session.db.table("overlays").insert({
        "name": "exam-112", "kind": "ap", "target": "gym-hamborn-ap01", "tenant": "duisburg",
        "vars": json.dumps({"ssids_disabled": ["Schule-Lernen"]}), "until": until.isoformat(timespec="seconds"),
        "who": "ada", "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "state": "active"})
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gym-hamborn-ap01")
        await settle(pilot)
        facts = text_of(app.screen.query_one("#facts", Static))
        assert "temporary" in facts and "exam-112: ssids_disabled=['Schule-Lernen'] until" in facts
        assert "(by ada)" in facts
        await pilot.press("escape")
        app.open_ap("gym-hamborn-ap02")
        await settle(pilot)
        assert "temporary" not in text_of(app.screen.query_one("#facts", Static))


async def test_help_screen_opens_and_closes(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_command_palette_jumps_to_an_ap(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await choose_in_palette(pilot, "hamborn-ap03")
        await settle(pilot)
        assert isinstance(app.screen, ApDetailScreen)
        assert app.screen.ap_name == "gym-hamborn-ap03"


async def test_school_admin_sees_only_their_site_and_no_push(make_app: Any) -> None:
    app = make_app("sam")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "dashboard"  # a school admin's first screen
        await pilot.press("o")
        await settle(pilot)
        labels = tree_labels(app)
        assert len(labels) == 2 and "Grundschule Meiderich" in labels[1]
        assert not app.allowed("push") and not app.allowed("jobs")
        nav = text_of(app.screen.query_one("#navbar", Static))
        assert "Push" not in nav and "Jobs" not in nav and "sam (school-admin)" in nav
        await pilot.press("p")
        assert not isinstance(app.screen, PushScreen)
        await pilot.press("a")
        await settle(pilot)
        assert table(app).keys == ["gs-meiderich-ap01", "gs-meiderich-ap02", "gs-meiderich-ap03"]
        app.open_ap("gym-hamborn-ap01")  # out of scope: the core says it does not exist
        await settle(pilot)
        facts = text_of(app.screen.query_one("#facts", Static))
        assert "no access point named 'gym-hamborn-ap01'" in facts


async def test_push_screen_refuses_for_school_admin_in_the_core(make_app: Any) -> None:
    """Even if a school-admin reached the push screen, the facade refuses (PermissionDenied)."""
    app = make_app("sam")
    async with app.run_test(size=SIZE) as pilot:
        app.switch_mode("push")  # bypass the hidden key on purpose
        await pilot.pause()
        app.screen.query_one("#selection", Input).value = "site=gs-meiderich"
        errors: list[str] = []
        app.screen.notify = lambda message, **kw: errors.append(str(message))  # type: ignore[method-assign]
        await pilot.press("f5")
        await settle(pilot)
        assert errors and "may not render or diff" in errors[-1]


async def test_alerts_list_acknowledge_and_maintenance(busy_db: Any, make_app: Any) -> None:
    app = make_app("sam", busy_db)  # sam sees only gs-meiderich: one open alert of the three
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await settle(pilot)
        alerts = table(app, "#alerts")
        assert alerts.keys == ["1"]
        assert alerts.rows[0][2] == "gs-meiderich-ap02" and alerts.rows[0][5] == "open"
        await pilot.press("k")
        await settle(pilot)
        assert table(app, "#alerts").rows[0][5] == "acked"
        assert busy_db["alerts"].get(1)["acked_by"] == "sam"
        await pilot.press("f")  # all alerts, closed ones too: after the acknowledged one
        await settle(pilot)
        assert table(app, "#alerts").keys == ["1", "3"]
        assert "zoo switch swap" in text_of(app.screen.query_one("#windows", Static))
        await pilot.press("home", "enter")  # the alert's access point
        await settle(pilot)
        assert isinstance(app.screen, ApDetailScreen) and app.screen.ap_name == "gs-meiderich-ap02"


async def test_jobs_screen_lists_runs_with_outcome(busy_db: Any, make_app: Any) -> None:
    app = make_app("eva", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        await settle(pilot)
        runs = table(app, "#runs")
        assert runs.keys == ["2", "1"]
        assert runs.rows[0][1:5] == ("backup", "2026-11-20 08:30:00", "12.0s", "failed")
        assert runs.rows[1][5].startswith("15 APs, 2 failed")


async def test_overview_counts_alerts_and_last_poll(busy_db: Any, make_app: Any) -> None:
    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        labels = tree_labels(app)
        meiderich = next(label for label in labels if "Grundschule Meiderich" in label)
        assert "▲2 ◆0 ▼1 ⚠1  34 online  polled 40s" in meiderich
        assert "▲9 ◆1 ▼2  ⚠3" in labels[0]
        assert "15 APs  ▲12 ◆1 ▼2  open alerts 3" in text_of(app.screen.query_one("#summary", Static))


async def test_detail_shows_health_graphs_clients_history_diff_alerts_audit(
    busy_db: Any, make_app: Any
) -> None:
    from tui.widgets.chart import TimeChart

    app = make_app("sam", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gs-meiderich-ap01")
        await settle(pilot)
        screen = app.screen
        facts = text_of(screen.query_one("#facts", Static))
        assert "state       working: answers every poll and reports no problem" in facts
        assert "last poll   40s ago" in facts and "uptime      3d04h" in facts
        radios = text_of(screen.query_one("#radios", Static))
        assert "Schule-Lernen" in radios and "radio0" in radios and "eth0" in radios and "1.0 M" in radios
        clients = screen.query_one("#chart-clients", TimeChart)
        assert len(clients.points) == 24 and max(v for _, v in clients.points) == 23
        assert screen.query_one("#history", VirtualTable).keys == ["2", "1"]
        diff = text_of(screen.query_one("#diff", Static))
        assert (
            "version 1 → 2" in diff
            and "-  <channel>1</channel>" in diff
            and "+  <channel>6</channel>" in diff
        )
        assert "latency high" in text_of(screen.query_one("#alerts", Static))
        audit = text_of(screen.query_one("#audit", Static))
        assert "eva" in audit and "applied" in audit


async def test_overview_refreshes_live_while_open(busy_db: Any) -> None:
    from netctl.api import Netctl
    from tests.helpers.tui import NOW
    from tui.app import NetctlApp

    app = NetctlApp(Netctl(busy_db, user="ada"), refresh_seconds=0.2, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "▲3 ◆0 ▼0" in next(label for label in tree_labels(app) if "Abtei-Gymnasium Hamborn" in label)
        busy_db["health"].update("gym-hamborn-ap02", {"state": "down"})  # what the next poll would write
        for _ in range(50):
            await pilot.pause(0.05)
            if "▲2 ◆0 ▼1" in next(label for label in tree_labels(app) if "Abtei-Gymnasium Hamborn" in label):
                break
        assert "▲2 ◆0 ▼1" in next(label for label in tree_labels(app) if "Abtei-Gymnasium Hamborn" in label)


async def test_detail_graph_range_toggles_between_a_day_and_a_week(busy_db: Any, make_app: Any) -> None:
    from textual.widgets import Label

    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gs-meiderich-ap01")
        await settle(pilot)
        assert "(24 h): 11, max 23" in str(app.screen.query_one("#label-clients", Label).render())
        await pilot.press("t")
        await settle(pilot)
        assert "(7 days): 11, max 23" in str(app.screen.query_one("#label-clients", Label).render())
