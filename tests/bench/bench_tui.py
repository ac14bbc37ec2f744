"""TUI scale: start-up and keypress-to-repaint with 10,000 APs, measured with Textual's Pilot.

The baseline is the same app over 100 APs, measured in the same run: the ratio says what 100× the
inventory costs. Keypress-to-repaint is the time from a key press (a filter keystroke in the access
point table: filter 10,000 rows and redraw) until the pilot has seen the screen settle.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from tests.bench.harness import Context, Row


async def _measure(extra: int) -> tuple[float, float, float]:
    """(start-up s, AP table load s, median keypress-to-repaint s) for a city with ``extra`` bulk APs."""
    from netctl.api import Netctl
    from netctl.store import open_db
    from tests.helpers.tui import NOW, seed_city, settle
    from tui.app import NetctlApp
    from tui.screens.aps import ApsScreen
    from tui.widgets.table import VirtualTable

    db = open_db(":memory:")
    seed_city(db, aps_per_site=2, extra_aps=extra)
    app = NetctlApp(Netctl(db), refresh_seconds=0, clock=lambda: NOW)
    t0 = time.perf_counter()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        await pilot.press("a")
        await settle(pilot)
        load = time.perf_counter() - t1
        assert isinstance(app.screen, ApsScreen)
        table = app.screen.query_one("#aps", VirtualTable)
        await pilot.press("slash")
        keys = []
        for key in "bulk-00":
            k0 = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            keys.append(time.perf_counter() - k0)
        idle = []  # the pilot's own cost: a key that changes nothing (cursor already at the end)
        for _ in range(7):
            k0 = time.perf_counter()
            await pilot.press("end")
            await pilot.pause()
            idle.append(time.perf_counter() - k0)
        if extra and table.row_count == 0:
            raise RuntimeError("the filter matched nothing: the benchmark did not measure a real filter")
    return startup, load, max(0.0, statistics.median(keys) - statistics.median(idle))


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    big = ctx.size(10_000, 200)
    rows: list[Row] = []
    results = {n: [asyncio.run(_measure(n)) for _ in range(ctx.repeats)] for n in (100, big)}
    med = {n: [statistics.median(r[i] for r in runs) for i in range(3)] for n, runs in results.items()}
    name = f"TUI with {big + 12:,} APs"
    base = "same app, 112 APs"
    rows.append(Row(name, "start-up to first settled screen", med[big][0], "s", "overview, workers done",
                    baseline=base + " (start-up)", lower_better=True))
    rows.append(Row(name, "AP table load (worker)", med[big][1], "s", "press `a` until the table is filled",
                    baseline=base + " (table load)", lower_better=True))
    rows.append(Row(name, "keypress-to-repaint (filter)", med[big][2], "s",
                    "median of 7 filter keystrokes over all rows, less the pilot's cost of a key "
                    "that changes nothing", target="< 100 ms",
                    baseline=base + " (keypress)", lower_better=True,
                    met=None if ctx.tiny else med[big][2] < 0.1))
    rows.append(Row(name, base + " (start-up)", med[100][0], "s", "", lower_better=True))
    rows.append(Row(name, base + " (table load)", med[100][1], "s", "", lower_better=True))
    rows.append(Row(name, base + " (keypress)", med[100][2], "s", "", lower_better=True))
    return rows, ["TUI figures come from Textual's headless Pilot (80×24): they include Textual's own "
                  "compositing but no terminal I/O."]
