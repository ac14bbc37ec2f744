"""Navigation keys show the screen they name, never a screen left open on top of it earlier.

Each screen is a Textual mode with its own stack; an AP page or the WLANs window opened over one used
to stay on that mode's stack and came back in place of the screen the key names.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import TabbedContent

from tests.helpers.tui import choose_in_palette, settle
from tui.screens.alerts import AlertsScreen
from tui.screens.ap_detail import ApDetailScreen
from tui.screens.aps import ApsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.push import PushScreen

SIZE = (80, 24)


async def test_school_admin_l_then_a_shows_the_ap_list_not_an_ap_page(busy_db: Any, make_app: Any) -> None:
    app = make_app("sam", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ApDetailScreen)
        app.screen.query_one("#tabs", TabbedContent).active = "tab-audit"
        await pilot.press("l")
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("a")
        assert isinstance(app.screen, ApsScreen)
        await pilot.press("enter")  # and the list still opens an AP
        assert isinstance(app.screen, ApDetailScreen)
        await pilot.press("a")  # the key of the screen below the AP page shows that screen too
        assert isinstance(app.screen, ApsScreen)


async def test_an_ap_opened_from_the_palette_does_not_replace_the_push_form(make_app: Any) -> None:
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await choose_in_palette(pilot, "p03")
        assert isinstance(app.screen, ApDetailScreen) and app.screen.ap_name.endswith("-ap03")
        await pilot.press("l")
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("p")
        assert isinstance(app.screen, PushScreen)


async def test_an_ap_page_opened_over_the_overview_does_not_come_back_in_its_place(make_app: Any) -> None:
    app = make_app("ada")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_ap("zoo-duisburg-ap01")
        await settle(pilot)
        await pilot.press("a", "o")
        assert isinstance(app.screen, OverviewScreen) and len(app.screen_stack) == 1
