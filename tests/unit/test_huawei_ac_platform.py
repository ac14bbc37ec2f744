"""The huawei-ac platform without a device: its templates render the controller's WLAN plan, its
values are VRP tokens (a value can never add words or a second command), and the vrp dialect compares,
undoes and checks configs by view path."""

from __future__ import annotations

from typing import Any

import pytest

from netctl.drivers.plan import compare, is_restored, undo_commands, vrp_key, vrp_paths
from netctl.platforms import get_platform
from netctl.values import QuotingError, finaliser
from tests.helpers.lab import INVENTORY_FILES, ROOT, with_psks

AC = "du-ac01"

RUNNING = """!Software Version V200R019C00SPC500
#
 sysname du-ac01
#
wlan
 security-profile name staff
  security wpa2 psk pass-phrase Old-Pass-1 aes
 ssid-profile name staff
  ssid Schule-Verwaltung
 vap-profile name staff
  forward-mode tunnel
  service-vlan vlan-id 10
  ssid-profile staff
  security-profile staff
#
return
"""


@pytest.fixture
def ac_api(api: Any) -> Any:
    api.inventory.import_secrets({"lab/ssh": '{"username": "u", "password": "p"}'})
    with_psks(api)
    files = [*INVENTORY_FILES, ROOT / "inventory" / "duisburg-controller.yaml"]
    api.inventory.import_inventory([str(p) for p in files])
    return api


def test_the_platform_is_a_vrp_cli_controller() -> None:
    platform = get_platform("huawei-ac")
    assert (platform.transport, platform.driver, platform.device_type) == ("ssh", "cli", "huawei")
    assert (platform.dialect, platform.quoting, platform.local_check) == ("vrp", "vrp", "vrp")
    assert platform.backup_command == "display current-configuration"
    assert platform.commit_commands == ("save",) and platform.confirm is not None


def test_the_controller_renders_its_wlan_plan(ac_api: Any) -> None:
    assert ac_api.session.get_ap(AC)["role"] == "controller"
    result = ac_api.config.render(AC)[0]
    assert result.ok, result.error
    paths = vrp_paths(result.text)
    assert ("wlan", "security-profile name lernen", "security wpa2 psk pass-phrase ******** aes") in paths
    assert ("wlan", "ssid-profile name verwaltung", "ssid Schule-Verwaltung") in paths
    assert ("wlan", "vap-profile name lernen", "service-vlan vlan-id 20") in paths
    assert ("wlan", "ap-group name schulen", "vap-profile lernen wlan 2 radio all") in paths
    assert ("wlan", "ap-id 0 ap-mac 60de-4476-e360", "ap-name du-sw-ap01") in paths


def test_the_ap_ids_come_from_the_inventory_aps_naming_the_controller(ac_api: Any, tmp_path: Any) -> None:
    behind = tmp_path / "behind.yaml"
    behind.write_text(
        "aps:\n"
        "- {name: du-zoo-ap00, site: zoo-duisburg, platform: controller-ap, address: 10.40.20.9,"
        " controller: du-ac01, mac: 60:DE:44:76:E3:5F}\n"        # sorts first: AP ID 0, no ap-group line
        "- {name: du-zoo-ap07, site: zoo-duisburg, platform: controller-ap, address: 10.40.20.7,"
        " controller: du-ac01}\n"                                 # no MAC: the AC cannot be told of it
        "- {name: du-zoo-ap08, site: zoo-duisburg, platform: controller-ap, address: 10.40.20.8, ap_group: zoo,"
        " controller: du-ac01, mac: 60de-4476-e3f0}\n")
    ac_api.inventory.import_inventory([str(behind)])
    result = ac_api.config.render(AC)[0]
    assert result.ok, result.error
    entries = [p[1:] for p in vrp_paths(result.text) if p[1:2] and p[1].startswith("ap-id ")]
    assert entries == [
        ("ap-id 0 ap-mac 60de-4476-e35f",), ("ap-id 0 ap-mac 60de-4476-e35f", "ap-name du-zoo-ap00"),
        ("ap-id 1 ap-mac 60de-4476-e360",), ("ap-id 1 ap-mac 60de-4476-e360", "ap-name du-sw-ap01"),
        ("ap-id 1 ap-mac 60de-4476-e360", "ap-group schulen"),
        ("ap-id 2 ap-mac 60de-4476-e361",), ("ap-id 2 ap-mac 60de-4476-e361", "ap-name du-zoo-ap01"),
        ("ap-id 2 ap-mac 60de-4476-e361", "ap-group zoo"),
        ("ap-id 3 ap-mac 60de-4476-e3f0",), ("ap-id 3 ap-mac 60de-4476-e3f0", "ap-name du-zoo-ap08"),
        ("ap-id 3 ap-mac 60de-4476-e3f0", "ap-group zoo"),
    ]
    # the controller's own fact, as `netctl inventory vars du-ac01` shows it
    fact = next(v["value"] for v in ac_api.inventory.ap_vars(AC) if v["key"] == "ap")
    assert [(a["id"], a["name"]) for a in fact["aps"]] == [
        (0, "du-zoo-ap00"), (1, "du-sw-ap01"), (2, "du-zoo-ap01"), (3, "du-zoo-ap08")]


def test_an_ap_id_of_the_inventory_is_kept_and_the_others_take_the_free_ones(ac_api: Any, tmp_path: Any) -> None:
    behind = tmp_path / "behind.yaml"
    behind.write_text(
        "aps:\n"
        "- {name: du-zoo-ap00, site: zoo-duisburg, platform: controller-ap, address: 10.40.20.9,"
        " controller: du-ac01, mac: 60de-4476-e35f, ap_id: 1}\n"
        "- {name: du-zoo-ap08, site: zoo-duisburg, platform: controller-ap, address: 10.40.20.8,"
        " controller: du-ac01, mac: 60de-4476-e3f0, ap_id: '7'}\n")
    ac_api.inventory.import_inventory([str(behind)])
    assert ac_api.inventory.show_ap("du-zoo-ap08")["ap_id"] == 7
    result = ac_api.config.render(AC)[0]
    assert result.ok, result.error
    assert [p[1] for p in vrp_paths(result.text) if len(p) == 2 and p[1].startswith("ap-id ")] == [
        "ap-id 0 ap-mac 60de-4476-e360", "ap-id 1 ap-mac 60de-4476-e35f", "ap-id 2 ap-mac 60de-4476-e361",
        "ap-id 7 ap-mac 60de-4476-e3f0"]


@pytest.mark.parametrize(("entry", "message", "line"), [
    ("  controller: du-ac01\n  mac: 60de-4476-e3f1\n  ap_id: 0\n",
     "ap_id 0 on controller 'du-ac01' belongs to AP 'du-zoo-ap00' already", 8),
    ("  ap_id: 3\n", "ap_id is the AP's ID on its controller: give controller too", 6),
    ("  controller: du-ac01\n  ap_id: -1\n", "bad ap_id -1: must be 0..65535", 7),
    ("  controller: du-ac01\n  ap_id: drei\n", "bad ap_id 'drei': must be a whole number 0..65535", 7),
])
def test_a_wrong_ap_id_names_file_line_and_ap(ac_api: Any, tmp_path: Any, entry: str, message: str,
                                              line: int) -> None:
    from netctl.errors import InventoryError

    first = tmp_path / "first.yaml"
    first.write_text("aps:\n- {name: du-zoo-ap00, site: zoo-duisburg, platform: controller-ap, address: 10.40.20.9,"
                     " controller: du-ac01, mac: 60de-4476-e3f0, ap_id: 0}\n")
    ac_api.inventory.import_inventory([str(first)])
    path = tmp_path / "wrong.yaml"
    path.write_text("aps:\n- name: du-zoo-ap09\n  site: zoo-duisburg\n  platform: controller-ap\n"
                    "  address: 10.40.20.10\n" + entry)
    with pytest.raises(InventoryError) as err:
        ac_api.inventory.import_inventory([str(path)])
    problem = err.value.problems[0]
    assert message in problem.message and problem.ap == "du-zoo-ap09", err.value
    assert (problem.file, problem.line) == (str(path), line)


@pytest.mark.parametrize("ssid", ['Gast"', 'Gast" ap-id 7', "Gast undo", "Gast?"])
def test_a_hostile_ssid_is_refused_at_render(ac_api: Any, ssid: str) -> None:
    wlans = [dict(w) for w in ac_api.session.get_ap(AC)["vars"]["wlans"]]
    wlans[0]["ssid"] = ssid
    ac_api.inventory.set_ap(AC, {"vars.wlans": wlans})
    result = ac_api.config.render(AC)[0]
    assert not result.ok and "quoting" in (result.error or ""), result


def test_the_local_check_finds_what_the_ac_refuses() -> None:
    from netctl.render.schema import check_config

    assert check_config("huawei-ac", INTENDED) == []
    bad = ("wlan\n vap-profile name x\n  service-vlan vlan-id 4095\n"
           " ap-group name g\n   vap-profile x wlan 17 radio all\n")
    assert check_config("huawei-ac", bad) == [
        "line 3: vlan-id 4095 is out of range 1..4094",
        "line 5: indented 3, the view above is at 1",
        "line 5: wlan 17 is out of range 1..16",
    ]


def test_vrp_tokens_refuse_the_quote_character() -> None:
    token = finaliser("vrp")
    assert token("Schule-Lernen") == "Schule-Lernen" and token(20) == "20"
    for bad in ('a"b', "two words", "new\nline", "help?"):
        with pytest.raises(QuotingError):
            token(bad)


def test_a_value_breaking_the_ssid_rule_is_refused_at_set_time(ac_api: Any) -> None:
    from netctl.errors import NetctlError

    wlans = [dict(w) for w in ac_api.session.get_ap(AC)["vars"]["wlans"]]
    for bad in ("x" * 33, "Gast\nundo ap-id 0"):
        wlans[1]["ssid"] = bad
        with pytest.raises(NetctlError, match=r"wlans\[1\]\.ssid"):
            ac_api.inventory.set_ap(AC, {"vars.wlans": wlans})
    assert ac_api.session.get_ap(AC)["vars"]["wlans"][1]["ssid"] == "Schule-Lernen"


INTENDED = """wlan
 security-profile name staff
  security wpa2 psk pass-phrase New-Pass-2 aes
 vap-profile name staff
  service-vlan vlan-id 30
 vap-profile name guest
  service-vlan vlan-id 40
"""


def test_vrp_compare_keys_single_values_and_masks_passphrases() -> None:
    diff = compare(INTENDED, RUNNING, "huawei-ac")
    assert diff.changed
    assert "-  service-vlan vlan-id 10" in diff.text and "+  service-vlan vlan-id 30" in diff.text
    assert "+ vap-profile name guest" in diff.text
    assert "Pass" not in diff.text and "pass-phrase ******** aes" in diff.text
    assert not compare("wlan\n vap-profile name staff\n  service-vlan vlan-id 10\n", RUNNING, "huawei-ac").changed
    assert vrp_key(("wlan", "ap-id 0 ap-mac 60de-4476-e360")) == ("wlan", "ap-id 0")


def test_vrp_undo_puts_old_values_back_first_then_removes_new_blocks() -> None:
    undo = undo_commands(RUNNING, INTENDED, "huawei-ac")
    assert undo == [
        "wlan", " security-profile name staff", "  security wpa2 psk pass-phrase Old-Pass-1 aes",
        "wlan", " vap-profile name staff", "  service-vlan vlan-id 10",
        "wlan", " undo vap-profile name guest",
    ]
    # an AC that showed no wlan view at all: the view is entered, never undone
    assert undo_commands("#\n sysname du-ac01\n#\nreturn\n", INTENDED, "huawei-ac") == [
        "wlan", " undo vap-profile name guest", "wlan", " undo vap-profile name staff",
        "wlan", " undo security-profile name staff",
    ]
    assert not is_restored(RUNNING, RUNNING.replace("vlan-id 10", "vlan-id 30"), INTENDED, "huawei-ac")
    assert is_restored(RUNNING, RUNNING, INTENDED, "huawei-ac")


#: a security profile as a real AC shows it in `display current-configuration` (VRP V200R019): the
#: pass-phrase as cipher text, which netctl cannot read back
CIPHER = "%^%#u'N!8`4Ln>E%yM,2|c#Q0Hf6(W.Ou7qb|j:v6]aW%^%#"
RUNNING_REAL = f"""!Software Version V200R019C00SPC500
#
 sysname du-ac01
#
wlan
 security-profile name staff
  security wpa2 psk pass-phrase {CIPHER} aes
 ssid-profile name staff
  ssid Schule-Verwaltung
#
return
"""
PLAN = "wlan\n security-profile name staff\n  security wpa2 psk pass-phrase Staff-Pass-1 aes\n" \
       " ssid-profile name staff\n  ssid Schule-Verwaltung\n"


def test_a_cipher_text_pass_phrase_compares_as_the_intended_one_netctl_applied() -> None:
    def known(plan: str, running: str) -> bool:
        return compare(plan, running, "huawei-ac", ["Staff-Pass-1"], secrets_applied=True).changed

    assert not known(PLAN, RUNNING_REAL)  # a push of the unchanged PSK is "unchanged", drift "in-sync"
    older = RUNNING_REAL.replace("%^%#u'N!8`4Ln>E%yM,2|c#Q0Hf6(W.Ou7qb|j:v6]aW%^%#", "%$%$Kq3;T1~b(Yx%$%$")
    assert not known(PLAN, older)
    # what else changed still shows, and the pass-phrase line never does
    diff = compare(PLAN.replace("ssid Schule-Verwaltung", "ssid Schule-Neu"), RUNNING_REAL, "huawei-ac",
                   secrets_applied=True)
    assert diff.changed and "+  ssid Schule-Neu" in diff.text and "pass-phrase" not in diff.text.replace(
        "  security wpa2 psk pass-phrase ******** aes", "")
    assert CIPHER not in diff.text
    # a profile the AC does not have, or a pass-phrase it shows as clear text (the lab), compares as before
    assert known(PLAN.replace("name staff", "name guest"), RUNNING_REAL)
    assert known(PLAN, RUNNING_REAL.replace(CIPHER, "Other-Pass-2"))
    assert not known(PLAN, RUNNING_REAL.replace(CIPHER, "Staff-Pass-1"))
    # another mode or cipher on the AC is a change (only the pass-phrase itself is unreadable)
    assert known(PLAN, RUNNING_REAL.replace("wpa2 psk", "wpa-wpa2 psk"))
    assert known(PLAN, RUNNING_REAL.replace(" aes\n", " tkip\n"))


def test_a_cipher_text_pass_phrase_is_a_change_unless_netctl_applied_this_config() -> None:
    # a new PSK in the inventory (or a config netctl never applied here) must be sent, though the AC
    # shows only cipher text: it cannot be told from the old one
    diff = compare(PLAN, RUNNING_REAL, "huawei-ac", ["Staff-Pass-1"])
    assert diff.changed
    assert CIPHER not in diff.text and "Staff-Pass-1" not in diff.text


def test_secrets_count_as_applied_only_for_the_config_last_applied(api) -> None:
    config = api.config
    table = api.session.db.table("config_status")
    assert not config._secrets_applied("du-ac01", "h1")  # never pushed
    table.upsert({"ap": "du-ac01", "status": "applied", "intended_hash": "h1"}, pk="ap", alter=True)
    assert config._secrets_applied("du-ac01", "h1")
    assert not config._secrets_applied("du-ac01", "h2")  # the inventory's PSK (or anything) changed since
    assert not config._secrets_applied("du-ac01", None)
    for status in ("drifted", "pending", "failed"):
        table.upsert({"ap": "du-ac01", "status": status, "intended_hash": "h1"}, pk="ap")
        assert not config._secrets_applied("du-ac01", "h1"), status
