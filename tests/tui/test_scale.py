"""10,000 APs: the table loads in a worker, filters on data, and keys stay quick."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.widgets import Input

from netctl.api import Netctl
from tests.helpers.tui import NOW, seed_city, settle  # noqa: F401
from tui.app import NetctlApp
from tui.screens import aps as aps_screen
from tui.screens.aps import ApsScreen
from tui.widgets.table import VirtualTable


async def test_ten_thousand_aps_stay_responsive(memdb: Any, monkeypatch: Any) -> None:
    seed_city(memdb, aps_per_site=2, extra_aps=10_000)
    load_aps = aps_screen.load_aps
    load_window: list[float] = []  # when the screen's load of the rows began and ended

    def timed_load_aps(api: Any) -> Any:
        load_window.append(time.perf_counter())
        try:
            return load_aps(api)
        finally:
            load_window.append(time.perf_counter())

    monkeypatch.setattr(aps_screen, "load_aps", timed_load_aps)
    app = NetctlApp(Netctl(memdb), refresh_seconds=0, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ticks: list[tuple[float, float]] = []  # (last tick, this tick): the loop was blocked in between

        async def ticker() -> None:  # measures how long the event loop is ever blocked
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                ticks.append((last, now))
                last = now

        tick = asyncio.create_task(ticker())
        await pilot.press("a")
        await settle(pilot)
        tick.cancel()
        assert len(load_window) == 2, load_window
        load_began, load_ended = load_window
        load = load_ended - load_began
        # the longest the loop stood still while the rows were loading (a load on the loop: all of it)
        stalled_in_load = max(min(now, load_ended) - max(last, load_began) for last, now in ticks)
        assert isinstance(app.screen, ApsScreen)
        table = app.screen.query_one("#aps", VirtualTable)
        assert table.row_count == 10_010
        # each keystroke filters 10,010 rows and redraws: measure the slowest one
        await pilot.press("slash")
        slowest = 0.0
        for key in "bulk-0999":
            t0 = time.perf_counter()
            await pilot.press(key)
            slowest = max(slowest, time.perf_counter() - t0)
        assert table.keys[:2] == ["bulk-09990", "bulk-09991"] and table.row_count == 10
        t0 = time.perf_counter()
        await pilot.press("ctrl+u", "escape", "end")
        assert table.current_key == "zoo-duisburg-ap02"
        jump = time.perf_counter() - t0
        screen = app.screen
        assert isinstance(screen, ApsScreen)
        screen.query_one("#filter", Input).value = "bulk-0"  # 10,000 matches: the worst case
        t0 = time.perf_counter()
        screen.apply()
        refilter = time.perf_counter() - t0
        print(
            f"\n10k APs: rows loaded in {load * 1000:.0f} ms in a worker (event loop at most "
            f"{stalled_in_load * 1000:.0f} ms still meanwhile), "
            f"refilter+redraw {refilter * 1000:.0f} ms, slowest key through the pilot {slowest * 1000:.0f} ms, "
            f"clear+end {jump * 1000:.0f} ms"
        )
        # the load ran off the event loop: the loop kept ticking while the rows loaded. Run on the loop, the
        # load stalls it for all of its time; in a worker the loop only waits for the GIL now and then.
        # Relative to the load, because a busy machine slows both alike.
        assert stalled_in_load < load / 2, (
            f"the event loop stood still {stalled_in_load * 1000:.0f} ms of the {load * 1000:.0f} ms load"
        )
        # keys stay quick: through the pilot on a busy 2-core machine a filter keystroke over 10,010 rows
        # took up to 0.5 s, clear+end up to 0.6 s, a refilter up to 0.12 s (the real target, under 100 ms a key,
        # is held by the TUI benchmark, tests/bench/bench_tui.py)
        assert slowest < 1.0, f"a filter keystroke took {slowest:.2f}s"
        assert jump < 1.5, f"clearing the filter and jumping to the end took {jump:.2f}s"
        assert refilter < 1.0, f"filtering and redrawing 10,010 rows took {refilter:.2f}s"


async def test_a_dead_ap_never_freezes_the_screen(busy_db: Any, make_app: Any, monkeypatch: Any) -> None:
    """Poll an AP whose SNMP port has no agent (loopback, port 9): the poll waits out its timeout in a
    worker while the table keeps answering keys; the failure is reported when it comes."""
    from cryptography.fernet import Fernet

    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())
    admin = Netctl(busy_db, user="ada")
    admin.inventory.set_secret("lab/dead-community", "public")
    busy_db["aps"].update(
        "gym-hamborn-ap01", {"snmp": '{"version": "2c", "port": 9, "community": "secret:lab/dead-community"}'}
    )
    app = make_app("ada", busy_db)
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        screen.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        table = screen.query_one("#aps", VirtualTable)
        table.move_to("gym-hamborn-ap01")
        started = time.perf_counter()
        slowest = 0.0
        for key in ("n", "s", "S", "s", "S", "down", "up"):
            t0 = time.perf_counter()
            await pilot.press(key)
            slowest = max(slowest, time.perf_counter() - t0)
        polling = any(w.name == "poll" and w.is_running for w in app.workers)
        await settle(pilot)
        took = time.perf_counter() - started
    print(f"\ndead AP: poll took {took:.1f}s in a worker; slowest key meanwhile {slowest * 1000:.0f} ms")
    # the poll waits out its SNMP timeout (seconds); a key, the one that starts the poll included, takes
    # milliseconds unless the poll blocks the event loop
    assert slowest < took / 5, f"a key took {slowest * 1000:.0f} ms while the poll took {took:.1f}s"
    assert polling, "the poll should still be waiting for the dead AP while keys are handled"
    assert any("polled 1 AP(s), 1 failed" in n for n in notes), notes
    assert busy_db["health"].get("gym-hamborn-ap01")["error_kind"] == "timeout"
