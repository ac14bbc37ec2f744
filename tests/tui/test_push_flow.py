"""The push flow of the TUI against the real lab (netconfd behind OpenSSH on loopback).

preview → diff → confirm → live per-AP progress → result with failures explained; dry run first,
then a real push, checked through the facade's config status and audit trail and read back from
the AP over a separate NETCONF session.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, ProgressBar, Static

from tests.helpers.lab import PSK
from tests.helpers.netconf import TX_5G, read_leaf
from tests.helpers.tui import settle, text_of
from tui.app import NetctlApp
from tui.screens.push import ConfirmPush, PushScreen
from tui.widgets.progress import JobProgress
from tui.widgets.table import VirtualTable

pytestmark = pytest.mark.lab

APS = ["hs-homberg-ap01", "hs-homberg-ap02", "hs-homberg-ap03"]


def results(app: Any) -> dict[str, tuple[str, ...]]:
    table = app.screen.query_one("#results", VirtualTable)
    return {key: tuple(table.rows[i]) for i, key in enumerate(table.keys)}


async def run_push(app: Any, pilot: Any) -> None:
    await pilot.press("f8")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmPush)
    await pilot.press("y")
    await settle(pilot)
    assert isinstance(app.screen, PushScreen)


async def test_push_flow_against_the_lab(city: Any) -> None:
    city.inventory.import_secrets(PSK)
    city.inventory.set_ap("hs-homberg-ap03", {"port": 9})  # nothing listens there: this AP must fail, explained
    before = read_leaf(city, "hs-homberg-ap01", TX_5G)
    wanted = 12 if before != ["12"] else 13  # always a real change for ap01
    city.inventory.set_ap("hs-homberg-ap01", {"vars.radio_5g_tx_power": wanted})
    app = NetctlApp(city, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, PushScreen)
        app.screen.query_one("#selection", Input).value = "hs-homberg-ap*"
        await pilot.press("f5")
        await settle(pilot)
        preview = text_of(app.screen.query_one("#preview-text", Static), width=200)
        assert all(f"### {ap}" in preview for ap in APS)
        assert "<hostname>hs-homberg-ap01</hostname>" in preview
        assert "Pupil-Lab-Pass-2" not in preview  # secrets stay masked in the preview

        await pilot.press("f6")
        await settle(pilot)
        diff = text_of(app.screen.query_one("#preview-text", Static), width=200)
        assert "### hs-homberg-ap03: pending" in diff or "### hs-homberg-ap03: unreachable" in diff
        assert "### hs-homberg-ap01: changes" in diff
        assert re.search(rf"radio\[id=radio1\]/tx-power(: \S+ -> | = ){wanted}\b", diff), diff

        # dry run (the default): every AP reported, nothing sent
        assert app.screen.query_one("#dry-run", Checkbox).value is True
        await run_push(app, pilot)
        rows = results(app)
        assert set(rows) == set(APS)
        assert rows["hs-homberg-ap01"][1] == "dry-run" and rows["hs-homberg-ap01"][2] == "yes"
        assert rows["hs-homberg-ap02"][1] in ("dry-run", "unchanged")
        assert rows["hs-homberg-ap03"][1] == "pending" and rows["hs-homberg-ap03"][3]
        assert app.screen.query_one("#progress", ProgressBar).progress == 3
        assert app.screen.query_one("#progress", JobProgress).text == "3/3"  # pending is no failure
        summary = text_of(app.screen.query_one("#progress-counts", Static))
        assert "finished with problems: 3/3 APs" in summary and "1× pending: unreachable" in summary
        assert "because:" in summary

        # the real push
        app.screen.query_one("#dry-run", Checkbox).value = False
        await run_push(app, pilot)
        rows = results(app)
        assert rows["hs-homberg-ap01"][1:3] == ("applied", "yes"), rows
        assert rows["hs-homberg-ap02"][1] in ("applied", "unchanged"), rows
        assert rows["hs-homberg-ap03"][1] == "pending"
        assert app.screen.query_one("#dry-run", Checkbox).value is True  # the next F8 is a dry run again
    status = {s["ap"]: s["status"] for s in city.config.config_status("hs-homberg-ap*")}
    assert status == {
        "hs-homberg-ap01": "applied",
        "hs-homberg-ap02": "applied",
        "hs-homberg-ap03": "pending",
    }
    assert [a["dry_run"] for a in city.config.audit(ap="hs-homberg-ap01")][:2] == [0, 1]
    assert read_leaf(city, "hs-homberg-ap01", TX_5G) == [str(wanted)]


async def test_poll_now_from_the_overview_updates_the_site(city: Any) -> None:
    from textual.widgets import Tree

    app = NetctlApp(city, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one("#sites", Tree)
        site = next(
            node for tenant in tree.root.children for node in tenant.children if node.data == "gym-mercator"
        )
        assert "not polled" in str(site.label)
        tree.move_cursor(site)
        await pilot.press("n")
        await settle(pilot)
        site = next(
            node for tenant in tree.root.children for node in tenant.children if node.data == "gym-mercator"
        )
        assert "polled" in str(site.label) and "not polled" not in str(site.label)
    states = {ap["name"]: ap["state"] for ap in city.monitor.status("gym-mercator-*")["aps"]}
    assert set(states) == {"gym-mercator-ap01", "gym-mercator-ap02", "gym-mercator-ap03", "gym-mercator-sw01"}
    assert all(state == "up" for state in states.values()), states
