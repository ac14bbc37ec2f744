"""The ZTE ZXR10-style switch simulator (lab/zte_sim.py) line by line, without SSH: its modes and prompts,
the ZXROS errors it answers, what ``show running-config`` shows, and its state across sessions."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from lab import zte_sim
from lab.zte_sim import INCOMPLETE, INVALID, Session, Switch, initial_state, parse_vlans, vlan_ranges

NAME = "rue-gs-mitte-sw01"


@pytest.fixture
def switch() -> Switch:
    return Switch(initial_state(NAME), user="tester")


def typed(switch: Switch, *lines: str) -> list[str]:
    """Every answer line of ``lines`` typed one after the other."""
    return [out for line in lines for out in switch.run(line)]


def section(switch: Switch, name: str) -> list[str]:
    lines = switch.run("show running-config")
    return lines[lines.index(f"!<{name}>") + 1:lines.index(f"!</{name}>")]


def test_prompts_follow_the_modes(switch: Switch) -> None:
    seen = []
    for line in ["conf t", "interface gei-1/1/1/3", "$", "switchvlan-configuration", "vlan 10", "exit",
                 "interface gei-1/1/1/3", "end"]:
        seen.append(switch.prompt())
        switch.run(line)
    seen.append(switch.prompt())
    assert seen == [f"{NAME}#", f"{NAME}(config)#", f"{NAME}(config-if-gei-1/1/1/3)#", f"{NAME}(config)#",
                    f"{NAME}(config-swvlan)#", f"{NAME}(config-swvlan-sub-10)#", f"{NAME}(config-swvlan)#",
                    f"{NAME}(config-swvlan-if-gei-1/1/1/3)#", f"{NAME}#"]
    assert switch.run("configure terminal") == ["Enter configuration commands, one per line.  End with CTRL/Z."]


def test_a_line_the_mode_does_not_know_gets_the_caret_and_the_zxros_error(switch: Switch) -> None:
    switch.run("configure terminal")
    prompt = switch.prompt()
    assert switch.run("switchport mode trunk") == [" " * len(prompt) + "^", INVALID]  # not in (config)
    assert switch.run("interface gei-1/1/1/99") == [" " * (len(prompt) + 10) + "^", INVALID]  # no such port
    assert switch.run("interface") == [INCOMPLETE]
    assert switch.prompt() == prompt, "a refused line leaves the mode as it was"
    switch.run("switchvlan-configuration")
    assert switch.run("vlan 4095")[-1] == INVALID and switch.run("vlan 0")[-1] == INVALID
    switch.run("interface gei-1/1/1/1")
    assert switch.run("switchport trunk vlan 10,x")[-1] == INVALID
    assert switch.run("switchport trunk vlan 20-10")[-1] == INVALID
    assert switch.run("switchport mode bridge")[-1] == INVALID
    assert switch.run("switchport")[-1] == INCOMPLETE
    switch.run("end")
    assert switch.run("end")[-1] == INVALID and switch.run("$")[-1] == INVALID  # nothing to leave in exec


def test_write_is_refused_in_configuration_mode_and_saves_in_exec(switch: Switch) -> None:
    typed(switch, "configure terminal", "hostname renamed")
    assert switch.run("write")[-1] == INVALID
    assert switch.run("show startup-config")[switch.run("show startup-config").index("!<system-config>") + 1] == \
        f"hostname {NAME}"
    switch.run("end")
    assert switch.run("write") == ["Building configuration...", "[OK]"]
    startup = switch.run("show startup-config")
    assert "hostname renamed" in startup and any(line.startswith("!configuration saved at") for line in startup)
    assert switch.prompt() == "renamed#"


def test_running_config_shows_modes_closed_by_dollar(switch: Switch) -> None:
    typed(switch, "conf t", "interface gei-1/1/1/1", "description AP Aula EG", "no shutdown", "$",
          "switchvlan-configuration", "vlan 110", "name STAFF", "$", "interface gei-1/1/1/1",
          "switchport mode trunk", "switchport trunk vlan 130,110", "switchport trunk vlan 120", "$",
          "interface gei-1/1/1/3", "switchport access vlan 99", "end")
    assert section(switch, "if-intf")[:4] == ["interface gei-1/1/1/1", "  description AP Aula EG", "  no shutdown", "$"]
    assert section(switch, "if-intf")[4:6] == ["interface gei-1/1/1/2", "$"]
    assert section(switch, "switchvlan") == [
        "switchvlan-configuration",
        "  vlan 99", "  $",  # created by the access port that names it
        "  vlan 110", "    name STAFF", "  $",
        "  vlan 120", "  $", "  vlan 130", "  $",
        "  interface gei-1/1/1/1", "    switchport mode trunk", "    switchport trunk vlan 110,120,130", "  $",
        "  interface gei-1/1/1/3", "    switchport access vlan 99", "  $",
        "$",
    ]
    run = switch.run("show running-config")
    assert run[:2] == ["!<mim>", run[1]] and run[1].endswith(" by tester")
    assert switch.run("show running-config switchvlan")[1:-1] == section(switch, "switchvlan")


def test_no_forms_take_settings_back_to_the_defaults(switch: Switch) -> None:
    typed(switch, "conf t", "interface gei-1/1/1/2", "description x", "shutdown", "$", "switchvlan-configuration",
          "vlan 40", "name GUEST", "$", "interface gei-1/1/1/2", "switchport mode trunk",
          "switchport trunk vlan 10-12,40", "switchport trunk native vlan 40", "switchport access vlan 40")
    out = typed(switch, "no switchport trunk vlan 11,40", "no switchport trunk native vlan",
                "no switchport access vlan")
    assert out == []
    assert section(switch, "switchvlan")[-4:] == ["    switchport mode trunk", "    switchport trunk vlan 10,12",
                                                  "  $", "$"]
    typed(switch, "no switchport trunk vlan 10,12", "no switchport mode", "$", "vlan 40", "no name", "$", "no vlan 40",
          "$", "interface gei-1/1/1/2", "no description", "no shutdown", "end")
    shown = section(switch, "switchvlan")
    assert "  interface gei-1/1/1/2" not in shown  # a port at its defaults holds nothing
    assert "  vlan 40" not in shown
    assert section(switch, "if-intf")[2:5] == ["interface gei-1/1/1/2", "  no shutdown", "$"]
    typed(switch, "conf t", "switchvlan-configuration")
    assert switch.run("no vlan 40")[-1] == INVALID  # gone already


def test_keywords_may_be_abbreviated_when_unambiguous(switch: Switch) -> None:
    assert typed(switch, "conf t", "int gei-1/1/1/4", "desc uplink", "$", "switchvlan", "int gei-1/1/1/4",
                 "sw mo tr", "sw tr vl 5", "end") == ["Enter configuration commands, one per line.  End with CTRL/Z."]
    assert section(switch, "switchvlan")[-4:-2] == ["    switchport mode trunk", "    switchport trunk vlan 5"]
    switch.run("conf t")
    switch.run("int gei-1/1/1/4")
    assert switch.run("s")[-1] == INVALID  # shutdown or show
    assert switch.run("sh")[-1] == INVALID


def test_vlan_lists_are_parsed_and_written_as_zxros_does() -> None:
    assert parse_vlans("10,20,30-32") == [10, 20, 30, 31, 32]
    assert parse_vlans("4094") == [4094] and parse_vlans("1-3,2") == [1, 2, 3]
    for bad in ("", "0", "4095", "10,", "a", "5-1", "10 20", "1--2"):
        assert parse_vlans(bad) is None, bad
    assert vlan_ranges([30, 10, 31, 32, 20]) == "10,20,30-32" and vlan_ranges([7]) == "7"


def test_sessions_share_the_switch_state_but_not_their_modes(tmp_path: Path) -> None:
    first, second = Session(tmp_path, NAME), Session(tmp_path, NAME)
    first.command("configure terminal")
    first.command("hostname other")
    assert second.prompt() == "other#" and first.prompt() == "other(config)#"
    assert "hostname other" in second.command("show running-config")
    assert json.loads((tmp_path / f"{NAME}.json").read_text())["running"]["hostname"] == "other"


def test_the_exec_channel_runs_each_line_and_picks_the_switch_by_address(tmp_path: Path) -> None:
    (tmp_path / "aps.json").write_text(json.dumps({"127.1.60.9": NAME}))
    script = Path(zte_sim.__file__)

    def run(command: str, local: str = "127.1.60.9") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SSH_CONNECTION": f"127.0.0.1 5555 {local} 22", "SSH_ORIGINAL_COMMAND": command}
        return subprocess.run(["/usr/bin/python3", "-I", str(script), "--state-dir", str(tmp_path)], env=env,
                              capture_output=True, text=True, timeout=20)

    done = run("configure terminal\nswitchvlan-configuration\nvlan 77\nend\nwrite\nshow startup-config switchvlan")
    assert done.returncode == 0 and "  vlan 77" in done.stdout and "[OK]" in done.stdout, done.stderr
    refused = run("show running-config", local="127.1.60.8")
    assert refused.returncode == 1 and "no switch configured for this address" in refused.stderr
