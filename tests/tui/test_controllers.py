"""WLAN controllers in the TUI (issue 15, "TUI and CLI"): the overview lists each controller the user may
see with its platform, its own state and the states of the APs behind it; an AP's page names its
controller, its group and tags and where its config lives; a controller's page counts its APs and opens
them in the AP window (filter ``controller:NAME``).

Everything shown comes from what the polls recorded (tests/helpers/controllers.py writes those rows; the
addresses are loopback port 9, where nothing answers). In-memory city, fixed clock, 80×24.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlite_utils
from textual.widgets import Input, Static, TabbedContent, Tree

from tests.helpers.controllers import seed_controllers
from tests.helpers.tui import NOW, settle, text_of
from tui.model import build_rows, describe_filter, filter_rows, parse_filter
from tui.screens.ap_detail import ApDetailScreen
from tui.screens.aps import ApsScreen
from tui.screens.overview import CONTROLLERS
from tui.screens.push import PushScreen
from tui.widgets.table import VirtualTable

SIZE = (80, 24)


@pytest.fixture
def ctl_db(city_db: sqlite_utils.Database) -> sqlite_utils.Database:
    seed_controllers(city_db, NOW)
    return city_db


def flat(text: str) -> str:
    return " ".join(str(text).split())


def sections(app: Any) -> dict[str, Any]:
    """The overview tree's top nodes by their data (tenants, and the controllers section)."""
    return {str(node.data): node for node in app.screen.query_one("#sites", Tree).root.children}


def facts(app: Any) -> str:
    """The AP page's facts as one line of words (rendered wide: no value wraps)."""
    return flat(text_of(app.screen.query_one("#facts", Static), width=120))


def polls(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("select * from controller_polls order by controller"))


async def test_the_overview_lists_the_controllers_with_the_states_of_their_aps(ctl_db: Any, make_app: Any) -> None:
    before = polls(ctl_db)
    app = make_app("ada", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one("#sites", Tree)
        assert [str(n.data) for n in tree.root.children] == [CONTROLLERS, "duisburg", "moers"]
        section = sections(app)[CONTROLLERS]
        # the section: the controllers' own states, then their APs' (2 up, 1 down, 3 unknown, 1 missing)
        assert flat(section.label) == "Controllers 2 ▲1 ◆0 ▼1 APs ▲2 ◆0 ▼1 ?3 ✗1 missing"
        rows = {str(n.data): flat(n.label) for n in section.children}
        assert rows == {"du-ac01": "du-ac01 ▲ up huawei-ac APs ▲2 ◆0 ▼1 ?1 ✗1 missing",
                        "mo-wlc01": "mo-wlc01 ▼ down cisco-9800 APs ▲0 ◆0 ▼0 ?2"}
        # enter on a controller: the APs behind it
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ApsScreen)
        assert app.screen.query_one("#filter", Input).value == "controller:du-ac01"
        assert app.screen.query_one("#aps", VirtualTable).keys == [f"du-cap0{i}" for i in range(1, 6)]
        assert flat(text_of(app.screen.query_one("#aps-title", Static))) == "Access points behind du-ac01: 5 of 24"
    assert polls(ctl_db) == before  # what the screen showed was recorded; nothing was polled


async def test_an_engineer_sees_only_the_controllers_of_their_scope(ctl_db: Any, make_app: Any) -> None:
    """eva (tenant duisburg) sees Duisburg's AC, not Moers' controller; the AP behind Moers' controller at a
    Duisburg school is hers (an AP is in scope by its own site)."""
    app = make_app("eva", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        section = sections(app)[CONTROLLERS]
        assert [str(n.data) for n in section.children] == ["du-ac01"]
        assert flat(section.label) == "Controllers 1 ▲1 ◆0 ▼0 APs ▲2 ◆0 ▼1 ?1 ✗1 missing"
        await pilot.press("a")
        await settle(pilot)
        keys = app.screen.query_one("#aps", VirtualTable).keys
        assert "du-cap05" in keys and "mo-cap02" in keys and "mo-wlc01" not in keys


async def test_a_school_admin_sees_the_schools_aps_behind_a_controller_but_not_the_controller(
        ctl_db: Any, make_app: Any) -> None:
    """sam's school gs-meiderich holds APs behind du-ac01, which stands in Duisburg's data centre, outside
    sam's scope: sam sees the school's APs wherever their config lives, but not the controller, its counts,
    its other schools' APs or its page."""
    app = make_app("sam", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await settle(pilot)
        assert list(sections(app)) == ["duisburg"]  # no controllers section
        assert "devices online 7 APs" in flat(text_of(app.screen.query_one("#summary", Static)))  # 3 + 4 behind du-ac01
        app.open_aps("controller:du-ac01")
        await settle(pilot)
        assert sorted(app.screen.query_one("#aps", VirtualTable).keys) == [
            "du-cap01", "du-cap02", "du-cap03", "du-cap04"]  # not du-cap05 at gym-hamborn
        app.open_ap("du-cap03")
        await settle(pilot)
        shown = facts(app)
        assert "controller du-ac01 (at a site outside your scope)" in shown, shown
        assert "huawei-ac" not in shown and "▲ up" not in shown.split("controller du-ac01")[1]  # not its state
        assert app.screen.check_action("open_controller", ()) is False
        app.open_ap("du-ac01")
        await settle(pilot)
        assert "no access point named 'du-ac01'" in facts(app)


async def test_the_page_of_an_ap_behind_a_controller_says_where_its_config_lives(ctl_db: Any,
                                                                                 make_app: Any) -> None:
    app = make_app("eva", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("du-cap03")
        await settle(pilot)
        screen = app.screen
        shown = facts(app)
        assert "controller du-ac01: ▲ up (huawei-ac)" in shown, shown
        assert "ap_group schulen" in shown and "tags schule" in shown and "mac 60:de:44:76:e3:02" in shown
        assert "config lives on du-ac01 (platform controller-ap): push the controller, not this AP" in shown
        assert "health from du-ac01's AP table" in shown
        screen.query_one("#tabs", TabbedContent).active = "tab-config"
        await pilot.pause()
        assert "lives on its controller du-ac01" in flat(text_of(screen.query_one("#diff", Static)))
        # the push key pushes the controller: the push screen opens with du-ac01 chosen, nothing sent yet
        assert screen.check_action("push_controller", ()) is True
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, PushScreen)
        assert app.screen.query_one("#selection", Input).value == "du-ac01"


async def test_c_opens_the_controller_of_an_ap_with_its_aps_counted(ctl_db: Any, make_app: Any) -> None:
    app = make_app("eva", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("du-cap01")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApDetailScreen) and screen.ap_name == "du-ac01"
        shown = facts(app)
        assert "APs behind it 5: ▲2 ◆0 ▼1 ?1 ✗1 missing (b lists them)" in shown, shown
        assert "AP table 4 AP(s) listed at its last poll" in shown


async def test_a_controllers_page_counts_its_aps_and_opens_them(ctl_db: Any, make_app: Any) -> None:
    app = make_app("ada", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("mo-wlc01")
        await settle(pilot)
        screen = app.screen
        shown = facts(app)
        assert "APs behind it 2: ▲0 ◆0 ▼0 ?2 (b lists them)" in shown, shown
        assert "AP table not read at its last poll (timeout: no answer (request timed out)); " \
               "2 listed when last read" in shown
        assert screen.check_action("push_controller", ()) is False  # a controller is pushed as itself
        assert screen.check_action("open_controller", ()) is False
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ApsScreen)
        assert app.screen.query_one("#aps", VirtualTable).keys == ["mo-cap01", "mo-cap02"]


async def test_an_ap_on_its_own_offers_no_controller_keys(ctl_db: Any, make_app: Any) -> None:
    app = make_app("ada", ctl_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gs-meiderich-ap01")
        await settle(pilot)
        screen = app.screen
        for action in ("push_controller", "open_controller", "open_behind"):
            assert screen.check_action(action, ()) is False, action
        shown = facts(app)
        assert "controller" not in shown and "lives on" not in shown


def test_the_filter_takes_controller_like_the_other_fields() -> None:
    aps = [{"name": "du-cap01", "site": "gs-meiderich", "tenant": "duisburg", "controller": "du-ac01",
            "ap_group": "schulen"},
           {"name": "du-cap11", "site": "gs-meiderich", "tenant": "duisburg", "controller": "du-ac11"},
           {"name": "gs-meiderich-ap01", "site": "gs-meiderich", "tenant": "duisburg"}]
    rows = build_rows(aps)
    assert [r.name for r in filter_rows(rows, "controller:du-ac01")] == ["du-cap01"]
    assert [r.name for r in filter_rows(rows, "controller=du-ac*")] == ["du-cap01", "du-cap11"]
    assert [r.name for r in filter_rows(rows, "schulen")] == ["du-cap01"]  # the AP group is a plain word's field
    assert describe_filter(parse_filter("controller:du-ac01"), {}) == "behind du-ac01"


async def test_an_aps_controller_facts_and_what_is_temporary_in_german(ctl_db: Any, make_app: Any) -> None:
    """The controller lines and an overlay's line in German; names, platforms and variables stay as they are."""
    import datetime as dt
    import json

    from netctl import i18n

    now = dt.datetime.now(dt.UTC)  # overlays end by the wall clock
    ctl_db.table("overlays").insert({
        "name": "exam-112", "kind": "ap", "target": "gym-hamborn-ap01", "tenant": "duisburg",
        "vars": json.dumps({"ssids_disabled": ["Schule-Lernen"]}),
        "until": (now + dt.timedelta(minutes=90)).isoformat(timespec="seconds"),
        "who": "ada", "created": now.isoformat(timespec="seconds"), "state": "active"})
    i18n.choose("de")
    try:
        app = make_app("eva", ctl_db)
        async with app.run_test(size=SIZE) as pilot:
            app.open_ap("du-cap03")
            await settle(pilot)
            behind = facts(app)
            await pilot.press("c")
            await settle(pilot)
            controller = facts(app)
            app.open_ap("gym-hamborn-ap01")
            await settle(pilot)
            temporary = facts(app)
    finally:
        i18n.choose("en")
    assert "Controller du-ac01: ▲ in Betrieb (huawei-ac); c öffnet ihn" in behind, behind
    assert ("Konfiguration liegt auf du-ac01 (Plattform controller-ap): den Controller ausrollen, nicht diesen AP"
            in behind)
    assert "Zustandsdaten aus der AP-Tabelle von du-ac01 (dieser AP wird nicht selbst abgefragt)" in behind
    assert " seit 2026-11-20 07:30 Europe/Berlin (vor 3h) " in behind
    assert "vorübergehend exam-112: ssids_disabled=['Schule-Lernen'] bis " in temporary and "(von ada)" in temporary
    assert "APs dahinter 5: ▲2 ◆0 ▼1 ?1 ✗1 fehlen (b listet sie auf)" in controller, controller
    assert "AP-Tabelle 4 AP(s) bei der letzten Abfrage aufgeführt" in controller
