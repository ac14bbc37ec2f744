"""The I/O of one AP's firmware upgrade, no database: upload, verify, check, install, wait, read back, gate.

:func:`upgrade_one` runs on a thread of the runner (:func:`netctl.runner.run_threads`) with everything
it needs in its :class:`UpgradeJob` (the resolved target, the image file, its sha256, the platform's
commands, the health gate); it never raises, it returns a :class:`FirmwareResult` whose ``stage`` names
the step that failed. The service (:mod:`netctl.firmware.ops`) writes audit rows and alerts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netctl.drivers import Target, Transcript
from netctl.errors import DeviceError, HostKeyError, NetctlError
from netctl.firmware.plan import FirmwareResult, parse_version
from netctl.platforms import Platform
from netctl.results import caught

#: seconds between tries while waiting for an AP to answer SSH after the install
BACK_INTERVAL_S = 2.0


@dataclass
class UpgradeJob:
    """One AP's upgrade: where it is, what it runs now, the image, and the gate after the reboot."""

    target: Target
    platform: Platform
    current: str
    version: str
    image_path: str
    sha256: str
    window: str | None = None
    wave: int = 1
    reboot_s: float = 300.0
    #: :class:`netctl.poll.gate.Gate` as a dict, None: no health check
    gate: dict[str, Any] | None = None
    transcript: Transcript = field(default_factory=Transcript)


def _command(template: str | None, platform: Platform, what: str) -> str:
    if not template:
        raise DeviceError(f"platform {platform.name} has no firmware {what} command")
    return template.format(path=platform.firmware_path or "/tmp/firmware.bin")


def read_version(target: Target, platform: Platform, transcript: Transcript) -> str:
    """The release the AP runs, over a new SSH session. Raises ConnectError, HostKeyError, DeviceError."""
    from netctl.drivers.sshexec import session

    command = _command(platform.firmware_version_command, platform, "version")
    with session(target, transcript) as ssh:
        answer = ssh.run(command, timeout=30)
    version = parse_version(answer.output, platform.firmware_version_pattern or r"(\S+)")
    if answer.exit_status != 0 or version is None:
        raise DeviceError(f"{command!r} gave no version (exit {answer.exit_status}): "
                          f"{(answer.output + answer.errors).strip()[:200]}", ap=target.ap)
    return version


def wait_back(job: UpgradeJob, *, clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> tuple[str | None, str]:
    """Read the AP's version until it is the new one or ``job.reboot_s`` have passed (an AP that still
    answers with the old version right after the install has not rebooted yet). Returns the last version
    read (None: it never answered) and what the last try said."""
    deadline = clock() + job.reboot_s
    version: str | None = None
    last = "not tried"
    for _ in range(int(job.reboot_s / BACK_INTERVAL_S) + 2):
        sleep(min(BACK_INTERVAL_S, max(deadline - clock(), 0.0)))
        try:
            version = read_version(job.target, job.platform, job.transcript)
            last = f"runs {version}"
            if version == job.version:
                break
        except HostKeyError:
            raise
        except NetctlError as exc:
            last = exc.message
        if clock() >= deadline:
            break
    return version, last


def upgrade_one(job: UpgradeJob) -> FirmwareResult:
    """Upgrade one AP (see the module docstring); never raises."""
    from netctl.drivers.sshexec import session

    started = time.monotonic()
    platform, ap = job.platform, job.target.ap
    result = FirmwareResult(ap, platform.name, False, "failed", current=job.current, target=job.version,
                            window=job.window, wave=job.wave)
    stage = "upload"
    try:
        with session(job.target, job.transcript) as ssh, open(job.image_path, "rb") as image:
            sent = ssh.run(_command(platform.firmware_upload_command, platform, "upload"), stdin=image, timeout=120)
            if sent.exit_status != 0:
                raise DeviceError(f"the upload failed: {(sent.output + sent.errors).strip()[:200]}", ap=ap)
            stage = "checksum"
            summed = ssh.run(_command(platform.firmware_checksum_command, platform, "checksum"), timeout=120)
            words = summed.output.split()
            on_ap = words[0] if summed.exit_status == 0 and words else "(none)"
            if on_ap != job.sha256:
                local = "" if sent.sent_sha256 == job.sha256 else (
                    f"; the file netctl sent has sha256 {sent.sent_sha256}: the stored image changed since it was "
                    "added (add it again)")
                raise DeviceError(f"the image on the AP has sha256 {on_ap}, not {job.sha256}{local}; "
                                  "nothing was installed", ap=ap)
            if platform.firmware_test_command:
                stage = "check"
                tested = ssh.run(_command(platform.firmware_test_command, platform, "check"), timeout=120)
                if tested.exit_status != 0:
                    said = " / ".join((tested.output + tested.errors).split("\n")[:3]).strip(" /")
                    raise DeviceError(f"the AP refuses the image: {said}; nothing was installed", ap=ap)
            stage = "install"
            installed = ssh.run(_command(platform.firmware_install_command, platform, "install"), timeout=120)
            if installed.exit_status not in (None, 0):
                said = " / ".join((installed.output + installed.errors).split("\n")[:3]).strip(" /")
                raise DeviceError(f"the install failed (exit {installed.exit_status}): {said}", ap=ap)
            result.installed = True
        stage = "reboot"
        version, last = wait_back(job)
        result.version_after = version
        if version is None:
            raise DeviceError(f"the AP did not answer SSH within {job.reboot_s:g} s after the install ({last})",
                              ap=ap)
        stage = "version"
        if version != job.version:
            raise DeviceError(f"the AP runs {version} after the install, not {job.version}", ap=ap)
        if job.gate is not None:
            stage = "health"
            from netctl.poll.gate import Gate, wait

            verdict = wait(Gate.from_dict(job.gate))
            if not verdict.ok:
                raise DeviceError(verdict.reason, ap=ap)
        result.ok, result.status, result.stage = True, "upgraded", None
        result.reason = f"{job.current} -> {version}"
    except NetctlError as exc:
        result.stage, result.reason = stage, exc.message
        result.exception = exc
        if isinstance(exc, HostKeyError):
            job.transcript.host_key, result.host_key_refused = exc.offered, True
    except Exception as exc:  # noqa: BLE001 - a bug becomes this AP's failure, with its traceback
        result.stage, result.reason = stage, f"{type(exc).__name__}: {exc}"
        info = caught(exc)
        result.exception, result.traceback = info["exception"], info["traceback"]
    result.duration_s = round(time.monotonic() - started, 2)
    result.host_key = job.transcript.host_key
    result.transcript = job.transcript.text()
    return result
