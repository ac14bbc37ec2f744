"""The lab's Catalyst 9800 CLI simulator command by command (no SSH), and the ``cisco-9800`` platform's
firmware facts read against it: ``show version`` parsed by the platform's pattern, ``install add file …
activate commit`` with its question, a file that is no package refused with nothing changed, the SCP sink
(what ``scp FILE wlc:bootflash:NAME`` talks to), and the firmware session on the CLI's port 22."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from lab import c9800_sim as sim
from netctl.drivers.sshexec import next_answer
from netctl.firmware.plan import device_error, parse_version
from netctl.platforms import get_platform

PACKAGE = "C9800-universalk9_wlc.17.12.4.SPA.bin"
PLATFORM = get_platform("cisco-9800")


@pytest.fixture
def wlc() -> sim.Wlc:
    state = sim.initial_state("wlc1")
    state["bootflash"][PACKAGE] = {"version": "17.12.4", "size": 100}
    state["bootflash"]["notes.txt"] = {"version": "", "size": 10}
    return sim.Wlc(state, reload_seconds=0.5)


def version(wlc: sim.Wlc) -> str | None:
    return parse_version("\n".join(wlc.run("show version")), str(PLATFORM.firmware_version_pattern))


def test_show_version_gives_the_platform_its_version(wlc: sim.Wlc) -> None:
    out = wlc.run("show version")
    assert out[0] == "Cisco IOS XE Software, Version 17.12.01"
    assert version(wlc) == "17.12.1"
    assert parse_version("% Invalid input detected at '^' marker.", str(PLATFORM.firmware_version_pattern)) is None


def test_an_unknown_command_is_answered_as_ios_xe_does(wlc: sim.Wlc) -> None:
    assert wlc.run("reload now") == [" " * len("wlc1#") + "^", sim.INVALID]
    assert wlc.run("show running") == [" " * len("wlc1#show ") + "^", sim.INVALID]
    assert device_error("\n".join(wlc.run("foo")), PLATFORM.error_patterns) == sim.INVALID
    assert wlc.run("terminal length 0") == [] and wlc.run("terminal width 511") == []


def test_a_file_that_is_no_package_is_refused_and_nothing_changes(wlc: sim.Wlc) -> None:
    before = json.dumps(wlc.state, sort_keys=True)
    out = wlc.run("install add file bootflash:notes.txt activate commit")
    assert out[-1] == "FAILED: install_add_activate_commit : bootflash:notes.txt is not a valid package file for " \
                      "this platform"
    assert device_error("\n".join(out), PLATFORM.error_patterns) == out[-1]
    missing = wlc.run("install add file bootflash:gone.bin activate commit")[-1]
    assert missing == "FAILED: install_add_activate_commit : bootflash:gone.bin does not exist"
    assert json.dumps(wlc.state, sort_keys=True) == before and wlc.asking is None and not wlc.closed


def test_install_asks_before_the_reload_and_only_yes_activates(wlc: sim.Wlc) -> None:
    out = wlc.run(f"install add file bootflash:{PACKAGE} activate commit")
    assert wlc.prompt() == sim.PROCEED and "Finished Add" in out
    assert next_answer("\n".join(out) + "\n" + wlc.prompt(), PLATFORM.firmware_install_answers) == "y"
    assert wlc.run("n")[0].startswith("install_add_activate_commit: Activation aborted")
    assert version(wlc) == "17.12.1" and wlc.state["packages"][PACKAGE] == "I"
    wlc.run(f"install add file bootflash:{PACKAGE} activate commit")
    before = time.time()
    assert wlc.run("y")[-1] == "SUCCESS: install_add_activate_commit"
    assert wlc.closed and wlc.state["down_until"] >= before + 0.5
    assert version(wlc) == "17.12.4"
    assert {"17.12.04": "C", "17.12.01": "I"} == {
        line.split()[2][:-6]: line.split()[1] for line in sim.install_summary(wlc.state) if line.startswith("IMG")}


def test_questions_other_than_the_reload_and_the_save_are_answered_no() -> None:
    answers = PLATFORM.firmware_install_answers
    assert next_answer("Press Yes(y) to save the configuration and proceed [y/n]", answers) == "y"
    assert next_answer("Do you want to remove the inactive packages? [y/n]", answers) == "n"
    assert next_answer("do-wlc01#", answers) is None


def scp(state_dir: Path, state: dict[str, Any], target: str, sent: bytes) -> tuple[int, bytes]:
    out = io.BytesIO()
    return sim.scp_sink(state_dir, state, target, io.BytesIO(sent), out), out.getvalue()


def test_the_scp_sink_stores_a_file_on_the_bootflash(tmp_path: Path) -> None:
    state = sim.initial_state("wlc1")
    body = b"NETCTL-SIM-FIRMWARE cisco-9800 17.12.4 C9800\n" + bytes(300)
    status, said = scp(tmp_path, state, f"bootflash:{PACKAGE}", f"C0644 {len(body)} x.bin\n".encode() + body + b"\0")
    assert (status, said) == (0, b"\0\0\0")
    assert state["bootflash"][PACKAGE] == {"version": "17.12.4", "size": len(body)}
    assert (tmp_path / "wlc1-bootflash" / PACKAGE).read_bytes() == body


def test_the_scp_sink_refuses_a_short_transfer_a_big_file_and_a_bad_name(tmp_path: Path) -> None:
    state = sim.initial_state("wlc1")
    before = json.dumps(state)
    assert scp(tmp_path, state, "bootflash:a.bin", b"C0644 10 a.bin\nabc") == (
        1, b"\0\0\x01scp: bootflash:a.bin: the transfer ended early\n")
    assert scp(tmp_path, state, "bootflash:", f"C0644 {sim.MAX_IMAGE + 1} b.bin\n".encode()) == (
        1, b"\0\x01scp: bootflash:b.bin: No space left on device\n")
    assert scp(tmp_path, state, "nvram:x", b"") == (1, b"\x01scp: nvram:x: Permission denied\n")
    assert json.dumps(state) == before and not list((tmp_path / "wlc1-bootflash").iterdir())


def test_the_firmware_session_goes_to_the_cli_port_with_the_aps_pinned_keys(api: Any) -> None:
    from netctl.hostkeys import pin

    api.inventory.import_secrets({"wlc/login": {"username": "admin", "password": "pw"}})
    api.inventory.import_inventory([str(_inventory(api))])
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    pin(api.session.db, "wlc1", key, "test", "test")
    ap = api.session.get_ap("wlc1")
    config, firmware = api.config._target(ap), api.firmware._target(ap)
    assert (config.port, firmware.port) == (830, 22)
    assert firmware.host_keys == config.host_keys == [key] and firmware.username == "admin"


def _inventory(api: Any) -> Path:
    path = Path(api.session.db_path).parent / "wlc.yaml"
    path.write_text("tenants: [{name: t1}]\nsites: [{name: s1, tenant: t1, kind: office}]\n"
                    "aps: [{name: wlc1, site: s1, platform: cisco-9800, address: 127.0.0.9, port: 830, "
                    "credentials: 'secret:wlc/login'}]\n")
    return path


def test_the_lab_serves_the_9800_cli_on_port_22_with_the_netconf_login() -> None:
    from lab.lab import NC_USER, SIMULATOR_USERS, Lab

    lab = Lab(dir=Path("/nonexistent-lab"))
    [wlc_cli] = lab.controller_clis()
    assert (wlc_cli.name, wlc_cli.address, wlc_cli.port) == ("do-wlc01", "127.1.50.2", 22)
    assert [d.port for d in lab.netconf_controllers()] == [830]
    assert "sshd-c98000" in lab.expected_processes() and lab._sshd_chunks()["sshd-c98000"] == [wlc_cli]
    assert SIMULATOR_USERS["c9800"] == NC_USER
