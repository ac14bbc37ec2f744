"""WLAN controllers without a network: MAC and status parsing, the AP tables of the lab's recordings,
inventory checks, scope, polls through a controller (health, alerts, unknown) and adoption.

Polls are real calls of the facade with only the SNMP I/O replaced (``poll_targets_sharded``): what a
controller "answers" is its lab recording read as the walk hands it over (tests/helpers/controllers.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from lab.controller_snmp import recorded_aps, render_controller_snmprec
from netctl.api import Netctl
from netctl.controllers.mibs import (
    airespace_status,
    huawei_status,
    mac_from_index,
    normalise_mac,
    parse_aps,
    vrp_mac,
)
from netctl.errors import ConfigError, InventoryError, NotFound
from netctl.poll.model import PollResult, Target
from netctl.selection import Selection
from tests.helpers.controllers import controller_result, lab_controller, raw_tables
from tests.helpers.lab import INVENTORY_FILES, ROOT

CONTROLLER_FILES = [ROOT / "inventory" / "duisburg-controller.yaml", ROOT / "inventory" / "dortmund-controller.yaml"]
PROFILE = {"du-ac01": "huawei-ac", "do-wlc01": "cisco-wlc"}
FAMILY = {"du-ac01": "huawei", "do-wlc01": "airespace"}


# -- pure parsing ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["60:de:44:76:e3:60", "60-DE-44-76-E3-60", "60de-4476-e360", "60de.4476.e360",
                                  "60DE4476E360", " 60de-4476-e360 "])
def test_every_written_form_of_a_mac_is_one_mac(text: str) -> None:
    assert normalise_mac(text) == "60:de:44:76:e3:60"
    assert vrp_mac(normalise_mac(text)) == "60de-4476-e360"


@pytest.mark.parametrize("text", ["60:de:44:76:e3", "60:de:44:76:e3:6g", "60de4476e3601", "60:de-44:76:e3:60x", "",
                                  "60de:4476:e360:00", 42])
def test_a_bad_mac_says_how_to_write_one(text: Any) -> None:
    with pytest.raises(ValueError):
        normalise_mac(text)


def test_a_mac_index_is_six_sub_identifiers_or_the_length_prefixed_seven() -> None:
    assert mac_from_index("96.222.68.118.227.96") == "60:de:44:76:e3:60"
    assert mac_from_index("6.96.222.68.118.227.96") == "60:de:44:76:e3:60"
    for bad in ("96.222.68.118.227", "96.222.68.118.227.256", "7.96.222.68.118.227.96", "1.2.3.4.5.x", ""):
        assert mac_from_index(bad) is None, bad


@pytest.mark.parametrize(("value", "expected"), [
    (8, ("up", "normal")), (4, ("down", "fault")), (1, ("down", "idle")), (7, ("joining", "download")),
    (5, ("joining", "config")), (6, ("failed", "configFailed")), (12, ("failed", "verMismatch")),
    (11, ("standby", "standby")), (99, ("unknown", "state=99")), (None, ("unknown", None)),
])
def test_huawei_run_states(value: int | None, expected: tuple[str, str | None]) -> None:
    assert huawei_status(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1, ("up", "associated")), (2, ("down", "disassociating")), (3, ("joining", "downloading")),
    (0, ("unknown", "state=0")), (None, ("unknown", None)),
])
def test_airespace_operation_states(value: int | None, expected: tuple[str, str | None]) -> None:
    assert airespace_status(value) == expected


@pytest.mark.parametrize("name", ["du-ac01", "do-wlc01"])
def test_the_lab_recordings_parse_to_the_aps_they_were_written_with(name: str) -> None:
    dev = lab_controller(name)
    aps, problems = parse_aps(FAMILY[name], raw_tables(render_controller_snmprec(dev), PROFILE[name]))
    assert problems == []
    written = {a.mac: a for a in recorded_aps(dev)}
    assert len(aps) == len(written) == 40
    for ap in aps:
        mine = written[ap.mac]
        assert (ap.name, ap.ip, ap.model, ap.serial, ap.ap_group, ap.clients) == (
            mine.name, mine.ip, mine.model, mine.serial, mine.group, mine.clients)
        if name == "du-ac01":  # the VAP table: clients per SSID add up to the AP's count
            assert ap.ssids is not None and sum(ap.ssids.values()) == ap.clients
        else:  # AIRESPACE has them only in client tables, which netctl never walks
            assert ap.ssids == ({} if ap.clients == 0 else None)
    statuses = sorted(ap.status for ap in aps)
    # du-ac01: 3 fault + 1 idle, 1 download; do-wlc01: 3 disassociating, 1 downloading
    down = statuses.count("down")
    assert down == (4 if name == "du-ac01" else 3) and statuses.count("up") == 39 - down
    assert statuses.count("joining") == 1
    if name == "do-wlc01":
        assert sum(1 for ap in aps if ap.radios_down) == 1 + 4  # one 5 GHz radio down; not-associated APs' radios


@pytest.mark.parametrize("name", ["du-ac01", "do-wlc01"])
def test_a_benchmark_size_recording_repeats_the_lab_pattern_with_the_clients_asked_for(name: str) -> None:
    dev = lab_controller(name)
    assert render_controller_snmprec(dev, aps=40) == render_controller_snmprec(dev)  # the lab's default
    written = recorded_aps(dev, aps=1000, clients=10_000)
    assert written[:40] == [dataclasses.replace(a, clients=b.clients) for a, b in zip(recorded_aps(dev), written,
                                                                                       strict=False)]
    assert sum(a.clients for a in written) == 10_000
    assert len({a.mac for a in written}) == len({a.name for a in written}) == len({a.ip for a in written}) == 1000
    aps, problems = parse_aps(FAMILY[name], raw_tables(render_controller_snmprec(dev, 1000, 10_000), PROFILE[name]))
    assert problems == [] and len(aps) == 1000 and sum(ap.clients or 0 for ap in aps) == 10_000
    assert {ap.mac: ap.clients for ap in aps} == {a.mac: a.clients for a in written}
    assert sum(ap.status == "up" for ap in aps) == 25 * (35 if name == "du-ac01" else 36)  # every 40 as the lab's


def test_hostile_rows_are_left_out_and_named() -> None:
    raw = raw_tables(render_controller_snmprec(lab_controller("du-ac01")), "huawei-ac")
    names = raw["ctl_ap"]["name"]
    first = next(iter(names))
    names["1.2.3"] = ("OctetString", "no-mac-index")            # an index that is no MAC
    names["6." + first] = ("OctetString", "twice")               # the same MAC again, length-prefixed
    raw["ctl_ap"]["users"][first] = ("OctetString", "many")      # a count that is text
    raw["ctl_ap"]["ip"][first] = ("OctetString", "10.0.0.1")     # an address that is no IpAddress
    raw["ctl_vap"]["users"]["1.1.1.1.1.1"] = ("Integer", 3)      # a VAP whose index is no MAC.radio.wlan
    aps, problems = parse_aps("huawei", raw)
    assert len(aps) == 40
    ap = next(a for a in aps if a.mac == mac_from_index(first))
    assert ap.clients is None and ap.ip is None and ap.name != "twice"
    text = "\n".join(problems)
    for needed in ("row 1.2.3 has no MAC address index", "twice", "expected a number", "expected an IpAddress",
                   "ctl_vap row 1.1.1.1.1.1 is not MAC.radio.wlan"):
        assert needed in text, text
    with pytest.raises(ValueError, match="unknown controller MIB family"):
        parse_aps("aruba", raw)


def test_an_ac_without_a_vap_table_has_no_per_ssid_counts_and_a_down_vap_counts() -> None:
    raw = raw_tables(render_controller_snmprec(lab_controller("du-ac01")), "huawei-ac")
    status = raw["ctl_vap"]["status"]
    first = next(iter(status))
    status[first] = ("Integer", 2)
    aps, _ = parse_aps("huawei", raw)
    assert [ap.radios_down for ap in aps if ap.mac == mac_from_index(".".join(first.split(".")[:6]))] == [1]
    raw["ctl_vap"] = {"ssid": {}, "users": {}, "status": {}}
    aps, _ = parse_aps("huawei", raw)
    assert all(ap.ssids is None for ap in aps if ap.clients) and all(ap.ssids == {} for ap in aps if ap.clients == 0)


# -- the inventory --------------------------------------------------------------------------------
@pytest.fixture
def city(api: Netctl) -> Netctl:
    api.inventory.import_secrets({"lab/snmp-community": "c", "lab/ssh": '{"username": "u", "password": "p"}'})
    api.inventory.import_inventory([str(p) for p in [*INVENTORY_FILES, *CONTROLLER_FILES]])
    return api


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "behind.yaml"
    path.write_text(text)
    return str(path)


AP = """aps:
- name: {name}
  site: {site}
  platform: controller-ap
  address: 10.40.10.10
  controller: {controller}
  mac: {mac}
  ap_group: schulen
"""


def test_an_ap_names_its_controller_mac_and_group(city: Netctl, tmp_path: Path) -> None:
    city.inventory.import_inventory([write(tmp_path, AP.format(name="du-sw-ap01", site="gs-meiderich",
                                                               controller="du-ac01", mac="60de-4476-e360"))])
    ap = city.inventory.show_ap("du-sw-ap01")
    assert (ap["controller"], ap["mac"], ap["ap_group"]) == ("du-ac01", "60:de:44:76:e3:60", "schulen")
    assert city.inventory.import_inventory([str(tmp_path / "behind.yaml")])["changed"] is False
    exported = city.inventory.export_inventory("csv")
    assert "controller,mac,ap_group" in exported.splitlines()[0] and "du-ac01,60:de:44:76:e3:60,schulen" in exported


@pytest.mark.parametrize(("controller", "mac", "message"), [
    ("du-ac99", "60de-4476-e360", "unknown controller 'du-ac99'"),
    ("gs-meiderich-ap01", "60de-4476-e360", "'gs-meiderich-ap01' is not a controller (its role is ap)"),
    ("du-ac01", "60de-4476-e3", "bad MAC address '60de-4476-e3'"),
])
def test_a_wrong_controller_reference_names_file_line_and_ap(city: Netctl, tmp_path: Path, controller: str,
                                                            mac: str, message: str) -> None:
    path = write(tmp_path, AP.format(name="du-x-ap01", site="gs-meiderich", controller=controller, mac=mac))
    with pytest.raises(InventoryError) as err:
        city.inventory.import_inventory([path])
    problem = err.value.problems[0]
    assert message in problem.message and problem.file == path and problem.ap == "du-x-ap01"
    assert problem.line == (7 if "MAC" in message else 6)
    assert "du-x-ap01" in str(err.value) and f"{path}:{problem.line}" in str(err.value)


def test_one_controller_knows_a_mac_once_and_a_controller_names_none(city: Netctl, tmp_path: Path) -> None:
    text = (AP.format(name="du-x-ap01", site="gs-meiderich", controller="du-ac01", mac="60de-4476-e3ff")
            + AP.format(name="du-x-ap02", site="gs-meiderich", controller="du-ac01", mac="60:de:44:76:e3:ff")
            .removeprefix("aps:\n"))
    taken = "MAC 60:de:44:76:e3:ff on controller 'du-ac01' belongs to AP 'du-x-ap01' already"
    with pytest.raises(InventoryError, match=taken):
        city.inventory.import_inventory([write(tmp_path, text)])
    with pytest.raises(InventoryError, match="a controller cannot name a controller"):
        city.inventory.set_ap("do-wlc01", {"controller": "du-ac01"})
    with pytest.raises(InventoryError, match="ap_group is the AP's group on its controller: give controller too"):
        city.inventory.set_ap("gs-meiderich-ap01", {"ap_group": "schulen"})


def test_a_controller_named_by_aps_keeps_its_role_and_cannot_be_removed(city: Netctl, tmp_path: Path) -> None:
    city.inventory.import_inventory([write(tmp_path, AP.format(name="du-sw-ap01", site="gs-meiderich",
                                                               controller="du-ac01", mac="60de-4476-e360"))])
    with pytest.raises(InventoryError, match="'du-sw-ap01' names 'du-ac01' as its controller: keep role"):
        city.inventory.set_ap("du-ac01", {"role": "ap"})
    # du-sw-ap01 and du-zoo-ap01 of inventory/duisburg-controller.yaml
    with pytest.raises(InventoryError, match="2 AP\\(s\\) name 'du-ac01' as their controller"):
        city.inventory.remove_ap("du-ac01")
    city.inventory.rename_ap("du-ac01", "du-ac02")
    assert city.inventory.show_ap("du-sw-ap01")["controller"] == "du-ac02"


# -- polls through a controller -------------------------------------------------------------------
class FakeSnmp:
    """Stands in for the SNMP I/O of a poll: controllers answer with their recordings (or not)."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.polled: list[list[str]] = []
        self.tables: dict[str, Any] = {}

    def __call__(self, targets: Sequence[Target], **_options: Any) -> list[PollResult]:
        self.polled.append([t.ap for t in targets])
        out = []
        for target in targets:
            if target.ap in self.down or target.ap not in PROFILE:
                out.append(controller_result(target.ap, "", ok=False))
            else:
                assert target.profile == PROFILE[target.ap]
                out.append(controller_result(target.ap, target.profile, self.tables.get(target.ap)))
        return out


@pytest.fixture
def snmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSnmp]:
    fake = FakeSnmp()
    monkeypatch.setattr("netctl.poll.ops.poll_targets_sharded", fake)
    yield fake


def behind(city: Netctl, tmp_path: Path) -> None:
    """Three inventory APs behind du-ac01: one up, one the AC reports fault, one the AC does not list."""
    aps = {a.name: a for a in recorded_aps(lab_controller("du-ac01"))}
    up, fault = aps["du-sw-ap01"], next(a for a in aps.values() if a.state == 4)
    text = "aps:\n" + "".join(
        AP.format(name=name, site="gs-meiderich", controller="du-ac01", mac=mac).removeprefix("aps:\n")
        for name, mac in ((up.name, up.mac), (fault.name, fault.mac), ("du-gone-ap01", "60:de:44:00:00:01")))
    city.inventory.import_inventory([write(tmp_path, text)])


def state(city: Netctl, name: str) -> dict[str, Any]:
    return next(a for a in city.monitor.status()["aps"] if a["name"] == name)


def test_polling_an_ap_behind_a_controller_polls_the_controller(city: Netctl, tmp_path: Path,
                                                                 snmp: FakeSnmp) -> None:
    behind(city, tmp_path)
    fault = next(a.name for a in recorded_aps(lab_controller("du-ac01")) if a.state == 4)
    results = city.monitor.poll(["du-sw-ap01", fault, "du-gone-ap01"])
    assert snmp.polled == [["du-ac01"]]
    by = {r.ap: r for r in results}
    assert sorted(by) == sorted(["du-sw-ap01", fault, "du-gone-ap01"])  # the controller itself is not in them
    up = next(a for a in recorded_aps(lab_controller("du-ac01")) if a.name == "du-sw-ap01")
    assert by["du-sw-ap01"].ok and by["du-sw-ap01"].state == "up" and by["du-sw-ap01"].values["clients"] == up.clients
    assert by[fault].state == "down" and "reports it fault" in (by[fault].error or "")
    assert by["du-gone-ap01"].state == "unknown"
    assert state(city, "du-sw-ap01")["clients"] == up.clients and state(city, fault)["state"] == "down"
    assert state(city, "du-gone-ap01")["state"] == "unknown"
    alerts = {(a["ap"], a["kind"]) for a in city.monitor.alerts()}
    assert ("du-gone-ap01", "controller-missing") in alerts and (fault, "down") in alerts
    # what the controller said, in the status (the AP page shows its reasons) and the alert: no count of polls
    assert state(city, fault)["reasons"] == ["controller du-ac01 reports it fault"]
    assert [a["message"] for a in city.monitor.alerts() if (a["ap"], a["kind"]) == (fault, "down")] == [
        "controller du-ac01 reports it fault"]
    metrics = {m["metric"] for m in city.monitor.metrics("du-sw-ap01")}
    assert {"up", "clients"} <= metrics and any(m.startswith("clients:Schule-") for m in metrics)
    # the controller lists the AP again (its MAC changed in the inventory): the alert closes
    city.inventory.set_ap("du-gone-ap01", {"mac": "60:de:44:76:e3:64"})
    city.monitor.poll("du-ac01")
    assert ("du-gone-ap01", "controller-missing") not in {(a["ap"], a["kind"]) for a in city.monitor.alerts()}


def test_an_unreachable_controller_turns_its_aps_unknown_not_down(city: Netctl, tmp_path: Path,
                                                                 snmp: FakeSnmp) -> None:
    behind(city, tmp_path)
    city.monitor.poll()
    assert state(city, "du-sw-ap01")["state"] == "up"
    snmp.down.add("du-ac01")
    for _ in range(4):  # more than down_after_misses polls: still not down
        results = {r.ap: r for r in city.monitor.poll()}
    assert results["du-sw-ap01"].state == "unknown" and "could not be read" in (results["du-sw-ap01"].error or "")
    now = state(city, "du-sw-ap01")
    assert now["state"] == "unknown" and now["clients"] is None and "du-ac01 could not be read" in now["reasons"][0]
    assert state(city, "du-ac01")["state"] == "down"
    assert ("du-gone-ap01", "controller-missing") in {(a["ap"], a["kind"]) for a in city.monitor.alerts()}
    assert {r["status"] for r in city.controllers.aps("du-ac01")} == {"unknown"}
    snmp.down.clear()
    city.monitor.poll()
    assert state(city, "du-sw-ap01")["state"] == "up"


def test_a_cut_short_table_is_not_taken_for_missing_aps(city: Netctl, tmp_path: Path, snmp: FakeSnmp,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    behind(city, tmp_path)
    original = snmp.__call__

    def partial(targets: Sequence[Target], **options: Any) -> list[PollResult]:
        return [PollResult(r.ap, False, error_kind="partial", error="table walk cut short after 80 rows")
                for r in original(targets, **options)]

    monkeypatch.setattr("netctl.poll.ops.poll_targets_sharded", partial)
    city.monitor.poll()
    assert state(city, "du-gone-ap01")["state"] == "unknown"
    assert "controller-missing" not in {a["kind"] for a in city.monitor.alerts()}
    assert "partial" in state(city, "du-sw-ap01")["reasons"][0]


def test_controller_aps_lists_the_table_and_the_inventory_matches(city: Netctl, tmp_path: Path,
                                                                  snmp: FakeSnmp) -> None:
    with pytest.raises(ConfigError, match="has not been read yet"):
        city.controllers.aps("du-ac01")
    behind(city, tmp_path)
    rows = city.controllers.aps("do-wlc01", poll=True)
    assert len(rows) == 40 and {r["name"] for r in rows} == {a.name for a in recorded_aps(lab_controller("do-wlc01"))}
    assert set(rows[0]) >= {"name", "mac", "ip", "model", "serial", "status", "clients"}
    city.monitor.poll("du-ac01")
    matched = {r["inventory"] for r in city.controllers.aps("du-ac01")} - {None}
    fault = next(a.name for a in recorded_aps(lab_controller("du-ac01")) if a.state == 4)
    assert matched == {"du-sw-ap01", "du-zoo-ap01", fault}  # du-zoo-ap01: inventory/duisburg-controller.yaml
    listing = {c["name"]: c for c in city.controllers.list_controllers()}
    assert listing["du-ac01"]["discovered"] == 40 and listing["du-ac01"]["inventory"] == 4
    assert listing["du-ac01"]["missing"] == 1 and listing["du-ac01"]["up"] == 35
    with pytest.raises(NotFound, match="no controller named 'gs-meiderich-ap01'"):
        city.controllers.aps("gs-meiderich-ap01")


def test_adoption_adds_what_the_table_lists_once(city: Netctl, snmp: FakeSnmp) -> None:
    city.monitor.poll("du-ac01")
    first = city.controllers.adopt("du-ac01", site="gs-meiderich")
    # du-sw-ap01 and du-zoo-ap01 are in the inventory already (inventory/duisburg-controller.yaml)
    assert len(first["added"]) == 38 and first["already"] == ["du-sw-ap01", "du-zoo-ap01"] and first["skipped"] == []
    again = city.controllers.adopt("du-ac01", site="gs-meiderich")
    assert again["added"] == [] and len(again["already"]) == 40
    ap = city.inventory.show_ap("du-zoo-ap02")
    assert (ap["platform"], ap["controller"], ap["mac"], ap["ap_group"], ap["site"], ap["ap_id"]) == (
        "controller-ap", "du-ac01", "60:de:44:76:e3:63", "zoo", "gs-meiderich", 3)  # the AC's own ID
    assert all(r["inventory"] for r in city.controllers.aps("du-ac01"))
    results = city.monitor.poll(Selection(site="gs-meiderich"))
    assert snmp.polled[-1].count("du-ac01") == 1 and len([r for r in results if r.ap.startswith("du-")]) == 39


def test_adoption_skips_a_name_taken_and_goes_through_the_import_checks(city: Netctl, snmp: FakeSnmp,
                                                                        tmp_path: Path) -> None:
    snmp.tables["do-wlc01"] = raw = raw_tables(render_controller_snmprec(lab_controller("do-wlc01")), "cisco-wlc")
    first = next(iter(raw["ctl_ap"]["name"]))
    raw["ctl_ap"]["name"][first] = ("OctetString", "gs-meiderich-ap01")  # a name the city has already
    city.monitor.poll("do-wlc01")
    with pytest.raises(InventoryError, match="unknown group 'nope' of tenant 'dortmund'"):
        city.controllers.adopt("do-wlc01", group="nope")
    report = city.controllers.adopt("do-wlc01", dry_run=True)
    assert report["dry_run"] and len(report["added"]) == 39
    assert report["skipped"] == [{"name": "gs-meiderich-ap01", "mac": mac_from_index(first),
                                  "reason": f"an AP named 'gs-meiderich-ap01' is in the inventory already (not this "
                                            f"controller's {mac_from_index(first)})"}]
    assert not [a for a in city.inventory.list_aps() if a["controller"] == "do-wlc01"]


# -- scope ----------------------------------------------------------------------------------------
def test_a_user_of_another_city_sees_neither_the_controller_nor_the_aps_behind_it(
        city: Netctl, tmp_path: Path, snmp: FakeSnmp) -> None:
    behind(city, tmp_path)  # behind du-ac01, at a Duisburg school
    city.monitor.poll()
    city.monitor.poll("do-wlc01")
    city.controllers.adopt("do-wlc01")
    city.access.add_user("ada", "admin", os_login="nobody-maps-here")
    city.access.add_user("dora", "engineer", tenants=["dortmund"])
    city.access.add_user("eva", "engineer", tenants=["duisburg"])
    city.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    db = city.session.db_path
    dora, eva, sam = Netctl(db, user="dora"), Netctl(db, user="eva"), Netctl(db, user="sam")
    try:
        dora_sees = {a["name"] for a in dora.inventory.list_aps()}
        assert "do-wlc01" in dora_sees and "du-ac01" not in dora_sees and "du-sw-ap01" not in dora_sees
        assert len(dora_sees) == 41
        assert {c["name"] for c in dora.controllers.list_controllers()} == {"do-wlc01"}
        with pytest.raises(NotFound):
            dora.controllers.aps("du-ac01")
        with pytest.raises(NotFound):
            dora.inventory.show_ap("du-sw-ap01")
        assert not {a["name"] for a in dora.monitor.status()["aps"]} & {"du-ac01", "du-sw-ap01"}
        with pytest.raises(InventoryError, match="unknown controller 'du-ac01'"):
            dora.inventory.add_ap({"name": "do-x-ap01", "site": "do-rechenzentrum", "platform": "controller-ap",
                                   "address": "10.0.0.1", "controller": "du-ac01"})
        eva_sees = {a["name"] for a in eva.inventory.list_aps()}
        assert "du-sw-ap01" in eva_sees and not {n for n in eva_sees if n.startswith("do-")}
        assert {c["name"] for c in eva.controllers.list_controllers()} == {"du-ac01"}
        assert not any(a["ap"].startswith("do-") for a in eva.monitor.alerts())
        assert "du-gone-ap01" in {a["ap"] for a in eva.monitor.alerts()}
        assert not any(a["ap"].startswith("du-") for a in dora.monitor.alerts())
        # the school-admin's scope holds the school but not the controller's site: the school's APs behind
        # it are sam's (health, status, pages), the controller and its table are not
        sam_sees = {a["name"] for a in sam.inventory.list_aps()}
        assert {"du-sw-ap01", "gs-meiderich-ap01"} <= sam_sees and "du-ac01" not in sam_sees
        assert {a["name"] for a in sam.monitor.status()["aps"]} == sam_sees
        assert sam.monitor.status()["controllers"] == []
        assert sam.controllers.list_controllers() == []
        with pytest.raises(NotFound):
            sam.controllers.aps("du-ac01")
        counts = {s["name"]: s["aps"] for s in sam.inventory.list_sites()}
        assert counts["gs-meiderich"] == len(sam_sees)
    finally:
        for api in (dora, eva, sam):
            api.close()
