"""The lab's Huawei AC CLI simulator, command by command (no SSH): views and prompts, VRP's error
answers with the caret, the WLAN view's profiles and their references, save, and state across sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import huawei_ac_sim as sim

UNRECOGNIZED = "Error: Unrecognized command found at '^' position."


def run(ac: sim.Ac, *lines: str) -> list[str]:
    out: list[str] = []
    for line in lines:
        out += ac.run(line)
    return out


@pytest.fixture
def ac() -> sim.Ac:
    return sim.Ac(sim.initial_state("AC1"))


WLAN = (
    "system-view", "wlan",
    "security-profile name staff", "security wpa2 psk pass-phrase Secret-123 aes",
    "ssid-profile name staff", "ssid Schule-Verwaltung",
    "vap-profile name staff", "forward-mode tunnel", "service-vlan vlan-id 10",
    "ssid-profile staff", "security-profile staff",
    "ap-group name schulen", "vap-profile staff wlan 1 radio all",
    "ap-id 0 ap-mac 60de-4476-e360", "ap-name du-sw-ap01", "ap-group schulen",
)


def test_prompts_follow_the_views(ac: sim.Ac) -> None:
    seen = []
    for line in ("system-view", "wlan", "vap-profile name guest", "quit", "ap-id 3 ap-mac 0011-2233-4455", "return"):
        ac.run(line)
        seen.append(ac.prompt())
    assert seen == ["[AC1]", "[AC1-wlan-view]", "[AC1-wlan-vap-prof-guest]", "[AC1-wlan-view]", "[AC1-wlan-ap-3]",
                    "<AC1>"]
    assert ac.run("quit") == [] and ac.closed


def test_unknown_command_answers_as_vrp_with_the_caret_under_the_word(ac: sim.Ac) -> None:
    run(ac, "system-view", "wlan")
    prompt = ac.prompt()
    out = ac.run("vap-profile name x bogus")
    assert out == [" " * (len(prompt) + len("vap-profile name x ")) + "^", UNRECOGNIZED]
    assert ac.run("frobnicate now") == [" " * len(prompt) + "^", UNRECOGNIZED]
    assert ac.prompt() == prompt, "a refused line leaves the view as it was"
    assert ac.run("display nothing")[-1] == UNRECOGNIZED


def test_wrong_and_incomplete_parameters(ac: sim.Ac) -> None:
    run(ac, "system-view", "wlan", "vap-profile name v")
    assert ac.run("service-vlan vlan-id 4095")[-1] == "Error: Wrong parameter found at '^' position."
    assert ac.run("service-vlan vlan-id")[-1] == "Error: Incomplete command found at '^' position."
    assert ac.run("security-profile nosuch")[-1] == "Error: The profile does not exist."
    assert "service-vlan" not in ac.state["running"]["vap"]["v"]


def test_display_current_configuration_shows_the_wlan_view_nested(ac: sim.Ac) -> None:
    assert run(ac, *WLAN) == ["Enter system view, return user view with return command."], "the rest prints nothing"
    run(ac, "return")
    shown = ac.run("display current-configuration")
    wlan = shown[shown.index("wlan"):shown.index("return") - 1]
    assert wlan == [
        "wlan",
        " security-profile name staff", "  security wpa2 psk pass-phrase Secret-123 aes",
        " ssid-profile name staff", "  ssid Schule-Verwaltung",
        " vap-profile name staff", "  forward-mode tunnel", "  service-vlan vlan-id 10",
        "  ssid-profile staff", "  security-profile staff",
        " ap-group name schulen", "  vap-profile staff wlan 1 radio all",
        " ap-id 0 ap-mac 60de-4476-e360", "  ap-name du-sw-ap01", "  ap-group schulen",
    ]
    assert " sysname AC1" in shown


def test_a_line_of_an_upper_view_runs_there(ac: sim.Ac) -> None:
    run(ac, "system-view", "wlan", "security-profile name a", "security open")
    assert ac.run("ssid-profile name b") == []  # typed in the security profile's view
    assert ac.prompt() == "[AC1-wlan-ssid-prof-b]"
    assert ac.run("sysname AC2") == [] and ac.prompt() == "[AC2]"


def test_single_values_replace_and_undo_removes(ac: sim.Ac) -> None:
    run(ac, *WLAN)
    run(ac, "vap-profile name staff", "service-vlan vlan-id 20")
    assert ac.state["running"]["vap"]["staff"]["service-vlan"] == "20"
    assert run(ac, "undo service-vlan") == []
    assert "service-vlan" not in ac.state["running"]["vap"]["staff"]
    run(ac, "ap-group name schulen")
    assert run(ac, "undo vap-profile staff wlan 1 radio all") == []
    assert ac.state["running"]["group"]["schulen"]["vaps"] == {}


def test_a_profile_in_use_cannot_be_removed(ac: sim.Ac) -> None:
    run(ac, *WLAN)
    assert ac.run("undo vap-profile name staff")[-1] == "Error: The profile is referenced by AP group schulen."
    assert ac.run("undo ap-group name schulen")[-1] == "Error: The profile is referenced by AP 0."
    assert run(ac, "undo ap-id 0", "undo ap-group name schulen", "undo vap-profile name staff") == []
    assert run(ac, "undo security-profile name staff", "undo ssid-profile name staff") == []
    assert ac.state["running"] == sim.initial_state("AC1")["running"]


def test_save_asks_first_and_only_yes_saves(ac: sim.Ac) -> None:
    run(ac, *WLAN, "return")
    assert ac.run("save") == ["Warning: The current configuration will be written to the device."]
    assert ac.confirming
    assert ac.run("n") == ["Info: The configuration is not saved."]
    assert ac.state["saved"]["vap"] == {}
    run(ac, "save")
    assert ac.run("y")[-1] == "Info: Save the configuration successfully."
    assert ac.state["saved"] == ac.state["running"] and ac.state["saves"] == 1


def test_state_survives_the_session(tmp_path: Path) -> None:
    first = sim.Session(tmp_path, "du-ac01")
    for line in WLAN:
        first.command(line)
    second = sim.Session(tmp_path, "du-ac01")
    assert second.prompt() == "<du-ac01>"
    assert "  service-vlan vlan-id 10" in second.command("display current-configuration")
    assert (tmp_path / "du-ac01.json").exists()


def test_quoted_ssid_is_one_word_and_long_lines_are_cut(ac: sim.Ac) -> None:
    run(ac, "system-view", "wlan", "ssid-profile name g")
    assert ac.run('ssid "Free City WLAN"') == []
    assert ac.state["running"]["ssid"]["g"]["ssid"] == "Free City WLAN"
    assert ac.run("ssid " + "x" * 600)[-1].startswith("Error: Wrong parameter")
