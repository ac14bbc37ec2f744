"""Cisco Catalyst 9800 CLI simulator (lab peer for the software of the ``cisco-9800`` platform).

This is a simulator written by the project, not Cisco software. The lab's Catalyst 9800 stand-in is a
netconfd with Cisco's IOS-XE 17.12.1 wireless models (its configuration, port 830); netconfd cannot
install software, so this simulator plays the controller's SSH CLI on port 22 of the same address: a
private OpenSSH sshd runs it as ForceCommand for every session (an interactive shell with a pty, or
command lines over an exec channel). It picks the controller from the local address of the connection
(third field of SSH_CONNECTION, mapped in ``<state-dir>/aps.json``) and keeps that controller's software
in ``<state-dir>/<name>.json`` (locked per command), so a new session sees what an earlier one did. It
runs under Debian's /usr/bin/python3 with the standard library only.

What it understands (IOS-XE 17.x in install mode, privileged EXEC ``NAME#``):

- ``terminal length 0``, ``terminal width N``, ``exit``/``logout``
- ``show version`` (``Cisco IOS XE Software, Version 17.12.01`` and ``… C9800 Software
  (C9800_IOSXE-K9), Version 17.12.1, RELEASE SOFTWARE``), ``show install summary``, ``dir bootflash:``
- ``scp -t bootflash:NAME`` on an exec channel: the sink side of SCP, what ``scp FILE
  user@wlc:bootflash:NAME`` runs on a 9800 with ``ip scp server enable``; at most :data:`MAX_IMAGE`
- ``install add file bootflash:NAME activate commit``: a file that is not a 9800 package (its first line
  is not ``NETCTL-SIM-FIRMWARE cisco-9800 VERSION C9800``) is refused with ``FAILED: …`` and nothing
  changes; a package is added, then the controller asks ``This operation may require a reload of the
  system. Do you want to proceed? [y/n]``: ``y`` activates and commits it and reloads (the session ends;
  sessions are refused for :data:`RELOAD_SECONDS`, or the seconds in ``<state-dir>/<name>.reload-seconds``,
  a lab knob for fast tests, 0.5–60; then ``show version`` shows the new version), anything else leaves
  the package added and inactive
- anything else: a caret line under the first word and ``% Invalid input detected at '^' marker.``

Simplifications, said in docs/lab.md: no user EXEC mode or ``enable`` (the lab user has privilege 15),
no configuration mode, no ``copy`` command (files arrive over SCP), and no real package contents.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from pathlib import Path
from typing import IO, Any

if __package__ == "lab":
    from lab import simkit
else:  # run by sshd as python3 -I from the lab's state directory, beside its copy of simkit.py
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import simkit  # type: ignore[no-redef]

INVALID = "% Invalid input detected at '^' marker."
PROCEED = "This operation may require a reload of the system. Do you want to proceed? [y/n]"
RELOAD_SECONDS = 5.0
#: the shortest and longest reload the lab knob ``<state-dir>/<name>.reload-seconds`` may ask for
RELOAD_RANGE = (0.5, 60.0)
FIRST_VERSION = "17.12.1"
IMAGE_MAGIC = "NETCTL-SIM-FIRMWARE"
MAX_IMAGE = 64 * 1024 * 1024
FILE = re.compile(r"bootflash:/?([A-Za-z0-9_.-]{1,80})")
VERSION = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}[a-z]?")
MAX_LINES = 10_000
MAX_LINE = 512
TOTAL_BYTES = 11_250_716_672
#: what every session prints first
BANNER = "\nWLC stand-in (netctl lab simulator)\n"


def initial_state(name: str) -> dict[str, Any]:
    first = f"C9800-universalk9_wlc.{FIRST_VERSION}.SPA.bin"
    return {"hostname": name, "version": FIRST_VERSION, "packages": {first: "C"},
            "bootflash": {first: {"version": FIRST_VERSION, "size": 1_034_178_304}}, "down_until": 0.0}


def padded(version: str) -> str:
    """IOS-XE's first version line pads each number to two digits: 17.12.1 -> 17.12.01."""
    match = re.fullmatch(r"([0-9]+)\.([0-9]+)\.([0-9]+)([a-z]?)", version)
    return version if not match else f"{match[1]}.{int(match[2]):02d}.{int(match[3]):02d}{match[4]}"


def package_version(head: bytes) -> str:
    """The version a file's first line names, "" when it is no 9800 package."""
    parts = head.decode("ascii", "replace").split()
    ok = len(parts) == 4 and parts[0] == IMAGE_MAGIC and parts[1] == "cisco-9800" and parts[3] == "C9800"
    return parts[2] if ok and VERSION.fullmatch(parts[2]) else ""


def version_lines(state: dict[str, Any]) -> list[str]:
    version = state["version"]
    return [f"Cisco IOS XE Software, Version {padded(version)}",
            f"Cisco IOS Software [Dublin], C9800 Software (C9800_IOSXE-K9), Version {version}, RELEASE SOFTWARE "
            "(fc1)",
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2026 by Cisco Systems, Inc.",
            "",
            f"{state['hostname']} uptime is 2 weeks, 3 days, 4 hours, 5 minutes",
            "System returned to ROM by Reload Command",
            "System image file is \"bootflash:packages.conf\"",
            "",
            "cisco C9800-40-K9 (KATAR) processor (revision KATAR) with 1929314K/6147K bytes of memory.",
            "Processor board ID TTM2331X0AB",
            "",
            "Configuration register is 0x2102",
            ""]


def install_summary(state: dict[str, Any]) -> list[str]:
    rule = "-" * 80
    rows = [f"IMG   {status}    {padded(state['bootflash'][name]['version'])}.0.100"
            for name, status in sorted(state["packages"].items())]
    return ["[ Chassis 1/R0 ] Installed Package(s) Information:",
            "State (St): I - Inactive, U - Activated & Uncommitted,",
            "            C - Activated & Committed, D - Deactivated & Uncommitted",
            rule, "Type  St   Filename/Version", rule, *rows, "", rule, "Auto abort timer: inactive", rule, ""]


def dir_lines(state: dict[str, Any]) -> list[str]:
    out = ["Directory of bootflash:/", ""]
    used = 0
    for inode, (name, info) in enumerate(sorted(state["bootflash"].items()), start=12):
        out.append(f"{inode:>8}  -rw-  {info['size']:>12}  Nov 27 2026 23:00:00 +00:00  {name}")
        used += info["size"]
    return [*out, "", f"{TOTAL_BYTES} bytes total ({TOTAL_BYTES - used} bytes free)"]


def scp_sink(state_dir: Path, state: dict[str, Any], target: str, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """``scp -t bootflash:NAME``: the receiving side of the SCP protocol (one file, ``C`` then data)."""
    def fail(message: str) -> int:
        stdout.write(b"\x01scp: " + message.encode() + b"\n")
        stdout.flush()
        return 1

    match = FILE.fullmatch(target) if target != "bootflash:" else None
    if target != "bootflash:" and not match:
        return fail(f"{target}: Permission denied")
    stdout.write(b"\0")
    stdout.flush()
    header = stdin.readline(512).decode("ascii", "replace")
    while header.startswith("T"):  # scp -p: times first
        stdout.write(b"\0")
        stdout.flush()
        header = stdin.readline(512).decode("ascii", "replace")
    parts = header.split(" ", 2)
    if len(parts) != 3 or not parts[0].startswith("C") or not parts[1].isdigit():
        return fail("protocol error: expected a file")
    size, name = int(parts[1]), (match.group(1) if match else parts[2].strip())
    if not FILE.fullmatch(f"bootflash:{name}"):
        return fail(f"bootflash:{name}: Permission denied")
    if size > MAX_IMAGE:
        return fail(f"bootflash:{name}: No space left on device")
    stdout.write(b"\0")
    stdout.flush()
    flash = state_dir / f"{state['hostname']}-bootflash"
    flash.mkdir(exist_ok=True)
    part, left = flash / ".part", size
    with open(part, "wb") as fh:
        for _ in range(size // 65536 + 2):
            if not left:
                break
            chunk = stdin.read(min(left, 65536))
            if not chunk:
                break
            fh.write(chunk)
            left -= len(chunk)
    if left or stdin.read(1) != b"\0":
        part.unlink()
        return fail(f"bootflash:{name}: the transfer ended early")
    with open(part, "rb") as written:
        version = package_version(written.readline(256))
    os.replace(part, flash / name)
    state["bootflash"][name] = {"version": version, "size": size}
    stdout.write(b"\0")
    stdout.flush()
    return 0


class Wlc:
    """One session over the controller's state (held by the caller)."""

    def __init__(self, state: dict[str, Any], reload_seconds: float = RELOAD_SECONDS) -> None:
        self.state = state
        self.closed = False
        #: the package ``install add … activate commit`` waits to activate (its answer is the next line)
        self.asking: str | None = None
        self.reload_seconds = reload_seconds

    def prompt(self) -> str:
        return PROCEED if self.asking else f"{self.state['hostname']}#"

    def run(self, line: str) -> list[str]:
        """Answer one command line (without the prompt)."""
        if self.asking:
            name, self.asking = self.asking, None
            return self._activate(name) if line.strip().lower() in ("y", "yes") else [
                "install_add_activate_commit: Activation aborted; the package stays added (inactive)"]
        argv = line[:MAX_LINE].split()
        if not argv:
            return []
        if argv[0] in ("exit", "logout", "quit") and len(argv) == 1:
            self.closed = True
            return []
        if argv[:2] == ["terminal", "length"] and len(argv) == 3 and argv[2].isdigit():
            return []
        if argv[:2] == ["terminal", "width"] and len(argv) == 3 and argv[2].isdigit():
            return []
        if argv == ["show", "version"]:
            return version_lines(self.state)
        if argv == ["show", "install", "summary"]:
            return install_summary(self.state)
        if argv in (["dir", "bootflash:"], ["dir"]):
            return dir_lines(self.state)
        if argv[:3] == ["install", "add", "file"] and len(argv) >= 4:
            return self._install(argv)
        word = 0 if argv[0] not in ("show", "terminal", "dir", "install") else min(len(argv) - 1, 1)
        return self._invalid(line, word)

    def _invalid(self, line: str, word: int) -> list[str]:
        offsets = [m.start() for m in re.finditer(r"\S+", line)]
        return [" " * (len(self.prompt()) + offsets[min(word, len(offsets) - 1)]) + "^", INVALID]

    def _install(self, argv: list[str]) -> list[str]:
        if argv[4:] != ["activate", "commit"]:
            return self._invalid(" ".join(argv), min(len(argv) - 1, 4))
        match = FILE.fullmatch(argv[3])
        stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())
        head = [f"install_add_activate_commit: START {stamp}", "install_add_activate_commit: Adding PACKAGE",
                "install_add_activate_commit: Checking whether new add is allowed ...."]
        if not match or match.group(1) not in self.state["bootflash"]:
            return [*head, f"FAILED: install_add_activate_commit : {argv[3]} does not exist"]
        name = match.group(1)
        version = self.state["bootflash"][name]["version"]
        if not version:
            return [*head, "", "--- Starting Add ---", "Performing Add on all members",
                    f"FAILED: install_add_activate_commit : bootflash:{name} is not a valid package file "
                    "for this platform"]
        self.state["packages"].setdefault(name, "I")
        self.asking = name
        return [*head, "", "--- Starting Add ---", "Performing Add on all members", "  [1] Add package(s) on R0",
                "  [1] Finished Add on R0", "Checks succeeded on all members", "Finished Add", "",
                f"Image added. Version: {padded(version)}.0.100", "install_add_activate_commit: Activating PACKAGE",
                "Following packages shall be activated:", f"/bootflash/{name}", ""]

    def _activate(self, name: str) -> list[str]:
        for other, status in list(self.state["packages"].items()):
            if status == "C":
                self.state["packages"][other] = "I"
        self.state["packages"][name] = "C"
        self.state["version"] = self.state["bootflash"][name]["version"]
        self.state["down_until"] = time.time() + self.reload_seconds
        self.closed = True
        return ["--- Starting Activate ---", "Performing Activate on all members", "  [1] Activate package(s) on R0",
                "  [1] Finished Activate on R0", "Checks succeeded on all members", "Finished Activate", "",
                "--- Starting Commit ---", "Performing Commit on all members", "  [1] Commit package(s) on R0",
                "  [1] Finished Commit on R0", "Checks succeeded on all members", "Finished Commit", "",
                "Send model notification for install_add_activate_commit before reload",
                "Install will reload the system now!", "SUCCESS: install_add_activate_commit"]


# -- state and sessions --------------------------------------------------------------------------------


def locked_state(state_dir: Path, name: str) -> contextlib.AbstractContextManager[dict[str, Any]]:
    """The controller's state, locked for one command; written back when it changed."""
    return simkit.locked_state(state_dir, name, initial_state)


def reload_seconds(state_dir: Path, name: str) -> float:
    """How long the controller refuses sessions after a reload: the lab knob ``<name>.reload-seconds``
    (bounded by :data:`RELOAD_RANGE`), else :data:`RELOAD_SECONDS`."""
    return simkit.knob_seconds(state_dir / f"{name}.reload-seconds", RELOAD_SECONDS, RELOAD_RANGE)


class Session:
    """One SSH session: the question being asked survives between lines, the state is re-read for each."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.state_dir, self.name = state_dir, name
        self.wlc = Wlc(initial_state(name), reload_seconds(state_dir, name))

    def command(self, line: str) -> list[str]:
        with locked_state(self.state_dir, self.name) as state:
            self.wlc.state = state
            return self.wlc.run(line)

    def prompt(self) -> str:
        with locked_state(self.state_dir, self.name) as state:
            self.wlc.state = state
            return self.wlc.prompt()

    def down(self) -> bool:
        """True while the controller reloads (a session then is refused, as by a host that is not up)."""
        with locked_state(self.state_dir, self.name) as state:
            return float(state["down_until"]) > time.time()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args()
    session = Session(args.state_dir, simkit.which_device(args.state_dir, "controller"))
    if session.down():
        print("netctl lab simulator: the controller is reloading", file=sys.stderr)
        return 255
    original = os.environ.get("SSH_ORIGINAL_COMMAND")
    if original and original.split()[:2] == ["scp", "-t"] and len(original.split()) == 3:
        with locked_state(args.state_dir, session.name) as state:
            return scp_sink(args.state_dir, state, original.split()[2], sys.stdin.buffer, sys.stdout.buffer)
    if original:
        simkit.run_lines(original, session.command, lambda: session.wlc.closed, MAX_LINES)
        if session.wlc.asking and not session.wlc.closed:  # the question got no answer on the exec channel
            print("\n".join(session.command("")))
        return 0
    print(BANNER)
    simkit.shell(session.command, lambda: session.prompt() if session.wlc.asking else f"\n{session.prompt()}",
                 lambda: session.wlc.closed, MAX_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
