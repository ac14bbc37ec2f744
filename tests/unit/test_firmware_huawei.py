"""Firmware upgrades of the huawei-ac platform without a device: its firmware facts, VRP's ``Error:``
lines as failures of the stage that printed them (VRP's exec channel exits 0 either way), the set next
startup step, the reboot's [Y/N] question, and what is not checked said in the result.

The AC's answers come from :class:`ScriptedAc`, a fake named as one: it replays what the lab's
simulator (``lab/huawei_ac_sim.py``) prints, so each stage's handling is tested on its own;
``tests/lab/test_firmware_huawei_lab.py`` runs the same upgrade against the simulator over OpenSSH.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from netctl.drivers import Target, Transcript
from netctl.drivers.sshexec import Answer
from netctl.firmware import run
from netctl.firmware.plan import device_error, parse_version
from netctl.platforms import get_platform

CURRENT, TARGET = "V200R021C10SPC100", "V200R022C00SPC200"
IMAGE = b"NETCTL-SIM-FIRMWARE huawei-ac V200R022C00SPC200 AC6508\n" + b"\x00" * 4096
VERSION_OUTPUT = ("Huawei Versatile Routing Platform Software\n"
                  "VRP (R) software, Version 5.170 (AC6508 {version})\n"
                  "Copyright (C) 2011-2026 HUAWEI TECH CO., LTD\n")
OK = {
    f"upload flash:/{TARGET}.cc": f"Info: Uploaded flash:/{TARGET}.cc ({len(IMAGE)} bytes).\n",
    f"startup system-software flash:/{TARGET}.cc": "Info: Succeeded in setting the software for booting system.\n",
}
REBOOT_SHELL = ("\n<du-ac01>reboot\r\nSystem will reboot! Continue?[Y/N]:y\r\n"
                "Info: system is rebooting, please wait...\r\n")


class ScriptedAc:
    """A fake AC session (no SSH): each exec command gets its scripted answer, exit status 0 as VRP's
    exec channel gives; ``reboot`` in a shell answers as the simulator does."""

    def __init__(self, answers: dict[str, str], reboot: tuple[str, bool] = (REBOOT_SHELL, True)) -> None:
        self.answers = answers
        self.reboot = reboot
        self.sent: list[str] = []
        self.conversed: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def run(self, command: str, *, stdin: IO[bytes] | None = None, timeout: float = 60.0) -> Answer:
        self.sent.append(command)
        data = stdin.read() if stdin is not None else None
        digest = hashlib.sha256(data).hexdigest() if data is not None else None
        return Answer(0, self.answers.get(command, "Error: Unrecognized command found at '^' position.\n"), "",
                      digest, len(data or b""))

    def converse(self, command: str, *, prompt: str, answers: tuple[tuple[str, str], ...],
                 timeout: float = 60.0) -> Answer:
        self.sent.append(command)
        self.conversed.append((command, answers))
        output, ended = self.reboot
        return Answer(None if ended else 0, output, "", ended=ended)


@pytest.fixture
def job(tmp_path: Path) -> run.UpgradeJob:
    image = tmp_path / "ac.cc"
    image.write_bytes(IMAGE)
    return run.UpgradeJob(Target("du-ac01", "huawei-ac", "127.1.50.1", 22, "u"), get_platform("huawei-ac"),
                          CURRENT, TARGET, str(image), hashlib.sha256(IMAGE).hexdigest(), reboot_s=10.0)


def upgrade(monkeypatch: pytest.MonkeyPatch, job: run.UpgradeJob, ac: ScriptedAc,
            back: str = TARGET) -> Any:
    @contextmanager
    def session(target: Target, transcript: Transcript) -> Iterator[ScriptedAc]:
        yield ac

    from netctl.drivers import sshexec

    monkeypatch.setattr(sshexec, "session", session)
    monkeypatch.setattr(run, "wait_back", lambda _job: (back, f"runs {back}"))
    return run.upgrade_one(job)


def test_the_platform_reads_its_version_from_display_version() -> None:
    ac = get_platform("huawei-ac")
    assert ac.firmware_version_command == "display version"
    assert parse_version(VERSION_OUTPUT.format(version=CURRENT), str(ac.firmware_version_pattern)) == CURRENT
    assert parse_version("Error: Unrecognized command found at '^' position.", str(ac.firmware_version_pattern)) \
        is None
    assert ac.firmware_startup_command and ac.firmware_install_command == "reboot"
    # gated on the APs behind it (netctl.poll.gate: its AP table read again, the APs up before back)
    assert ac.firmware_checksum_command is None and ac.firmware_health_gate is True
    owrt = get_platform("openwrt")
    assert owrt.firmware_startup_command is None and owrt.firmware_install_answers == ()
    assert owrt.firmware_health_gate is True


def test_an_error_line_is_found_by_the_platforms_patterns() -> None:
    patterns = get_platform("huawei-ac").error_patterns
    said = "Info: Uploaded.\nError: The flash does not have enough space.\n"
    assert device_error(said, patterns) == "Error: The flash does not have enough space."
    assert device_error("Info: Succeeded in setting the software for booting system.\n", patterns) is None
    assert device_error("  Error: Wrong parameter found at '^' position.", patterns) == (
        "Error: Wrong parameter found at '^' position.")


def test_an_upload_the_ac_answers_with_an_error_fails_at_upload_though_it_exits_0(
        monkeypatch: pytest.MonkeyPatch, job: run.UpgradeJob) -> None:
    ac = ScriptedAc({**OK, f"upload flash:/{TARGET}.cc": "Error: The flash does not have enough space.\n"})
    result = upgrade(monkeypatch, job, ac)
    assert (result.status, result.stage, result.changed) == ("failed", "upload", False)
    assert "Error: The flash does not have enough space." in (result.reason or "")
    assert ac.sent == [f"upload flash:/{TARGET}.cc"]


def test_an_image_the_ac_refuses_at_startup_is_never_booted(monkeypatch: pytest.MonkeyPatch,
                                                           job: run.UpgradeJob) -> None:
    refused = f"Error: The file flash:/{TARGET}.cc is not a valid system software package.\n"
    ac = ScriptedAc({**OK, f"startup system-software flash:/{TARGET}.cc": refused})
    result = upgrade(monkeypatch, job, ac)
    assert (result.status, result.stage, result.changed) == ("failed", "startup", False)
    assert "is not a valid system software package" in (result.reason or "")
    assert "nothing was installed" in (result.reason or "")
    assert "reboot" not in ac.sent


def test_the_upgrade_sets_the_next_startup_then_reboots_answering_its_question(
        monkeypatch: pytest.MonkeyPatch, job: run.UpgradeJob) -> None:
    ac = ScriptedAc(OK)
    result = upgrade(monkeypatch, job, ac)
    assert (result.status, result.stage, result.changed, result.version_after) == ("upgraded", None, True, TARGET), \
        result.reason
    assert ac.sent == [f"upload flash:/{TARGET}.cc", f"startup system-software flash:/{TARGET}.cc", "reboot"]
    [(_, answers)] = ac.conversed
    assert answers == get_platform("huawei-ac").firmware_install_answers
    reason = result.reason or ""
    assert reason.startswith(f"{CURRENT} -> {TARGET}")
    # what was not checked is said, not left out
    assert "; not checked: the image's sha256 on the AP (huawei-ac prints none" in reason
    assert "health over SNMP" not in reason  # the AC has its gate (this job's is given by the plan: none here)


def test_a_reboot_the_ac_does_not_do_fails_at_install(monkeypatch: pytest.MonkeyPatch,
                                                      job: run.UpgradeJob) -> None:
    ac = ScriptedAc(OK, reboot=("<du-ac01>reboot\r\nSystem will reboot! Continue?[Y/N]:n\r\n"
                                "Info: The system is not rebooted.\r\n<du-ac01>", False))
    result = upgrade(monkeypatch, job, ac)
    assert (result.status, result.stage, result.changed) == ("failed", "install", True)
    assert "did not reboot" in (result.reason or "") and "The system is not rebooted" in (result.reason or "")


def test_an_ac_that_boots_its_old_software_fails_at_version(monkeypatch: pytest.MonkeyPatch,
                                                            job: run.UpgradeJob) -> None:
    result = upgrade(monkeypatch, job, ScriptedAc(OK), back=CURRENT)
    assert (result.status, result.stage, result.version_after) == ("failed", "version", CURRENT)


def test_the_stored_image_that_changed_since_it_was_added_is_not_sent_to_the_startup(
        monkeypatch: pytest.MonkeyPatch, job: run.UpgradeJob) -> None:
    """Without a checksum command on the AC, netctl compares the sha256 of the bytes it sent."""
    Path(job.image_path).write_bytes(IMAGE + b"\x00")
    ac = ScriptedAc(OK)
    result = upgrade(monkeypatch, job, ac)
    assert (result.status, result.stage, result.changed) == ("failed", "checksum", False)
    assert job.sha256 in (result.reason or "") and "add it again" in (result.reason or "")
    assert ac.sent == [f"upload flash:/{TARGET}.cc"]


def test_a_shell_conversation_answers_each_question_and_ends_with_the_session() -> None:
    """sshexec's conversation rules, pure: which answer a question gets, whether the prompt is back."""
    from netctl.drivers.sshexec import next_answer

    answers = get_platform("huawei-ac").firmware_install_answers
    assert next_answer("<du-ac01>reboot\r\nSystem will reboot! Continue?[Y/N]:", answers) == "y"
    assert next_answer("Warning: The configuration will be saved. Continue? [Y/N]:", answers) == "n"
    assert next_answer("Info: system is rebooting, please wait...", answers) is None


def test_a_short_reboot_bound_is_tried_more_often(monkeypatch: pytest.MonkeyPatch, job: run.UpgradeJob) -> None:
    """The wait after the reboot tries every tenth of its bound (at most every 2 s): with 8 s, every 0.8 s."""
    clock = {"now": 0.0}
    tries: list[float] = []

    def read(*_: Any) -> str:
        tries.append(clock["now"])
        if clock["now"] < 1.2:
            from netctl.errors import ConnectError

            raise ConnectError("refused", ap="du-ac01")
        return TARGET

    monkeypatch.setattr(run, "read_version", read)
    job.reboot_s = 8.0
    back, last = run.wait_back(job, clock=lambda: clock["now"], sleep=lambda s: clock.update(now=clock["now"] + s))
    assert (back, last) == (TARGET, f"runs {TARGET}")
    assert tries == pytest.approx([0.8, 1.6])
    job.reboot_s = 900.0
    tries.clear()
    clock["now"] = 0.0
    run.wait_back(job, clock=lambda: clock["now"], sleep=lambda s: clock.update(now=clock["now"] + s))
    assert tries == pytest.approx([2.0])


def test_a_session_lost_at_the_startup_step_counts_as_changed(monkeypatch: pytest.MonkeyPatch,
                                                             job: run.UpgradeJob) -> None:
    """Whether the next startup's image changed is unknown then: the result (and so the alert) says
    the AC may boot the new image and must be looked at, instead of "nothing was installed"."""

    class DroppedAtStartup(ScriptedAc):
        def run(self, command: str, *, stdin: IO[bytes] | None = None, timeout: float = 60.0) -> Answer:
            answer = super().run(command, stdin=stdin, timeout=timeout)
            return Answer(None, "", "") if command.startswith("startup") else answer

    ac = DroppedAtStartup(OK)
    result = upgrade(monkeypatch, job, ac)
    assert (result.status, result.stage, result.changed) == ("failed", "startup", True)
    assert "unknown" in (result.reason or "") and "reboot" not in ac.sent
