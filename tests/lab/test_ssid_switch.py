"""Switching an SSID changes only that SSID, on the lab's real APs, read back over the test's own sessions.

The finding it guards: switching the guest SSID off pushed the APs' whole configuration (channels,
width, TX power, and whatever an engineer had changed in the inventory without pushing), and
switching it back on silently reverted an engineer's change made on the device in between. A
targeted change sends only the SSID's enabled state, and the audit says ``ssid-off``/``ssid-on``.

NETCONF: the school ges-ruhrort (three netconfd APs no other test pushes). OpenWrt: two trams moved
into a site of their own in the test's database (tram-1031-ap01, tram-1032-ap01; no other test
pushes them). Every test pushes its APs back to the inventory config at the end.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from netctl.api import Netctl
from netctl.selection import Selection
from tests.helpers.lab import with_psks
from tests.helpers.netconf import NWAP, manager_for, read_leaf
from tests.helpers.ssh import ssh_run, uci_show

pytestmark = pytest.mark.lab

SITE = "ges-ruhrort"
GUEST = "Duisburg-Free-WLAN"
PUPILS = "Schule-Lernen"
DEPOT = "dvg-ssid-test"
TRAMS = ("tram-1031-ap01", "tram-1032-ap01")


def enabled(api: Any, ap: str, ssid: str) -> list[str]:
    return read_leaf(api, ap, f"//n:ssid[n:name='{ssid}']/n:enabled/text()")


def max_clients(api: Any, ap: str, ssid: str) -> list[str]:
    return read_leaf(api, ap, f"//n:ssid[n:name='{ssid}']/n:max-clients/text()")


def tx_5g(api: Any, ap: str) -> list[str]:
    return read_leaf(api, ap, "//n:radio[n:id='radio1']/n:tx-power/text()")


def engineer_sets_max_clients_on_the_device(api: Any, ap: str, ssid: str, value: int) -> None:
    """An engineer's change made on the AP itself, over the test's own NETCONF session."""
    edit = (
        f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ap xmlns="{NWAP}"><ssid><name>{ssid}</name>'
        f"<max-clients>{value}</max-clients></ssid></ap></config>"
    )
    with manager_for(api, ap) as m:
        with m.locked("candidate"):
            m.discard_changes()
            m.edit_config(target="candidate", config=etree.fromstring(edit))
            m.commit()


def school_admin(city: Any, site: str, ssid: str) -> Netctl:
    city.access.add_user("ada", "admin", os_login="no-such-login")
    city.access.add_user("eva", "engineer", tenants=["duisburg"])
    city.access.add_user("sam", "school-admin", sites=[site])
    Netctl(city.session.db_path, user="eva").access.allow_action("sam", f"ssid-toggle:{ssid}")
    return Netctl(city.session.db_path, user="sam")


def test_switching_the_guest_ssid_changes_only_that_ssid_on_netconf_aps(city: Any) -> None:
    with_psks(city)
    aps = [f"{SITE}-ap0{i}" for i in (1, 2, 3)]
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    try:
        tx_before = tx_5g(city, aps[0])
        # the engineer: max-clients 60 -> 40 on ap02's device, and a TX power change in the inventory
        # of ap01 that nobody pushed yet
        engineer_sets_max_clients_on_the_device(city, aps[1], PUPILS, 40)
        city.inventory.set_ap(aps[0], {"vars.radio_5g_tx_power": 9})
        sam = school_admin(city, SITE, GUEST)

        off = sam.ssids.set_ssid_enabled(SITE, GUEST, False, confirm_timeout=20)
        assert [(r.ap, r.status) for r in off] == [(ap, "applied") for ap in aps], [r.reason for r in off]
        for ap in aps:
            assert enabled(city, ap, GUEST) == ["false"]
            assert enabled(city, ap, PUPILS) == ["true"]
        assert max_clients(city, aps[1], PUPILS) == ["40"]
        assert tx_5g(city, aps[0]) == tx_before  # the pending inventory change was not carried

        on = sam.ssids.set_ssid_enabled(SITE, GUEST, True, until="2h", confirm_timeout=20)
        assert [r.status for r in on] == ["applied"] * 3, [r.reason for r in on]
        assert [enabled(city, ap, GUEST) for ap in aps] == [["true"]] * 3
        assert max_clients(city, aps[1], PUPILS) == ["40"]  # the engineer's change survives switching back
        assert tx_5g(city, aps[0]) == tx_before

        audit = city.config.audit(ap=aps[1])
        assert [(a["action"], a["who"].split(" ")[0], a["outcome"]) for a in audit[:2]] == [
            ("ssid-on", "sam", "applied"),
            ("ssid-off", "sam", "applied"),
        ]
        [timer] = sam.ssids.ssid_timers()  # on for two hours, then off again (tests/lab/test_ssid_timers.py)
        assert f"until {timer['until_local']} Europe/Berlin" in audit[0]["template"]
        assert audit[1]["diff"].splitlines() == [f"~ ap/ssid[name={GUEST}]/enabled: true -> false"]
    finally:
        city.inventory.set_ap(aps[0], {"vars.radio_5g_tx_power": None})
        back = city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20)
        assert all(r.ok for r in back), [r.reason for r in back]
    assert max_clients(city, aps[1], PUPILS) == ["60"]


def test_preview_shows_only_the_ssid_and_refuses_an_ap_without_it(city: Any) -> None:
    with_psks(city)
    ap = f"{SITE}-ap03"
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    city.inventory.set_ap(ap, {"vars.radio_5g_tx_power": 8})  # pending in the inventory: not in the preview
    try:
        preview = city.ssids.ssid_change_plan(SITE, GUEST, False)
        assert [(p["ap"], p["status"]) for p in preview] == [(f"{SITE}-ap0{i}", "changed") for i in (1, 2, 3)]
        assert all(p["diff"] == f"~ ap/ssid[name={GUEST}]/enabled: true -> false" for p in preview)
        assert enabled(city, ap, GUEST) == ["true"]  # a preview sends nothing
        assert not [a for a in city.config.audit(ap=ap) if a["action"].startswith("ssid-")]
    finally:
        city.inventory.set_ap(ap, {"vars.radio_5g_tx_power": None})


def test_switching_an_ssid_on_openwrt_sets_only_its_disabled_option(city: Any) -> None:
    with_psks(city)
    fleet = city.session.db["sites"].get("dvg-fleet")
    city.session.db["sites"].insert({**fleet, "name": DEPOT})
    for tram in TRAMS:
        city.session.db["aps"].update(tram, {"site": DEPOT})
    assert all(r.ok for r in city.config.push(Selection(site=DEPOT, role="ap")))
    free = "DVG-Free-WLAN"
    try:
        before = {tram: uci_show(city, tram) for tram in TRAMS}
        # the engineer raises maxassoc on the first tram by hand (committed), and stages a change
        # on the second that nobody committed: neither may be undone or carried by the switch
        ssh_run(city, TRAMS[0], "uci set wireless.ssid0_radio0.maxassoc='99'; uci commit wireless")
        ssh_run(city, TRAMS[1], "uci set wireless.radio1.txpower='5'")
        sam = school_admin(city, DEPOT, free)
        off = sam.ssids.set_ssid_enabled(DEPOT, free, False)
        assert [r.status for r in off] == ["applied", "applied"], [r.reason for r in off]
        after = {tram: uci_show(city, tram) for tram in TRAMS}
        for tram in TRAMS:
            ifaces = {k.rsplit(".", 1)[0] for k, v in before[tram].items() if k.endswith(".ssid") and v == free}
            assert len(ifaces) == 2  # one wifi-iface per radio
            changed = {k for k in after[tram] if after[tram][k] != before[tram].get(k)}
            assert changed - {"wireless.ssid0_radio0.maxassoc"} == {f"{i}.disabled" for i in ifaces}
            assert {after[tram][f"{i}.disabled"] for i in ifaces} == {"1"}
        assert after[TRAMS[0]]["wireless.ssid0_radio0.maxassoc"] == "99"
        assert after[TRAMS[1]]["wireless.radio1.txpower"] == before[TRAMS[1]]["wireless.radio1.txpower"]
        assert ssh_run(city, TRAMS[1], "uci changes").strip() == ""
        on = sam.ssids.set_ssid_enabled(DEPOT, free, True)
        assert [r.status for r in on] == ["applied", "applied"], [r.reason for r in on]
        again = uci_show(city, TRAMS[0])
        assert {again[f"{i}.disabled"] for i in ifaces} == {"0"}
        assert again["wireless.ssid0_radio0.maxassoc"] == "99"
        actions = [(a["action"], a["outcome"]) for a in city.config.audit(ap=TRAMS[0])[:2]]
        assert actions == [("ssid-on", "applied"), ("ssid-off", "applied")]
    finally:
        back = city.config.push(Selection(site=DEPOT, role="ap"))
        assert all(r.ok for r in back), [r.reason for r in back]


def test_cli_shows_the_diff_and_asks_before_switching(city: Any) -> None:
    from click.testing import CliRunner

    from netctl.cli import cli

    with_psks(city)
    ap = f"{SITE}-ap02"
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    runner = CliRunner()
    base = ["--db", city.session.db_path, "ssid"]
    try:
        listed = runner.invoke(cli, [*base, "list", SITE])
        assert listed.exit_code == 0 and f"{GUEST}  on" in listed.output, listed.output
        asked = runner.invoke(cli, [*base, "off", SITE, GUEST], input="n\n")
        assert asked.exit_code != 0
        assert f"### {ap}\n~ ap/ssid[name={GUEST}]/enabled: true -> false" in asked.output
        assert f"Switch SSID '{GUEST}' OFF at {SITE} (3 of 3 AP(s) change)?" in asked.output
        assert enabled(city, ap, GUEST) == ["true"]  # declined: nothing sent
        done = runner.invoke(cli, [*base, "off", SITE, GUEST, "--yes", "--confirm-timeout", "20"])
        assert done.exit_code == 0, done.output
        assert "~ ap/ssid" not in done.output and done.output.count("applied") == 3
        assert enabled(city, ap, GUEST) == ["false"]
        assert [a["action"] for a in city.config.audit(ap=ap)][:1] == ["ssid-off"]
    finally:
        back = runner.invoke(cli, [*base, "on", SITE, GUEST, "--yes", "--confirm-timeout", "20"])
        assert back.exit_code == 0, back.output
    assert enabled(city, ap, GUEST) == ["true"]


def test_an_ap_away_during_the_switch_gets_it_with_its_config_on_converge(city: Any) -> None:
    with_psks(city)
    aps = [f"{SITE}-ap0{i}" for i in (1, 2, 3)]
    away = aps[2]
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    address, port = city.session.get_ap(away)["address"], city.session.get_ap(away)["port"]
    city.inventory.set_ap(away, {"address": "127.0.0.1", "port": 9})  # refused at once: the AP is away
    try:
        off = {r.ap: r for r in city.ssids.set_ssid_enabled(SITE, GUEST, False, confirm_timeout=20)}
        assert {ap: r.status for ap, r in off.items()} == {aps[0]: "applied", aps[1]: "applied", away: "pending"}
        status = city.config.config_status(away)[0]
        assert status["status"] == "pending" and status["template"] is None
        city.inventory.set_ap(away, {"address": address, "port": port})
        assert enabled(city, away, GUEST) == ["true"]
        back = city.config.converge(Selection(site=SITE), confirm_timeout=20)
        assert [(r.ap, r.status) for r in back] == [(away, "applied")], [r.reason for r in back]
        assert enabled(city, away, GUEST) == ["false"]  # the wish, from the site variable
        assert city.config.config_status(away)[0]["status"] == "applied"
    finally:
        city.inventory.set_ap(away, {"address": address, "port": port})
        on = city.ssids.set_ssid_enabled(SITE, GUEST, True, confirm_timeout=20)
        assert all(r.ok for r in on), [r.reason for r in on]
    assert enabled(city, away, GUEST) == ["true"]


def test_a_switch_whose_run_died_is_reconciled_by_what_it_names(city: Any) -> None:
    """A run killed after sending an ssid-off leaves its journal row: the next config command reads
    the AP back and compares only the SSID's state (the partial config), so the AP that runs it is
    recorded ``applied``, not "does not run what it sent"."""
    import os

    from netctl.push import journal
    from netctl.push.ops import _seal
    from netctl.push.targeted import ssid_enabled_config

    with_psks(city)
    ap = f"{SITE}-ap01"
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    try:
        switched = city.ssids.set_ssid_enabled(SITE, GUEST, False, confirm_timeout=20)
        assert [r.status for r in switched] == ["applied"] * 3
        sent = ssid_enabled_config("netconf-wlan", GUEST, False)
        dead = journal.Holder("sam", journal.Holder.this_process("x").host, os.getpid(), "not-this-process")
        assert journal.take(city.session.db, "run-killed", dead,
                            [journal.Intent(ap, "netconf-wlan", "ssid-off", "ssid-off " + GUEST, None, _seal(sent))],
                            confirm_timeout=0) == {}
        city.session.db.execute("update push_intents set orphan_seen = '2000-01-01T00:00:00+00:00' where ap = ?", [ap])
        city.session.db.conn.commit()
        done = city.config.reconcile()
        assert [(r.ap, r.status) for r in done] == [(ap, "applied")], [r.reason for r in done]
        assert "runs the configuration it sent" in (done[0].reason or "")
        last = city.config.audit(ap=ap)[0]
        assert last["action"] == "ssid-off" and last["outcome"] == "reconciled"
    finally:
        journal.release_all(city.session.db, "run-killed", [ap])
        on = city.ssids.set_ssid_enabled(SITE, GUEST, True, confirm_timeout=20)
        assert all(r.ok for r in on), [r.reason for r in on]


def test_switching_an_ssid_on_an_openconfig_ap_merges_only_its_enabled_leaf(city: Any) -> None:
    from netctl.render.schema import flatten

    with_psks(city)
    ap, site, visitors = "zoo-playground-ap05", "zoo-ssid-test", "Zoo-Duisburg-Gast"
    city.session.db["sites"].insert({**city.session.db["sites"].get("zoo-duisburg"), "name": site})
    city.session.db["aps"].update(ap, {"site": site})

    def running() -> dict[str, str]:
        with manager_for(city, ap) as m:
            reply = m.get_config("running", filter=("subtree", '<ssids xmlns="http://openconfig.net/yang/wifi-mac"/>'))
        return flatten(etree.tostring(reply.data_ele[0]).decode(), "openconfig-wlan")

    assert all(r.ok for r in city.config.push(Selection(site=site, role="ap"), confirm_timeout=20))
    try:
        before = running()
        off = city.ssids.set_ssid_enabled(site, visitors, False, confirm_timeout=20)
        assert [r.status for r in off] == ["applied"], [r.reason for r in off]
        after = running()
        leaf = f"ssids/ssid[name={visitors}]/config/enabled"
        assert (before[leaf], after[leaf]) == ("true", "false")
        assert {k: v for k, v in after.items() if k != leaf} == {k: v for k, v in before.items() if k != leaf}
        assert off[0].diff == f"~ {leaf}: true -> false"
    finally:
        on = city.ssids.set_ssid_enabled(site, visitors, True, confirm_timeout=20)
        assert all(r.ok for r in on), [r.reason for r in on]
    assert running()[f"ssids/ssid[name={visitors}]/config/enabled"] == "true"


def test_an_ap_without_the_ssid_is_refused_not_given_half_an_ssid(city: Any) -> None:
    with_psks(city)
    aps = [f"{SITE}-ap0{i}" for i in (1, 2, 3)]
    assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
    removal = (
        f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
        f'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><ap xmlns="{NWAP}">'
        f'<ssid nc:operation="delete"><name>{GUEST}</name></ssid></ap></config>'
    )
    with manager_for(city, aps[2]) as m:  # someone took the guest SSID off this AP by hand
        with m.locked("candidate"):
            m.discard_changes()
            m.edit_config(target="candidate", config=etree.fromstring(removal))
            m.commit()
    sam = school_admin(city, SITE, GUEST)
    try:
        results = {r.ap: r for r in sam.ssids.set_ssid_enabled(SITE, GUEST, False)}
        assert [results[ap].status for ap in aps[:2]] == ["applied", "applied"]
        refused = results[aps[2]]
        assert not refused.ok and "does not have" in (refused.reason or "") and "nothing was sent" in (
            refused.reason or "")
        with manager_for(city, aps[2]) as m:  # no half SSID (a name and an enabled leaf) was created
            reply = m.get_config("running", filter=("subtree", f'<ap xmlns="{NWAP}"/>'))
        names = reply.data_ele.xpath("//n:ssid/n:name/text()", namespaces={"n": NWAP})
        assert GUEST not in names and names
        assert enabled(city, aps[0], GUEST) == ["false"]
    finally:
        sam.ssids.set_ssid_enabled(SITE, GUEST, True)  # the wish back to "on"; the push restores the third AP's SSID
        back = city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20)
        assert all(r.ok for r in back), [r.reason for r in back]
