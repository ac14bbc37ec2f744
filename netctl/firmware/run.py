"""The I/O of one AP's firmware upgrade, no database: upload, verify, check, set as the next startup's,
install (reboot), wait, read back, gate.

:func:`upgrade_one` runs on a thread of the runner (:func:`netctl.runner.run_threads`) with everything
it needs in its :class:`UpgradeJob` (the resolved target, the image file, its sha256, the platform's
commands, the health gate); it never raises, it returns a :class:`FirmwareResult` whose ``stage`` names
the step that failed. The service (:mod:`netctl.firmware.ops`) writes audit rows and alerts.

Which steps an AP gets, and how each answer is judged, are its platform's facts: OpenWrt checks the
sha256 on the AP and runs ``sysupgrade -T`` before ``sysupgrade``; a Huawei AC (VRP) has no checksum
command, takes ``startup system-software`` before a ``reboot`` that asks ``[Y/N]`` (answered in a
shell), and answers ``Error: …`` on an exec channel that exits 0 (the platform's ``error_patterns``
fail the step). A Catalyst 9800 is configured over NETCONF and takes its software on its SSH CLI
(the platform's ``firmware_port``): the package goes to its bootflash over SCP and ``install add file …
activate commit`` asks ``[y/n]`` before the reload. What was not checked is said in the result's reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netctl.drivers import Target, Transcript
from netctl.errors import DeviceError, HostKeyError, NetctlError
from netctl.firmware.plan import FirmwareResult, device_error, parse_version
from netctl.platforms import Platform
from netctl.results import caught

if TYPE_CHECKING:
    from netctl.drivers.sshexec import Answer

#: seconds between tries while waiting for an AP to answer SSH after the install: at most this, and a
#: tenth of the bound of the wait (a short ``--reboot-timeout`` tries more often), at least
#: :data:`MIN_BACK_INTERVAL_S`
BACK_INTERVAL_S = 2.0
MIN_BACK_INTERVAL_S = 0.25


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


def _command(template: str | None, platform: Platform, what: str, version: str = "") -> str:
    if not template:
        raise DeviceError(f"platform {platform.name} has no firmware {what} command")
    path = (platform.firmware_path or "/tmp/firmware.bin").format(version=version)
    return template.format(path=path)


def _said(answer: Answer, *, last: bool = False) -> str:
    """The first (or ``last``) three lines of an answer, on one line (for a reason)."""
    lines = [line.strip() for line in (answer.output + answer.errors).split("\n") if line.strip()]
    return " / ".join(lines[-3:] if last else lines[:3])


def _refused(answer: Answer, platform: Platform) -> str | None:
    """What the AP said against the command: a line that is an error by the platform's patterns (VRP:
    ``Error: …`` with exit 0), or its output when it exited non-zero; None: it did the command."""
    error = device_error(answer.output + "\n" + answer.errors, platform.error_patterns)
    if error:
        return error
    if answer.exit_status not in (None, 0):
        return f"exit {answer.exit_status}: {_said(answer)}"
    return None


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
    interval = min(BACK_INTERVAL_S, max(job.reboot_s / 10, MIN_BACK_INTERVAL_S))
    for _ in range(int(job.reboot_s / interval) + 2):
        sleep(min(interval, max(deadline - clock(), 0.0)))
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
    from netctl.drivers.sshexec import PROMPT, session

    started = time.monotonic()
    platform, ap, version = job.platform, job.target.ap, job.version
    result = FirmwareResult(ap, platform.name, False, "failed", current=job.current, target=version,
                            window=job.window, wave=job.wave)
    #: what this upgrade did not check, said in the result's reason
    unchecked: list[str] = []
    stage = "upload"
    try:
        with session(job.target, job.transcript) as ssh, open(job.image_path, "rb") as image:
            if platform.firmware_upload_protocol not in ("stdin", "scp"):
                raise DeviceError(f"platform {platform.name} has firmware_upload_protocol "
                                  f"{platform.firmware_upload_protocol!r}, not stdin or scp")
            upload = _command(platform.firmware_upload_command, platform, "upload", version)
            if platform.firmware_upload_protocol == "scp":
                sent = ssh.run(upload, stdin=image, timeout=120, scp=True)
            else:
                sent = ssh.run(upload, stdin=image, timeout=120)
            why = _refused(sent, platform)
            if sent.exit_status is None or why:
                raise DeviceError(f"the upload failed: {why or _said(sent) or 'the session dropped'}", ap=ap)
            stage = "checksum"
            local = "" if sent.sent_sha256 == job.sha256 else (
                f"the file netctl sent has sha256 {sent.sent_sha256}: the stored image changed since it was "
                "added (add it again)")
            if platform.firmware_checksum_command:
                summed = ssh.run(_command(platform.firmware_checksum_command, platform, "checksum", version),
                                 timeout=120)
                words = summed.output.split()
                on_ap = words[0] if summed.exit_status == 0 and not _refused(summed, platform) and words else "(none)"
                if on_ap != job.sha256:
                    raise DeviceError(f"the image on the AP has sha256 {on_ap}, not {job.sha256}"
                                      f"{'; ' + local if local else ''}; nothing was installed", ap=ap)
            elif local:
                raise DeviceError(f"{local}; the stored sha256 is {job.sha256}; nothing was installed", ap=ap)
            else:
                unchecked.append(f"the image's sha256 on the AP ({platform.name} prints none; the bytes netctl "
                                 "sent matched the stored sha256)")
            if platform.firmware_test_command:
                stage = "check"
                tested = ssh.run(_command(platform.firmware_test_command, platform, "check", version), timeout=120)
                why = _refused(tested, platform) or (None if tested.exit_status is not None else "the session dropped")
                if why:
                    raise DeviceError(f"the AP refuses the image: {why}; nothing was installed", ap=ap)
            if platform.firmware_startup_command:
                stage = "startup"
                chosen = ssh.run(_command(platform.firmware_startup_command, platform, "startup", version),
                                 timeout=120)
                if chosen.exit_status is None:
                    result.installed = True  # it may have been set: the alert asks for a look
                    raise DeviceError("the session dropped during the startup step: whether the image is the next "
                                      "startup's is unknown (the AP shows it)", ap=ap)
                why = _refused(chosen, platform)
                if why:
                    raise DeviceError(f"the AP refuses the image as its next startup's: {why}; nothing was installed",
                                      ap=ap)
                result.installed = True  # the next boot, whoever causes it, runs the new image
            stage = "install"
            command = _command(platform.firmware_install_command, platform, "install", version)
            if platform.firmware_install_answers:
                installed = ssh.converse(command, prompt=platform.config_prompt or PROMPT,
                                         answers=platform.firmware_install_answers, timeout=120)
                why = _refused(installed, platform)
                if why or not installed.ended:
                    raise DeviceError(f"the AP did not reboot: {why or _said(installed, last=True)}", ap=ap)
            else:
                installed = ssh.run(command, timeout=120)
                why = _refused(installed, platform)
                if why:
                    raise DeviceError(f"the install failed: {why}", ap=ap)
            result.installed = True
        stage = "reboot"
        back, last = wait_back(job)
        result.version_after = back
        if back is None:
            raise DeviceError(f"the AP did not answer SSH within {job.reboot_s:g} s after the install ({last})",
                              ap=ap)
        stage = "version"
        if back != version:
            raise DeviceError(f"the AP runs {back} after the install, not {version}", ap=ap)
        if job.gate is not None:
            stage = "health"
            from netctl.poll.gate import Gate, wait

            verdict = wait(Gate.from_dict(job.gate))
            job.transcript.add("--", f"health check: {verdict.reason}")
            if not verdict.ok:
                raise DeviceError(verdict.reason, ap=ap)
        elif not platform.firmware_health_gate:
            unchecked.append(f"health over SNMP ({platform.name} has no health gate in netctl; the version read "
                             "back over SSH was the last check)")
        result.ok, result.status, result.stage = True, "upgraded", None
        result.reason = f"{job.current} -> {back}" + (f"; not checked: {'; '.join(unchecked)}" if unchecked else "")
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
