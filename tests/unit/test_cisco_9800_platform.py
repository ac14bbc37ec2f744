"""The cisco-9800 platform without a device: its template renders the controller's WLAN plan in Cisco's own
YANG (WLAN profiles, policy profiles, policy/site/RF tags, AP tags by MAC), its values pass the platform's
rules, and configs of its models are compared by list key with the PSK masked."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from netctl.drivers.plan import compare
from netctl.platforms import get_platform
from netctl.render.schema import flatten
from tests.helpers.lab import INVENTORY_FILES, ROOT

WLC = "do-wlc01"
W = "{http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-wlan-cfg}"
A = "{http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-ap-cfg}"
PSK = {"dortmund/free-psk": "Free-Lab-Pass-6", "dortmund/staff-psk": "Staff-Lab-Pass-7"}


@pytest.fixture
def wlc_api(api: Any) -> Any:
    api.inventory.import_secrets({"lab/netconf": '{"username": "u", "password": "p"}', **PSK})
    files = [*INVENTORY_FILES, ROOT / "inventory" / "dortmund-controller.yaml"]
    api.inventory.import_inventory([str(p) for p in files])
    return api


def rendered(api: Any) -> Any:
    result = api.config.render(WLC)[0]
    assert result.ok, result.error
    return etree.fromstring(f"<root>{result.text}</root>")


def set_wlans(api: Any, index: int, **changes: Any) -> None:
    wlans = [dict(w) for w in api.session.get_ap(WLC)["vars"]["wlans"]]
    wlans[index].update(changes)
    api.inventory.set_ap(WLC, {"vars.wlans": wlans})


def test_the_platform_is_a_netconf_controller_with_cisco_models() -> None:
    platform = get_platform("cisco-9800")
    assert (platform.transport, platform.driver, platform.dialect, platform.quoting) == ("netconf", "netconf",
                                                                                         "xml", "xml")
    assert (platform.template_dir, platform.default_template, platform.default_port) == ("cisco-9800",
                                                                                        "wlan.xml.j2", 830)
    assert "Cisco-IOS-XE-wireless-wlan-cfg" in (platform.running_filter or "")
    assert platform.yang_modules == ()  # Cisco's models are not shipped with netctl (lab only, their licence)


def test_the_controller_renders_wlans_policies_and_tags(wlc_api: Any) -> None:
    root = rendered(wlc_api)
    entries = {e.findtext(f"{W}profile-name"): e for e in root.iter(f"{W}wlan-cfg-entry")}
    assert sorted(entries) == ["do-free", "do-verwaltung"]
    free = entries["do-free"]
    assert (free.findtext(f"{W}wlan-id"), free.findtext(f"{W}apf-vap-id-data/{W}ssid")) == ("1",
                                                                                             "Dortmund-Free-WLAN")
    assert free.findtext(f"{W}psk") == "********"  # a preview never shows the passphrase
    assert (free.findtext(f"{W}auth-key-mgmt-psk"), free.findtext(f"{W}psk-key-type")) == ("true", "key-ascii")
    policies = {p.findtext(f"{W}policy-profile-name"): p.findtext(f"{W}interface-name")
                for p in root.findall(f"{W}wlan-cfg-data/{W}wlan-policies/{W}wlan-policy")}
    assert policies == {"pp-free": "120", "pp-verwaltung": "10"}
    tags = {t.findtext(f"{W}tag-name"): [(w.findtext(f"{W}wlan-profile-name"), w.findtext(f"{W}policy-profile-name"))
                                         for w in t.iter(f"{W}wlan-policy")]
            for t in root.iter(f"{W}policy-list-entry")}
    assert tags == {"pt-quartiere": [("do-free", "pp-free"), ("do-verwaltung", "pp-verwaltung")],
                    "pt-strassen": [("do-free", "pp-free")]}
    aps = {a.findtext(f"{A}ap-mac"): (a.findtext(f"{A}policy-tag"), a.findtext(f"{A}site-tag"),
                                      a.findtext(f"{A}rf-tag")) for a in root.iter(f"{A}ap-tag")}
    assert aps["70:db:98:3a:1c:04"] == ("pt-strassen", "st-strassen", "rt-strasse")


def test_a_policy_profile_is_named_after_its_wlan_when_the_plan_names_none(wlc_api: Any) -> None:
    wlans = [{k: v for k, v in w.items() if k != "policy"} for w in wlc_api.session.get_ap(WLC)["vars"]["wlans"]]
    wlc_api.inventory.set_ap(WLC, {"vars.wlans": wlans})
    root = rendered(wlc_api)
    names = [p.findtext(f"{W}policy-profile-name") for p in root.findall(f"{W}wlan-cfg-data/{W}wlan-policies/"
                                                                          f"{W}wlan-policy")]
    assert names == ["do-free", "do-verwaltung"]


@pytest.mark.parametrize("ssid", ['Gäste <&> "x"', "O'Reilly ]]>]]>", "Bürger & Gäste WLAN"])
def test_a_hostile_ssid_is_written_byte_for_byte(wlc_api: Any, ssid: str) -> None:
    set_wlans(wlc_api, 0, ssid=ssid)
    root = rendered(wlc_api)
    assert [e.findtext(f"{W}apf-vap-id-data/{W}ssid") for e in root.iter(f"{W}wlan-cfg-entry")][0] == ssid


@pytest.mark.parametrize(("path", "value", "rule"), [
    ("vars.controller_aps", [{"mac": "70db.983a.1c00", "policy_tag": "pt-quartiere"}], "mac"),
    ("vars.policy_tags", [{"name": "pt x ", "wlans": ["do-free"]}], "cisco-name"),
    ("vars.policy_tags", [{"name": "pt", "wlans": ["do-'free"]}], "cisco-name"),
    ("vars.site_tags", [{"name": "s" * 33}], "cisco-name"),
    ("vars.rf_tags", [{"name": "rt-ä"}], "cisco-name"),
])
def test_a_bad_name_or_mac_is_refused(wlc_api: Any, path: str, value: Any, rule: str) -> None:
    from netctl.errors import InventoryError

    with pytest.raises(InventoryError, match=f"rule '{rule}'"):
        wlc_api.inventory.set_ap(WLC, {path: value})


def test_configs_compare_by_list_key_with_the_psk_masked(wlc_api: Any) -> None:
    before = wlc_api.config.render(WLC)[0].text.replace("********", "Old-Pass-1")
    set_wlans(wlc_api, 1, vlan=30)
    after = wlc_api.config.render(WLC)[0].text.replace("********", "Old-Pass-1")
    flat = flatten(after, "cisco-9800")
    assert flat["wlan-cfg-data/wlan-policies/wlan-policy[policy-profile-name=pp-verwaltung,wlan-profile-name=?]"
                "/interface-name"] == "30"
    assert flat["ap-cfg-data/ap-tags/ap-tag[ap-mac=70:db:98:3a:1c:00]/rf-tag"] == "rt-innen"
    diff = compare(after, before, "cisco-9800", ["Old-Pass-1"])
    assert diff.changed and "interface-name: 10 -> 30" in diff.text and "Old-Pass-1" not in diff.text
    secret = compare(after, before.replace("<psk>Old-Pass-1</psk>", "<psk>New-Pass-2</psk>", 1), "cisco-9800",
                     ["Old-Pass-1", "New-Pass-2"])
    assert secret.changed and "New-Pass-2" not in secret.text


def test_the_local_check_finds_what_the_controller_would_refuse(wlc_api: Any) -> None:
    from netctl.render.schema import check_config

    good = wlc_api.config.render(WLC)[0].text
    assert check_config("cisco-9800", good) == []
    twice = good.replace("<wlan-id>2</wlan-id>", "<wlan-id>1</wlan-id>")
    assert [p for p in check_config("cisco-9800", twice) if "wlan-id: 1 is the WLAN ID of" in p]
    assert check_config("cisco-9800", good.replace("<interface-name>10<", "<interface-name>4095<")) == [
        "wlan-cfg-data/wlan-policies/wlan-policy[policy-profile-name=pp-verwaltung,wlan-profile-name=?]"
        "/interface-name: 4095 is out of range 1..4094"]
    unknown = good.replace("<wlan-profile-name>do-verwaltung<", "<wlan-profile-name>do-gone<")
    assert [p for p in check_config("cisco-9800", unknown) if "WLAN profile 'do-gone' is not defined" in p]
    untagged = good.replace("<rf-tag>rt-strasse</rf-tag>", "<rf-tag>rt-nirgends</rf-tag>")
    assert [p for p in check_config("cisco-9800", untagged) if "rf-tag: 'rt-nirgends' is not defined" in p]
    assert [p for p in check_config("cisco-9800", good.replace("<psk>********</psk>", "", 1))
            if p.endswith("/psk: a WLAN with the PSK AKM needs a passphrase")]
    default = good.replace("<rf-tag>rt-strasse</rf-tag>", "<rf-tag>default-rf-tag</rf-tag>")
    assert check_config("cisco-9800", default) == []
    assert [p for p in check_config("cisco-9800", good.replace("<psk-type>", "<psk-typo>")
                                    .replace("</psk-type>", "</psk-typo>")) if "not in the model" in p]


def test_a_policy_tag_holds_at_most_16_wlans(wlc_api: Any) -> None:
    wlans = [{"profile": f"w{i}", "wlan_id": i, "ssid": f"S{i}", "psk": "secret:dortmund/free-psk", "vlan": 100 + i}
             for i in range(1, 18)]
    wlc_api.inventory.set_ap(WLC, {"vars.wlans": wlans, "vars.policy_tags": [{"name": "pt", "wlans": [
        w["profile"] for w in wlans]}], "vars.controller_aps": []})
    result = wlc_api.config.render(WLC)[0]
    assert not result.ok and "17 WLANs, a policy tag holds at most 16" in (result.error or ""), result


def test_an_8021x_wlan_names_its_aaa_method_list_and_has_no_psk(wlc_api: Any) -> None:
    set_wlans(wlc_api, 1, security="wpa2-enterprise", aaa_list="dot1x-radius")
    entry = [e for e in rendered(wlc_api).iter(f"{W}wlan-cfg-entry") if e.findtext(f"{W}profile-name")
             == "do-verwaltung"][0]
    assert (entry.findtext(f"{W}auth-key-mgmt-dot1x"), entry.findtext(f"{W}auth-key-mgmt-psk"),
            entry.findtext(f"{W}authentication-list"), entry.find(f"{W}psk")) == ("true", "false", "dot1x-radius",
                                                                                  None)
    from netctl.errors import InventoryError

    with pytest.raises(InventoryError, match="rule 'wlan-security'"):
        set_wlans(wlc_api, 1, security="wep")
    wlans = [dict(w) for w in wlc_api.session.get_ap(WLC)["vars"]["wlans"]]
    del wlans[1]["aaa_list"]
    wlc_api.inventory.set_ap(WLC, {"vars.wlans": wlans})
    result = wlc_api.config.render(WLC)[0]
    assert not result.ok and "aaa_list" in (result.error or ""), result
