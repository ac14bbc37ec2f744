"""Timed SSID switches undo themselves: "guest WLAN off until …", on a real AP, read back over the test's
own NETCONF session.

The revert is the scheduler's ``timers`` job function, run here with a clock the test passes in (no
sleeping): before the time nothing happens, at the time the SSID is switched back once, audited as
the system naming the timer, and never again. The timer lives in the database, so a new process on
the same database still reverts it; a revert that cannot reach the AP keeps the timer due and says
why.

AP: gs-huckingen-ap03 (no other test pushes it), moved into a site of its own in the test's database.
Every test leaves the AP with its inventory config (all SSIDs on).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from netctl.api import Netctl
from netctl.errors import ConfigError
from netctl.selection import Selection
from netctl.ssids import timers_job
from tests.helpers.lab import with_psks
from tests.helpers.netconf import read_leaf

pytestmark = pytest.mark.lab

AP = "gs-huckingen-ap03"
SITE = "gs-huckingen-timers"
GUEST = "Duisburg-Free-WLAN"
PUPILS = "Schule-Lernen"


def enabled(api: Any, ssid: str = GUEST) -> list[str]:
    return read_leaf(api, AP, f"//n:ssid[n:name='{ssid}']/n:enabled/text()")


@pytest.fixture
def site(city: Any) -> Iterator[Any]:
    """The AP alone in its site, pushed with its inventory config; ada admin, sam its school-admin."""
    with_psks(city)
    city.session.db["sites"].insert({**city.session.db["sites"].get("gs-huckingen"), "name": SITE})
    city.session.db["aps"].update(AP, {"site": SITE})
    city.access.add_user("ada", "admin", os_login="no-such-login")
    city.access.add_user("eva", "engineer", tenants=["duisburg"])
    city.access.add_user("sam", "school-admin", sites=[SITE])
    city.access.add_user("tom", "school-admin", sites=["gs-huckingen"])
    Netctl(city.session.db_path, user="eva").access.allow_action("sam", f"ssid-toggle:{GUEST}")
    address, port = city.session.get_ap(AP)["address"], city.session.get_ap(AP)["port"]
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    assert enabled(city) == ["true"]
    try:
        yield city
    finally:
        city.inventory.set_ap(AP, {"address": address, "port": port})
        city.session.db["sites"].update(SITE, {"vars": city.session.db["sites"].get("gs-huckingen")["vars"]})
        back = city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20)
        assert all(r.ok for r in back), [r.reason for r in back]
    assert enabled(city) == ["true"]


def revert(api: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """One run of the scheduler's timers job, as the admin, at ``now``."""
    return timers_job(api.session.db_path, user="ada", now=now, options={"confirm_timeout": 20})


def ssid_actions(api: Any) -> list[tuple[str, str, str]]:
    return [(a["action"], a["who"], a["template"]) for a in api.config.audit(ap=AP) if a["action"].startswith("ssid-")]


def test_guest_wlan_off_for_a_while_switches_back_on_once_when_due(site: Any) -> None:
    sam = Netctl(site.session.db_path, user="sam")
    start = dt.datetime.now(dt.UTC)
    off = sam.ssids.set_ssid_enabled(SITE, GUEST, False, until="2m", confirm_timeout=20)
    assert [r.status for r in off] == ["applied"], [r.reason for r in off]
    assert enabled(site) == ["false"]
    [timer] = sam.ssids.ssid_timers()
    assert (timer["site"], timer["ssid"], timer["enabled"], timer["state"]) == (SITE, GUEST, False, "active")
    assert timer["who"] == "sam (os:root)" or timer["who"].startswith("sam")
    assert timer["text"] == f"off until {timer['until_local']} by sam"
    assert Netctl(site.session.db_path, user="tom").ssids.ssid_timers() == []  # another school's admin sees no timer
    runner = CliRunner()
    from netctl.cli import cli

    listed = runner.invoke(cli, ["--db", site.session.db_path, "--user", "sam", "ssid", "list", SITE])
    assert listed.exit_code == 0 and f"off until {timer['until_local']} by sam" in listed.output, listed.output

    assert revert(site, start + dt.timedelta(minutes=1)) == []  # not yet
    assert enabled(site) == ["false"]

    due = start + dt.timedelta(minutes=3)
    [done] = revert(site, due)
    assert (done["timer"], done["ok"], done["state"], done["aps"]) == (timer["id"], True, "reverted", {AP: "applied"})
    assert enabled(site) == ["true"]
    assert enabled(site, PUPILS) == ["true"]
    action, who, template = ssid_actions(site)[0]
    assert action == "ssid-on" and who.startswith(f"@system (timer {timer['id']}, run as ada")
    assert f"timer {timer['id']} ended: off until {timer['until_local']} by sam" in template

    assert revert(site, due) == []  # running it again switches nothing
    assert revert(site, due + dt.timedelta(minutes=5)) == []
    assert [a for a, _w, _t in ssid_actions(site)] == ["ssid-on", "ssid-off"]
    assert site.ssids.ssid_timers() == []
    [ended] = site.ssids.ssid_timers(ended=True)
    assert ended["state"] == "reverted" and ended["ended_by"].startswith("@system")


def test_a_new_process_on_the_same_database_still_reverts(site: Any) -> None:
    start = dt.datetime.now(dt.UTC)
    sam = Netctl(site.session.db_path, user="sam")
    off = sam.ssids.set_ssid_enabled(SITE, GUEST, False, until="5m", confirm_timeout=20)
    assert [r.status for r in off] == ["applied"], [r.reason for r in off]
    due = (start + dt.timedelta(minutes=6)).isoformat()  # a process started later, knowing only the database
    code = ("import datetime as dt, json, sys; from netctl.ssids import timers_job; "
            "print(json.dumps(timers_job(sys.argv[1], user='ada', now=dt.datetime.fromisoformat(sys.argv[2]))))")
    done = subprocess.run([sys.executable, "-c", code, site.session.db_path, due], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"state": "reverted"' in done.stdout and f'"{AP}": "applied"' in done.stdout, done.stdout
    assert enabled(site) == ["true"]
    assert [t["state"] for t in site.ssids.ssid_timers(ended=True)] == ["reverted"]


def test_a_revert_that_cannot_reach_the_ap_stays_due_and_says_why(site: Any) -> None:
    start = dt.datetime.now(dt.UTC)
    address, port = site.session.get_ap(AP)["address"], site.session.get_ap(AP)["port"]
    off = site.ssids.set_ssid_enabled(SITE, GUEST, False, until="2m", confirm_timeout=20)
    assert [r.status for r in off] == ["applied"], [r.reason for r in off]
    site.inventory.set_ap(AP, {"address": "127.0.0.1", "port": 9})  # refused at once: the AP is away
    due = start + dt.timedelta(minutes=3)
    [failed] = revert(site, due)
    assert (failed["ok"], failed["state"], failed["aps"]) == (False, "active", {AP: "pending"})
    [timer] = site.ssids.ssid_timers()
    assert timer["state"] == "active" and timer["tries"] == 1
    assert f"{AP}: pending" in timer["reason"] and "next try after" in timer["reason"]
    assert revert(site, due) == []  # backing off: not tried again at once
    site.inventory.set_ap(AP, {"address": address, "port": port})
    assert enabled(site) == ["false"]
    [done] = revert(site, due + dt.timedelta(minutes=2))
    assert (done["ok"], done["state"]) == (True, "reverted")
    assert enabled(site) == ["true"]


def test_switching_the_ssid_again_replaces_its_timer(site: Any) -> None:
    start = dt.datetime.now(dt.UTC)
    sam = Netctl(site.session.db_path, user="sam")
    assert all(r.ok for r in sam.ssids.set_ssid_enabled(SITE, GUEST, False, until="2m", confirm_timeout=20))
    [first] = sam.ssids.ssid_timers()
    assert all(r.ok for r in sam.ssids.set_ssid_enabled(SITE, GUEST, False, until="1d", confirm_timeout=20))
    [second] = sam.ssids.ssid_timers()
    assert second["id"] != first["id"]
    cancelled = {t["id"]: t for t in sam.ssids.ssid_timers(ended=True)}[first["id"]]
    assert cancelled["state"] == "cancelled" and "replaced by ssid-off" in cancelled["reason"]
    assert f"cancels timer {first['id']}" in ssid_actions(site)[0][2]
    assert revert(site, start + dt.timedelta(minutes=3)) == []  # the first timer's time: nothing happens
    assert enabled(site) == ["false"]
    # switching it on before the time cancels the timer: nothing switches it off again later
    assert all(r.ok for r in sam.ssids.set_ssid_enabled(SITE, GUEST, True, confirm_timeout=20))
    assert sam.ssids.ssid_timers() == []
    assert revert(site, start + dt.timedelta(days=2)) == []
    assert enabled(site) == ["true"]


def test_the_cli_says_until_when_refuses_a_bad_time_and_lists_the_timer(site: Any) -> None:
    import json

    from netctl.cli import cli

    runner = CliRunner()
    base = ["--db", site.session.db_path, "--user", "sam", "ssid"]
    bad = runner.invoke(cli, [*base, "off", SITE, GUEST, "--until", "25:00", "--yes"])
    assert isinstance(bad.exception, ConfigError) and "'25:00'" in str(bad.exception) and "90m" in str(bad.exception)
    asked = runner.invoke(cli, [*base, "off", SITE, GUEST, "--until", "2h"], input="n\n")
    assert asked.exit_code != 0 and "Europe/Berlin, then back on (1 of 1 AP(s) change)?" in asked.output, asked.output
    assert enabled(site) == ["true"] and site.ssids.ssid_timers() == []  # refused or declined: nothing sent or stored
    done = runner.invoke(cli, [*base, "off", SITE, GUEST, "--until", "2h", "--yes", "--confirm-timeout", "20"])
    assert done.exit_code == 0, done.output
    [timer] = site.ssids.ssid_timers()
    assert f"timer {timer['id']}: {GUEST} off until {timer['until_local']} by sam" in done.output
    listed = runner.invoke(cli, [*base, "timers", "--json"])
    assert [(t["id"], t["ssid"], t["state"]) for t in json.loads(listed.output)] == [(timer["id"], GUEST, "active")]
    back = runner.invoke(cli, [*base, "on", SITE, GUEST, "--yes", "--confirm-timeout", "20"])
    assert back.exit_code == 0, back.output
    assert site.ssids.ssid_timers() == [] and enabled(site) == ["true"]
