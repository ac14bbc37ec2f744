"""Snapshots of the main screens at 80×24 (fixed data and clock; update with --snapshot-update)."""

from __future__ import annotations

from typing import Any

from tests.helpers.tui import settle


async def _settled(pilot: Any) -> None:
    await settle(pilot)


def keys(*pressed: str) -> Any:
    """run_before: press keys, then wait for every worker (snap_compare presses only after run_before)."""

    async def run(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press(*pressed)
        await settle(pilot)

    return run


async def _push_screen(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("p")
    await settle(pilot)
    pilot.app.screen.set_focus(None)  # no blinking cursor in the picture
    await pilot.pause()


def test_snapshot_overview(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("ada", busy_db), run_before=_settled)


def test_snapshot_aps(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("ada", busy_db), run_before=keys("a"))


def test_snapshot_aps_filtered_school_admin(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("sam", busy_db), run_before=keys("a", "slash", *"down", "escape"))


async def _open_detail(pilot: Any) -> None:
    pilot.app.open_ap("gs-meiderich-ap01")
    await settle(pilot)


def test_snapshot_ap_detail(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("ada", busy_db), run_before=_open_detail)


async def _open_detail_config(pilot: Any) -> None:
    await _open_detail(pilot)
    pilot.app.screen.query_one("#tabs").active = "tab-config"
    await settle(pilot)


def test_snapshot_ap_detail_config_diff(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("ada", busy_db), run_before=_open_detail_config)


def test_snapshot_alerts(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("ada", busy_db), run_before=keys("l"))


def test_snapshot_push(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("eva", busy_db), run_before=_push_screen)


def test_snapshot_help(snap_compare: Any, busy_db: Any, make_app: Any) -> None:
    assert snap_compare(make_app("ada", busy_db), run_before=keys("question_mark"))
