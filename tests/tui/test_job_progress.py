"""A job's progress bar in the TUI (tui/widgets/progress.py): it appears when a poll starts and moves as
the runner's events arrive, counting failures.

The poll here is a fake that answers one AP each time the test lets it (so the bar's steps can be seen);
the push and SSID-switch bars are checked against the lab in test_push_flow.py and test_ssid_toggle.py.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.widgets import Tree

from netctl.api import Event, Results
from netctl.poll.model import PollResult
from netctl.poll.ops import MonitorService
from tests.helpers.tui import settle
from tui.widgets.progress import JobProgress


async def wait_for_text(pilot: Any, bar: JobProgress, text: str) -> None:
    for _ in range(200):
        if bar.text == text:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"the bar shows {bar.text!r}, not {text!r}")


@pytest.fixture
def step(monkeypatch: pytest.MonkeyPatch) -> threading.Semaphore:
    """A fake ``MonitorService.poll``: each AP answers (only the ones ending in 01 well) when the test
    releases the returned semaphore once for it."""
    step = threading.Semaphore(0)

    def fake_poll(self: MonitorService, selection: Any, *, progress: Any = None, **_: Any) -> Results[PollResult]:
        results = []
        for ap in self.session.select(selection):
            assert step.acquire(timeout=10), "the test never let the next AP answer"
            result = PollResult(ap=ap["name"], ok=ap["name"].endswith("01"), error=None, error_kind=None)
            results.append(result)
            progress(Event(ap["name"], "done", result))
        return Results(results)

    monkeypatch.setattr(MonitorService, "poll", fake_poll)
    return step


async def show_bar(pilot: Any) -> JobProgress:
    for _ in range(200):
        await pilot.pause(0.01)
        if pilot.app.screen.query("#job-poll"):
            break
    return pilot.app.screen.query_one("#job-poll", JobProgress)


async def test_a_poll_from_the_overview_moves_its_bar_as_each_ap_answers(make_app: Any,
                                                                        step: threading.Semaphore) -> None:
    app = make_app("eva")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one("#sites", Tree)
        tree.move_cursor(next(n for t in tree.root.children for n in t.children if n.data == "gs-meiderich"))
        await pilot.press("n")
        bar = await show_bar(pilot)
        await wait_for_text(pilot, bar, "0/3")
        step.release()
        await wait_for_text(pilot, bar, "1/3")
        assert bar.progress == 1 and bar.total == 3
        step.release(2)
        await wait_for_text(pilot, bar, "3/3 · 2 failed")
        await settle(pilot)
        assert app.screen.query_one("#job-poll", JobProgress).percentage == 1.0  # stays at its end for a while


async def test_a_school_admin_polls_the_school_from_the_dashboard(make_app: Any, step: threading.Semaphore) -> None:
    app = make_app("sam")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        bar = await show_bar(pilot)
        step.release(3)
        await wait_for_text(pilot, bar, "3/3 · 2 failed")
        await settle(pilot)
        assert app.current_mode == "dashboard" and bar.is_attached
