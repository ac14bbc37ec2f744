"""Importing inventory files: every problem with file and line, all-or-nothing, idempotent, round trip."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from netctl.errors import InventoryError, NotFound
from netctl.selection import Selection
from tests.helpers.lab import INVENTORY_FILES

BASE = """\
globals:
  dns_servers: [127.0.0.53]
tenants:
- name: testcity
  title: Test City
  vars:
    country_code: DE
sites:
- name: school-a
  tenant: testcity
  kind: school
  title: School A
  geo: {lat: 51.4, lon: 6.7}
- name: bus-depot
  tenant: testcity
  kind: transit
groups:
- name: classroom
  tenant: testcity
  vars:
    tx_power: 14
aps:
- name: school-a-ap01
  site: school-a
  platform: netconf-wlan
  address: 127.0.0.1
  groups: [classroom]
  snmp:
    version: 2c
    community: secret:lab/snmp-community
  credentials: secret:lab/netconf
"""

CSV = """\ufeffname;site;groups;tags;platform;address;port;vehicle_id;snmp_version;snmp_port;snmp_community;\
credentials
bus-1-ap01;bus-depot;;vehicle,bus;openwrt;127.0.0.2;2222;B1;2c;1161;secret:lab/snmp-community;secret:lab/ssh
bus-2-ap01;bus-depot;;vehicle,bus;openwrt;127.0.0.3;2222;B2;2c;1161;secret:lab/snmp-community;secret:lab/ssh
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def line(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing ``needle``."""
    hits = [i for i, row in enumerate(text.splitlines(), 1) if needle in row]
    return hits[nth - 1]


def problems_of(api: Any, paths: list[str]) -> list[tuple[str, int | None, str]]:
    with pytest.raises(InventoryError) as err:
        api.inventory.import_inventory(paths)
    return [(Path(p.file).name, p.line, p.message) for p in err.value.problems]


def counts(report: dict[str, Any], kind: str) -> tuple[int, int, int]:
    part = report[kind]
    return len(part["added"]), len(part["changed"]), len(part["unchanged"])


def test_example_city_imports_and_second_import_changes_nothing(api: Any) -> None:
    paths = [str(p) for p in INVENTORY_FILES]
    first = api.inventory.import_inventory(paths)
    assert counts(first, "aps") == (76, 0, 0) and counts(first, "sites") == (16, 0, 0)
    assert counts(first, "tenants") == (2, 0, 0) and counts(first, "groups") == (10, 0, 0)
    before = api.session.db.execute("select group_concat(updated) from aps").fetchone()[0]
    second = api.inventory.import_inventory(paths)
    assert second["changed"] is False
    assert counts(second, "aps") == (0, 0, 76) and counts(second, "sites") == (0, 0, 16)
    assert api.session.db.execute("select group_concat(updated) from aps").fetchone()[0] == before
    bus = api.inventory.show_ap("bus-1201-ap01")  # from the semicolon CSV with a BOM, site from duisburg.yaml
    assert (bus["tenant"], bus["site_kind"]) == ("duisburg", "transit")
    assert (bus["port"], bus["vehicle_id"]) == (2222, "B1201")
    assert bus["snmp"] == {"version": "2c", "port": 1161, "community": "secret:lab/snmp-community"}
    zoo = api.inventory.show_ap("zoo-entrance-ap01")
    assert zoo["snmp"]["version"] == "3" and zoo["snmp"]["auth_protocol"] == "SHA"


def test_dry_run_reports_changes_and_writes_nothing(api: Any, tmp_path: Path) -> None:
    yaml_path = write(tmp_path, "city.yaml", BASE)
    report = api.inventory.import_inventory([yaml_path], dry_run=True)
    assert report["dry_run"] is True and report["changed"] is True
    assert report["aps"]["added"] == ["school-a-ap01"] and report["globals"]["added"] == ["dns_servers"]
    db = api.session.db
    assert db["aps"].count == 0 and db["tenants"].count == 0 and db["globals"].count == 0
    api.inventory.import_inventory([yaml_path])
    changed = write(tmp_path, "city.yaml", BASE.replace("address: 127.0.0.1", "address: 127.0.0.9:10830"))
    report = api.inventory.import_inventory([changed], dry_run=True)
    assert report["aps"]["changed"] == ["school-a-ap01"]
    assert report["aps"]["fields"] == {"school-a-ap01": ["address", "port"]}
    assert api.inventory.show_ap("school-a-ap01")["address"] == "127.0.0.1"
    api.inventory.import_inventory([changed])
    ap = api.inventory.show_ap("school-a-ap01")
    assert (ap["address"], ap["port"]) == ("127.0.0.9", 10830)


def test_files_of_one_import_reference_each_other(api: Any, tmp_path: Path) -> None:
    report = api.inventory.import_inventory([write(tmp_path, "fleet.csv", CSV), write(tmp_path, "city.yaml", BASE)])
    assert counts(report, "aps") == (3, 0, 0)
    # later the CSV alone finds its site in the database
    assert counts(api.inventory.import_inventory([str(tmp_path / "fleet.csv")]), "aps") == (0, 0, 2)


def test_every_problem_of_every_file_reported_with_file_and_line_and_nothing_written(api: Any,
                                                                                      tmp_path: Path) -> None:
    bad_yaml = BASE.replace("  kind: transit", "  kind: museum").replace(
        "  address: 127.0.0.1", "  address: ap1.example.org").replace(
        "  platform: netconf-wlan", "  platform: junos") + """\
- name: school-a-ap02
  site: school-z
  platform: cli-ios
  address: 127.0.0.5
- name: school-a-ap03
  site: school-a
  platform: cli-ios
- name: school-a-ap04
  site: school-a
  platform: cli-ios
  address: 127.0.0.6
  groups: [hall]
  snmp:
    version: 2c
    community: public
- name: school-a-ap05
  tenant: othercity
  site: school-a
  platform: cli-ios
  address: 127.0.0.7
"""
    bad_csv = CSV.replace("bus-2-ap01", "school-a-ap04")
    bad_csv += "bus-3-ap01;bus-depot;;;openwrt;127.0.0.300;;;;;;\n"
    y = write(tmp_path, "city.yaml", bad_yaml)
    c = write(tmp_path, "fleet.csv", bad_csv)
    found = problems_of(api, [y, c])
    expected = [
        ("city.yaml", line(bad_yaml, "kind: museum"), "unknown site kind 'museum'"),
        ("city.yaml", line(bad_yaml, "platform: junos"), "unknown platform 'junos'"),
        ("city.yaml", line(bad_yaml, "ap1.example.org"), "bad management address 'ap1.example.org'"),
        ("city.yaml", line(bad_yaml, "site: school-z"), "unknown site 'school-z'"),
        ("city.yaml", line(bad_yaml, "name: school-a-ap03"), "missing required field 'address'"),
        ("city.yaml", line(bad_yaml, "groups: [hall]"), "unknown group 'hall' of tenant 'testcity'"),
        ("city.yaml", line(bad_yaml, "community: public"), "snmp community is clear text"),
        ("city.yaml", line(bad_yaml, "tenant: othercity"),
         "tenant 'othercity' does not match site 'school-a'"),
        ("fleet.csv", 3, "duplicate AP name 'school-a-ap04' (first defined at"),
        ("fleet.csv", 4, "bad management address '127.0.0.300'"),
    ]
    for file, lineno, message in expected:
        hit = any(f == file and n == lineno and message in m for f, n, m in found)
        assert hit, (file, lineno, message, found)
    assert len(found) == len(expected)  # a bad site (kind museum) is not repeated as "unknown site" per AP
    assert all("public" not in m for _, _, m in found if "clear text" in m)
    for table in ("globals", "tenants", "sites", "groups", "aps"):
        assert api.session.db[table].count == 0, table


def test_failed_import_leaves_existing_inventory_untouched(api: Any, tmp_path: Path) -> None:
    api.inventory.import_inventory([write(tmp_path, "city.yaml", BASE)])
    good_change = BASE.replace("title: Test City", "title: Renamed City")
    extra = "- name: x\n  site: school-a\n  platform: openwrt\n  address: x\n"
    bad = write(tmp_path, "city.yaml", good_change + extra)
    problems_of(api, [bad])
    assert api.inventory.list_tenants()[0]["title"] == "Test City"
    assert [a["name"] for a in api.inventory.list_aps()] == ["school-a-ap01"]


def test_duplicates_within_one_file(api: Any, tmp_path: Path) -> None:
    text = BASE + BASE[BASE.index("- name: school-a-ap01"):]
    text += "tenants:\n- name: testcity\n"
    found = problems_of(api, [write(tmp_path, "dup.yaml", text)])
    assert ("dup.yaml", line(text, "name: school-a-ap01", 2),
            f"duplicate AP name 'school-a-ap01' (first defined at {tmp_path / 'dup.yaml'}:"
            f"{line(text, 'name: school-a-ap01')})") in found
    assert any(n == line(text, "tenants:", 2) for _, n, _ in found)  # duplicate section key


def test_unknown_tenant_unknown_field_and_yaml_syntax(api: Any, tmp_path: Path) -> None:
    text = BASE.replace("  tenant: testcity\n  kind: transit", "  tenant: nocity\n  kind: transit").replace(
        "  title: School A", "  titel: School A")
    found = problems_of(api, [write(tmp_path, "a.yaml", text),
                              write(tmp_path, "b.yaml", "aps:\n- name: x\n  site: [\n"),
                              write(tmp_path, "c.csv", "name;sitename\n")])
    assert ("a.yaml", line(text, "tenant: nocity"),
            "unknown tenant 'nocity' for site 'bus-depot'; define it under tenants:") in found
    assert ("a.yaml", line(text, "titel:"), "unknown site field 'titel'; did you mean 'title'?") in found
    assert any(f == "b.yaml" and n == 4 and m.startswith("not valid YAML") for f, n, m in found)
    assert any(f == "c.csv" and n == 1 and "unknown column 'sitename'" in m for f, n, m in found)


def test_round_trip_yaml_json_csv(api: Any, tmp_path: Path) -> None:
    from netctl.api import Netctl

    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    api.inventory.set_ap("gs-meiderich-ap01", {"vars.max_clients": 80, "vars.note": "20", "address": "::1"})
    exported = {fmt: api.inventory.export_inventory(fmt) for fmt in ("yaml", "json", "csv")}
    for fmt in ("yaml", "json"):
        fresh = Netctl(tmp_path / f"fresh-{fmt}.db", create=True)
        path = write(tmp_path, f"export.{fmt}", exported[fmt])
        report = fresh.inventory.import_inventory([path])
        assert counts(report, "aps") == (76, 0, 0)
        assert fresh.inventory.export_inventory(fmt) == exported[fmt]
        assert counts(fresh.inventory.import_inventory([path]), "aps") == (0, 0, 76)
        assert fresh.inventory.list_aps() == [{**a, "created": b["created"], "updated": b["updated"]}
                                    for a, b in zip(api.inventory.list_aps(), fresh.inventory.list_aps(), strict=True)]
        fresh.close()
    report = api.inventory.import_inventory([write(tmp_path, "export.csv", exported["csv"])])
    assert counts(report, "aps") == (0, 0, 76)
    semicolon = api.inventory.export_inventory("csv", delimiter=";")
    assert counts(api.inventory.import_inventory([write(tmp_path, "semi.csv", semicolon)]), "aps") == (0, 0, 76)


def test_export_respects_scope(api: Any) -> None:
    from netctl.selection import Scope

    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    api.session.scope = Scope(tenants=frozenset({"moers"}))
    doc = json.loads(api.inventory.export_inventory("json"))
    assert [t["name"] for t in doc["tenants"]] == ["moers"]
    assert {a["tenant"] for a in doc["aps"]} == {"moers"} and len(doc["aps"]) == 6
    assert [t["name"] for t in api.inventory.tree()] == ["moers"]


def test_list_filters_and_globs(api: Any) -> None:
    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    names = lambda **kw: [a["name"] for a in api.inventory.list_aps(Selection(**kw))]  # noqa: E731
    assert len(names(kind="zoo")) == 6
    assert names(names=("gs-eick-*",)) == ["gs-eick-ap01", "gs-eick-ap02", "gs-eick-sw01"]
    assert len(names(tenant="moers")) == 6 and len(names(group="tram")) == 6 and len(names(tag="poe")) == 14
    assert names(site="gym-adolfinum", role="switch") == ["gym-adolfinum-sw01"]
    sites = {s["name"]: s for s in api.inventory.list_sites(kind="transit")}
    assert sites["dvg-fleet"]["aps"] == 16 and sites["dvg-fleet"]["tenant"] == "duisburg"
    groups = {(g["tenant"], g["name"]): g["aps"] for g in api.inventory.list_groups()}
    assert groups[("duisburg", "classroom")] == 24 and groups[("moers", "hall")] == 2
    tenants = {t["name"]: (t["sites"], t["aps"]) for t in api.inventory.list_tenants()}
    assert tenants == {"duisburg": (14, 70), "moers": (2, 6)}


def test_add_set_remove(api: Any, tmp_path: Path) -> None:
    api.inventory.import_inventory([write(tmp_path, "city.yaml", BASE)])
    ap = api.inventory.add_ap({"name": "school-a-ap02", "site": "school-a", "platform": "openwrt",
                     "address": "[::1]:2222", "groups": "classroom", "vars": {"max_clients": 40}})
    assert (ap["tenant"], ap["address"], ap["port"], ap["transport"]) == ("testcity", "::1", 2222, "ssh")
    with pytest.raises(InventoryError, match="exists already"):
        api.inventory.add_ap({"name": "school-a-ap02", "site": "school-a", "platform": "openwrt",
                    "address": "127.0.0.1"})
    with pytest.raises(InventoryError, match="unknown site 'nowhere'"):
        api.inventory.add_ap({"name": "x", "site": "nowhere", "platform": "openwrt", "address": "127.0.0.1"})
    result = api.inventory.set_ap("school-a-ap02", {"site": "bus-depot", "vars.max_clients": None, "vars.uplink": "lte",
                                          "snmp.version": "2c", "snmp.community": "env:COMM", "groups": None})
    assert result["changed"] == ["site", "groups", "snmp", "vars"]
    assert result["ap"]["vars"] == {"uplink": "lte"} and result["ap"]["snmp"]["community"] == "env:COMM"
    assert api.inventory.set_ap("school-a-ap02", {"vars.uplink": "lte"})["changed"] == []
    with pytest.raises(InventoryError, match="clear text"):
        api.inventory.set_ap("school-a-ap02", {"credentials": "admin/admin"})
    with pytest.raises(InventoryError, match="unknown field 'colour'"):
        api.inventory.set_ap("school-a-ap02", {"colour": "red"})
    api.inventory.remove_ap("school-a-ap02")
    with pytest.raises(NotFound):
        api.inventory.show_ap("school-a-ap02")


def test_ten_thousand_aps_import_and_list_in_seconds(api: Any, tmp_path: Path) -> None:
    header = "name,site,groups,tags,platform,address,port,snmp_version,snmp_community,credentials\n"
    rows = "".join(f"bus-{i:05d}-ap01,bus-depot,classroom,vehicle,openwrt,127.10.{i // 256}.{i % 256},"
                   "2222,2c,secret:c,secret:ssh\n" for i in range(10_000))
    yaml_path, csv_path = write(tmp_path, "city.yaml", BASE), write(tmp_path, "fleet.csv", header + rows)
    started = time.perf_counter()
    report = api.inventory.import_inventory([yaml_path, csv_path])
    imported = time.perf_counter() - started
    assert counts(report, "aps") == (10_001, 0, 0)
    started = time.perf_counter()
    again = api.inventory.import_inventory([yaml_path, csv_path])
    reimported = time.perf_counter() - started
    assert counts(again, "aps") == (0, 0, 10_001)
    started = time.perf_counter()
    assert len(api.inventory.list_aps(Selection(tag="vehicle"))) == 10_000
    listed = time.perf_counter() - started
    print(f"10k APs: import {imported:.2f}s, re-import {reimported:.2f}s, list {listed:.2f}s")
    assert imported < 10 and reimported < 10 and listed < 5


def test_import_outside_scope_is_refused_and_snmp_only_platform(api: Any, tmp_path: Path) -> None:
    from netctl.errors import PermissionDenied
    from netctl.selection import Scope

    api.inventory.import_inventory([write(tmp_path, "city.yaml", BASE)])
    extra = BASE + "- name: poll-only-1\n  site: bus-depot\n  platform: snmp-only\n  address: 127.3.0.1\n" \
        "  snmp: {version: 2c, port: 1161, community: secret:c, profile: system-only}\n"
    api.session.scope = Scope(tenants=frozenset({"othercity"}))
    with pytest.raises(PermissionDenied, match="may not change: AP poll-only-1"):
        api.inventory.import_inventory([write(tmp_path, "more.yaml", extra)])
    assert api.session.db["aps"].count == 1
    api.session.scope = Scope.everything()
    report = api.inventory.import_inventory([str(tmp_path / "more.yaml")])
    assert report["aps"]["added"] == ["poll-only-1"]
    ap = api.inventory.show_ap("poll-only-1")
    assert (ap["port"], ap["transport"], ap["snmp"]["profile"]) == (None, None, "system-only")


def test_prune_removes_only_unlisted_aps_of_mentioned_sites(api: Any, tmp_path: Path) -> None:
    api.inventory.import_inventory([write(tmp_path, "city.yaml", BASE), write(tmp_path, "fleet.csv", CSV)])
    one_bus = write(tmp_path, "one-bus.csv", CSV.rsplit("\n", 2)[0] + "\n")  # bus-2-ap01 retired
    assert api.inventory.import_inventory([one_bus])["aps"]["removed"] == []  # without --prune nothing goes
    report = api.inventory.import_inventory([one_bus], prune=True, dry_run=True)
    assert report["aps"]["removed"] == ["bus-2-ap01"] and api.session.db["aps"].count == 3
    report = api.inventory.import_inventory([one_bus], prune=True)
    assert report["aps"]["removed"] == ["bus-2-ap01"]
    assert [a["name"] for a in api.inventory.list_aps()] == ["bus-1-ap01", "school-a-ap01"]  # other site untouched


def test_cross_file_conflicts_sites_groups_globals_and_moving_sites(api: Any, tmp_path: Path) -> None:
    api.inventory.import_inventory([write(tmp_path, "city.yaml", BASE)])
    other = """\
globals:
  dns_servers: [127.0.0.54]
tenants:
- name: othercity
sites:
- name: school-a
  tenant: othercity
  kind: school
groups:
- name: classroom
  tenant: testcity
"""
    found = problems_of(api, [write(tmp_path, "city.yaml", BASE), write(tmp_path, "other.yaml", other)])
    first = tmp_path / "city.yaml"
    assert ("other.yaml", 2, f"global 'dns_servers' is also set at {first}:2 with another value") in found
    assert ("other.yaml", line(other, "- name: school-a"),
            f"duplicate site 'school-a' (first defined at {first}:{line(BASE, '- name: school-a')})") in found
    assert ("other.yaml", line(other, "- name: classroom"),
            f"duplicate group 'testcity/classroom' (first defined at {first}:{line(BASE, '- name: classroom')})"
            ) in found
    alone = problems_of(api, [str(tmp_path / "other.yaml")])  # against the database only
    assert ("other.yaml", line(other, "tenant: othercity"),
            "site 'school-a' belongs to tenant 'testcity'; moving a site to another tenant is not supported "
            "(create a new site)") in alone
