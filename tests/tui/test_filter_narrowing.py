"""Typing on in the AP filter narrows what the last plain query matched (100,000 rows per keystroke would
not repaint in time otherwise), and the table still shows exactly what the whole filter matches: after
a field word, a new sort order and a reload with changed rows. In-memory city, fixed clock, 80×24."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.helpers.tui import settle
from tui.model import filter_rows, plain_words, sort_rows
from tui.screens.aps import ApsScreen
from tui.widgets.table import VirtualTable

SIZE = (80, 24)


def test_plain_words_are_words_without_a_field_or_a_glob() -> None:
    from tui.model import parse_filter

    assert plain_words(parse_filter("gs-m down"))
    assert plain_words(parse_filter(""))
    assert not plain_words(parse_filter("gs state:down"))
    assert not plain_words(parse_filter("gs-*"))


async def test_typing_on_shows_what_the_whole_filter_matches(busy_db: Any, make_app: Any) -> None:
    busy_db["aps"].update("dvg-fleet-ap01", {"tags": '["tram"]'})
    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApsScreen)

        async def shown(query: str) -> list[str]:
            screen.query_one("#filter", Input).value = query
            await pilot.pause()
            keys = list(screen.query_one("#aps", VirtualTable).keys)
            expected = filter_rows(sort_rows(screen.all_rows, screen.sort_key, screen.reverse), query)
            assert keys == [r.name for r in expected], query
            return keys

        for query in ("g", "gs", "gs-", "gs-m", "gs-me", "gs-me ", "gs-me ap0", "gs-me ap02"):
            await shown(query)
        assert await shown("gs-me ap02") == ["gs-meiderich-ap02"]
        assert len(await shown("gs-me")) == 3  # shorter again: from all rows
        await shown("gs state:down")  # a field word: not a narrowing of "gs"
        await shown("gs state:downx")
        await shown("a")
        await pilot.press("escape", "s")  # another order: sorted again, then filtered
        await pilot.pause()
        await shown("ap")
        await shown("ap0")

        assert await shown("tram") == ["dvg-fleet-ap01"]
        busy_db["aps"].update("dvg-fleet-ap02", {"tags": '["tram"]'})
        await pilot.press("escape", "r")  # the rows change under a plain query
        await settle(pilot)
        assert await shown("tram ") == ["dvg-fleet-ap01", "dvg-fleet-ap02"]
