"""The OpenWrt simulator's firmware commands (lab/owrt_sim.py), run as sshd runs it: a subprocess of
Debian's python3 with SSH_CONNECTION and SSH_ORIGINAL_COMMAND set, the image on stdin."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "lab" / "owrt_sim.py"
ADDRESS = "127.9.9.9"
AP = "sim-ap01"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    (tmp_path / "aps.json").write_text(json.dumps({ADDRESS: AP}))
    return tmp_path


def run(state_dir: Path, command: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": "/usr/bin:/bin", "SSH_CONNECTION": f"127.0.0.1 50000 {ADDRESS} 2222",
           "SSH_ORIGINAL_COMMAND": command}
    return subprocess.run(["/usr/bin/python3", "-I", str(SIM), "--state-dir", str(state_dir)], input=stdin,
                          capture_output=True, env=env, timeout=30, check=False)


def image(version: str, target: str = "ramips/mt7621", platform: str = "openwrt") -> bytes:
    return f"NETCTL-SIM-FIRMWARE {platform} {version} {target}\n".encode() + os.urandom(4096)


def release(state_dir: Path) -> str:
    out = run(state_dir, "cat /etc/openwrt_release").stdout.decode()
    return next(line.split("=", 1)[1].strip("'") for line in out.splitlines() if line.startswith("DISTRIB_RELEASE="))


def test_upload_then_sha256sum_prints_the_digest_of_the_bytes_sent(state_dir: Path) -> None:
    data = image("23.05.6")
    assert run(state_dir, "cat > /tmp/firmware.bin", data).returncode == 0
    done = run(state_dir, "sha256sum /tmp/firmware.bin")
    assert done.returncode == 0
    assert done.stdout.decode().split() == [hashlib.sha256(data).hexdigest(), "/tmp/firmware.bin"]
    missing = run(state_dir, "sha256sum /tmp/other.bin")
    assert missing.returncode == 1 and b"No such file" in missing.stdout


def test_upload_outside_tmp_is_refused(state_dir: Path) -> None:
    done = run(state_dir, "cat > /etc/passwd", b"x")
    assert done.returncode == 1 and b"Read-only file system" in done.stdout
    assert not list(state_dir.glob("*passwd*"))


def test_sysupgrade_installs_reboots_and_reports_the_new_version(state_dir: Path) -> None:
    assert release(state_dir) == "23.05.5"
    run(state_dir, "cat > /tmp/firmware.bin", image("23.05.6"))
    assert run(state_dir, "sysupgrade -T /tmp/firmware.bin").returncode == 0
    assert release(state_dir) == "23.05.5"  # -T only checks
    started = time.monotonic()
    done = run(state_dir, "sysupgrade /tmp/firmware.bin")
    assert done.returncode == 255 and b"Commencing upgrade" in done.stdout
    refused = run(state_dir, "cat /etc/openwrt_release")
    assert refused.returncode == 255 and b"rebooting" in refused.stderr and refused.stdout == b""
    for _ in range(100):
        if run(state_dir, "true").returncode == 0:
            break
        time.sleep(0.2)
    assert time.monotonic() - started >= 3.5
    assert release(state_dir) == "23.05.6"
    # /tmp is empty after the reboot
    assert b"No such file" in run(state_dir, "sha256sum /tmp/firmware.bin").stdout


@pytest.mark.parametrize(("data", "why"), [
    (image("23.05.6", target="ath79/generic"), b"Device ramips/mt7621 not supported by this image"),
    (image("23.05.6", platform="huawei-ac"), b"not supported by this image"),
    (b"\x27\x05\x19\x56 random bytes", b"Image metadata not present"),
], ids=["another-board", "another-platform", "no-metadata"])  # the images hold random bytes: ids stable per run
def test_sysupgrade_refuses_an_image_for_another_board(state_dir: Path, data: bytes, why: bytes) -> None:
    run(state_dir, "cat > /tmp/firmware.bin", data)
    for command in ("sysupgrade -T /tmp/firmware.bin", "sysupgrade /tmp/firmware.bin"):
        done = run(state_dir, command)
        assert done.returncode == 1 and why in done.stdout and b"Image check failed." in done.stdout
    assert release(state_dir) == "23.05.5"
    assert run(state_dir, "true").returncode == 0  # not rebooting


def test_sysupgrade_n_returns_the_config_to_defaults(state_dir: Path) -> None:
    run(state_dir, "uci set wireless.default_radio0.ssid=Changed; uci commit")
    run(state_dir, "cat > /tmp/firmware.bin", image("23.05.6"))
    run(state_dir, "sysupgrade /tmp/firmware.bin")
    time.sleep(4.2)
    assert run(state_dir, "uci get wireless.default_radio0.ssid").stdout.strip() == b"Changed"  # kept
    run(state_dir, "cat > /tmp/firmware.bin", image("23.05.5"))
    run(state_dir, "sysupgrade -n /tmp/firmware.bin")
    time.sleep(4.2)
    assert run(state_dir, "uci get wireless.default_radio0.ssid").stdout.strip() == b"OpenWrt"
    assert release(state_dir) == "23.05.5"
