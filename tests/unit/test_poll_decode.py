"""Decoding what an agent answered (pure), the OID tables, and the SNMP target building."""

from __future__ import annotations

from typing import Any

import pytest

from netctl.errors import PollError
from netctl.platforms import PLATFORMS
from netctl.poll.decode import decode
from netctl.poll.model import Target
from netctl.poll.oids import PROFILES, profile_for
from netctl.poll.snmp import engine_groups

AP = PROFILES["wlan-ap"]


def scalars(**over: tuple[str, object]) -> dict[str, tuple[str, object]]:
    base: dict[str, tuple[str, object]] = {
        "sys_descr": ("OctetString", "NW-AP 620"), "sys_object_id": ("ObjectIdentifier", "1.3.6.1.4.1.41112.1.6"),
        "sys_uptime": ("TimeTicks", 12345), "sys_name": ("OctetString", "ap01"),
        "mem_total_kb": ("Integer", 1000), "mem_avail_kb": ("Integer", 250),
    }
    base.update(over)
    return base


TABLES: dict[str, dict[str, dict[str, tuple[str, Any]]]] = {
    "if": {"descr": {"1": ("OctetString", "eth0"), "2": ("OctetString", "wlan0")},
           "oper_status": {"1": ("Integer", 1), "2": ("Integer", 2)},
           "in_octets": {"1": ("Counter32", 10), "2": ("Counter32", 20)},
           "out_octets": {"1": ("Counter32", 30), "2": ("Counter32", 40)},
           "in_errors": {"1": ("Counter32", 0), "2": ("Counter32", 5)},
           "out_errors": {"1": ("Counter32", 0), "2": ("Counter32", 0)}},
    "ifx": {"hc_in_octets": {"1": ("Counter64", 10**12), "2": ("Counter64", 2)},
            "hc_out_octets": {"1": ("Counter64", 3), "2": ("Counter64", 4)}},
    "cpu": {"load": {"196608": ("Integer", 30), "196609": ("Integer", 50)}},
    "vap": {"essid": {"0": ("OctetString", "Schule"), "1": ("OctetString", "Gast")},
            "radio": {"0": ("OctetString", "ng"), "1": ("OctetString", "na")},
            "stations": {"0": ("Gauge32", 12), "1": ("Gauge32", 3)},
            "up": {"0": ("Integer", 1), "1": ("Integer", 2)}},
}


def test_decode_values_of_a_good_reply() -> None:
    values = decode(AP, scalars(), TABLES)
    assert values["sys_name"] == "ap01"
    assert values["uptime_s"] == 123.45
    assert values["cpu"] == 40.0
    assert values["mem"] == 75.0
    assert values["clients"] == 15
    assert [s["ssid"] for s in values["ssids"]] == ["Schule", "Gast"]
    eth0 = values["interfaces"][0]
    assert (eth0["name"], eth0["in_octets"], eth0["counter_bits"]) == ("eth0", 10**12, 64)
    # wlan0 oper down + one VAP down
    assert values["radios_down"] == 2


def test_memory_from_hr_storage_when_ucd_is_absent() -> None:
    tables: dict[str, dict[str, dict[str, tuple[str, Any]]]] = {
        "storage": {"type": {"1": ("ObjectIdentifier", "1.3.6.1.2.1.25.2.1.4"),
                             "2": ("ObjectIdentifier", "1.3.6.1.2.1.25.2.1.2")},
                    "alloc_units": {"1": ("Integer", 4096), "2": ("Integer", 1024)},
                    "size": {"1": ("Integer", 100), "2": ("Integer", 2000)},
                    "used": {"1": ("Integer", 1), "2": ("Integer", 500)}}}
    values = decode(PROFILES["wlan-ap-hr"], scalars(), tables)
    assert values["mem"] == 25.0
    assert values["mem_total_kb"] == 2000


@pytest.mark.parametrize(("override", "match"), [
    ({"sys_uptime": ("noSuchObject", None)}, "1.3.6.1.2.1.1.3.0 .sys_uptime. missing"),
    ({"sys_uptime": ("OctetString", "yesterday")}, "is OctetString, expected TimeTicks"),
    ({"sys_name": ("Integer", 5)}, "sys_name"),
])
def test_malformed_replies_name_the_oid(override: dict[str, tuple[str, object]], match: str) -> None:
    with pytest.raises(PollError, match=match) as info:
        decode(AP, scalars(**override), {})
    assert info.value.kind == "malformed"


def test_a_counter_column_with_text_is_malformed() -> None:
    tables = {"if": {"in_octets": {"1": ("OctetString", "lots")}}}
    with pytest.raises(PollError, match=r"1\.3\.6\.1\.2\.1\.2\.2\.1\.10\.1 is OctetString"):
        decode(PROFILES["legacy-if"], scalars(), tables)


def test_platform_profiles_are_data() -> None:
    assert profile_for("cli-ios").name == "switch"
    assert profile_for("netconf-wlan").tables["vap"].column_oid("stations") == "1.3.6.1.4.1.41112.1.6.1.2.1.8"
    assert profile_for("something-new").name == "wlan-ap"
    assert profile_for("openwrt", "system-only").name == "system-only"
    assert {p.snmp_profile for p in PLATFORMS.values()} <= set(PROFILES)


def test_one_engine_unless_a_v3_user_has_two_key_sets() -> None:
    same = [Target(f"ap{i}", "127.0.0.1", version="3", user="u", auth_key="a", priv_key="p") for i in range(3)]
    assert len(engine_groups(same)) == 1
    mixed = same + [Target("bad", "127.0.0.2", version="3", user="u", auth_key="wrong", priv_key="p"),
                    Target("v2", "127.0.0.3", community="c")]
    groups = engine_groups(mixed)
    assert len(groups) == 2
    assert [t.ap for t in groups[1]] == ["bad"]


def test_target_repr_never_shows_secrets() -> None:
    text = repr(Target("ap", "127.0.0.1", community="s3cret", auth_key="k3y", priv_key="pr1v"))
    assert "s3cret" not in text and "k3y" not in text and "pr1v" not in text


def test_targets_are_built_once_per_secret_and_bad_settings_are_results(api: object) -> None:
    import json

    from netctl.inventory.secrets import set_secret
    from netctl.poll.ops import build_targets

    db = api.session.db  # type: ignore[attr-defined]
    set_secret(db, "c", "community-1")
    rows: list[dict[str, Any]] = [
        {"name": "ok", "platform": "cli-ios", "address": "127.0.0.1",
         "snmp": {"version": "2c", "community": "secret:c"}},
        {"name": "v3", "platform": "openwrt", "address": "127.0.0.2",
         "snmp": {"version": "3", "port": 1161, "user": "u", "auth_key": "secret:c", "priv_key": "secret:c"}},
        {"name": "clear", "platform": "openwrt", "address": "127.0.0.3",
         "snmp": json.dumps({"version": "2c", "community": "public"})},
        {"name": "md4", "platform": "openwrt", "address": "127.0.0.4",
         "snmp": {"version": "3", "user": "u", "auth_protocol": "MD4", "auth_key": "secret:c"}},
        {"name": "none", "platform": "openwrt", "address": "127.0.0.5", "snmp": {}},
        {"name": "missing", "platform": "openwrt", "address": "127.0.0.6",
         "snmp": {"version": "2c", "community": "secret:nope"}},
    ]
    targets, failed = build_targets(db, rows)
    assert [(t.ap, t.port, t.profile, t.community) for t in targets[:1]] == [("ok", 161, "switch", "community-1")]
    assert (targets[1].version, targets[1].port, targets[1].auth_key) == ("3", 1161, "community-1")
    reasons = {r.ap: str(r.error) for r in failed}
    assert set(reasons) == {"clear", "md4", "none", "missing"}
    assert "not a secret reference" in reasons["clear"] and "MD4" in reasons["md4"]
    assert "no SNMP settings" in reasons["none"] and "secret:nope" in reasons["missing"]
    assert all(r.error_kind == "error" and not r.ok for r in failed)
