"""Rendering: strict variables, masked secrets, local checks against the AP models."""

from __future__ import annotations

import pytest

from netctl.render import render_ap
from netctl.render.schema import check_config, flatten
from tests.helpers.render import SECRETS, city_vars, school_ap


def test_school_ap_gets_staff_pupil_and_guest_ssids_with_vlans() -> None:
    result = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"))
    assert result.ok, result.error
    flat = flatten(result.text, "netconf-wlan")
    assert flat["ap/ssid[name=Schule-Verwaltung]/vlan"] == "10"
    assert flat["ap/ssid[name=Schule-Lernen]/vlan"] == "20"
    assert flat["ap/ssid[name=Duisburg-Free-WLAN]/security"] == "open"
    assert flat["ap/system/hostname"] == "gs-meiderich-ap01"
    assert flat["ap/system/ntp-server"] == "127.0.0.123, 127.0.0.124"
    assert flat["ap/radio[id=radio1]/tx-power"] == "14"  # the classroom group wins over the default


def test_preview_masks_secrets_and_push_resolves_them() -> None:
    preview = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"))
    assert "pupil-pass-2" not in preview.text and "<passphrase>********</passphrase>" in preview.text
    pushed = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"), resolve=SECRETS.__getitem__)
    assert pushed.ok and "<passphrase>pupil-pass-2</passphrase>" in pushed.text
    assert sorted(pushed.secrets) == ["pupil-pass-2", "staff-pass-1"]  # only what this AP uses
    assert pushed.hash != preview.hash


def test_missing_variable_names_the_ap_and_the_variable() -> None:
    variables = city_vars("gs-meiderich", "classroom")
    del variables["staff_vlan"]
    result = render_ap(school_ap(), variables)
    assert not result.ok
    assert "staff_vlan" in (result.error or "") and "gs-meiderich-ap01" in (result.error or "")


def test_value_the_model_rejects_is_an_error_before_sending() -> None:
    variables = city_vars("gs-meiderich", "classroom") | {"radio_5g_tx_power": 42}
    result = render_ap(school_ap(), variables)
    assert not result.ok
    assert "tx-power: 42 is out of range 1..30" in (result.error or "")


def test_unknown_secret_is_a_render_failure_not_a_crash() -> None:
    def resolve(ref: str) -> str:
        from netctl.errors import SecretError

        raise SecretError(f"secret {ref}: no such entry in the secret store")

    result = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"), resolve=resolve)
    assert not result.ok and "secret:duisburg/" in (result.error or "")


@pytest.mark.parametrize(
    ("name", "platform", "site", "group", "needle"),
    [
        (
            "zoo-entrance-ap01",
            "openconfig-wlan",
            "zoo-duisburg",
            "zoo-outdoor",
            "<name>Zoo-Duisburg-Gast</name>",
        ),
        (
            "bus-1201-ap01",
            "openwrt",
            "dvg-fleet",
            "bus",
            "uci set wireless.ssid0_radio0.ssid='DVG-Free-WLAN'",
        ),
        (
            "gs-meiderich-sw01",
            "cli-ios",
            "gs-meiderich",
            "uplink-switch",
            " switchport trunk allowed vlan 10,20,30",
        ),
    ],
)
def test_every_platform_renders_its_site_kind(
    name: str, platform: str, site: str, group: str, needle: str
) -> None:
    result = render_ap(
        {"name": name, "platform": platform, "site": site},
        city_vars(site, group),
        resolve=SECRETS.__getitem__,
    )
    assert result.ok, result.error
    assert needle in result.text


def test_xml_special_characters_are_escaped() -> None:
    variables = city_vars("zoo-duisburg", "zoo-house") | {"visitor_ssid": "Zoo & <Gast>"}
    result = render_ap(
        {"name": "zoo-x-ap01", "platform": "openconfig-wlan", "site": "zoo-duisburg"}, variables
    )
    assert result.ok, result.error
    assert "<name>Zoo &amp; &lt;Gast&gt;</name>" in result.text


def test_unknown_template_and_platform_are_clear_errors() -> None:
    result = render_ap(school_ap(), city_vars("gs-meiderich", "classroom"), template="nope")
    assert not result.ok and "not found" in (result.error or "")
    result = render_ap({"name": "x", "platform": "junos"}, {})
    assert not result.ok and "no templates for platform 'junos'" in (result.error or "")


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        (
            "<radio><id>r0</id><band>2.4ghz</band><channel>36</channel></radio>",
            "2.4ghz radios use channels 1..14",
        ),
        ("<ssid><name>x</name><security>wpa2-psk</security></ssid>", "passphrase: required"),
        ("<ssid><name>x</name><security>open</security><radio>radio9</radio></ssid>", "leafref"),
        (
            "<ssid><name>x</name><vlan>5000</vlan><security>open</security></ssid>",
            "5000 is out of range 1..4094",
        ),
        ("<system><hostname>-bad</hostname></system>", "does not match"),
        ("<ssid><name>x</name><colour>red</colour></ssid>", "not in the model"),
    ],
)
def test_nwap_checks(fragment: str, message: str) -> None:
    text = f'<ap xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap">{fragment}</ap>'
    problems = check_config("netconf-wlan", text)
    assert any(message in p for p in problems), problems


def test_bad_xml_and_openconfig_psk_without_opmode() -> None:
    assert check_config("netconf-wlan", "<ap><unclosed></ap>")[0].startswith("bad XML")
    text = (
        '<ssids xmlns="http://openconfig.net/yang/wifi-mac"><ssid><name>a</name><config><name>a</name>'
        "<opmode>OPEN</opmode><wpa2-psk>longenough</wpa2-psk></config></ssid></ssids>"
    )
    assert any("only valid with opmode WPA2_PERSONAL" in p for p in check_config("openconfig-wlan", text))
    problems = check_config("openwrt", "uci set a.b='c'\nrm -rf /\n")
    assert len(problems) == 1 and problems[0].startswith(
        "line 2: 'rm -rf /' is not a uci set/add_list/del_list/delete command"
    )


def test_disabled_ssids_stay_configured_but_off_on_every_platform() -> None:
    for name, platform, site, group, off in [
        ("gs-meiderich-ap01", "netconf-wlan", "gs-meiderich", "classroom", "Duisburg-Free-WLAN"),
        ("zoo-entrance-ap01", "openconfig-wlan", "zoo-duisburg", "zoo-outdoor", "Zoo-Duisburg-Gast"),
        ("bus-1201-ap01", "openwrt", "dvg-fleet", "bus", "DVG-Free-WLAN"),
    ]:
        variables = city_vars(site, group) | {"ssids_disabled": [off]}
        result = render_ap({"name": name, "platform": platform, "site": site}, variables)
        assert result.ok, result.error
        if platform == "netconf-wlan":
            assert flatten(result.text, platform)[f"ap/ssid[name={off}]/enabled"] == "false"
            assert flatten(result.text, platform)["ap/ssid[name=Schule-Lernen]/enabled"] == "true"
        elif platform == "openconfig-wlan":
            assert flatten(result.text, platform)[f"ssids/ssid[name={off}]/config/enabled"] == "false"
        else:
            assert "uci set wireless.ssid0_radio0.disabled='1'" in result.text
