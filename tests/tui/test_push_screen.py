"""The push screen's focus rule and its dry-run switch (Pilot at 80×24, in-memory city).

The rule: a navigation key that shows the push screen puts the focus in the selection field, every
time; Escape leaves the field; the screen's and the app's letter keys act only when no text field
has the focus. The dry-run switch reads differently on and off and is on again after a real push.
"""

from __future__ import annotations

from typing import Any

from textual.color import Color
from textual.widgets import Button, Checkbox, Input

from tests.helpers.tui import settle
from tui.screens.alerts import AlertsScreen
from tui.screens.aps import ApsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.push import ConfirmPush, PushScreen

SIZE = (80, 24)


def selection(app: Any) -> Input:
    return app.screen.query_one("#selection", Input)


def dry_run(app: Any) -> Checkbox:
    return app.screen.query_one("#dry-run", Checkbox)


async def test_p_then_typing_goes_into_the_selection_field_every_time(make_app: Any) -> None:
    """The trap: the checkbox kept the focus from the last visit, so a selection typed after `p` jumped
    to the overview at its `o`; now `p` always lands in the field, whatever had the focus before."""
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        assert app.focused is selection(app)
        await pilot.press("tab", "tab")  # on to the dry-run switch, as a user looking around does
        assert app.focused is dry_run(app)
        await pilot.press("o")  # no text field has the focus: the key navigates
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("p", *"zoo-*")
        assert isinstance(app.screen, PushScreen)
        assert selection(app).value == "zoo-*"
        assert dry_run(app).value is True


async def test_escape_leaves_the_field_and_letters_navigate_without_typing(make_app: Any) -> None:
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        selection(app).insert_text_at_cursor("site=gs-meiderich")  # typed (one key at a time is slow)
        bindings = {b.binding.key: b for b in app.screen.active_bindings.values()}
        assert bindings["escape"].enabled and bindings["escape"].binding.show  # the footer says how out
        await pilot.press("escape")
        assert app.focused is None
        assert not app.screen.check_action("blur", ())  # nothing to leave: the footer hides it
        await pilot.press("l")
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("p")
        await settle(pilot)
        assert app.focused is selection(app)
        assert selection(app).cursor_position == len("site=gs-meiderich")  # nothing selected to type over
        push = app.screen
        await pilot.press("escape", "a")
        assert isinstance(app.screen, ApsScreen)
        assert push.query_one("#selection", Input).value == "site=gs-meiderich"  # no key on the way was typed


def stands_out(focused: Color, around: Color) -> bool:
    """A colour, not a grey, and far from what the unfocused widget shows (not one shade lighter)."""
    r, g, b = focused.rgb
    far = max(abs(x - y) for x, y in zip(focused.rgb, around.rgb, strict=True))
    return max(r, g, b) - min(r, g, b) >= 40 and far >= 40


async def test_the_focus_stands_out_in_colour(make_app: Any) -> None:
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        field, other = selection(app), app.screen.query_one("#template", Input)
        assert app.focused is field
        assert stands_out(field.background_colors[1], other.background_colors[1])
        app.screen.query_one("#preview", Button).focus()
        await pilot.pause()
        preview, diff = (app.screen.query_one(f"#{name}", Button) for name in ("preview", "diff"))
        assert stands_out(preview.styles.border_top[1], diff.styles.border_top[1])


async def test_dry_run_switch_reads_differently_on_and_off(make_app: Any) -> None:
    """Not `▐X▌ dry run` both ways with only the colour changed: the mark and the words differ."""
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        on = dry_run(app).render().plain
        dry_run(app).value = False
        await pilot.pause()
        off = dry_run(app).render().plain
        assert "✓" in on and "✓" not in off
        assert "off" in off.lower() and "off" not in on.lower()


async def test_dry_run_is_on_again_after_a_real_push(make_app: Any) -> None:
    """Safe by default: after a real push the next F8 is a dry run unless the user switches it off again."""
    app = make_app("eva")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        selection(app).insert_text_at_cursor("gs-meiderich-ap01")
        dry_run(app).value = False
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmPush)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PushScreen)
        assert dry_run(app).value is True
        assert "gs-meiderich-ap01" in app.screen.order  # the push itself did run


def test_the_help_states_the_focus_rule() -> None:
    from tui.screens.help import KEYS

    assert any(keys == "esc" and where == "a text field" and "keys only outside" in what
               for _screen, keys, where, what in KEYS)
