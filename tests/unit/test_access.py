"""Users, roles and scopes: the core enforces them for every front end (in-memory database)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.errors import ConfigError, NotFound, PermissionDenied
from netctl.selection import Selection
from tests.helpers.access import as_user, seed


@pytest.fixture
def db(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed(memdb)
    boot = Netctl(memdb)  # no users yet: the OS login is admin
    boot.access.add_user("ada", "admin", os_login="nobody-maps-here")
    boot.access.add_user("eva", "engineer", tenants=["duisburg"])
    boot.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    boot.access.add_user("mo", "school-admin", sites=["gs-moers-mitte"])
    return memdb


def test_fresh_install_os_login_is_admin_and_first_user_must_be_admin(memdb: sqlite_utils.Database) -> None:
    seed(memdb)
    nc = Netctl(memdb)
    assert nc.session.role == "admin" and nc.access.whoami()["scope"] == {"tenants": None, "sites": None}
    with pytest.raises(ConfigError, match="first user must be an admin"):
        nc.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    assert memdb["users"].count == 0


def test_add_list_and_scopes(db: sqlite_utils.Database) -> None:
    users = {u["name"]: u for u in as_user(db, "ada").access.list_users()}
    assert set(users) == {"ada", "eva", "sam", "mo"}
    assert users["sam"]["scope"] == {"tenants": None, "sites": ["gs-meiderich"]}
    assert users["eva"]["scope"] == {"tenants": ["duisburg"], "sites": None}
    assert users["ada"]["os_login"] == "nobody-maps-here"


def test_bad_input_is_refused_with_a_hint_and_nothing_written(db: sqlite_utils.Database) -> None:
    root = as_user(db, "ada")
    with pytest.raises(NotFound, match="no site named 'gs-nowhere'"):
        root.access.add_user("x", "school-admin", sites=["gs-nowhere"])
    with pytest.raises(ConfigError, match="needs at least one site"):
        root.access.add_user("x", "school-admin", tenants=["duisburg"])
    with pytest.raises(ConfigError, match="unknown role"):
        root.access.add_user("x", "superuser")
    with pytest.raises(ConfigError, match="does not belong"):
        root.access.add_user("x", "engineer", tenants=["moers"], sites=["gs-meiderich"])
    with pytest.raises(ConfigError, match="exists already"):
        root.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    with pytest.raises(ConfigError) as err:
        root.access.allow_action("sam", "push")
    assert "ssid-toggle" in (err.value.hint or "")
    assert db["users"].count == 4


def test_last_admin_cannot_be_removed_or_demoted(db: sqlite_utils.Database) -> None:
    root = as_user(db, "ada")
    with pytest.raises(ConfigError, match="last admin"):
        root.access.remove_user("ada")
    with pytest.raises(ConfigError, match="last admin"):
        root.access.set_user_scope("ada", role="engineer", tenants=["duisburg"])
    root.access.remove_user("mo")
    assert {u["name"] for u in root.access.list_users()} == {"ada", "eva", "sam"}


def test_unknown_user_and_unmapped_os_login(db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import pwd

    with pytest.raises(NotFound, match="no netctl user named 'ghost'"):
        Netctl(db, user="ghost")
    monkeypatch.setattr(os, "geteuid", lambda: pwd.getpwnam("nobody").pw_uid)
    with pytest.raises(PermissionDenied, match="not mapped"):
        Netctl(db)  # the OS login nobody is not mapped to anyone


def test_os_login_maps_to_user(db: sqlite_utils.Database) -> None:
    from netctl.core import os_login

    as_user(db, "ada").access.add_user("me", "school-admin", sites=["gym-hamborn"], os_login=os_login())
    nc = Netctl(db)
    assert (nc.session.user_name, nc.session.role) == ("me", "school-admin")
    assert {ap["site"] for ap in nc.session.select()} == {"gym-hamborn"}


def test_scope_limits_every_selection(db: sqlite_utils.Database) -> None:
    assert len(as_user(db, "ada").session.select()) == 8
    assert {ap["tenant"] for ap in as_user(db, "eva").session.select()} == {"duisburg"}
    assert [ap["name"] for ap in as_user(db, "sam").session.select()] == ["gs-meiderich-ap01", "gs-meiderich-ap02"]
    # asking for them by name, glob or filter does not help
    sam = as_user(db, "sam")
    assert sam.session.select(Selection(names=("gs-moers-mitte-ap01",))) == []
    assert sam.session.select(Selection(names=("*",), tenant="moers")) == []
    assert [s["name"] for s in sam.session.visible_sites()] == ["gs-meiderich"]
    with pytest.raises(NotFound):
        sam.session.require_site("gym-hamborn")


def _methods_naming_one_ap() -> list[str]:
    """Every public facade method whose first parameter names one AP (the list grows with the facade)."""
    found = []
    for service, cls in Netctl.SERVICES.items():
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
            if name.startswith("_") or not params or params[0].default is not inspect.Parameter.empty:
                continue
            if params[0].name == "ap" or (params[0].name == "name" and "ap" in name.split("_")):
                found.append(f"{service}.{name}")
    found.append("session.get_ap")
    return found


def _method(nc: Netctl, path: str) -> Any:
    """``nc.service.method`` named by ``"service.method"``."""
    service, name = path.split(".")
    return getattr(getattr(nc, service), name)


def _call(nc: Netctl, method: str, ap: str) -> Any:
    """Call ``method`` for ``ap`` with harmless values for its other required parameters."""
    fn = _method(nc, method)
    params = list(inspect.signature(fn).parameters.values())[1:]
    values = {"version": 1, "changes": {"vars.x": 1}, "metric": "clients"}
    args = [
        values.get(p.name, "x")
        for p in params
        if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    return fn(ap, *args)


#: facade methods that take a selection: called for an out-of-scope AP they must act on nothing
SELECTION_METHODS = (
    "inventory.list_aps",
    "monitor.status",
    "config.config_status",
    "monitor.alerts",
    "config.render",
    "config.diff",
    "config.push",
    "config.converge",
    "config.backup",
    "config.drift",
    "monitor.poll",
)


def test_out_of_scope_ap_cannot_be_reached_by_any_facade_action(db: sqlite_utils.Database) -> None:
    """An engineer of Duisburg (who may push) and a school-admin try every facade action on a Moers AP."""
    outside = "gs-moers-mitte-ap01"
    db.table("alerts").insert({"id": 7, "ap": outside, "kind": "down", "state": "open", "severity": "critical"})
    before = dict(db.table("aps").get(outside))
    methods = _methods_naming_one_ap()
    assert {
        "session.get_ap",
        "inventory.show_ap",
        "inventory.set_ap",
        "inventory.remove_ap",
        "inventory.ap_vars",
        "config.history",
        "config.show_config",
        "config.restore",
        "monitor.metrics",
    } <= set(methods)
    for user in ("eva", "sam"):
        nc = as_user(db, user)
        for method in methods:
            with pytest.raises((NotFound, PermissionDenied)) as err:
                _call(nc, method, outside)
            if user == "eva":  # eva may do all of these inside her scope: here the AP simply does not exist
                assert isinstance(err.value, NotFound), (method, err.value)
                assert outside in str(err.value), (method, err.value)
        for method in SELECTION_METHODS:
            try:
                result = _method(nc, method)(Selection(names=(outside,)))
            except PermissionDenied:
                assert user == "sam", method
                continue
            assert outside not in json.dumps(result, default=str), method
        with pytest.raises(NotFound):
            nc.monitor.ack_alert(7)
        if user == "eva":
            with pytest.raises(NotFound):
                nc.monitor.maintenance_add(Selection(names=(outside,)), "now", "+1h")
            assert outside not in json.dumps(nc.inventory.tree()) and nc.config.audit(ap=outside) == []
    assert dict(db.table("aps").get(outside)) == before
    assert db.table("alerts").get(7)["acked_by"] is None
    assert db["audit"].count == 0 and db["maintenance"].count == 0


def test_school_admin_cannot_push_or_manage_users(db: sqlite_utils.Database) -> None:
    sam = as_user(db, "sam")
    for action in ("push", "render", "inventory", "users", "secrets", "delegate"):
        with pytest.raises(PermissionDenied, match="sam"):
            sam.session.require(action)
    with pytest.raises(PermissionDenied):
        sam.access.list_users()
    with pytest.raises(PermissionDenied):
        sam.access.add_user("x", "admin")
    with pytest.raises(PermissionDenied):
        sam.config.push(Selection(names=("gs-meiderich-ap01",)), dry_run=True)
    assert sam.session.can("view") and sam.session.can("poll") and sam.session.can("ack")


def test_engineer_allows_one_named_ssid_to_a_school_admin_of_their_sites(db: sqlite_utils.Database) -> None:
    eva = as_user(db, "eva")
    assert [u["name"] for u in eva.access.list_users()] == ["sam"]  # mo's school is in moers, outside eva's scope
    eva.access.allow_action("sam", "ssid-toggle:Duisburg-Free-WLAN")
    sam = as_user(db, "sam")
    sam.session.require("ssid-toggle", "Duisburg-Free-WLAN")
    with pytest.raises(PermissionDenied, match="enable or disable SSID .Schule-Verwaltung."):
        sam.session.require("ssid-toggle", "Schule-Verwaltung")
    with pytest.raises(PermissionDenied):
        sam.session.require("ssid-toggle")
    with pytest.raises(PermissionDenied):
        sam.session.require("push")
    with pytest.raises(NotFound, match="within your scope"):
        eva.access.allow_action("mo", "ssid-toggle:Duisburg-Free-WLAN")
    with pytest.raises(NotFound):
        eva.access.allow_action("ada", "ssid-toggle")
    eva.access.revoke_action("sam", "ssid-toggle:Duisburg-Free-WLAN")
    assert not as_user(db, "sam").session.can("ssid-toggle", "Duisburg-Free-WLAN")


def test_school_admin_cannot_delegate_to_themselves(db: sqlite_utils.Database) -> None:
    with pytest.raises(PermissionDenied):
        as_user(db, "sam").access.allow_action("sam", "ssid-toggle")


def test_ssid_names_from_rendered_configs() -> None:
    from netctl.ssids import ssid_names

    xml = "<ap><ssid>\n  <name>Schule-Lernen</name><enabled>true</enabled></ssid><ssid><name>Gast</name></ssid></ap>"
    uci = "uci set wireless.ssid0_radio0.ssid='DVG-Free-WLAN'\nuci set wireless.ssid0_radio1.ssid='DVG-Free-WLAN'"
    assert ssid_names(xml) == ["Schule-Lernen", "Gast"]
    assert ssid_names(uci) == ["DVG-Free-WLAN"]


def test_ssid_switch_needs_the_named_grant_and_the_site_in_scope(db: sqlite_utils.Database) -> None:
    sam = as_user(db, "sam")
    with pytest.raises(PermissionDenied, match="enable or disable SSID 'Duisburg-Free-WLAN'"):
        sam.ssids.set_ssid_enabled("gs-meiderich", "Duisburg-Free-WLAN", False)
    as_user(db, "eva").access.allow_action("sam", "ssid-toggle:Duisburg-Free-WLAN")
    sam = as_user(db, "sam")
    with pytest.raises(NotFound, match="no site named 'gs-moers-mitte'"):
        sam.ssids.set_ssid_enabled("gs-moers-mitte", "Duisburg-Free-WLAN", False)
    with pytest.raises(NotFound):
        sam.ssids.site_ssids("gym-hamborn")
    assert "ssids_disabled" not in (db.table("sites").get("gs-moers-mitte")["vars"] or "")


def test_allowing_an_ssid_the_users_sites_do_not_have_is_refused(db: sqlite_utils.Database) -> None:
    eva = as_user(db, "eva")
    with pytest.raises(ConfigError, match="no AP of their sites has an SSID named 'Nonsense'") as err:
        eva.access.allow_action("sam", "ssid-toggle:Nonsense")
    assert "Duisburg-Free-WLAN" in (err.value.hint or "") and "Schule-Lernen" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="Zoo-Duisburg-Gast"):  # the zoo's SSID is not at sam's school
        eva.access.allow_action("sam", "ssid-toggle:Zoo-Duisburg-Gast")
    with pytest.raises(ConfigError, match="Moers-WLAN"):  # nor another city's guest SSID
        as_user(db, "ada").access.allow_action("sam", "ssid-toggle:Moers-WLAN")
    assert as_user(db, "sam").access.whoami()["actions"] == ["ack", "poll", "view"]
    eva.access.allow_action("sam", "ssid-toggle:Schule-Lernen")
    assert "ssid-toggle:Schule-Lernen" in as_user(db, "sam").access.whoami()["actions"]


def test_ssid_edits_are_partial_configs_per_platform() -> None:
    from netctl.drivers.plan import missing, partial_compare
    from netctl.push.targeted import ssid_enabled_config

    xml = ssid_enabled_config("netconf-wlan", "Gast & Co", False)
    assert "<name>Gast &amp; Co</name><enabled>false</enabled>" in xml and "operation" not in xml
    running = (
        '<ap xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap"><ssid><name>Gast &amp; Co</name>'
        "<enabled>true</enabled><hidden>true</hidden><max-clients>40</max-clients></ssid></ap>"
    )
    diff = partial_compare(xml, running, "netconf-wlan")
    assert diff.changed and diff.text == "~ ap/ssid[name=Gast & Co]/enabled: true -> false"
    assert missing(xml, running, "netconf-wlan") == []
    assert missing(ssid_enabled_config("netconf-wlan", "Other", True), running, "netconf-wlan") == [
        "ap/ssid[name=Other]/enabled",
        "ap/ssid[name=Other]/name",
    ]
    rendered = (
        "uci set wireless.ssid0_radio0.ssid='DVG-Free-WLAN'\nuci set wireless.ssid1_radio1.ssid='DVG-Free-WLAN'\n"
        "uci set wireless.ssid2_radio1.ssid='Other'\n"
    )
    assert ssid_enabled_config("openwrt", "DVG-Free-WLAN", False, rendered) == (
        "uci set wireless.ssid0_radio0.disabled='1'\nuci set wireless.ssid1_radio1.disabled='1'\n"
    )
    with pytest.raises(ConfigError, match="no wireless section for SSID 'Nope'"):
        ssid_enabled_config("openwrt", "Nope", True, rendered)
    with pytest.raises(ConfigError, match="cannot switch an SSID"):
        ssid_enabled_config("cli-ios", "X", True)
