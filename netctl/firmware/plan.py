"""Pure rules of firmware upgrades: is a file an image for a platform, which version an AP runs, what
to do with each AP, and the per-AP result. No I/O; the service (:mod:`netctl.firmware.ops`) and the
SSH sessions (:mod:`netctl.drivers.sshexec`) sequence the I/O around them.

What netctl checks of an image itself is little, on purpose: its size and its sha256 (recorded when it
is added, compared with what the AP computes after the upload). Real OpenWrt images are checked by the
AP: ``sysupgrade -T`` runs before ``sysupgrade``, and the AP refuses an image for another board. Only the
lab's simulator images carry a header netctl reads (:data:`SIM_MAGIC`): an image of the simulator for
another platform or version is refused when it is added.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from netctl.results import Result

#: the first word of the lab simulator's images: ``NETCTL-SIM-FIRMWARE <platform> <version> <target>``
SIM_MAGIC = b"NETCTL-SIM-FIRMWARE"
#: the largest image netctl stores (bytes)
MAX_IMAGE = 256 * 1024 * 1024
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+~-]{0,63}$")

#: plan actions
UPGRADE, UP_TO_DATE, UNSUPPORTED, UNREACHABLE = "upgrade", "up-to-date", "unsupported platform", "unreachable"


@dataclass(frozen=True)
class SimHeader:
    platform: str
    version: str
    target: str


def sim_header(head: bytes) -> SimHeader | None:
    """The simulator header at the start of an image (its first bytes), None when it has none."""
    if not head.startswith(SIM_MAGIC + b" "):
        return None
    parts = head.split(b"\n", 1)[0].decode("ascii", "replace").split()
    if len(parts) != 4:
        return None
    return SimHeader(parts[1], parts[2], parts[3])


def refuse_image(head: bytes, size: int, platform: str, version: str) -> str | None:
    """Why the file is not an image of ``version`` for ``platform`` (None: netctl accepts it).

    ``head`` is the file's first bytes (256 are enough). Checked: the version's form, the size, and for
    the lab simulator's images their header; anything else is the AP's to check (sysupgrade -T).
    """
    if not VERSION_RE.match(version):
        return f"{version!r} is not a version (letters, digits, . _ + ~ -; e.g. 23.05.6)"
    if size <= 0:
        return "the file is empty"
    if size > MAX_IMAGE:
        return f"the file has {size} bytes, more than any image netctl stores ({MAX_IMAGE})"
    if head.startswith(SIM_MAGIC):
        header = sim_header(head)
        if header is None:
            return "the file starts like a simulator image but its header line is not " \
                   "'NETCTL-SIM-FIRMWARE PLATFORM VERSION TARGET'"
        if header.platform != platform:
            return f"the image is for platform {header.platform!r}, not {platform!r}"
        if header.version != version:
            return f"the image is version {header.version}, not {version}"
    return None


def parse_version(output: str, pattern: str) -> str | None:
    """The version in the output of the platform's version command (first group of ``pattern``)."""
    match = re.search(pattern, output)
    return match.group(1) if match else None


def device_error(output: str, patterns: Sequence[str]) -> str | None:
    """The first line of ``output`` that is an error by the platform's ``patterns`` (stripped), None when
    none is. VRP says ``Error: …`` on a line of its own while the exec channel still exits 0, so an exit
    status alone does not tell a refused command from a done one."""
    for line in output.splitlines():
        if any(re.search(pattern, line) for pattern in patterns):
            return line.strip()
    return None


def action(supported: bool, current: str | None, target: str) -> str:
    """What an upgrade to ``target`` does with an AP: ``upgrade``, ``up-to-date``, ``unsupported
    platform`` or ``unreachable`` (``current`` None: its version could not be read)."""
    if not supported:
        return UNSUPPORTED
    if current is None:
        return UNREACHABLE
    return UP_TO_DATE if current == target else UPGRADE


@dataclass
class FirmwareResult(Result):
    """One AP of a firmware plan or upgrade.

    ``status`` (upgrade): ``upgraded``, ``up-to-date``, ``outside-window`` (no maintenance or depot
    window now, and no ``--now``), ``unsupported``, ``unreachable`` (its version could not be read:
    nothing was sent), ``skipped`` (an earlier wave failed), ``failed``. ``stage`` names the step that
    failed (image, upload, checksum, check, startup, install, reboot, version, health); ``installed`` says
    whether the AP began installing (``changed``; on a platform with a next-startup step, from the moment
    the image is the next startup's): after that, nothing can be undone automatically. Only ``failed``
    counts as a failure of the run.
    """

    PUBLIC: ClassVar[tuple[str, ...]] = (
        "ap", "platform", "ok", "status", "changed", "current", "target", "version_after", "window", "wave",
        "stage", "reason", "duration_s",
    )

    ap: str
    platform: str
    ok: bool
    status: str
    current: str | None = None
    target: str | None = None
    version_after: str | None = None
    window: str | None = None
    wave: int | None = None
    stage: str | None = None
    installed: bool = False
    reason: str | None = None
    duration_s: float = 0.0
    #: the SSH host key the AP showed, whether it was refused, and the conversation (audit only)
    host_key: str | None = None
    host_key_refused: bool = False
    transcript: str = ""

    @property
    def changed(self) -> bool:
        return self.installed

    @property
    def failed(self) -> bool:
        return self.status == "failed"
