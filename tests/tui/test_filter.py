"""The AP filter speaks the selection syntax of the CLI and the push screen (issue 17, item 7), and the
screen's title says what is filtered. In-memory city, fixed clock, 80×24."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from tests.helpers.tui import settle, text_of
from tui.widgets.table import VirtualTable

SIZE = (80, 24)


async def test_the_ap_filter_takes_the_cli_selection_syntax_and_says_what_it_shows(busy_db: Any,
                                                                                   make_app: Any) -> None:
    for i in (1, 2, 3):
        busy_db["aps"].update(f"dvg-fleet-ap0{i}", {"tags": '["bus"]' if i < 3 else '["tram"]'})
    busy_db["health"].update("gym-hamborn-ap01", {"clients": 120})
    busy_db["health"].update("gym-hamborn-ap03", {"clients": 101})
    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen

        async def shown(query: str) -> tuple[list[str], str]:
            screen.query_one("#filter", Input).value = query
            await pilot.pause()
            return (screen.query_one("#aps", VirtualTable).keys,
                    " ".join(text_of(screen.query_one("#aps-title", Static)).split()))

        assert await shown("") == ([*screen.query_one("#aps", VirtualTable).keys], "Access points: all 15")
        keys, title = await shown("tag:bus")
        assert keys == ["dvg-fleet-ap01", "dvg-fleet-ap02"] and title == "Access points tagged bus: 2 of 15"
        keys, title = await shown("Grundschule")  # a site's title, as people call the school
        assert [k.rsplit("-", 1)[0] for k in keys] == ["gs-meiderich"] * 3 + ["gs-moers-mitte"] * 3
        assert title == "Access points matching 'Grundschule': 6 of 15"
        keys, title = await shown("clients:>100")
        assert keys == ["gym-hamborn-ap01", "gym-hamborn-ap03"]
        assert title == "Access points with clients > 100: 2 of 15"
        keys, title = await shown("site=gs-meiderich state:down")  # the push screen's spelling too
        assert keys == ["gs-meiderich-ap02"]
        assert title == "Access points at Grundschule Meiderich (gs-meiderich), state down: 1 of 15"
        keys, _ = await shown("zoo-duisburg-ap0[12]")  # a glob, as on the command line
        assert keys == ["zoo-duisburg-ap01", "zoo-duisburg-ap02"]
        keys, title = await shown("colour:red")
        assert keys == [] and "unknown filter colour: use one of" in title and "tag:" in title


async def test_sorting_shows_the_top_rows(memdb: Any) -> None:
    """``s``/``S`` (or a click on a title) sort and show the first rows: the cursor does not stay on its AP
    somewhere down the list with the top rows scrolled away."""
    from netctl.api import Netctl
    from tests.helpers.tui import NOW, seed_city
    from tui.app import NetctlApp

    seed_city(memdb, extra_aps=40)
    app = NetctlApp(Netctl(memdb), refresh_seconds=0, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        table = app.screen.query_one("#aps", VirtualTable)
        for keys in (("s",), ("S",), ("s", "s")):
            await pilot.press("end")
            assert table.scroll_y > 0
            await pilot.press(*keys)
            await pilot.pause()
            assert (table.cursor, table.scroll_y) == (0, 0), keys
            assert table.current_key == table.keys[0]
