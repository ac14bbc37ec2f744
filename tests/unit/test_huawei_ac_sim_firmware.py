"""The lab's Huawei AC simulator's software commands, command by command (no SSH): ``display
version``, ``startup system-software``, ``display startup`` and ``reboot`` with its confirmation,
the reboot window that refuses sessions, the software state across sessions, and the
exec-channel image upload with its size bound and its platform check."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import huawei_ac_sim as sim

NEW = "AC6508V200R022C00SPC200.cc"


@pytest.fixture
def ac() -> sim.Ac:
    state = sim.initial_state("AC1")
    sim.software(state)["flash"][NEW] = "V200R022C00SPC200"
    return sim.Ac(state)


def version(ac: sim.Ac) -> str:
    return next(line for line in ac.run("display version") if line.startswith("VRP (R) software"))


def test_display_version_reports_the_running_version(ac: sim.Ac) -> None:
    assert version(ac) == "VRP (R) software, Version 5.170 (AC6508 V200R021C10SPC100)"


def test_startup_system_software_takes_only_an_image_on_the_flash(ac: sim.Ac) -> None:
    assert ac.run("startup system-software flash:/other.cc") == ["Error: The file flash:/other.cc does not exist."]
    assert ac.run("startup system-software image.bin")[-1] == "Error: Wrong parameter found at '^' position."
    assert ac.run("startup system-software")[-1] == "Error: Incomplete command found at '^' position."
    assert sim.software(ac.state)["next"] == "AC6508V200R021C10SPC100.cc"
    answer = ac.run(f"startup system-software {NEW.lower()}")
    assert answer == ["Info: Succeeded in setting the software for booting system."]
    assert ac.run("display startup")[1:] == [
        "  Startup system software:                   flash:/AC6508V200R021C10SPC100.cc",
        f"  Next startup system software:              flash:/{NEW}"]
    assert version(ac).endswith("(AC6508 V200R021C10SPC100)")


def test_reboot_asks_first_and_only_yes_reboots_into_the_next_image(ac: sim.Ac) -> None:
    ac.run(f"startup system-software {NEW}")
    assert ac.run("reboot") == [] and ac.rebooting
    assert ac.run("n") == ["Info: The system is not rebooted."]
    assert not ac.closed and version(ac).endswith("(AC6508 V200R021C10SPC100)")
    ac.run("reboot")
    before = time.time()
    assert ac.run("y") == ["Info: system is rebooting, please wait..."]
    assert ac.closed
    sw = sim.software(ac.state)
    assert sw["version"] == "V200R022C00SPC200" and sw["current"] == NEW
    assert before + sim.REBOOT_SECONDS - 1 <= sw["down_until"] <= time.time() + sim.REBOOT_SECONDS


def test_software_commands_are_refused_outside_the_user_view(ac: sim.Ac) -> None:
    ac.run("system-view")
    assert ac.run("reboot")[-1] == "Error: Unrecognized command found at '^' position."
    assert not ac.rebooting


def test_a_rebooting_ac_refuses_sessions_and_comes_back_with_the_new_version(tmp_path: Path) -> None:
    first = sim.Session(tmp_path, "du-ac01")
    assert not first.down()
    state = json.loads((tmp_path / "du-ac01.json").read_text())
    sim.software(state)["flash"][NEW] = "V200R022C00SPC200"
    (tmp_path / "du-ac01.json").write_text(json.dumps(state))
    first.command(f"startup system-software {NEW}")
    assert first.prompt() == "<du-ac01>"
    first.command("reboot")
    assert first.prompt() == sim.REBOOT_CONFIRM
    first.command("y")
    second = sim.Session(tmp_path, "du-ac01")
    assert second.down()
    state = json.loads((tmp_path / "du-ac01.json").read_text())
    state["software"]["down_until"] = time.time() - 1
    (tmp_path / "du-ac01.json").write_text(json.dumps(state))
    third = sim.Session(tmp_path, "du-ac01")
    assert not third.down()
    assert "VRP (R) software, Version 5.170 (AC6508 V200R022C00SPC200)" in third.command("display version")


@pytest.mark.parametrize(("knob", "seconds"), [(None, sim.REBOOT_SECONDS), ("1.5", 1.5), ("0", 0.5),
                                               ("3600", 60.0), ("soon", sim.REBOOT_SECONDS),
                                               ("nan", sim.REBOOT_SECONDS)])
def test_the_lab_knob_sets_how_long_a_reboot_refuses_sessions(tmp_path: Path, knob: str | None,
                                                              seconds: float) -> None:
    if knob is not None:
        (tmp_path / "du-ac01.reboot-seconds").write_text(knob)
    session = sim.Session(tmp_path, "du-ac01")
    session.command("reboot")
    before = time.time()
    session.command("y")
    down_until = json.loads((tmp_path / "du-ac01.json").read_text())["software"]["down_until"]
    assert before + seconds - 0.5 <= down_until <= time.time() + seconds


def test_a_state_file_without_software_starts_at_the_first_version(tmp_path: Path) -> None:
    old = sim.initial_state("du-ac01")
    (tmp_path / "du-ac01.json").write_text(json.dumps(old))
    session = sim.Session(tmp_path, "du-ac01")
    assert not session.down()
    assert "VRP (R) software, Version 5.170 (AC6508 V200R021C10SPC100)" in session.command("display version")


def run_main(state_dir: Path, command: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """The simulator as sshd runs it for an exec channel (SSH_CONNECTION names the local address)."""
    env = {**os.environ, "SSH_CONNECTION": "127.0.0.1 50000 127.0.0.9 22", "SSH_ORIGINAL_COMMAND": command}
    return subprocess.run([sys.executable, sim.__file__, "--state-dir", str(state_dir)], input=stdin,
                          env=env, capture_output=True, timeout=30, check=False)


def test_an_uploaded_image_for_this_ac_boots_and_one_for_another_platform_is_refused(tmp_path: Path) -> None:
    (tmp_path / "aps.json").write_text(json.dumps({"127.0.0.9": "du-ac01"}))
    image = b"NETCTL-SIM-FIRMWARE huawei-ac V200R022C00SPC200 AC6508\n" + bytes(range(256)) * 64
    done = run_main(tmp_path, f"upload flash:/{NEW}", image)
    assert done.stdout.decode().strip() == f"Info: Uploaded flash:/{NEW} ({len(image)} bytes)."
    assert (tmp_path / "du-ac01-flash" / NEW).read_bytes() == image
    foreign = b"NETCTL-SIM-FIRMWARE openwrt 24.10.0 ramips/mt7621\n" + b"x" * 100
    run_main(tmp_path, "upload owrt.cc", foreign)
    assert run_main(tmp_path, "startup system-software owrt.cc", b"").stdout.decode().strip() == (
        "Error: The file flash:/owrt.cc is not a valid system software package.")
    out = run_main(tmp_path, f"startup system-software {NEW}", b"").stdout.decode()
    assert out.strip() == "Info: Succeeded in setting the software for booting system."
    session = sim.Session(tmp_path, "du-ac01")
    session.command("reboot")
    session.command("y")
    refused = run_main(tmp_path, "display version", b"")
    assert refused.returncode == 255 and "rebooting" in refused.stderr.decode()


def test_an_upload_larger_than_the_flash_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim, "MAX_IMAGE", 100_000)
    state = sim.initial_state("du-ac01")
    big = io.BytesIO(b"NETCTL-SIM-FIRMWARE huawei-ac V200R022C00SPC200 AC6508\n" + b"x" * 200_000)
    assert sim.upload(tmp_path, state, NEW, big) == ["Error: The flash does not have enough space."]
    assert list((tmp_path / "du-ac01-flash").iterdir()) == []
    assert NEW not in sim.software(state)["flash"]
    assert sim.upload(tmp_path, state, "../x.bin", io.BytesIO(b"")) == ["Error: Wrong parameter found at '^' position."]
