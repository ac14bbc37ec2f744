"""The zte-zxros platform without the lab: its template renders each Main region switch's VLANs and AP
ports, its values are ZXROS tokens, its local check finds what the switch refuses, and the zxros dialect
compares, prunes, undoes and restores configs. The switch here is the lab's simulator driven in-process
(lab/zte_sim.py), so the dialect is checked against the same CLI the lab serves."""

from __future__ import annotations

from typing import Any

import pytest

from lab.zte_sim import Switch, initial_state
from netctl.drivers.plan import (
    compare,
    is_restored,
    prepare_commands,
    replace_commands,
    restore_commands,
    undo_commands,
    zxros_key,
    zxros_paths,
)
from netctl.errors import InventoryError
from netctl.platforms import get_platform
from netctl.render.schema import check_config, vlan_list, vlan_set
from netctl.values import QuotingError, finaliser
from tests.helpers.lab import ROOT

P = "zte-zxros"
SW = "rue-gs-mitte-sw01"
SV = "switchvlan-configuration"


@pytest.fixture
def region(api: Any) -> Any:
    api.inventory.import_secrets({"lab/ssh": '{"username": "u", "password": "p"}'})
    api.inventory.import_inventory([str(ROOT / "inventory" / "main-region.yaml")])
    return api


def switch_with(*lines: str) -> Switch:
    """A simulated switch with ``lines`` typed in configuration mode."""
    switch = Switch(initial_state(SW))
    apply(switch, list(lines))
    return switch


def apply(switch: Switch, lines: list[str]) -> list[str]:
    """Lines typed in configuration mode as netctl's driver sends them: the first error stops the batch."""
    out = switch.run("configure terminal")
    for line in lines:
        answer = switch.run(line)
        out += answer
        if any(a.startswith("%Error") for a in answer):
            break
    switch.run("end")
    return out


def show_run(switch: Switch) -> str:
    return "\n".join(switch.run("show running-config")) + "\n"


def rendered(api: Any, name: str = SW) -> str:
    result = api.config.render(name)[0]
    assert result.ok, result.error
    return str(result.text)


def test_the_platform_is_a_zxros_cli_switch() -> None:
    platform = get_platform(P)
    assert (platform.transport, platform.driver, platform.device_type) == ("ssh", "cli", "zte_zxros")
    assert (platform.dialect, platform.quoting, platform.local_check) == ("zxros", "zxros", "zxros")
    assert (platform.backup_command, platform.enter_config, platform.commit_commands) == (
        "show running-config", "configure terminal", ("write",))
    assert platform.leave_config == "end" and platform.snmp_profile == "switch"


def test_each_switch_renders_the_school_vlans_and_its_ap_ports(region: Any) -> None:
    paths = zxros_paths(rendered(region))
    assert paths[0] == ("hostname rue-gs-mitte-sw01",)
    assert ("interface gei-1/1/1/1", "description AP-rue-gs-mitte-aula") in paths
    school = {(SV, "vlan 110", "name STAFF"), (SV, "vlan 120", "name PUPILS"), (SV, "vlan 130", "name GUEST")}
    assert school <= set(paths)
    assert (SV, "interface gei-1/1/1/2", "switchport trunk vlan 110,120,130") in paths
    assert (SV, "interface gei-1/1/1/3", "switchport access vlan 130") in paths
    assert (SV, "interface gei-1/1/1/3", "no switchport mode") in paths
    kel = zxros_paths(rendered(region, "kel-gs-sued-sw01"))
    assert (SV, "interface gei-1/1/1/5", "switchport access vlan 330") in kel and (SV, "vlan 320", "name PUPILS") in kel
    for name in (SW, "rau-gs-nord-sw01", "kel-gs-sued-sw01"):
        assert check_config(P, rendered(region, name)) == [], name


def test_an_access_vlan_outside_the_school_vlans_is_created_too(region: Any) -> None:
    ports = [dict(p) for p in region.session.get_ap(SW)["vars"]["switch_ports"]]
    ports[2]["vlan"] = 99
    ports.append({"port": "gei-1/1/1/4", "description": "AP-x", "mode": "access", "vlan": 99})
    region.inventory.set_ap(SW, {"vars.switch_ports": ports})
    text = rendered(region)
    assert text.count("  vlan 99\n  $\n") == 1 and check_config(P, text) == []


@pytest.mark.parametrize("description", ['AP" shutdown', "AP aula", "AP?"])
def test_a_value_that_is_not_one_token_is_refused_at_render(region: Any, description: str) -> None:
    ports = [dict(p) for p in region.session.get_ap(SW)["vars"]["switch_ports"]]
    ports[0]["description"] = description
    region.inventory.set_ap(SW, {"vars.switch_ports": ports})
    result = region.config.render(SW)[0]
    assert not result.ok and "zxros quoting" in (result.error or "") and "switch_ports[0].description" in result.error


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("port", "gei-1/1/1/1 shutdown", "interface"), ("port", "GigabitEthernet0/1", "interface"),
    ("mode", "hybrid", "switchport-mode"), ("vlan", 4095, "vlan"), ("description", "x" * 81, "port-description"),
    ("description", "Aula-Süd", "port-description"), ("description", "AP\nend", "no control characters"),
])
def test_a_port_value_breaking_its_rule_is_refused_when_it_is_set(region: Any, field: str, value: Any,
                                                                 rule: str) -> None:
    ports = [dict(p) for p in region.session.get_ap(SW)["vars"]["switch_ports"]]
    ports[2][field] = value
    with pytest.raises(InventoryError, match=f"switch_ports\\[2\\].{field} breaks rule '{rule}'"):
        region.inventory.set_ap(SW, {"vars.switch_ports": ports})


def test_the_finaliser_writes_only_single_tokens() -> None:
    token = finaliser("zxros")
    assert token("gei-1/1/1/1") == "gei-1/1/1/1" and token(110) == "110"
    for bad in ('a"b', "a b", "a?", "", "a\tb", "ä"):
        with pytest.raises(QuotingError, match="zxros quoting"):
            token(bad)


def test_the_local_check_finds_what_the_switch_refuses() -> None:
    good = f"hostname x\ninterface gei-1/1/1/1\n  description A\n$\n{SV}\n  vlan 10\n  $\n$\n"
    assert check_config(P, good) == []
    assert any("expected 2" in p for p in check_config(P, f"{SV}\n  vlan 10\n    name A\n  $\ninterface x\n$\n"))
    assert check_config(P, f"{SV}\n  vlan 10\n  $\n") == ["1 mode(s) not closed with '$' at the end"]
    assert check_config(P, "$\n") == ["line 1: '$' closes no mode"]
    assert check_config(P, f"{SV}\n  vlan 4095\n  $\n$\n") == ["line 2: vlan 4095 is out of range 1..4094"]
    bad_list = check_config(P, f"{SV}\n  interface gei-1/1/1/1\n    switchport trunk vlan 10,5000\n  $\n$\n")
    assert bad_list == ["line 3: 10,5000 is not a VLAN list of 1..4094 (e.g. 10,20,30-32)"]
    assert "tab" in check_config(P, f"{SV}\n\tvlan 10\n$\n")[0]


def test_paths_keys_and_trunk_lists_are_canonical() -> None:
    text = (f"!<switchvlan>\n{SV}\n  interface  gei-1/1/1/1 \n    switchport trunk vlan 30,10,20-21\n  $\n$\n"
            "!</switchvlan>\n")
    paths = zxros_paths(text)
    port = (SV, "interface gei-1/1/1/1")
    assert paths == [(SV,), port, (*port, "switchport trunk vlan 10,20-21,30")]
    assert zxros_key(paths[-1]) == (SV, "interface gei-1/1/1/1", "switchport trunk vlan")
    assert zxros_key(("interface x", "no shutdown")) == zxros_key(("interface x", "shutdown"))
    assert zxros_key(("interface x", "no description")) == ("interface x", "description")
    assert vlan_set("10,20-22") == {10, 20, 21, 22} and vlan_set("0") is None and vlan_list({3, 1, 2, 7}) == "1-3,7"


def test_compare_holds_a_trunk_to_exactly_its_list_and_no_lines_to_the_default() -> None:
    intended = f"{SV}\n  interface gei-1/1/1/1\n    no switchport mode\n    switchport trunk vlan 10,20\n  $\n$\n"
    same = switch_with(SV, "interface gei-1/1/1/1", "switchport trunk vlan 20,10")
    assert not compare(intended, show_run(same), P).changed
    more = switch_with(SV, "interface gei-1/1/1/1", "switchport trunk vlan 10,20,99")
    diff = compare(intended, show_run(more), P)
    assert diff.changed and "-    switchport trunk vlan 10,20,99" in diff.text
    assert "+    switchport trunk vlan 10,20" in diff.text
    trunk_mode = switch_with(SV, "interface gei-1/1/1/1", "switchport mode trunk", "switchport trunk vlan 10,20")
    assert compare(intended, show_run(trunk_mode), P).changed  # `no switchport mode` holds only at the default


def test_a_default_line_that_holds_is_no_change_in_the_diff() -> None:
    intended = f"{SV}\n  interface gei-1/1/1/3\n    no switchport mode\n    switchport access vlan 30\n  $\n$\n"
    running = show_run(switch_with(SV, "interface gei-1/1/1/3", "switchport access vlan 40"))
    diff = compare(intended, running, P)
    assert diff.changed and "     no switchport mode" in diff.text.splitlines()  # context, not a change
    assert "-    switchport access vlan 40" in diff.text and "+    switchport access vlan 30" in diff.text


def test_the_undo_never_shuts_a_port_down() -> None:
    backup = show_run(switch_with())
    intended = "interface gei-1/1/1/4\n  no shutdown\n  description x\n$\n"
    undo = undo_commands(backup, intended, P)
    assert undo == ["interface gei-1/1/1/4", "  no description", "$"]
    switch = switch_with("interface gei-1/1/1/4", "shutdown")
    assert "  shutdown" in undo_commands(show_run(switch), intended, P)  # it was down before: down again


def push(switch: Switch, intended: str) -> tuple[str, list[str]]:
    """What netctl's driver does, against the simulated switch: backup, prune, the lines; the backup and
    the switch's answers."""
    backup = show_run(switch)
    lines = prepare_commands(intended, backup, P) + [line for line in intended.splitlines() if line.strip()]
    return backup, apply(switch, lines)


def test_a_push_prunes_the_trunk_and_its_undo_puts_everything_back(region: Any) -> None:
    switch = switch_with("interface gei-1/1/1/1", "description old", "$", SV, "vlan 130", "name OLDGUEST", "$",
                         "interface gei-1/1/1/1", "switchport mode trunk", "switchport trunk vlan 110,130,999")
    intended = rendered(region)
    backup, out = push(switch, intended)
    assert not [line for line in out if line.startswith("%")], out
    assert not compare(intended, show_run(switch), P).changed
    assert (SV, "interface gei-1/1/1/1", "switchport trunk vlan 110,120,130") in zxros_paths(show_run(switch))
    undo = undo_commands(backup, intended, P)
    assert "  description old" in undo and "      name OLDGUEST" not in undo and "    name OLDGUEST" in undo
    assert "    switchport trunk vlan 999" in undo and "    no switchport trunk vlan 120" in undo
    assert "  no vlan 110" not in undo and "  no vlan 120" in undo  # 110 was there before the push
    assert not [line for line in apply(switch, undo) if line.startswith("%")]
    assert is_restored(backup, show_run(switch), intended, P)
    assert zxros_paths(show_run(switch)) == zxros_paths(backup)


def test_a_line_the_switch_refuses_stops_the_push_and_the_undo_skips_what_never_applied() -> None:
    switch = switch_with(SV, "interface gei-1/1/1/1", "switchport trunk vlan 10")
    intended = (f"{SV}\n  vlan 555\n    name NEW\n  $\n  interface gei-1/1/1/1\n    switchport trunk vlan 555\n"
                "    bogus-command 1\n  $\n$\ninterface gei-1/1/1/99\n  description nowhere\n$\n")
    backup, out = push(switch, intended)
    assert out[-1] == "%Error 20200: Invalid input detected at '^' marker."
    undo = undo_commands(backup, intended, P)
    assert "bogus" not in " ".join(undo) and "gei-1/1/1/99" not in " ".join(undo)  # never applied: left out
    assert not [line for line in apply(switch, undo) if line.startswith("%")]
    assert is_restored(backup, show_run(switch), intended, P)
    assert zxros_paths(show_run(switch)) == zxros_paths(backup)


def test_a_restore_takes_away_what_was_added_since(region: Any) -> None:
    switch = switch_with()
    push(switch, rendered(region))
    stored = show_run(switch)
    apply(switch, [SV, "vlan 777", "name LATER", "$", "interface gei-1/1/1/1", "switchport trunk vlan 777", "$", "$",
                   "interface gei-1/1/1/9", "description later", "$"])
    target = restore_commands(stored, P)
    assert check_config(P, target) == []
    lines = replace_commands(target, show_run(switch), P) + target.splitlines()
    assert "  no vlan 777" in lines and "  no description" in lines
    assert not [line for line in apply(switch, lines) if line.startswith("%")]
    assert zxros_paths(show_run(switch)) == zxros_paths(stored)
