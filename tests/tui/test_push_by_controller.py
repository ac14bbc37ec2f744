"""The push screen's selection field takes ``controller=NAME`` like ``site=``: the APs behind that
controller; a controller outside the user's scope is refused with a message, not pushed to the APs of
it the user happens to see (Pilot at 80×24, in-memory city with the controllers of
tests/helpers/controllers.py)."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from textual.widgets import Input, Label

from tests.helpers.controllers import seed_controllers
from tests.helpers.tui import NOW, settle
from tui.screens.push import ConfirmPush, PushScreen

SIZE = (80, 24)


async def test_controller_in_the_selection_field(city_db: sqlite_utils.Database, make_app: Any) -> None:
    seed_controllers(city_db, NOW)
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        app.screen.query_one("#selection", Input).insert_text_at_cursor("controller=du-ac01")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmPush)
        text = str(app.screen.query_one("#confirm-text", Label).render())
        assert "5 AP(s): controller=du-ac01" in text, text
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PushScreen)
        # Moers' controller: eva sees one AP behind it (at a Duisburg school), never the controller
        field = app.screen.query_one("#selection", Input)
        field.value = "controller=mo-wlc01"
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, PushScreen), "nothing to confirm"
        shown = [str(n.message) for n in app._notifications]
        assert any("no controller named 'mo-wlc01'" in m for m in shown), shown
