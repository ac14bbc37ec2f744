"""Huawei AC CLI simulator (lab peer for the ``huawei-ac`` platform).

This is a simulator written by the project, not Huawei software: the lab's private OpenSSH sshd
runs it as ForceCommand for every session (interactive shell with a pty, or one command line over
an exec channel). It picks the simulated AC from the local address of the connection (third field
of SSH_CONNECTION, mapped in ``<state-dir>/aps.json``) and keeps that AC's configuration in
``<state-dir>/<ac>.json``, so a read-back in a new session sees what an earlier session configured.
It runs under Debian's /usr/bin/python3 with the standard library only.

What it understands (the VRP shapes of an AC6508/AC6805 WLAN view):

- user view ``<AC>``: ``system-view``, ``display current-configuration``, ``display
  saved-configuration``, ``save`` (asks ``Are you sure to continue?[Y/N]``), ``screen-length 0
  temporary``, ``quit``, ``return``
- system view ``[AC]``: ``sysname NAME``, ``wlan``, ``display …``, ``quit``, ``return``
- WLAN view ``[AC-wlan-view]``: ``security-profile name X``, ``ssid-profile name X``,
  ``vap-profile name X``, ``ap-group name G``, ``ap-id N ap-mac M`` (``ap-id N`` enters it again)
- profile views: ``security wpa2|wpa-wpa2|wpa3 psk pass-phrase P aes``, ``security open``;
  ``ssid NAME``; ``forward-mode tunnel|direct-forward``, ``service-vlan vlan-id N``,
  ``security-profile X``, ``ssid-profile X``; in an AP group ``vap-profile X wlan N radio
  all|0|1|2``; in an AP ``ap-name NAME``, ``ap-group G``
- ``undo`` of each of them, ``display this``, ``quit`` (one view up) and ``return`` (user view)
- software (user view): ``display version`` (``VRP (R) software, Version 5.170 (AC6508 V…)``),
  ``display startup``, ``startup system-software NAME.cc`` (an image on the flash becomes the next
  startup's), ``reboot`` (asks ``System will reboot! Continue?[Y/N]``; on ``y`` the session ends,
  the AC refuses sessions for ``REBOOT_SECONDS``, or the seconds in ``<state-dir>/<ac>.reboot-seconds``
  (a lab knob for fast tests, 0.5–60), and then runs the next startup's image)
- ``upload flash:/NAME.cc`` on an exec channel (the lab's stand-in for SFTP): the image's bytes on
  stdin, at most :data:`MAX_IMAGE`; its first line ``NETCTL-SIM-FIRMWARE huawei-ac VERSION AC6508``
  says what it is, and ``startup system-software`` refuses an image that is not for this AC

A command the current view does not know is tried in the views above it, as VRP does. Errors are
answered as VRP answers them: a caret line under the word that was not understood and
``Error: Unrecognized command found at '^' position.`` (or ``Wrong parameter`` / ``Incomplete
command``). Simplifications, said in docs/lab.md: pass-phrases are shown as given (VRP shows
``%^%#…%^%#`` cipher text) and ``vap-profile … radio all`` is shown as typed (VRP lists it per radio).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

if __package__ == "lab":
    from lab import simkit
else:  # run by sshd as python3 -I from the lab's state directory, beside its copy of simkit.py
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import simkit  # type: ignore[no-redef]

UNRECOGNIZED = "Error: Unrecognized command found at '^' position."
WRONG = "Error: Wrong parameter found at '^' position."
INCOMPLETE = "Error: Incomplete command found at '^' position."
CONFIRM = "Are you sure to continue?[Y/N]:"
REBOOT_CONFIRM = "System will reboot! Continue?[Y/N]:"
REBOOT_SECONDS = 5.0
#: the shortest and longest reboot the lab knob ``<state-dir>/<ac>.reboot-seconds`` may ask for
REBOOT_RANGE = (0.5, 60.0)
FIRST_VERSION = "V200R021C10SPC100"
IMAGE_MAGIC = "NETCTL-SIM-FIRMWARE"
MAX_IMAGE = 64 * 1024 * 1024
IMAGE = re.compile(r"(?:flash:/)?([A-Za-z0-9_.-]{1,60}\.cc)", re.IGNORECASE)
MAX_LINES = 100_000
MAX_LINE = 512
NAME = re.compile(r"[A-Za-z0-9_.:-]{1,35}")
MAC = re.compile(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}")
#: the WLAN view's profile kinds: command word -> (state key, view prompt infix)
PROFILES = {
    "security-profile": ("security", "sec-prof"),
    "ssid-profile": ("ssid", "ssid-prof"),
    "vap-profile": ("vap", "vap-prof"),
    "ap-group": ("group", "ap-group"),
}


class CliError(Exception):
    """A command the simulated AC refuses: the message and the word the caret points at."""

    def __init__(self, message: str, word: int) -> None:
        super().__init__(message)
        self.message, self.word = message, word


def initial_state(name: str) -> dict[str, Any]:
    wlan: dict[str, Any] = {"security": {}, "ssid": {}, "vap": {}, "group": {}, "ap": {}}
    return {"sysname": name, "running": wlan, "saved": copy.deepcopy(wlan), "saved_sysname": name, "saves": 0}


def software(state: dict[str, Any]) -> dict[str, Any]:
    """The AC's software: the running version, the images on its flash (name -> version), the next
    startup's image, and until when a reboot keeps sessions out (state files of older labs lack it)."""
    first = f"AC6508{FIRST_VERSION}.cc"
    return state.setdefault("software", {"version": FIRST_VERSION, "current": first, "next": first,  # type: ignore[no-any-return]
                                         "flash": {first: FIRST_VERSION}, "down_until": 0.0})


def image_version(header: bytes) -> str:
    """The version an image's first line names, "" when it is no image for this AC."""
    parts = header.decode("ascii", "replace").split()
    ok = len(parts) == 4 and parts[0] == IMAGE_MAGIC and parts[1] == "huawei-ac" and parts[3] == "AC6508"
    return parts[2] if ok and NAME.fullmatch(parts[2]) else ""


def upload(state_dir: Path, state: dict[str, Any], target: str, stream: Any) -> list[str]:
    """``upload flash:/NAME.cc``: store the bytes read from ``stream`` (at most :data:`MAX_IMAGE`)."""
    match = IMAGE.fullmatch(target)
    if not match:
        return ["Error: Wrong parameter found at '^' position."]
    flash = state_dir / f"{state['sysname']}-flash"
    flash.mkdir(exist_ok=True)
    part, size = flash / ".part", 0
    with open(part, "wb") as fh:
        for _ in range(MAX_IMAGE // 65536 + 2):
            chunk = stream.read(65536)
            size += len(chunk)
            if not chunk or size > MAX_IMAGE:
                break
            fh.write(chunk)
    if size > MAX_IMAGE:
        part.unlink()
        return ["Error: The flash does not have enough space."]
    with open(part, "rb") as fh:
        version = image_version(fh.readline(256))
    os.replace(part, flash / match.group(1))
    software(state)["flash"][match.group(1)] = version
    return [f"Info: Uploaded flash:/{match.group(1)} ({size} bytes)."]


def version_lines(sw: dict[str, Any]) -> list[str]:
    return ["Huawei Versatile Routing Platform Software",
            f"VRP (R) software, Version 5.170 (AC6508 {sw['version']})",
            "Copyright (C) 2011-2026 HUAWEI TECH CO., LTD"]


def tokens(line: str) -> list[tuple[str, int]]:
    """The words of a command line with their offsets; a double-quoted word may hold spaces."""
    out: list[tuple[str, int]] = []
    for m in re.finditer(r'"([^"]*)"|(\S+)', line):
        out.append((m.group(1) if m.group(1) is not None else m.group(2), m.start()))
    return out


# -- the configuration as VRP shows it ------------------------------------------------------------------


def profile_lines(kind: str, profile: dict[str, Any]) -> list[str]:
    if kind == "security":
        return [f"security {profile['security']}"] if "security" in profile else []
    if kind == "ssid":
        return [f"ssid {show_word(profile['ssid'])}"] if "ssid" in profile else []
    if kind == "vap":
        keys = (("forward-mode", "forward-mode"), ("service-vlan", "service-vlan vlan-id"),
                ("ssid-profile", "ssid-profile"), ("security-profile", "security-profile"))
        return [f"{word} {profile[key]}" for key, word in keys if key in profile]
    if kind == "group":
        return [f"vap-profile {vap} wlan {wlan} radio {radio}"
                for (wlan, radio), vap in sorted((tuple(k.split("/")), v) for k, v in profile["vaps"].items())]
    lines = [f"ap-name {show_word(profile['name'])}"] if "name" in profile else []
    return lines + ([f"ap-group {profile['group']}"] if "group" in profile else [])


def show_word(word: str) -> str:
    return f'"{word}"' if " " in word else word


def wlan_lines(wlan: dict[str, Any]) -> list[str]:
    out = ["wlan"]
    for word, (kind, _) in PROFILES.items():
        for name, profile in wlan[kind].items():
            out.append(f" {word} name {name}")
            out += [f"  {line}" for line in profile_lines(kind, profile)]
    for ap_id, ap in sorted(wlan["ap"].items(), key=lambda item: int(item[0])):
        out.append(f" ap-id {ap_id} ap-mac {ap['mac']}")
        out += [f"  {line}" for line in profile_lines("ap", ap)]
    return out


def configuration(sysname: str, wlan: dict[str, Any]) -> list[str]:
    return ["!Software Version V200R019C00SPC500 (netctl lab simulator)", "#", f" sysname {sysname}", "#",
            *wlan_lines(wlan), "#", "return"]


# -- the simulated AC ----------------------------------------------------------------------------------


class Ac:
    """One session's view stack over the AC's state (held by the caller)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        #: the views entered, from the system view down: (kind, name) pairs
        self.views: list[tuple[str, str]] = []
        self.system = False
        self.closed = False
        self.confirming = False
        self.rebooting = False
        self.reboot_seconds = REBOOT_SECONDS

    @property
    def wlan(self) -> dict[str, Any]:
        return self.state["running"]  # type: ignore[no-any-return]

    def prompt(self) -> str:
        name = self.state["sysname"]
        if not self.system:
            return f"<{name}>"
        infix = {"wlan": "-wlan-view", "sec-prof": "-wlan-sec-prof-", "ssid-prof": "-wlan-ssid-prof-",
                 "vap-prof": "-wlan-vap-prof-", "ap-group": "-wlan-ap-group-", "ap": "-wlan-ap-"}
        if not self.views:
            return f"[{name}]"
        kind, view = self.views[-1]
        return f"[{name}{infix[kind]}{view}]"

    def run(self, line: str) -> list[str]:
        """Answer one command line (without the prompt)."""
        if self.confirming:
            self.confirming = False
            if line.strip().lower() in ("y", "yes"):
                self.state["saved"] = copy.deepcopy(self.state["running"])
                self.state["saved_sysname"] = self.state["sysname"]
                self.state["saves"] += 1
                return ["Now saving the current configuration to the slot 0.",
                        "Info: Save the configuration successfully."]
            return ["Info: The configuration is not saved."]
        if self.rebooting:
            self.rebooting = False
            if line.strip().lower() not in ("y", "yes"):
                return ["Info: The system is not rebooted."]
            sw = software(self.state)
            sw["current"], sw["version"] = sw["next"], sw["flash"][sw["next"]]
            sw["down_until"] = time.time() + self.reboot_seconds
            self.closed = True
            return ["Info: system is rebooting, please wait..."]
        words = tokens(line[:MAX_LINE])
        if not words:
            return []
        try:
            return self._dispatch(words)
        except CliError as exc:
            offset = words[min(exc.word, len(words) - 1)][1] if exc.word < len(words) else len(line.rstrip()) + 1
            return [" " * (len(self.prompt()) + offset) + "^", exc.message]

    def _dispatch(self, words: list[tuple[str, int]]) -> list[str]:
        argv = [w for w, _ in words]
        if argv[0] == "display":
            return self._display(argv)
        if argv == ["screen-length", "0", "temporary"]:
            return ["Info: The configuration takes effect on the current user terminal interface only."]
        if argv[0] in ("quit", "return") and len(argv) == 1:
            if argv[0] == "return":
                self.system, self.views = False, []
            elif self.views:
                self.views.pop()
            elif self.system:
                self.system = False
            else:
                self.closed = True
            return []
        if not self.system:
            if argv == ["system-view"]:
                self.system = True
                return ["Enter system view, return user view with return command."]
            if argv == ["save"]:
                self.confirming = True
                return ["Warning: The current configuration will be written to the device."]
            if argv == ["reboot"]:
                self.rebooting = True
                return []
            if argv[:2] == ["startup", "system-software"]:
                return self._startup(argv)
            raise CliError(UNRECOGNIZED, 0)
        # the current view first, then each view above it (VRP runs a command of an upper view there)
        depth = len(self.views)
        first: CliError | None = None
        for level in range(depth, -1, -1):
            try:
                out = self._in_view(level, argv)
            except CliError as exc:
                if exc.message != UNRECOGNIZED or exc.word > (argv[0] == "undo"):
                    raise
                first = first or exc
                continue
            return out
        raise first or CliError(UNRECOGNIZED, 0)

    def _startup(self, argv: list[str]) -> list[str]:
        if len(argv) != 3:
            raise CliError(INCOMPLETE if len(argv) < 3 else UNRECOGNIZED, min(len(argv), 3))
        match = IMAGE.fullmatch(argv[2])
        if not match:
            raise CliError(WRONG, 2)
        sw = software(self.state)
        name = next((f for f in sw["flash"] if f.lower() == match.group(1).lower()), None)
        if name is None:
            return [f"Error: The file flash:/{match.group(1)} does not exist."]
        if not sw["flash"][name]:
            return [f"Error: The file flash:/{name} is not a valid system software package."]
        sw["next"] = name
        return ["Info: Succeeded in setting the software for booting system."]

    def _display(self, argv: list[str]) -> list[str]:
        if argv[1:] == ["version"]:
            return version_lines(software(self.state))
        if argv[1:] == ["startup"]:
            sw = software(self.state)
            return ["MainBoard:", f"  Startup system software:                   flash:/{sw['current']}",
                    f"  Next startup system software:              flash:/{sw['next']}"]
        if argv[1:] in (["current-configuration"], ["current"]):
            return configuration(self.state["sysname"], self.wlan)
        if argv[1:] == ["saved-configuration"]:
            return configuration(self.state["saved_sysname"], self.state["saved"])
        if argv[1:] == ["this"] and self.system:
            if not self.views:
                return ["#", f" sysname {self.state['sysname']}", "#", "return"]
            kind, name = self.views[-1]
            if kind == "wlan":
                return ["#", *wlan_lines(self.wlan), "#", "return"]
            return ["#", *(f" {line}" for line in self._view_lines(kind, name)), "#", "return"]
        raise CliError(UNRECOGNIZED, 1)

    def _view_lines(self, kind: str, name: str) -> list[str]:
        if kind == "ap":
            return profile_lines("ap", self.wlan["ap"][name])
        store = next(k for k, v in PROFILES.values() if v == kind)
        return profile_lines(store, self.wlan[store][name])

    def _in_view(self, level: int, argv: list[str]) -> list[str]:
        """Run ``argv`` in the view at ``level`` (0: system view); on success that view's child is current."""
        if level > 1 and len(argv) > 2 and argv[-2] == "name" and argv[0] in (*PROFILES, "undo"):
            raise CliError(UNRECOGNIZED, 0)  # ``… name X`` creates a profile: a WLAN view command
        kind = "system" if level == 0 else self.views[level - 1][0]
        name = "" if level == 0 else self.views[level - 1][1]
        undo = argv[0] == "undo"
        args = argv[1:] if undo else argv
        shift = 1 if undo else 0
        if not args:
            raise CliError(INCOMPLETE, 1)
        handler = getattr(self, "_" + kind.replace("-", "_"), None)
        if handler is None:
            raise CliError(UNRECOGNIZED, 0)
        entered = handler(name, args, undo, shift)
        del self.views[level:]
        if entered is not None:
            self.views.append(entered)
        return []

    # each view: returns the view a command enters (or None), raises CliError

    def _system(self, _name: str, args: list[str], undo: bool, shift: int) -> tuple[str, str] | None:
        if args == ["wlan"] and not undo:
            return ("wlan", "")
        if args[0] == "sysname" and not undo:
            value = word(args, 1, shift, NAME)
            self.state["sysname"] = value
            return None
        raise CliError(UNRECOGNIZED, shift)

    def _wlan(self, _name: str, args: list[str], undo: bool, shift: int) -> tuple[str, str] | None:
        wlan = self.wlan
        if args[0] in PROFILES and len(args) >= 2 and args[1] == "name":
            kind, view = PROFILES[args[0]]
            name = word(args, 2, shift, NAME)
            if len(args) > 3:
                raise CliError(UNRECOGNIZED, 3 + shift)
            if undo:
                if name not in wlan[kind]:
                    raise CliError("Error: The profile does not exist.", 2 + shift)
                user = referenced_by(wlan, kind, name)
                if user:
                    raise CliError(f"Error: The profile is referenced by {user}.", 2 + shift)
                del wlan[kind][name]
                return None
            wlan[kind].setdefault(name, {"vaps": {}} if kind == "group" else {})
            return (view, name)
        if args[0] == "ap-id":
            ap_id = word(args, 1, shift, re.compile(r"[0-9]{1,4}"))
            if undo:
                if len(args) > 2:
                    raise CliError(UNRECOGNIZED, 2 + shift)
                if wlan["ap"].pop(ap_id, None) is None:
                    raise CliError("Error: The AP does not exist.", 1 + shift)
                return None
            if len(args) == 2:
                if ap_id not in wlan["ap"]:
                    raise CliError(INCOMPLETE, 2)
                return ("ap", ap_id)
            if args[2] != "ap-mac":
                raise CliError(UNRECOGNIZED, 2)
            mac = word(args, 3, 0, MAC)
            if len(args) > 4:
                raise CliError(UNRECOGNIZED, 4)
            if any(ap["mac"] == mac and i != ap_id for i, ap in wlan["ap"].items()):
                raise CliError("Error: The MAC address already exists.", 3)
            if ap_id in wlan["ap"] and wlan["ap"][ap_id]["mac"] != mac:
                raise CliError("Error: The AP ID already exists with another MAC address.", 1)
            wlan["ap"].setdefault(ap_id, {"mac": mac})
            return ("ap", ap_id)
        raise CliError(UNRECOGNIZED, shift)

    def _sec_prof(self, name: str, args: list[str], undo: bool, shift: int) -> None:
        profile = self.wlan["security"][name]
        if args[0] != "security":
            raise CliError(UNRECOGNIZED, shift)
        if undo:
            if len(args) > 1:
                raise CliError(UNRECOGNIZED, 1 + shift)
            profile.pop("security", None)
            return None
        if args[1:] == ["open"]:
            profile["security"] = "open"
            return None
        mode = word(args, 1, 0, re.compile(r"wpa2|wpa-wpa2|wpa3"))
        if word(args, 2, 0, re.compile(r"psk|sae")) == "sae" and mode != "wpa3":
            raise CliError(WRONG, 2)
        if word(args, 3, 0, re.compile(r"pass-phrase")) and len(args) < 6:
            raise CliError(INCOMPLETE, len(args))
        passphrase = word(args, 4, 0, re.compile(r"[\x21-\x7e]{8,63}"))
        cipher = word(args, 5, 0, re.compile(r"aes|tkip|aes-tkip"))
        if len(args) > 6:
            raise CliError(UNRECOGNIZED, 6)
        profile["security"] = f"{mode} {args[2]} pass-phrase {passphrase} {cipher}"
        return None

    def _ssid_prof(self, name: str, args: list[str], undo: bool, shift: int) -> None:
        profile = self.wlan["ssid"][name]
        if args[0] != "ssid":
            raise CliError(UNRECOGNIZED, shift)
        if undo:
            profile.pop("ssid", None)
            return None
        value = word(args, 1, 0, re.compile(r"[^\x00-\x1f\x7f?]{1,32}"))
        if len(value.encode()) > 32:
            raise CliError(WRONG, 1)
        if len(args) > 2:
            raise CliError(UNRECOGNIZED, 2)
        profile["ssid"] = value
        return None

    def _vap_prof(self, name: str, args: list[str], undo: bool, shift: int) -> None:
        profile = self.wlan["vap"][name]
        key = args[0]
        if key not in ("forward-mode", "service-vlan", "security-profile", "ssid-profile"):
            raise CliError(UNRECOGNIZED, shift)
        if undo:
            profile.pop(key, None)
            return None
        if key == "forward-mode":
            value = word(args, 1, 0, re.compile(r"tunnel|direct-forward"))
            end = 2
        elif key == "service-vlan":
            word(args, 1, 0, re.compile(r"vlan-id"))
            value = word(args, 2, 0, re.compile(r"[0-9]{1,4}"))
            if not 1 <= int(value) <= 4094:
                raise CliError(WRONG, 2)
            end = 3
        else:
            value = word(args, 1, 0, NAME)
            if value not in self.wlan["security" if key == "security-profile" else "ssid"]:
                raise CliError("Error: The profile does not exist.", 1)
            end = 2
        if len(args) > end:
            raise CliError(UNRECOGNIZED, end)
        profile[key] = value
        return None

    def _ap_group(self, name: str, args: list[str], undo: bool, shift: int) -> None:
        group = self.wlan["group"][name]
        if args[0] != "vap-profile":
            raise CliError(UNRECOGNIZED, shift)
        vap = word(args, 1, shift, NAME)
        word(args, 2, shift, re.compile(r"wlan"))
        wlan_id = word(args, 3, shift, re.compile(r"[0-9]{1,2}"))
        if not 1 <= int(wlan_id) <= 16:
            raise CliError(WRONG, 3 + shift)
        word(args, 4, shift, re.compile(r"radio"))
        radio = word(args, 5, shift, re.compile(r"all|[0-2]"))
        if len(args) > 6:
            raise CliError(UNRECOGNIZED, 6 + shift)
        key = f"{wlan_id}/{radio}"
        if undo:
            if group["vaps"].get(key) != vap:
                raise CliError("Error: The VAP profile is not bound to the WLAN.", 1 + shift)
            del group["vaps"][key]
            return None
        if vap not in self.wlan["vap"]:
            raise CliError("Error: The profile does not exist.", 1)
        group["vaps"][key] = vap
        return None

    def _ap(self, ap_id: str, args: list[str], undo: bool, shift: int) -> None:
        ap = self.wlan["ap"][ap_id]
        key = {"ap-name": "name", "ap-group": "group"}.get(args[0])
        if key is None:
            raise CliError(UNRECOGNIZED, shift)
        if undo:
            ap.pop(key, None)
            return None
        value = word(args, 1, 0, NAME if key == "group" else re.compile(r"[!-~]{1,31}"))
        if key == "group" and value not in self.wlan["group"]:
            raise CliError("Error: The AP group does not exist.", 1)
        if len(args) > 2:
            raise CliError(UNRECOGNIZED, 2)
        ap[key] = value
        return None


def word(args: list[str], index: int, shift: int, pattern: re.Pattern[str]) -> str:
    """``args[index]`` when it matches ``pattern`` (else a VRP error pointing at it)."""
    if index >= len(args):
        raise CliError(INCOMPLETE, index + shift)
    if not pattern.fullmatch(args[index]):
        raise CliError(WRONG if index > 0 else UNRECOGNIZED, index + shift)
    return args[index]


def referenced_by(wlan: dict[str, Any], kind: str, name: str) -> str:
    """Which profile or AP refers to profile ``name`` of ``kind`` ('' when none does)."""
    if kind in ("security", "ssid"):
        key = f"{kind}-profile"
        return next((f"VAP profile {v}" for v, p in wlan["vap"].items() if p.get(key) == name), "")
    if kind == "vap":
        return next((f"AP group {g}" for g, p in wlan["group"].items() if name in p["vaps"].values()), "")
    return next((f"AP {i}" for i, ap in wlan["ap"].items() if ap.get("group") == name), "")


# -- state and sessions --------------------------------------------------------------------------------


def locked_state(state_dir: Path, name: str) -> contextlib.AbstractContextManager[dict[str, Any]]:
    """The AC's state, locked for one command; written back when it changed."""
    return simkit.locked_state(state_dir, name, initial_state)


def reboot_seconds(state_dir: Path, name: str) -> float:
    """How long the AC refuses sessions after a reboot: the lab knob ``<name>.reboot-seconds`` in the
    state directory (bounded by :data:`REBOOT_RANGE`), else :data:`REBOOT_SECONDS`."""
    return simkit.knob_seconds(state_dir / f"{name}.reboot-seconds", REBOOT_SECONDS, REBOOT_RANGE)


class Session:
    """One SSH session: its views survive between commands, the AC's state is re-read for each."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.state_dir, self.name = state_dir, name
        self.ac = Ac(initial_state(name))
        self.ac.reboot_seconds = reboot_seconds(state_dir, name)

    def command(self, line: str) -> list[str]:
        with locked_state(self.state_dir, self.name) as state:
            self.ac.state = state
            return self.ac.run(line)

    def prompt(self) -> str:
        with locked_state(self.state_dir, self.name) as state:
            self.ac.state = state
            if self.ac.rebooting:
                return REBOOT_CONFIRM
            return self.ac.prompt() if not self.ac.confirming else CONFIRM

    def down(self) -> bool:
        """True while the AC reboots (a session then is refused, as by a host that is not up)."""
        with locked_state(self.state_dir, self.name) as state:
            return float(software(state)["down_until"]) > time.time()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args()
    session = Session(args.state_dir, simkit.which_device(args.state_dir, "AC"))
    if session.down():
        print("netctl lab simulator: the AC is rebooting", file=sys.stderr)
        return 255
    original = os.environ.get("SSH_ORIGINAL_COMMAND")
    if original and original.split()[0] == "upload" and len(original.split()) == 2:
        with locked_state(args.state_dir, session.name) as state:
            print("\n".join(upload(args.state_dir, state, original.split()[1], sys.stdin.buffer)))
        return 0
    if original:
        simkit.run_lines(original, session.command, lambda: session.ac.closed, 1000)
        return 0
    print("\nInfo: The max number of VTY users is 10, and the number\n      of current VTY users on line is 1.")
    simkit.shell(session.command, session.prompt, lambda: session.ac.closed, MAX_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
