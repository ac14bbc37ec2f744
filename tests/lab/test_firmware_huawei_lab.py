"""netctl upgrades the lab's Huawei AC (du-ac01, the project's VRP simulator behind OpenSSH) end to end.

netctl uploads the image to the flash, makes it the next startup's, reboots the AC answering its
[Y/N] question and reads ``display version`` back. The test reads the AC over its own paramiko
sessions (tests.helpers.ssh, not netctl's code). The simulator reboots in 0.5 s here (its lab knob
``<lab>/huawei/du-ac01.reboot-seconds``, removed afterwards); the AC goes back to the image it started
on, by the test's own session, and its WLAN configuration is the same before and after (other tests
push it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.lab import ROOT, with_psks
from tests.helpers.ssh import ssh_run

pytestmark = pytest.mark.lab

AC = "du-ac01"
NEW = "V200R022C00SPC200"
#: an image for another AC model (AC6805): netctl stores it, the AC refuses it at startup system-software
FOREIGN = "V200R022C00SPC300"


def software(api: Any) -> tuple[str, str, str]:
    """``display version`` and ``display startup`` over one SSH session of the test's own: the version
    the AC runs, the image it booted and the next startup's image."""
    return parse(ssh_run(api, AC, "display version\ndisplay startup"))


def parse(out: str) -> tuple[str, str, str]:
    running = re.search(r"Version 5\.170 \(AC6508 (\S+)\)", out)
    images = dict(re.findall(r"^\s*((?:Next startup|Startup) system software):\s+flash:/(\S+)", out, re.M))
    assert running and len(images) == 2, out
    return running.group(1), images["Startup system software"], images["Next startup system software"]


def image(tmp_path: Path, version: str, model: str = "AC6508") -> Path:
    path = tmp_path / f"{model}{version}.cc"
    path.write_bytes(f"NETCTL-SIM-FIRMWARE huawei-ac {version} {model}\n".encode() + bytes(range(256)) * 256)
    return path


def answering(api: Any, seconds: float = 15.0) -> tuple[str, str, str]:
    """:func:`software` once the AC answers again (it may be rebooting), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return software(api)
        except Exception:  # noqa: BLE001 - the AC reboots: sshd closes or refuses the session
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def boot_into(api: Any, name: str) -> None:
    """Make ``name`` the next startup's image and, if the AC runs another, reboot into it and wait (bounded)."""
    if answering(api)[1:] == (name, name):
        return
    ssh_run(api, AC, f"startup system-software flash:/{name}")
    if software(api)[1] == name:
        return
    assert "rebooting" in ssh_run(api, AC, "reboot\ny")
    time.sleep(0.25)
    assert answering(api)[1] == name


@pytest.fixture
def ac(city: Any, lab: Any) -> Iterator[Any]:
    """The city with the controller; the AC reboots in 0.5 s; afterwards it runs, and boots next, the
    image it started on, with the same WLAN configuration."""
    from lab import procs

    api = with_psks(city)
    api.inventory.import_inventory([str(ROOT / "inventory" / "duisburg-controller.yaml")])
    knob = procs.runtime_dir(lab.dir) / "huawei" / f"{AC}.reboot-seconds"
    knob.write_text("0.5\n")
    try:
        state = "display version\ndisplay startup\ndisplay current-configuration"
        before = ssh_run(api, AC, state)
        _, running, following = parse(before)
        yield api
        boot_into(api, running)
        if following != running:
            ssh_run(api, AC, f"startup system-software flash:/{following}")
        assert ssh_run(api, AC, state) == before
    finally:
        knob.unlink(missing_ok=True)


def test_the_ac_is_upgraded_and_reads_back_the_new_version(ac: Any, tmp_path: Path) -> None:
    first = software(ac)[0]
    assert first != NEW
    ac.firmware.add(image(tmp_path, NEW), platform="huawei-ac", version=NEW)
    plan = ac.firmware.plan([AC], version=NEW)
    assert [(r.current, r.status) for r in plan] == [(first, "upgrade")]

    result = ac.firmware.upgrade([AC], version=NEW, now=True, reboot_timeout=8)[0]

    assert (result.status, result.current, result.version_after, result.changed) == ("upgraded", first, NEW,
                                                                                      True), result.reason
    reason = result.reason or ""
    assert reason.startswith(f"{first} -> {NEW}")
    assert "not checked: the image's sha256 on the AP" in reason and "health over SNMP" not in reason
    assert software(ac) == (NEW, f"{NEW}.cc", f"{NEW}.cc")
    audit = next(r for r in ac.config.audit(ap=AC) if r["action"] == "firmware-upgrade")
    assert audit["outcome"] == "upgraded"
    for said in (f"upload flash:/{NEW}.cc", f"startup system-software flash:/{NEW}.cc", "reboot (shell)",
                 "[answered y]", "[session ended]",
                 # gated on the APs behind it: its AP table (snmpsim's recording) read after the reboot
                 "health check: answers SNMP, 35 of its 40 APs up (needed 28)"):
        assert said in audit["transcript"], said
    assert ac.firmware.plan([AC], version=NEW)[0].status == "up-to-date"


def test_an_image_the_ac_refuses_leaves_it_on_its_software(ac: Any, tmp_path: Path) -> None:
    before = software(ac)
    ac.firmware.add(image(tmp_path, FOREIGN, model="AC6805"), platform="huawei-ac", version=FOREIGN)

    result = ac.firmware.upgrade([AC], version=FOREIGN, now=True, reboot_timeout=8)[0]

    assert (result.status, result.stage, result.changed) == ("failed", "startup", False), result.reason
    assert (f"Error: The file flash:/{FOREIGN}.cc is not a valid system software package." in (result.reason or "")
            and "nothing was installed" in (result.reason or ""))
    assert software(ac) == before
    transcript = next(r for r in ac.config.audit(ap=AC) if r["action"] == "firmware-upgrade")["transcript"]
    assert "reboot" not in transcript
    [alert] = [a for a in ac.monitor.alerts() if a["kind"] == "firmware"]
    assert (alert["ap"], alert["severity"]) == (AC, "critical")
    assert "nothing was installed" in alert["message"]


def test_a_scheduled_upgrade_runs_once_as_its_owners_job(ac: Any, tmp_path: Path) -> None:
    """``--at`` stores a once job; running it (what the scheduler does at its time) upgrades the AC."""
    ac.firmware.add(image(tmp_path, NEW), platform="huawei-ac", version=NEW)
    job = ac.firmware.schedule([AC], version=NEW, at="1m", now=True, reboot_timeout=8)

    run = ac.jobs.run_job(job["job"])

    assert (run["status"], run["aps"], run["failures"]) == ("ok", 1, 0), run
    assert software(ac)[:2] == (NEW, f"{NEW}.cc")
    assert {j["name"]: j["enabled"] for j in ac.jobs.list_jobs()}[job["job"]] == 0
    audit = next(r for r in ac.config.audit(ap=AC) if r["action"] == "firmware-upgrade")
    assert audit["outcome"] == "upgraded"
    assert audit["who"].startswith(f"@system (scheduled firmware upgrade to {NEW}, run as ")
