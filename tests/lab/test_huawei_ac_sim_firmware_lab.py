"""The Huawei AC simulator's software commands over the lab's real OpenSSH, with the test's own
paramiko sessions (not netctl's code): an image uploaded on an exec channel, set as the next
startup's, a reboot that drops and refuses sessions and comes back with the new version, and back."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.helpers.lab import ROOT, with_psks
from tests.helpers.ssh import ssh_run

pytestmark = pytest.mark.lab

AC = "du-ac01"
NEW = "AC6508V200R022C00SPC200.cc"
FIRST = "AC6508V200R021C10SPC100.cc"


@pytest.fixture
def ac_city(city: Any) -> Any:
    api = with_psks(city)
    api.inventory.import_inventory([str(ROOT / "inventory" / "duisburg-controller.yaml")])
    return api


def upload(api: Any, name: str, image: bytes) -> str:
    """``upload flash:/NAME`` with the image on the exec channel's stdin."""
    import paramiko

    target = api.config._target(api.session.get_ap(AC))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(target.host, port=target.port, username=target.username, password=target.password,
                   key_filename=target.key_file, allow_agent=False, look_for_keys=False, timeout=10)
    try:
        stdin, stdout, _ = client.exec_command(f"upload flash:/{name}", timeout=20)
        stdin.write(image)
        stdin.channel.shutdown_write()
        return str(stdout.read().decode())
    finally:
        client.close()


def reboot_into(api: Any, name: str) -> float:
    """Set the next startup's image, reboot, and wait (bounded) until the AC answers again: the seconds down."""
    assert ssh_run(api, AC, f"startup system-software {name}").strip() == (
        "Info: Succeeded in setting the software for booting system.")
    assert "rebooting" in ssh_run(api, AC, "reboot\ny")
    start = time.monotonic()
    refused = 0
    for _ in range(40):
        try:
            if "VRP (R) software" in ssh_run(api, AC, "display version"):
                return time.monotonic() - start
        except Exception:  # noqa: BLE001 - the AC is rebooting: sshd closes or refuses the session
            pass
        refused += 1
        time.sleep(0.5)
    raise AssertionError(f"{AC} did not come back within 20 s ({refused} sessions refused)")


def test_an_ac_boots_an_uploaded_image_and_back(ac_city: Any) -> None:
    image = b"NETCTL-SIM-FIRMWARE huawei-ac V200R022C00SPC200 AC6508\n" + bytes(range(256)) * 256
    assert upload(ac_city, NEW, image).strip() == f"Info: Uploaded flash:/{NEW} ({len(image)} bytes)."
    assert upload(ac_city, "owrt.cc", b"NETCTL-SIM-FIRMWARE openwrt 24.10.0 ramips/mt7621\n").startswith("Info:")
    assert ssh_run(ac_city, AC, "startup system-software owrt.cc").strip() == (
        "Error: The file flash:/owrt.cc is not a valid system software package.")
    down = reboot_into(ac_city, NEW)
    assert down >= 3
    assert "VRP (R) software, Version 5.170 (AC6508 V200R022C00SPC200)" in ssh_run(ac_city, AC, "display version")
    reboot_into(ac_city, FIRST)
    assert "VRP (R) software, Version 5.170 (AC6508 V200R021C10SPC100)" in ssh_run(ac_city, AC, "display version")
