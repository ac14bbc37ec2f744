"""ZTE ZXR10-style access switches of the Main region over the SSH CLI, against the lab's ZTE switch
simulator (lab/zte_sim.py, served by OpenSSH).

netctl renders each school switch's VLANs and AP ports and pushes them; the tests read the switch back
over their own SSH sessions (paramiko, not netctl's driver) and change it by hand there as a person at the
console would. The region is three tenants, one admin team per city: the core keeps each team to its
own switch.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from netctl.drivers.plan import zxros_paths
from tests.helpers.lab import ROOT
from tests.helpers.render import with_template
from tests.helpers.ssh import ssh_run, typed_shell

pytestmark = pytest.mark.lab

REGION_FILE = ROOT / "inventory" / "main-region.yaml"
#: the school switch of each city, and the admin team (an engineer scoped to the city's tenant)
SWITCHES = {"ruesselsheim": "rue-gs-mitte-sw01", "raunheim": "rau-gs-nord-sw01", "kelsterbach": "kel-gs-sued-sw01"}
ADMINS = {tenant: f"admin-{tenant}" for tenant in SWITCHES}
RUE, RAU, KEL = SWITCHES["ruesselsheim"], SWITCHES["raunheim"], SWITCHES["kelsterbach"]
SV = "switchvlan-configuration"
#: the end of a ZXROS prompt, in any mode (``kel-gs-sued-sw01(config-swvlan)#``)
ZXROS_PROMPT = rb"\n[\w.-]+(?:\([\w./-]+\))?#\s*$"


@pytest.fixture
def region(tmp_path: Path, lab: Any) -> Iterator[Any]:
    """A facade (the OS login, admin) with the lab's secrets, the Main region and one admin per city."""
    from netctl.api import Netctl

    api = Netctl(tmp_path / "region.db", create=True)
    api.inventory.import_secrets(lab.secrets)
    api.inventory.import_inventory([str(REGION_FILE)])
    api.access.add_user("ops", "admin")
    for tenant, user in ADMINS.items():
        api.access.add_user(user, "engineer", tenants=[tenant])
    yield api
    api.close()


def as_admin_of(api: Any, tenant: str) -> Any:
    from netctl.api import Netctl

    return Netctl(api.session.db, user=ADMINS[tenant])


def running(api: Any, switch: str, command: str = "show running-config") -> list[tuple[str, ...]]:
    """The switch's configuration over a new SSH session of the test's own, as ZXROS mode paths."""
    return zxros_paths(ssh_run(api, switch, command))


def trunk(paths: list[tuple[str, ...]], port: str = "gei-1/1/1/1") -> str:
    """The trunk line of ``port`` in switchvlan-configuration ('' when it carries none)."""
    lines = [p[2] for p in paths if len(p) == 3 and p[:2] == (SV, f"interface {port}")]
    return next((line for line in lines if line.startswith("switchport trunk vlan")), "")


def fresh_vlan(paths: list[tuple[str, ...]]) -> int:
    used = {p[1] for p in paths if len(p) > 1 and p[0] == SV}
    return next(v for v in random.sample(range(400, 4000), 200) if f"vlan {v}" not in used)


@pytest.fixture
def by_hand(region: Any) -> Iterator[Callable[[str, list[str]], str]]:
    """Lines typed in configuration mode by a person at a switch's console (the test's own shell, one
    per switch)."""
    with ExitStack() as shells:
        def typed(switch: str, lines: list[str]) -> str:
            shell = shells.enter_context(typed_shell(region, switch, ZXROS_PROMPT, "configure terminal", "end"))
            return shell(lines)

        yield typed


def test_push_is_in_the_running_and_the_startup_config_and_a_second_push_is_unchanged(region: Any) -> None:
    before = running(region, RUE)
    vlan = fresh_vlan(before)
    region.inventory.set_ap(RUE, {"vars.guest_vlan": vlan})
    result = region.config.push(RUE)[0]
    assert (result.status, result.changed) == ("applied", True), (result.reason, result.transcript[-2000:])
    assert "+    name GUEST" in result.diff and "write" in result.transcript
    for command in ("show running-config", "show startup-config"):  # written: the startup config has it too
        now = running(region, RUE, command)
        assert (SV, f"vlan {vlan}", "name GUEST") in now, command
        assert (SV, "vlan 110", "name STAFF") in now and (SV, "vlan 120", "name PUPILS") in now, command
        assert ("interface gei-1/1/1/1", "description AP-rue-gs-mitte-aula") in now, command
        # exactly the school's VLANs on the AP trunks: an earlier guest VLAN was taken off
        expected = f"switchport trunk vlan {','.join(str(v) for v in sorted((110, 120, vlan)))}"
        assert trunk(now) == trunk(now, "gei-1/1/1/2") == expected, command
        assert (SV, "interface gei-1/1/1/1", "switchport mode trunk") in now, command
        # the access port keeps its own VLAN (130), untagged, in ZXROS's default mode (no mode line)
        assert (SV, "interface gei-1/1/1/3", "switchport access vlan 130") in now, command
        assert not [p for p in now if p[:2] == (SV, "interface gei-1/1/1/3") and "mode" in p[-1]], command
    again = region.config.push(RUE)[0]
    assert (again.status, again.changed) == ("unchanged", False), again.reason


def test_a_change_by_hand_in_another_session_is_drift(region: Any, by_hand: Any) -> None:
    assert region.config.push(KEL)[0].ok  # read back by netctl: the switch holds the intended config now
    vlan = fresh_vlan(running(region, KEL))
    out = by_hand(KEL, [SV, "interface gei-1/1/1/1", f"switchport trunk vlan {vlan}", "$", "$",
                        "interface gei-1/1/1/1", "description changed-by-hand"])
    assert "%Error" not in out, out
    result = region.config.drift(KEL)[0]
    assert result.status == "drifted", result
    assert "-  description changed-by-hand" in result.diff and "+  description AP-kel-gs-sued-halle" in result.diff
    assert f"switchport trunk vlan 310,320,330,{vlan}" in result.diff
    fixed = region.config.push(KEL)[0]
    assert (fixed.status, fixed.changed) == ("applied", True), fixed.reason
    assert f"no switchport trunk vlan {vlan}" in fixed.transcript  # the VLAN added by hand is taken off the trunk
    now = running(region, KEL)
    assert trunk(now) == "switchport trunk vlan 310,320,330"
    assert ("interface gei-1/1/1/1", "description AP-kel-gs-sued-halle") in now
    assert not [p for p in now if "changed-by-hand" in p[-1]]


@pytest.mark.parametrize("description", ['AP" shutdown', "AP aula", "AP?"])
def test_a_hostile_value_is_refused_before_any_session_opens(region: Any, description: str) -> None:
    ports = [dict(p) for p in region.session.get_ap(RAU)["vars"]["switch_ports"]]
    ports[0]["description"] = description
    region.inventory.set_ap(RAU, {"vars.switch_ports": ports})
    result = region.config.push(RAU)[0]
    assert result.status == "failed" and "zxros quoting" in (result.reason or ""), result.reason
    assert "switch_ports[0].description" in (result.reason or "")
    assert "connect 127.1.60.2:22" not in (result.transcript or ""), "no session may be opened"


def test_a_bad_template_line_fails_with_the_switch_error_and_the_switch_is_put_back(
    region: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = running(region, RAU)
    vlan = fresh_vlan(before)
    with_template(tmp_path, monkeypatch, "zte-zxros/broken.zte.j2",
                  f"{SV}\n  vlan {vlan}\n    name BROKEN\n  $\n  interface gei-1/1/1/1\n"
                  f"    switchport trunk vlan {vlan}\n    bogus-command 1\n  $\n$\n")
    result = region.config.push(RAU, template="broken")[0]
    assert (result.status, result.rpc_error_tag) == ("failed", "cli-error"), result.reason
    assert "%Error 20200: Invalid input detected at '^' marker." in (result.reason or "")
    assert "put back" in (result.reason or "")
    assert f"no vlan {vlan}" in result.transcript and "connect 127.1.60.2:22" in result.transcript
    assert running(region, RAU) == before


def test_each_city_admin_sees_and_pushes_only_their_own_switch(region: Any) -> None:
    from netctl.errors import NotFound

    for tenant, switch in SWITCHES.items():
        admin = as_admin_of(region, tenant)
        assert [ap["name"] for ap in admin.session.select()] == [switch]
        for other in set(SWITCHES.values()) - {switch}:
            with pytest.raises(NotFound):
                admin.session.get_ap(other)
    # a change for Rüsselsheim's switch waits in the inventory; Raunheim's admin can neither push it nor
    # change the switch's variables, whatever they name
    before = running(region, RUE)
    region.inventory.set_ap(RUE, {"vars.guest_vlan": fresh_vlan(before)})
    raunheim = as_admin_of(region, "raunheim")
    assert list(raunheim.config.push(RUE)) == []
    pushed = raunheim.config.push("*-sw01")
    assert [r.ap for r in pushed] == [RAU] and pushed[0].ok, [(r.ap, r.reason) for r in pushed]
    with pytest.raises(NotFound):
        raunheim.inventory.set_ap(RUE, {"vars.guest_vlan": 999})
    assert running(region, RUE) == before
