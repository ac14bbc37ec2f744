"""The school dashboard: the first screen of a school admin, `d` for everyone else; it loads in a worker."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlite_utils

from netctl import i18n
from netctl.dashboard import DashboardService
from tests.helpers.tui import seed_dashboard, settle, text_of
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.ssids import SsidScreen


@pytest.fixture
def school_db(busy_db: sqlite_utils.Database) -> sqlite_utils.Database:
    seed_dashboard(busy_db)
    return busy_db


def shown(app: Any) -> str:
    """The dashboard's text: the summary and each site's block above its curve."""
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return "\n".join(text_of(static, width=100) for static in screen.query("#summary, #site-text"))


async def test_a_school_admin_starts_on_the_dashboard_of_their_school(school_db: Any, make_app: Any) -> None:
    app = make_app("sam", school_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert app.current_mode == "dashboard"
        text = shown(app)
        assert "Grundschule Meiderich (gs-meiderich)" in text and "36 devices online" in text
        # the per-SSID counts stored by the last polls (ap01: 9 + 4, ap03: 20 + 3)
        assert [line.split() for line in text.splitlines() if "devices" in line and "online" not in line] == [
            ["Schule-Lernen", "32", "devices"], ["Schule-Verwaltung", "4", "devices"]]
        assert "▼ gs-meiderich-ap02  offline since" in text and "down for a test" in text  # the plain word
        assert "Duisburg-Free-WLAN" in text and "until 16:30" in text and "switched off by sam" in text
        assert "Abtei" not in text  # another school does not exist for sam
        curve = app.screen.query_one("#site-curve")
        assert curve.points and max(v for _t, v in curve.points) == 5 + 6 * 3  # ap01's peak of the day
        await pilot.press("w")  # the school's WLANs, from the dashboard
        await settle(pilot)
        assert isinstance(app.screen, SsidScreen) and app.screen.site == "gs-meiderich"


async def test_an_admin_starts_on_the_overview_and_opens_a_sites_dashboard_with_d(school_db: Any,
                                                                                  make_app: Any) -> None:
    app = make_app("ada", school_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert app.current_mode == "overview"
        await pilot.press("d")
        await settle(pilot)
        text = shown(app)
        assert "Dashboard of DVG Busse und Bahnen, Grundschule Meiderich, Abtei-Gymnasium Hamborn, Zoo Duisburg" in text
        assert "(and 1 more site: see the overview)" in text
        await pilot.press("o", "down", "down", "d")  # the cursor on duisburg's second site
        await settle(pilot)
        assert "Dashboard of Grundschule Meiderich\n" in shown(app) and "32 devices" in shown(app)


async def test_a_reload_runs_in_a_worker_and_keys_still_answer(school_db: Any, make_app: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    original = DashboardService.site

    def slow(self: DashboardService, site: str, **kwargs: Any) -> Any:
        gate.wait(10)
        return original(self, site, **kwargs)

    app = make_app("sam", school_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(DashboardService, "site", slow)
        await pilot.press("r")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)  # the loop answered while the reload waits in its thread
        assert any(w.is_running and w.name == "dashboard" for w in app.workers)
        gate.set()
        await pilot.press("escape")
        await settle(pilot)
        assert "32 devices" in shown(app)


async def test_a_school_admin_reads_the_dashboard_in_german(school_db: Any, make_app: Any) -> None:
    i18n.choose(env={"NETCTL_LANG": "de"})  # as `netctl --lang de tui` chooses it
    try:
        app = make_app("sam", school_db)
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            text = shown(app)
    finally:
        i18n.choose("en")
    assert "Grundschule Meiderich (gs-meiderich)  36 Geräte online" in text and "Geräte online je WLAN" in text
    assert "Schule-Lernen      32 Geräte" in text and "ausgefallen seit" in text
    assert "Duisburg-Free-WLAN  bis 16:30  ausgeschaltet von sam" in text
