"""The Cisco Catalyst 9800 over NETCONF with Cisco's own YANG, against the lab's stand-in (a netconfd that
loads the IOS-XE 17.12.1 wireless models behind OpenSSH, docs/lab.md).

netctl renders the controller's WLAN profiles, policy profiles and tags and pushes them; the tests read
the running datastore back over their own ncclient session, not through netctl's driver, and change it
there as another management client would.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.helpers.lab import ROOT
from tests.helpers.netconf import manager_for

pytestmark = pytest.mark.lab

WLC = "do-wlc01"
CONTROLLER_FILE = ROOT / "inventory" / "dortmund-controller.yaml"
WLAN_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-wlan-cfg"
NS = {
    "w": WLAN_NS,
    "s": "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-site-cfg",
    "r": "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-rf-cfg",
    "a": "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-ap-cfg",
}
PSK = {"dortmund/free-psk": "Free-Lab-Pass-6", "dortmund/staff-psk": "Staff-Lab-Pass-7"}
FILTER = ('<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" type="subtree">'
          + "".join(f'<{top} xmlns="{NS[p]}"/>' for p, top in (("w", "wlan-cfg-data"), ("s", "site-cfg-data"),
                                                               ("r", "rf-cfg-data"), ("a", "ap-cfg-data")))
          + "</filter>")


@pytest.fixture
def wlc_city(city: Any) -> Any:
    city.inventory.import_secrets(PSK)
    city.inventory.import_inventory([str(CONTROLLER_FILE)])
    return city


class Running:
    """The controller's running datastore (the four managed containers), read once over the test's own
    NETCONF session; ``running(xpath)`` gives the values there."""

    def __init__(self, api: Any) -> None:
        with manager_for(api, WLC) as m:
            self.data = m.get_config("running", filter=FILTER).data_ele

    def __call__(self, xpath: str) -> list[str]:
        return [str(v) for v in self.data.xpath(xpath, namespaces=NS)]


def running(api: Any, xpath: str) -> list[str]:
    """Values at ``xpath`` in the controller's running datastore, read over a new session of the test's own."""
    return Running(api)(xpath)


def wlan(name: str, leaf: str) -> str:
    return f"//w:wlan-cfg-entries/w:wlan-cfg-entry[w:profile-name='{name}']/{leaf}/text()"


def policy_vlan(name: str) -> str:
    return f"//w:wlan-cfg-data/w:wlan-policies/w:wlan-policy[w:policy-profile-name='{name}']/w:interface-name/text()"


def with_wlan(api: Any, index: int, **changes: Any) -> None:
    wlans = [dict(w) for w in api.session.get_ap(WLC)["vars"]["wlans"]]
    wlans[index].update(changes)
    api.inventory.set_ap(WLC, {"vars.wlans": wlans})


def fresh_vlan(api: Any) -> int:
    used = set(running(api, "//w:wlan-cfg-data/w:wlan-policies/w:wlan-policy/w:interface-name/text()"))
    return next(v for v in random.sample(range(100, 4000), 50) if str(v) not in used)


def test_wlans_policies_and_tags_pushed_are_in_the_running_datastore(wlc_city: Any) -> None:
    vlan = fresh_vlan(wlc_city)
    with_wlan(wlc_city, 0, vlan=vlan)
    result = wlc_city.config.push(WLC, confirm_timeout=20)[0]
    assert (result.ok, result.status, result.changed) == (True, "applied", True), result.reason
    # a changed VLAN (`: old -> new`), or a new one on a stand-in that has just booted empty (`= new`)
    assert [line for line in result.diff.splitlines() if "[policy-profile-name=pp-free,wlan-profile-name=?]"
            "/interface-name" in line and line.endswith(str(vlan))], result.diff
    assert "Free-Lab-Pass-6" not in result.diff and "Free-Lab-Pass-6" not in result.transcript
    assert "<psk>********</psk>" in result.transcript
    assert "commit confirmed timeout 20" in result.transcript and "commit (confirming)" in result.transcript
    now = Running(wlc_city)
    assert now(wlan("do-free", "w:wlan-id")) == ["1"]
    assert now(wlan("do-free", "w:apf-vap-id-data/w:ssid")) == ["Dortmund-Free-WLAN"]
    assert now(wlan("do-free", "w:psk")) == ["Free-Lab-Pass-6"]
    assert now(wlan("do-verwaltung", "w:psk")) == ["Staff-Lab-Pass-7"]
    assert now(wlan("do-free", "w:auth-key-mgmt-psk")) == ["true"]
    assert now(policy_vlan("pp-free")) == [str(vlan)]
    assert now(policy_vlan("pp-verwaltung")) == ["10"]
    tag = "//w:policy-list-entry[w:tag-name='pt-quartiere']/w:wlan-policies/w:wlan-policy"
    assert sorted(zip(now(f"{tag}/w:wlan-profile-name/text()"),
                      now(f"{tag}/w:policy-profile-name/text()"), strict=True)) == [
        ("do-free", "pp-free"), ("do-verwaltung", "pp-verwaltung")]
    assert now("//s:site-tag-config/s:site-tag-name/text()") == ["st-quartiere", "st-strassen"]
    assert now("//r:rf-tag/r:tag-name/text()") == ["rt-innen", "rt-strasse"]
    ap = "//a:ap-tag[a:ap-mac='70:db:98:3a:1c:04']"
    assert [now(f"{ap}/a:{leaf}/text()") for leaf in ("policy-tag", "site-tag", "rf-tag")] == [
        ["pt-strassen"], ["st-strassen"], ["rt-strasse"]]
    again = wlc_city.config.push(WLC, confirm_timeout=20)[0]
    assert (again.ok, again.status, again.changed) == (True, "unchanged", False), again.reason


def test_an_8021x_wlan_with_a_hostile_ssid_is_stored_byte_for_byte(wlc_city: Any) -> None:
    ssid = f"Gäste <&> \"'{random.randrange(1000)}' ]]>]]>"
    with_wlan(wlc_city, 1, ssid=ssid, security="wpa2-enterprise", aaa_list="dot1x-radius")
    result = wlc_city.config.push(WLC, confirm_timeout=20)[0]
    assert (result.ok, result.status) == (True, "applied"), result.reason
    now = Running(wlc_city)
    assert now(wlan("do-verwaltung", "w:apf-vap-id-data/w:ssid")) == [ssid]
    assert [now(wlan("do-verwaltung", f"w:{leaf}")) for leaf in ("auth-key-mgmt-dot1x", "auth-key-mgmt-psk",
                                                                 "authentication-list", "psk")] == [
        ["true"], ["false"], ["dot1x-radius"], []]
    assert now(wlan("do-free", "w:auth-key-mgmt-psk")) == ["true"]
    assert wlc_city.config.push(WLC, confirm_timeout=20)[0].status == "unchanged"


@pytest.mark.parametrize(("index", "changes", "rule"), [
    (0, {"vlan": 4095}, "vlan"),
    (1, {"wlan_id": 4097}, "wlan-id"),
    (0, {"profile": "do-'free"}, "cisco-name"),
    (1, {"ssid": " DO-Verwaltung"}, "trimmed"),
])
def test_a_bad_value_is_refused_by_the_inventory(wlc_city: Any, index: int, changes: dict[str, Any],
                                                 rule: str) -> None:
    from netctl.errors import InventoryError

    with pytest.raises(InventoryError, match=f"rule '{rule}'"):
        with_wlan(wlc_city, index, **changes)


def test_a_bad_passphrase_is_refused_before_anything_is_sent(wlc_city: Any) -> None:
    before = running(wlc_city, wlan("do-free", "w:psk"))
    wlc_city.inventory.import_secrets({"dortmund/free-psk": "short"})  # a secret is checked once resolved
    result = wlc_city.config.push(WLC, confirm_timeout=20)[0]
    assert (result.ok, result.status) == (False, "failed") and "rule 'wpa-psk'" in (result.reason or ""), result
    assert "short" not in (result.reason or "") and "connect" not in (result.transcript or "")
    assert running(wlc_city, wlan("do-free", "w:psk")) == before


def test_a_change_by_another_client_is_drift(wlc_city: Any) -> None:
    assert wlc_city.config.push(WLC, confirm_timeout=20)[0].ok
    assert wlc_city.config.drift(WLC)[0].status == "in-sync"
    vlan = random.randrange(2000, 4000)  # pp-verwaltung's VLAN is 10 in the plan
    with manager_for(wlc_city, WLC) as m:  # another NETCONF client moves the staff WLAN to another VLAN
        m.lock("candidate")
        m.discard_changes()
        m.edit_config(target="candidate", config=(
            '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
            f'<wlan-cfg-data xmlns="{WLAN_NS}"><wlan-policies><wlan-policy>'
            f"<policy-profile-name>pp-verwaltung</policy-profile-name><interface-name>{vlan}</interface-name>"
            "</wlan-policy></wlan-policies></wlan-cfg-data></config>"))
        m.commit()
        m.unlock("candidate")
    result = wlc_city.config.drift(WLC)[0]
    assert result.status == "drifted", result
    assert f"interface-name: {vlan} -> 10" in result.diff, result.diff
    assert wlc_city.config.config_status(WLC)[0]["status"] == "drifted"
    assert wlc_city.config.push(WLC, confirm_timeout=20)[0].changed
    assert running(wlc_city, policy_vlan("pp-verwaltung")) == ["10"]


def test_the_stand_in_enforces_cisco_models_and_keeps_its_config(wlc_city: Any) -> None:
    """What netctl's own checks would catch, sent past them: the controller's models refuse it (two WLAN
    profiles with one WLAN ID break the list's ``unique``) and the running config stays as it was."""
    from netctl.drivers import PushOptions, Transcript, get_driver
    from netctl.errors import RpcError

    assert wlc_city.config.push(WLC, confirm_timeout=20)[0].ok
    intended = wlc_city.config.render(WLC)[0].text.replace("********", PSK["dortmund/free-psk"])
    twice = intended.replace("<wlan-id>2</wlan-id>", "<wlan-id>1</wlan-id>")
    with pytest.raises(RpcError) as err:
        get_driver("netconf").push(wlc_city.config._target(wlc_city.session.get_ap(WLC)), twice, [],
                                   PushOptions(confirm_timeout=20), Transcript())
    assert err.value.tag in ("operation-failed", "data-exists", "invalid-value"), err.value
    assert running(wlc_city, "//w:wlan-cfg-entry[w:profile-name='do-verwaltung']/w:wlan-id/text()") == ["2"]


def test_a_controller_whose_netconf_server_is_down_fails_and_is_pushed_again_later(wlc_city: Any, lab: Any) -> None:
    lab.stop_netconf(WLC)
    try:
        down = wlc_city.config.push(WLC, confirm_timeout=20)[0]
    finally:
        lab.start_netconf(WLC)  # the stand-in boots empty (docs/lab.md)
    # SSH answers, the NETCONF session does not: unreachable, so pending (netctl converge pushes it later)
    assert (down.ok, down.status) == (False, "pending") and "unreachable at 127.1.50.2:830" in (down.reason or "")
    again = wlc_city.config.push(WLC, confirm_timeout=20)[0]
    assert (again.ok, again.status) == (True, "applied"), again.reason
