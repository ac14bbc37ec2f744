"""netctl upgrades the lab's Catalyst 9800 stand-in (do-wlc01) end to end: configured over NETCONF (port
830), its software on its SSH CLI (port 22, the project's IOS-XE CLI simulator behind OpenSSH).

netctl copies the package to the bootflash over SCP, runs ``install add file … activate commit``,
answers the reload question, waits for the controller, reads ``show version`` back and gates the
upgrade on the APs in its AP table (snmpsim's AIRESPACE recording). The test reads the controller over
its own paramiko sessions to 127.1.50.2:22 (tests.helpers.ssh, not netctl's code). The simulator reloads
in 0.5 s here (its lab knob ``<lab>/c9800/do-wlc01.reload-seconds``, removed afterwards); afterwards the
test's own session installs the package the controller started on again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.lab import ROOT
from tests.helpers.ssh import ssh_run

pytestmark = pytest.mark.lab

WLC = "do-wlc01"
CLI_PORT = 22
NEW = "17.12.4"
PSK = {"dortmund/free-psk": "Free-Lab-Pass-6", "dortmund/staff-psk": "Staff-Lab-Pass-7"}


def cli(api: Any, command: str) -> str:
    """``command`` on the controller's CLI over the test's own SSH session."""
    return ssh_run(api, WLC, command, port=CLI_PORT)


def software(api: Any) -> tuple[str, dict[str, str]]:
    """The version ``show version`` reports and ``show install summary``'s packages (version -> state)."""
    out = cli(api, "show version\nshow install summary")
    running = re.search(r"C9800 Software \(C9800_IOSXE-K9\), Version (\S+),", out)
    assert running, out
    return running.group(1), dict((v, s) for s, v in re.findall(r"^IMG\s+([ICUD])\s+(\S+?)\.0\.\d+$", out, re.M))


def answering(api: Any, seconds: float = 15.0) -> tuple[str, dict[str, str]]:
    """:func:`software` once the controller answers again (it may be reloading), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return software(api)
        except Exception:  # noqa: BLE001 - the controller reloads: the simulator refuses the session
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def package(tmp_path: Path, version: str, magic: bool = True) -> Path:
    path = tmp_path / f"C9800-universalk9_wlc.{version}.SPA.bin"
    head = f"NETCTL-SIM-FIRMWARE cisco-9800 {version} C9800\n".encode() if magic else b"not an IOS-XE package\n"
    path.write_bytes(head + bytes(range(256)) * 256)
    return path


@pytest.fixture
def wlc(city: Any, lab: Any) -> Iterator[Any]:
    """The city with the controller; it reloads in 0.5 s; afterwards it runs the version it started on."""
    from lab import procs

    city.inventory.import_secrets(PSK)
    city.inventory.import_inventory([str(ROOT / "inventory" / "dortmund-controller.yaml")])
    knob = procs.runtime_dir(lab.dir) / "c9800" / f"{WLC}.reload-seconds"
    knob.write_text("0.5\n")
    try:
        first = answering(city)[0]
        yield city
        if answering(city)[0] != first:
            said = cli(city, f"install add file bootflash:C9800-universalk9_wlc.{first}.SPA.bin activate commit\ny")
            assert "Install will reload the system now!" in said, said
            time.sleep(0.25)
        assert answering(city)[0] == first
    finally:
        knob.unlink(missing_ok=True)


def test_the_controller_is_upgraded_on_its_cli_and_gated_on_its_aps(wlc: Any, tmp_path: Path) -> None:
    first, _ = software(wlc)
    assert first != NEW
    wlc.firmware.add(package(tmp_path, NEW), platform="cisco-9800", version=NEW)
    [plan] = wlc.firmware.plan([WLC], version=NEW)
    assert (plan.current, plan.target, plan.status, plan.window) == (first, NEW, "upgrade", None), plan.reason

    result = wlc.firmware.upgrade([WLC], version=NEW, now=True, reboot_timeout=8)[0]

    assert (result.status, result.current, result.version_after, result.changed) == ("upgraded", first, NEW,
                                                                                      True), result.reason
    assert (result.reason or "").startswith(f"{first} -> {NEW}; not checked: the image's sha256 on the AP")
    running, packages = software(wlc)
    assert (running, packages[_padded(NEW)], packages[_padded(first)]) == (NEW, "C", "I")
    audit = next(r for r in wlc.config.audit(ap=WLC) if r["action"] == "firmware-upgrade")
    assert audit["outcome"] == "upgraded"
    path = f"bootflash:C9800-universalk9_wlc.{NEW}.SPA.bin"
    for said in ("connect 127.1.50.2:22", f"scp -t {path} < (file)", f"install add file {path} activate commit (shell)",
                 "[answered y]", "[session ended]", "health check: answers SNMP, "):
        assert said in audit["transcript"], said
    assert re.search(r"health check: answers SNMP, (\d+) of its 40 APs up", audit["transcript"])
    assert wlc.firmware.plan([WLC], version=NEW)[0].status == "up-to-date"


def test_a_file_that_is_no_9800_package_is_refused_and_nothing_is_installed(wlc: Any, tmp_path: Path) -> None:
    before = software(wlc)
    wlc.firmware.add(package(tmp_path, "17.12.9", magic=False), platform="cisco-9800", version="17.12.9")

    result = wlc.firmware.upgrade([WLC], version="17.12.9", now=True, reboot_timeout=8)[0]

    assert (result.status, result.stage, result.changed) == ("failed", "install", False), result.reason
    assert ("FAILED: install_add_activate_commit : bootflash:C9800-universalk9_wlc.17.12.9.SPA.bin is not a valid "
            "package file for this platform") in (result.reason or "")
    assert software(wlc) == before
    transcript = next(r for r in wlc.config.audit(ap=WLC) if r["action"] == "firmware-upgrade")["transcript"]
    assert "[answered" not in transcript and "[session ended]" not in transcript
    [alert] = [a for a in wlc.monitor.alerts() if a["kind"] == "firmware"]
    assert (alert["ap"], alert["severity"]) == (WLC, "critical")
    assert "nothing was installed" in alert["message"]


def test_a_file_the_scp_server_refuses_stops_the_upload(wlc: Any, tmp_path: Path) -> None:
    """The SCP sink's refusal (its error byte and message) fails ``upload``: nothing else is sent."""
    import dataclasses

    from netctl.platforms import PLATFORMS

    before = software(wlc)
    wlc.firmware.add(package(tmp_path, NEW), platform="cisco-9800", version=NEW)
    off_flash = dataclasses.replace(PLATFORMS["cisco-9800"], firmware_path="nvram:{version}.bin")
    with PLATFORMS.swapped("cisco-9800", off_flash):
        result = wlc.firmware.upgrade([WLC], version=NEW, now=True, reboot_timeout=8)[0]

    assert (result.status, result.stage, result.changed) == ("failed", "upload", False), result.reason
    assert result.reason == f"{WLC}: the SCP server refused the upload: scp: nvram:{NEW}.bin: Permission denied"
    assert software(wlc) == before
    transcript = next(r for r in wlc.config.audit(ap=WLC) if r["action"] == "firmware-upgrade")["transcript"]
    assert "install add" not in transcript


def _padded(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{int(minor):02d}.{int(patch):02d}"
