"""The AP page (issue 17, items 3, 4 and 6): a down AP says why and since when, the graphs start at zero
with a time axis and numbers for humans, and the SSIDs carry the names the WLANs window uses.

In-memory databases, fixed clock (NOW is 09:30 UTC, 10:30 in the sites' zone Europe/Berlin), 80×24.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import sqlite_utils
from textual.widgets import Label, Static, TabbedContent

from netctl.api import Netctl
from tests.helpers.lab import INVENTORY_FILES
from tests.helpers.tui import NOW, iso, settle, text_of
from tui.app import NetctlApp
from tui.screens.ssids import SsidScreen
from tui.widgets.chart import TimeChart
from tui.widgets.table import VirtualTable

SIZE = (80, 24)
#: what the poll stores for an AP that stopped answering (netctl.poll.health.evaluate), longer than a line
TIMEOUT_WHY = ("no answer to 3 polls in a row (no answer (request timed out) from 127.0.0.1:161 after 2 retries "
               "of 2.0 s each; is the AP powered and its SNMP agent running?)")


def y_label(line: str) -> str:
    """The y axis label of a chart line (left of the axis)."""
    return re.split(r"[┤│]", line, maxsplit=1)[0].strip()


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_a_down_ap_page_says_why_and_since_when(busy_db: sqlite_utils.Database, make_app: Any) -> None:
    busy_db.table("health").update("gs-meiderich-ap02", {"reasons": json.dumps([["down", TIMEOUT_WHY]]),
                                                         "error_kind": "timeout"})
    busy_db.table("alerts").insert({
        "id": 9, "ap": "gs-meiderich-ap02", "kind": "host-key-changed", "severity": "critical",
        "message": "SSH host key mismatch: offered SHA256:q1w2e3, pinned SHA256:z9x8c7",
        "state": "open", "first_seen": iso(NOW - dt.timedelta(hours=1)), "last_seen": iso(NOW)})
    app = make_app("sam", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gs-meiderich-ap02")
        await settle(pilot)
        banner = flat(text_of(app.screen.query_one("#status", Static)))
        # down for 3 hours: since 06:30 UTC, 07:30 at the school (Europe/Berlin); the reason whole
        assert banner.startswith("▼ offline since 07:30 Europe/Berlin (3h ago): did not answer"), banner
        assert TIMEOUT_WHY in banner
        facts = flat(text_of(app.screen.query_one("#facts", Static)))
        assert f"why {TIMEOUT_WHY}" in facts, facts
        assert "poll error timeout: no answer" in facts
        assert "since 2026-11-20 07:30 Europe/Berlin (3h ago)" in facts
        assert "host-key-changed: SSH host key mismatch: offered SHA256:q1w2e3, pinned SHA256:z9x8c7" in facts
        assert "config waiting: was not reachable: gets its configuration as soon as it is back (converge) — why: " \
               "unreachable" in facts

        await pilot.press("escape")
        app.open_ap("gs-meiderich-ap01")  # an AP that is up: no banner
        await settle(pilot)
        assert not app.screen.query_one("#status", Static).display


async def test_graphs_start_at_zero_with_a_time_axis_and_numbers_for_humans(busy_db: Any, make_app: Any) -> None:
    app = make_app("ada", busy_db)
    async with app.run_test(size=SIZE) as pilot:
        app.open_ap("gs-meiderich-ap01")
        await settle(pilot)
        app.screen.query_one("#tabs", TabbedContent).active = "tab-graphs"
        await pilot.pause()
        chart = app.screen.query_one("#chart-clients", TimeChart)
        lines = chart.render().plain.splitlines()
        assert len(lines) == chart.size.height
        # y axis: the top is a round number over the peak (23 → 25), the bottom is zero
        assert y_label(lines[0]) == "25" and y_label(lines[-3]) == "0"
        assert "└" in lines[-2]
        # time axis in the site's zone: the day before 10:30 → 10:30 today, labelled every few hours
        labels = re.findall(r"\d\d:\d\d", lines[-1])
        assert len(labels) >= 3 and "00:00" in labels, lines[-1]
        traffic = str(app.screen.query_one("#label-in_bps", Label).render())
        assert "Traffic in (24 h): 3.3 Mbit/s, max 3.3 Mbit/s" in traffic
        traffic_chart = app.screen.query_one("#chart-in_bps", TimeChart).render().plain
        assert y_label(traffic_chart.splitlines()[0]) == "4 M"  # 3.3 Mbit/s peak: the axis ends at 4 M
        for metric in ("clients", "latency_ms", "in_bps", "out_bps"):
            text = str(app.screen.query_one(f"#label-{metric}", Label).render())
            assert "e+" not in text, text
        radios = text_of(app.screen.query_one("#radios", Static))
        assert "1.0 Mbit/s" in radios  # the same words for the same numbers on every tab


async def test_ssid_names_agree_between_the_wlans_window_and_the_ap_page(memdb: sqlite_utils.Database) -> None:
    """The AP page lists the SSIDs under the names the WLANs window shows (the configured ones); what the
    AP reports under another name is listed as such, not mixed in."""
    api = Netctl(memdb)
    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    ts = int(NOW.timestamp()) - 60
    memdb.table("series").insert_all([{"id": 1, "ap": "gs-meiderich-ap01", "metric": "clients:Schule-Lernen@radio1"},
                                      {"id": 2, "ap": "gs-meiderich-ap01", "metric": "clients:Free-WLAN@radio0"}])
    # hourly roll-ups: read like raw samples, and written the same whichever way raw samples are stored
    memdb.table("samples_1h").insert_all([{"series": i, "ts": ts, "value": v, "min": v, "max": v, "n": 1}
                                          for i, v in ((1, 21.0), (2, 3.0))])
    app = NetctlApp(api, refresh_seconds=0, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SsidScreen("gs-meiderich"))
        await settle(pilot)
        wlans = app.screen.query_one("#ssids", VirtualTable).keys
        assert wlans == ["Schule-Verwaltung", "Schule-Lernen", "Duisburg-Free-WLAN"]
        await pilot.press("escape")
        app.open_ap("gs-meiderich-ap01")
        await settle(pilot)
        radios = text_of(app.screen.query_one("#radios", Static), width=78)
        table = [line.split() for line in radios.splitlines()]
        listed = [row[0] for row in table if row and row[0] in (*wlans, "Free-WLAN")]
        assert listed[:3] == wlans  # in the WLANs window's order
        assert ["Schule-Lernen", "on", "radio1", "21"] in table
        assert ["Schule-Verwaltung", "on", "-", "-"] in table  # configured, no clients polled
        assert "Free-WLAN" in listed and "not in the config" in radios
