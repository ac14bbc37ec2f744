"""The inventory model: addresses, platforms, SNMP settings, secret references, loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from netctl.errors import ConfigError
from netctl.inventory.loaders import format_cell_value, load_file, parse_cell_value, parse_csv, parse_yaml
from netctl.inventory.validate import Entry, parse_address, validate_ap, validate_site
from netctl.platforms import PLATFORMS, get_platform


def ap_entry(**fields: object) -> Entry:
    data: dict[str, object] = {"name": "ap1", "site": "s1", "platform": "netconf-wlan", "address": "127.0.0.1"}
    data.update(fields)
    return Entry("ap", {k: v for k, v in data.items() if v is not None}, "t.yaml", 7)


def messages(entry: Entry) -> list[str]:
    _, problems = validate_ap(entry)
    return [p.message for p in problems]


@pytest.mark.parametrize(("text", "expected"), [
    ("127.1.2.3", ("127.1.2.3", None)),
    ("127.1.2.3:830", ("127.1.2.3", 830)),
    ("::1", ("::1", None)),
    ("[::1]:8830", ("::1", 8830)),
    ("[0:0:0:0:0:0:0:1]", ("::1", None)),
])
def test_parse_address_accepts_ipv4_and_ipv6_with_optional_port(text: str, expected: tuple) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("ap1.example.org", "host names are not accepted"),
    ("127.1.2.300", "not an IPv4 or IPv6 address"),
    ("127.0.0.1:70000", "bad port"),
    ("127.0.0.1:", "bad port"),
    ("[::1", "missing ']'"),
    ("[127.0.0.1]:22", "only for IPv6"),
])
def test_parse_address_rejects_with_reason(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_address(text)


def test_platform_registry_holds_one_definition_per_platform() -> None:
    assert PLATFORMS["netconf-wlan"].transport == "netconf"
    assert PLATFORMS["netconf-wlan"].default_port == 830
    assert PLATFORMS["openconfig-wlan"].transport == "netconf"
    assert PLATFORMS["openwrt"].device_type == "linux"
    assert PLATFORMS["cli-ios"].device_type == "cisco_ios"
    assert get_platform("snmp-only").config_format is None  # polled only: nothing to render
    for name, platform in PLATFORMS.items():
        assert platform.name == name
        assert {"transport", "driver", "template_dir", "device_type", "default_port",
                "snmp_profile"} <= set(platform.as_dict())
    with pytest.raises(ConfigError, match="unknown platform 'junos'"):
        get_platform("junos")


def test_valid_ap_is_normalised_with_platform_default_port() -> None:
    record, problems = validate_ap(ap_entry(groups="a, b,a", tags=["x"], model=620,
                                           snmp={"version": 2, "community": "env:COMM"}))
    assert problems == []
    assert record is not None
    assert record["port"] == 830 and record["role"] == "ap"
    assert record["groups"] == ["a", "b"] and record["tags"] == ["x"]
    assert record["model"] == "620"
    assert record["snmp"] == {"version": "2c", "port": 161, "community": "env:COMM"}


def test_port_embedded_in_address_must_agree_with_port_field() -> None:
    record, _ = validate_ap(ap_entry(address="[::1]:1830"))
    assert record is not None and (record["address"], record["port"]) == ("::1", 1830)
    found = messages(ap_entry(address="[::1]:1830", port=22))
    assert any("gives port 1830 but field port says 22" in m for m in found)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"platform": "junos"}, "unknown platform 'junos'; use one of: cisco-9800, cli-ios, controller-ap, huawei-ac"),
    ({"address": None}, "missing required field 'address'"),
    ({"site": None}, "missing required field 'site'"),
    ({"name": "bad name!"}, "bad AP name 'bad name!'"),
    ({"port": "0"}, "bad port 0: must be 1..65535"),
    ({"port": "ssh"}, "bad port 'ssh'"),
    ({"role": "printer"}, "unknown role 'printer'"),
    ({"adress": "127.0.0.1"}, "unknown AP field 'adress'; did you mean 'address'?"),
    ({"vars": {"ap": 1}}, "variable name 'ap' is reserved"),
    ({"vars": {"1x": 1}}, "bad variable name '1x'"),
    ({"vars": "x"}, "vars must be a mapping"),
    ({"groups": {"a": 1}}, "groups must be a list of group names"),
])
def test_ap_field_problems(fields: dict, expected: str) -> None:
    assert any(expected in m for m in messages(ap_entry(**fields))), messages(ap_entry(**fields))


@pytest.mark.parametrize(("snmp", "expected"), [
    ({"version": "1", "community": "env:C"}, "snmp version must be 2c or 3"),
    ({"port": 161}, "snmp needs a version"),
    ({"version": "2c"}, "version 2c needs 'community'"),
    ({"version": "2c", "community": "env:C", "user": "u"}, "snmp user is only for version 3"),
    ({"version": "3", "auth_protocol": "SHA", "auth_key": "env:A"}, "version 3 needs 'user'"),
    ({"version": "3", "user": "u", "auth_key": "env:A"}, "version 3 needs 'auth_protocol'"),
    ({"version": "3", "user": "u", "auth_protocol": "SHA1024", "auth_key": "env:A"},
     "unknown snmp auth_protocol 'SHA1024'"),
    ({"version": "3", "user": "u", "auth_protocol": "SHA"}, "missing snmp auth_key"),
    ({"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": "env:A", "priv_protocol": "3DES",
      "priv_key": "env:P"}, "unknown snmp priv_protocol '3DES'"),
    ({"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": "env:A", "priv_key": "env:P"},
     "priv_key given without priv_protocol"),
    ({"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": "env:A", "community": "env:C"},
     "community is only for version 2c"),
    ({"version": "2c", "comunity": "env:C"}, "unknown snmp field 'comunity'; did you mean 'community'?"),
    ("public", "snmp must be a mapping"),
])
def test_snmp_problems(snmp: object, expected: str) -> None:
    found = messages(ap_entry(snmp=snmp))
    assert any(expected in m for m in found), found


def test_snmp_v3_normalises_protocol_names() -> None:
    record, problems = validate_ap(ap_entry(snmp={"version": "3", "user": "labuser",
                                                  "auth_protocol": "sha-256", "auth_key": "secret:a",
                                                  "priv_protocol": "aes128", "priv_key": "file:/run/p"}))
    assert problems == [] and record is not None
    assert record["snmp"] == {"version": "3", "port": 161, "user": "labuser", "auth_protocol": "SHA256",
                              "auth_key": "secret:a", "priv_protocol": "AES", "priv_key": "file:/run/p"}


@pytest.mark.parametrize("fields", [
    {"credentials": "admin:hunter2-clear"},
    {"snmp": {"version": "2c", "community": "hunter2-clear"}},
    {"snmp": {"version": "3", "user": "u", "auth_protocol": "MD5", "auth_key": "hunter2-clear"}},
    {"vars": {"guest_psk": "hunter2-clear"}},
    {"credentials": "secret:"},
])
def test_clear_text_secrets_are_refused_without_echoing_them(fields: dict) -> None:
    found = messages(ap_entry(**fields))
    assert any("clear" in m and "secret:NAME" in m for m in found), found
    assert not any("hunter2" in m for m in found)


def test_site_kind_and_geo() -> None:
    def site(**fields: object) -> list[str]:
        data = {"name": "s1", "tenant": "t", "kind": "school", **fields}
        return [p.message for p in validate_site(Entry("site", data, "f", 1))[1]]

    assert site() == []
    assert "unknown site kind 'museum'; use one of: school, zoo, transit, city, office" in site(kind="museum")
    assert any("bad lat 91" in m for m in site(geo={"lat": 91, "lon": 6.7}))
    assert "give both lat and lon, or neither" in site(lat=51.4)


def test_yaml_loader_records_entry_and_field_lines() -> None:
    text = "# c\naps:\n- name: a1\n  site: s1\n  snmp:\n    version: 2c\n    community: env:C\n"
    entries, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    (entry,) = entries
    assert entry.line == 3 and entry.line_of("site") == 4 and entry.line_of("snmp.community") == 7
    assert entry.line_of("nonexistent") == 3


def test_yaml_loader_reports_syntax_errors_duplicate_keys_and_unknown_sections() -> None:
    _, problems = parse_yaml("aps:\n- name: a1\n  site: [s1\n", "f.yaml")
    assert problems[0].line is not None and problems[0].message.startswith("not valid YAML")
    _, problems = parse_yaml("aps:\n- name: a1\n  name: a2\n", "f.yaml")
    assert [(p.line, p.message) for p in problems] == [(3, "key 'name' appears twice in one entry")]
    _, problems = parse_yaml("access_points:\n- name: a1\n", "f.yaml")
    assert problems[0].line == 1 and "unknown section 'access_points'" in problems[0].message
    _, problems = parse_yaml("- a\n- b\n", "f.yaml")
    assert "must be a mapping" in problems[0].message


def test_csv_sniffs_delimiter_and_counts_physical_lines() -> None:
    text = 'name;site;groups;snmp_version;vars.max_clients\n\na1;s1;"a,b";2c;80\n# note\na2;s1;;;\n'
    entries, problems = parse_csv(text, "f.csv")
    assert problems == []
    assert [(e.line, e.data["name"]) for e in entries] == [(3, "a1"), (5, "a2")]
    assert entries[0].data["groups"] == "a,b" and entries[0].data["vars"] == {"max_clients": 80}
    assert entries[0].data["snmp"] == {"version": "2c"}
    assert "snmp" not in entries[1].data


def test_csv_problems_unknown_column_and_cell_count() -> None:
    _, problems = parse_csv("name,site,adress\n", "f.csv")
    assert problems[0].line == 1 and "unknown column 'adress'" in problems[0].message
    _, problems = parse_csv("name,site\na1,s1\na2,s1,extra\n", "f.csv")
    assert [(p.line, p.ap) for p in problems] == [(3, "a2")]
    assert "3 cells but the header has 2 columns" in problems[0].message


def test_csv_with_bom_and_non_utf8(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffname,site\na1,s1\n".encode())
    entries, problems = load_file(str(bom))
    assert problems == [] and entries[0].data == {"name": "a1", "site": "s1"}
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,site\na1,s1\na2,M\xfclheim\n".encode("latin-1"))
    _, problems = load_file(str(latin))
    assert (problems[0].line, "not UTF-8" in problems[0].message) == (3, True)


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    assert "unknown file type '.xlsx'" in load_file(str(tmp_path / "a.xlsx"))[1][0].message
    assert "cannot read the file" in load_file(str(tmp_path / "missing.yaml"))[1][0].message


@pytest.mark.parametrize("value", ["text", "20", 20, True, ["a", 1], {"k": "v"}, "true", "01:00-04:30"])
def test_csv_variable_cells_round_trip(value: object) -> None:
    assert parse_cell_value(format_cell_value(value)) == value
