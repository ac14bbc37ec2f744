"""A school-admin switches the one WLAN an engineer allowed them, from the TUI, against the lab.

The confirm box shows each AP's diff (only that SSID's enabled state); the switch goes to every AP
of the school through the safe push path as a targeted change and is read back over a separate
NETCONF session; the other SSIDs stay view-only, and the core refuses everything else.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Label, Static, Tree

from netctl import i18n
from netctl.api import Netctl
from netctl.errors import NotFound, PermissionDenied
from netctl.selection import Selection
from tests.helpers.lab import PSK
from tests.helpers.netconf import read_leaf
from tests.helpers.tui import settle, text_of
from tui.app import NetctlApp
from tui.screens.push import ConfirmPush
from tui.screens.ssids import SsidScreen
from tui.widgets.progress import JobProgress
from tui.widgets.table import VirtualTable

pytestmark = pytest.mark.lab

SITE = "rs-walsum"
GUEST = "Duisburg-Free-WLAN"
ENABLED = f"//n:ssid[n:name='{GUEST}']/n:enabled/text()"


async def switch(app: Any, pilot: Any, ssid: str, change: str) -> None:
    table = app.screen.query_one("#ssids", VirtualTable)
    assert table.move_to(ssid)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmPush)
    asked = text_of(app.screen.query_one("#confirm-text", Label), width=200)
    assert "3 of 3 AP(s) change; only this:" in asked
    assert asked.count(f"~ ap/ssid[name={ssid}]/enabled: {change}") == 3, asked
    assert "tx-power" not in asked and "max-clients" not in asked
    await pilot.press("y")
    await settle(pilot)
    assert isinstance(app.screen, SsidScreen)


async def test_school_admin_switches_the_allowed_ssid_at_their_school(city: Any) -> None:
    city.inventory.import_secrets(PSK)
    # start from the intended config on the devices (all SSIDs on), whatever an earlier run left there
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    assert read_leaf(city, f"{SITE}-ap01", ENABLED) == ["true"]
    city.access.add_user("ada", "admin", os_login="no-such-login")
    city.access.add_user("eva", "engineer", tenants=["duisburg"])
    city.access.add_user("sam", "school-admin", sites=[SITE])
    Netctl(city.session.db_path, user="eva").access.allow_action("sam", f"ssid-toggle:{GUEST}")
    sam = Netctl(city.session.db_path, user="sam")
    with pytest.raises(PermissionDenied):
        sam.config.push(Selection(site=SITE))
    with pytest.raises(PermissionDenied):
        sam.ssids.set_ssid_enabled(SITE, "Schule-Lernen", False)
    with pytest.raises(NotFound):
        sam.ssids.set_ssid_enabled("gym-hamborn", GUEST, False)  # another school: does not exist for sam

    app = NetctlApp(sam, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")  # from the dashboard, sam's first screen
        await settle(pilot)
        tree = app.screen.query_one("#sites", Tree)
        site = next(node for tenant in tree.root.children for node in tenant.children if node.data == SITE)
        tree.move_cursor(site)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, SsidScreen)
        table = app.screen.query_one("#ssids", VirtualTable)
        rows = {key: table.rows[i][1:] for i, key in enumerate(table.keys)}
        assert rows == {
            "Schule-Verwaltung": ("on", "view only", ""),
            "Schule-Lernen": ("on", "view only", ""),
            GUEST: ("on", "switch", ""),
        }

        await switch(app, pilot, GUEST, "true -> false")
        assert "3 AP(s): applied 3" in text_of(app.screen.query_one("#ssid-status", Static))
        assert app.screen.query_one("#job-ssid", JobProgress).text == "3/3"  # the bar of the switch, at its end
        assert dict((k, table.rows[i][1]) for i, k in enumerate(table.keys))[GUEST] == "off"
        assert read_leaf(city, f"{SITE}-ap01", ENABLED) == ["false"]
        assert read_leaf(city, f"{SITE}-ap03", ENABLED) == ["false"]
        assert read_leaf(city, f"{SITE}-ap01", "//n:ssid[n:name='Schule-Lernen']/n:enabled/text()") == ["true"]

        table.move_to("Schule-Lernen")
        await pilot.press("enter")  # view only: nothing is asked, nothing is sent
        await settle(pilot)
        assert isinstance(app.screen, SsidScreen)

        await switch(app, pilot, GUEST, "false -> true")  # and back on
        assert dict((k, table.rows[i][1]) for i, k in enumerate(table.keys))[GUEST] == "on"
    assert read_leaf(city, f"{SITE}-ap02", ENABLED) == ["true"]
    audit = city.config.audit(ap=f"{SITE}-ap01")
    assert [(a["who"].split(" ")[0], a["action"], a["outcome"]) for a in audit[:2]] == [
        ("sam", "ssid-on", "applied"),
        ("sam", "ssid-off", "applied"),
    ]


def school_admin_with_the_guest_switch(city: Any) -> Netctl:
    """The school's APs on their intended config; sam, its school-admin, may switch the guest SSID."""
    city.inventory.import_secrets(PSK)
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    city.access.add_user("ada", "admin", os_login="no-such-login")
    city.access.add_user("sam", "school-admin", sites=[SITE])
    city.access.allow_action("sam", f"ssid-toggle:{GUEST}")
    return Netctl(city.session.db_path, user="sam")


async def test_the_wlans_window_shows_what_is_temporary_and_when_it_ends(city: Any) -> None:
    sam = school_admin_with_the_guest_switch(city)
    try:
        assert all(r.ok for r in sam.ssids.set_ssid_enabled(SITE, GUEST, False, until="2h", confirm_timeout=20))
        [timer] = sam.ssids.ssid_timers()
        app = NetctlApp(sam, refresh_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.push_screen(SsidScreen(SITE))
            await settle(pilot)
            table = app.screen.query_one("#ssids", VirtualTable)
            rows = {key: table.rows[i][1:] for i, key in enumerate(table.keys)}
            assert rows[GUEST] == ("off", "switch", timer["until_local"])
            assert rows["Schule-Lernen"] == ("on", "view only", "")
            status = text_of(app.screen.query_one("#ssid-status", Static), width=200)
            assert f"temporary: {GUEST} off until {timer['until_local']} by sam" in status
            i18n.choose("de")  # the same line in German; the core's timer text stays English
            screen = app.screen
            assert isinstance(screen, SsidScreen)
            try:
                screen.action_reload()
                await settle(pilot)
                german = text_of(app.screen.query_one("#ssid-status", Static), width=200)
            finally:
                i18n.choose("en")
            assert f"vorübergehend: {GUEST} aus bis {timer['until_local']}, von sam" in german, german
            assert timer["text"] == f"off until {timer['until_local']} by sam"
            screen.action_reload()
            await settle(pilot)
            assert table.move_to(GUEST)
            await pilot.press("enter")  # switching it on before the time: the box says the timer ends
            await settle(pilot)
            assert isinstance(app.screen, ConfirmPush)
            asked = text_of(app.screen.query_one("#confirm-text", Label), width=200)
            assert f"this cancels the timer (off until {timer['until_local']} by sam)" in asked, asked
            await pilot.press("y")
            await settle(pilot)
            assert sam.ssids.ssid_timers() == []
            assert dict((k, table.rows[i][1:]) for i, k in enumerate(table.keys))[GUEST] == ("on", "switch", "")
    finally:
        assert all(r.ok for r in city.ssids.set_ssid_enabled(SITE, GUEST, True, confirm_timeout=20))
    assert city.ssids.ssid_timers() == []  # switching it on cancelled the timer
    assert read_leaf(city, f"{SITE}-ap01", ENABLED) == ["true"]


async def test_a_school_admin_switches_the_guest_wlan_off_until_a_time_from_the_wlans_window(city: Any) -> None:
    """``t`` asks until when, reads it back for the site, shows it in the confirm box, and stores the timer."""
    from textual.widgets import Input

    sam = school_admin_with_the_guest_switch(city)
    try:
        app = NetctlApp(sam, refresh_seconds=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.push_screen(SsidScreen(SITE))
            await settle(pilot)
            table = app.screen.query_one("#ssids", VirtualTable)
            assert table.move_to(GUEST)
            await pilot.press("t")
            await pilot.pause()
            app.screen.query_one("#until", Input).value = "soon"  # a typo: refused, nothing switched
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SsidScreen)
            assert "soon" in text_of(app.screen.query_one("#ssid-status", Static), width=200)
            await pilot.press("t")
            await pilot.pause()
            app.screen.query_one("#until", Input).value = "2h"
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmPush)
            asked = text_of(app.screen.query_one("#confirm-text", Label), width=200)
            assert f"switch OFF the WLAN '{GUEST}' at {SITE} until " in asked
            assert "Europe/Berlin, then back on by itself?" in asked, asked
            await pilot.press("y")
            await settle(pilot)
            [timer] = sam.ssids.ssid_timers()
            assert (timer["ssid"], timer["enabled"]) == (GUEST, False)
            rows = {key: table.rows[i][1:] for i, key in enumerate(table.keys)}
            assert rows[GUEST] == ("off", "switch", timer["until_local"])
        assert read_leaf(city, f"{SITE}-ap01", ENABLED) == ["false"]
    finally:
        assert all(r.ok for r in city.ssids.set_ssid_enabled(SITE, GUEST, True, confirm_timeout=20))
    assert read_leaf(city, f"{SITE}-ap01", ENABLED) == ["true"]
