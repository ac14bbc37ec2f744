"""ZTE ZXR10-style access switch CLI simulator (lab peer for the ``zte-zxros`` platform).

This is a simulator written by the project, not ZTE software: the lab's private OpenSSH sshd runs it
as ForceCommand for every session (interactive shell with a pty, or command lines over an exec
channel). It picks the simulated switch from the local address of the connection (third field of
SSH_CONNECTION, mapped in ``<state-dir>/aps.json``) and keeps that switch's configuration in
``<state-dir>/<switch>.json``, so a read-back in a new session sees what an earlier session configured.
It runs under Debian's /usr/bin/python3 with the standard library only.

What it understands (the shapes of a ZXR10 5900/5960-series switch under ZXROS, see docs/lab.md for
the public sources and what is assumed):

- privileged exec ``NAME#`` (the lab user lands there, as a ZXROS user of privilege 15 does):
  ``configure terminal``, ``show running-config [if-intf|switchvlan]``, ``show startup-config``,
  ``show version``, ``write`` (saves the running configuration as the startup one), ``terminal length
  N``, ``enable`` (already enabled), ``exit``/``quit``/``logout``
- ``NAME(config)#``: ``hostname NAME``, ``interface PORT`` (``NAME(config-if-PORT)#``: ``description
  TEXT``, ``shutdown``, ``no description``, ``no shutdown``), ``switchvlan-configuration``
  (``NAME(config-swvlan)#``)
- ``NAME(config-swvlan)#``: ``vlan N`` (creates it; ``NAME(config-swvlan-sub-N)#``: ``name NAME``, ``no
  name``), ``no vlan N``, ``interface PORT`` (``NAME(config-swvlan-if-PORT)#``: ``switchport mode
  access|trunk|hybrid``, ``switchport access vlan N``, ``switchport trunk vlan LIST`` (adds the VLANs of
  ``LIST``, e.g. ``10,20,30-32``), ``switchport trunk native vlan N`` and the ``no`` form of each; a
  VLAN a port names is created when it does not exist)
- in every configuration mode: ``exit`` or a line ``$`` (one mode up, as in a pasted configuration),
  ``end`` (privileged exec), ``show …``; a line starting with ``!`` is a comment

Keywords may be abbreviated to any unambiguous prefix (``conf t``). A line the mode does not know is
answered as ZXROS answers it: a caret under the word that was not understood and ``%Error 20200:
Invalid input detected at '^' marker.`` (``%Error 20203: Incomplete command.`` when words are missing).
The ports are ``gei-1/1/1/1`` … ``gei-1/1/1/24`` and ``xgei-1/1/2/1`` … ``xgei-1/1/2/4``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ == "lab":
    from lab import simkit
else:  # run by sshd as python3 -I from the lab's state directory, beside its copy of simkit.py
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import simkit  # type: ignore[no-redef]

INVALID = "%Error 20200: Invalid input detected at '^' marker."
INCOMPLETE = "%Error 20203: Incomplete command."
ENTER_CONFIG = "Enter configuration commands, one per line.  End with CTRL/Z."
VERSION = "V5.00.10(1.0.1)"
MAX_LINES = 100_000
MAX_LINE = 512
PORTS = tuple([f"gei-1/1/1/{n}" for n in range(1, 25)] + [f"xgei-1/1/2/{n}" for n in range(1, 5)])
HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62})")
#: a VLAN name: one word of printable ASCII, at most 31 characters
VLAN_NAME = re.compile(r"[!-~]{1,31}")
#: a port description: printable ASCII (spaces allowed: the rest of the line), at most 80 characters
DESCRIPTION_MAX = 80
PRINTABLE = re.compile(r"[ -~]*")
VLAN_LIST = re.compile(r"[0-9]{1,4}(?:-[0-9]{1,4})?(?:,[0-9]{1,4}(?:-[0-9]{1,4})?)*")
MODES = ("access", "trunk", "hybrid")
#: the first words each mode knows (a word may abbreviate one of them, unambiguously)
_ANYWHERE = ("show", "exit", "end")
COMMANDS = {
    "exec": ("configure", "write", "terminal", "enable", "show", "exit", "quit", "logout"),
    "config": ("hostname", "interface", "switchvlan-configuration", *_ANYWHERE),
    "if": ("description", "shutdown", "no", *_ANYWHERE),
    "swvlan": ("vlan", "interface", "no", *_ANYWHERE),
    "sub": ("name", "no", *_ANYWHERE),
    "swif": ("switchport", "no", *_ANYWHERE),
}


class CliError(Exception):
    """A line the simulated switch refuses: the message and the word the caret points at (None: no caret)."""

    def __init__(self, message: str, word: int | None) -> None:
        super().__init__(message)
        self.message, self.word = message, word


def initial_config(name: str) -> dict[str, Any]:
    """A switch as it leaves the factory: its hostname and nothing else configured."""
    return {"hostname": name, "interfaces": {}, "vlans": {}, "switchports": {}}


def initial_state(name: str) -> dict[str, Any]:
    now = stamp()
    return {"running": initial_config(name), "saved": initial_config(name), "saves": 0,
            "changed_at": now, "changed_by": "service", "saved_at": now}


def stamp(at: float | None = None) -> str:
    """A time as ZXROS writes it in the ``!<mim>`` lines (``13:59:37 Thu Oct 16 2025``)."""
    return time.strftime("%H:%M:%S %a %b %d %Y", time.gmtime(at))


# -- VLAN lists ----------------------------------------------------------------------------------------


def parse_vlans(text: str) -> list[int] | None:
    """The VLANs of a list such as ``10,20,30-32`` (sorted, each once); None when it is not one."""
    if not VLAN_LIST.fullmatch(text):
        return None
    out: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 4094:
            return None
        out.update(range(first, last + 1))
    return sorted(out)


def vlan_ranges(vlans: Sequence[int]) -> str:
    """``[10, 20, 30, 31, 32]`` as ZXROS shows it: ``10,20,30-32``."""
    parts: list[str] = []
    ordered = sorted(set(vlans))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


# -- the configuration as ZXROS shows it ------------------------------------------------------------


def switchport_lines(port: dict[str, Any]) -> list[str]:
    lines = []
    if port.get("mode", "access") != "access":
        lines.append(f"switchport mode {port['mode']}")
    if port.get("access", 1) != 1:
        lines.append(f"switchport access vlan {port['access']}")
    if port.get("trunk"):
        lines.append(f"switchport trunk vlan {vlan_ranges(port['trunk'])}")
    if port.get("native"):
        lines.append(f"switchport trunk native vlan {port['native']}")
    return lines


def interface_lines(interface: dict[str, Any]) -> list[str]:
    lines = [f"description {interface['description']}"] if interface.get("description") else []
    if "shutdown" in interface:
        lines.append("shutdown" if interface["shutdown"] else "no shutdown")
    return lines


def section(name: str, config: dict[str, Any]) -> list[str]:
    """One section of ``show running-config`` (``if-intf``, ``switchvlan``, ``system-config``)."""
    if name == "system-config":
        return [f"hostname {config['hostname']}"]
    if name == "if-intf":
        out = []
        for port in PORTS:
            out += [f"interface {port}", *(f"  {line}" for line in interface_lines(config["interfaces"].get(port, {})))]
            out.append("$")
        return out
    out = ["switchvlan-configuration"]
    for vlan in sorted(config["vlans"], key=int):
        out.append(f"  vlan {vlan}")
        if config["vlans"][vlan].get("name"):
            out.append(f"    name {config['vlans'][vlan]['name']}")
        out.append("  $")
    for port in PORTS:
        lines = switchport_lines(config["switchports"].get(port, {}))
        if lines:
            out += [f"  interface {port}", *(f"    {line}" for line in lines), "  $"]
    return out + ["$"]


SECTIONS = {"system-config": "system-config", "if-intf": "if-intf", "switchvlan": "switchvlan"}


def configuration(state: dict[str, Any], which: str = "running", only: str | None = None) -> list[str]:
    """``show running-config`` (or the saved configuration): ZXROS's ``!<section>`` blocks, ``$`` ending
    each mode, two spaces of indentation per level; ``!<mim>`` says when it last changed and was saved."""
    config = state[which]
    names = [only] if only else list(SECTIONS)
    out: list[str] = []
    if only is None:
        out += ["!<mim>", f"!last configuration change at {state['changed_at']} by {state['changed_by']}"]
        if state.get("saves"):
            out.append(f"!configuration saved at {state['saved_at']} by write")
        out.append("!</mim>")
    for name in names:
        out += [f"!<{name}>", *section(name, config), f"!</{name}>"]
    return out


def version_lines(name: str) -> list[str]:
    return [f"ZXR10 ROS Version {VERSION} (netctl lab simulator)",
            "System image files host: flash, image file: /flash/img/zxr10.set",
            f"{name} (ZXR10 5960 series, simulated) uptime is 0 days, 0 hours, 1 minutes"]


# -- words -------------------------------------------------------------------------------------------


def tokens(line: str) -> list[tuple[str, int]]:
    """The words of a command line with their offsets."""
    return [(m.group(0), m.start()) for m in re.finditer(r"\S+", line)]


def keyword(argv: list[str], index: int, options: Sequence[str]) -> str:
    """The keyword of ``options`` that ``argv[index]`` spells or abbreviates (unambiguously)."""
    if index >= len(argv):
        raise CliError(INCOMPLETE, None)
    word = argv[index].lower()
    if word in options:
        return word
    found = [o for o in options if o.startswith(word)]
    if len(found) != 1:
        raise CliError(INVALID, index)
    return found[0]


def value(argv: list[str], index: int, pattern: re.Pattern[str]) -> str:
    if index >= len(argv):
        raise CliError(INCOMPLETE, None)
    if not pattern.fullmatch(argv[index]):
        raise CliError(INVALID, index)
    return argv[index]


def vlan_id(argv: list[str], index: int) -> int:
    text = value(argv, index, re.compile(r"[0-9]{1,4}"))
    if not 1 <= int(text) <= 4094:
        raise CliError(INVALID, index)
    return int(text)


def port_name(argv: list[str], index: int) -> str:
    if index >= len(argv):
        raise CliError(INCOMPLETE, None)
    if argv[index] not in PORTS:
        raise CliError(INVALID, index)
    return argv[index]


def done(argv: list[str], end: int) -> None:
    """No words after ``argv[:end]``."""
    if len(argv) > end:
        raise CliError(INVALID, end)


# -- the simulated switch -----------------------------------------------------------------------------


class Switch:
    """One session's mode stack over the switch's state (held by the caller)."""

    def __init__(self, state: dict[str, Any], user: str = "admin") -> None:
        self.state = state
        self.user = user
        #: the modes entered below privileged exec: (kind, argument) pairs
        self.modes: list[tuple[str, str]] = []
        self.closed = False

    @property
    def config(self) -> dict[str, Any]:
        return self.state["running"]  # type: ignore[no-any-return]

    def prompt(self) -> str:
        name = self.config["hostname"]
        if not self.modes:
            return f"{name}#"
        kind, arg = self.modes[-1]
        suffix = {"config": "config", "if": f"config-if-{arg}", "swvlan": "config-swvlan",
                  "sub": f"config-swvlan-sub-{arg}", "swif": f"config-swvlan-if-{arg}"}[kind]
        return f"{name}({suffix})#"

    def run(self, line: str) -> list[str]:
        """Answer one command line (without the prompt)."""
        text = line.strip()
        if not text or text.startswith("!"):
            return []
        if len(line) > MAX_LINE:
            return [" " * (len(self.prompt()) + MAX_LINE) + "^", INVALID]
        words = tokens(line)
        before = json.dumps(self.config, sort_keys=True)
        try:
            out = self._dispatch([w for w, _ in words])
        except CliError as exc:
            if exc.word is None:
                return [exc.message]
            offset = words[exc.word][1] if exc.word < len(words) else len(line.rstrip()) + 1
            return [" " * (len(self.prompt()) + offset) + "^", exc.message]
        if json.dumps(self.config, sort_keys=True) != before:
            self.state["changed_at"], self.state["changed_by"] = stamp(), self.user
        return out

    def _dispatch(self, argv: list[str]) -> list[str]:
        if not PRINTABLE.fullmatch(" ".join(argv)):
            bad = next(i for i, w in enumerate(argv) if not PRINTABLE.fullmatch(w))
            raise CliError(INVALID, bad)
        if argv == ["$"]:
            if not self.modes:
                raise CliError(INVALID, 0)
            self.modes.pop()
            return []
        kind = self.modes[-1][0] if self.modes else "exec"
        first = keyword(argv, 0, COMMANDS[kind])
        argv = [first, *argv[1:]]
        if first == "show":
            return self._show(argv)
        if first == "end":
            done(argv, 1)
            self.modes = []
            return []
        if first in ("exit", "quit", "logout"):
            done(argv, 1)
            if self.modes:
                self.modes.pop()
            else:
                self.closed = True
            return []
        handler = getattr(self, f"_{kind}")
        return handler(argv)  # type: ignore[no-any-return]

    def _show(self, argv: list[str]) -> list[str]:
        what = keyword(argv, 1, ("running-config", "startup-config", "version"))
        if what == "version":
            done(argv, 2)
            return version_lines(self.config["hostname"])
        which = "saved" if what == "startup-config" else "running"
        if len(argv) > 2:
            only = keyword(argv, 2, tuple(SECTIONS))
            done(argv, 3)
            return configuration(self.state, which, SECTIONS[only])
        return configuration(self.state, which)

    # each mode: answers a line (CliError for one it refuses)

    def _exec(self, argv: list[str]) -> list[str]:
        command = keyword(argv, 0, ("configure", "write", "terminal", "enable"))
        if command == "configure":
            keyword(argv, 1, ("terminal",))
            done(argv, 2)
            self.modes = [("config", "")]
            return [ENTER_CONFIG]
        if command == "write":
            done(argv, 1)
            self.state["saved"] = copy.deepcopy(self.config)
            self.state["saves"] += 1
            self.state["saved_at"] = stamp()
            return ["Building configuration...", "[OK]"]
        if command == "terminal":
            keyword(argv, 1, ("length", "width"))
            value(argv, 2, re.compile(r"[0-9]{1,3}"))
            done(argv, 3)
            return []
        done(argv, 1)
        return []

    def _config(self, argv: list[str]) -> list[str]:
        command = keyword(argv, 0, ("hostname", "interface", "switchvlan-configuration"))
        if command == "hostname":
            name = value(argv, 1, HOSTNAME)
            done(argv, 2)
            self.config["hostname"] = name
        elif command == "interface":
            port = port_name(argv, 1)
            done(argv, 2)
            self.modes.append(("if", port))
        else:
            done(argv, 1)
            self.modes.append(("swvlan", ""))
        return []

    def _if(self, argv: list[str]) -> list[str]:
        port = self.modes[-1][1]
        interface = dict(self.config["interfaces"].get(port, {}))
        negate, s = negated(argv, ("description", "shutdown"))
        if keyword(argv, s, ("description", "shutdown")) == "shutdown":
            done(argv, s + 1)
            interface["shutdown"] = not negate
        elif negate:
            done(argv, 2)
            interface.pop("description", None)
        else:
            if len(argv) < 2:
                raise CliError(INCOMPLETE, None)
            text = " ".join(argv[1:])
            if len(text) > DESCRIPTION_MAX:
                raise CliError(INVALID, 1)
            interface["description"] = text
        self._store("interfaces", port, interface)
        return []

    def _swvlan(self, argv: list[str]) -> list[str]:
        negate, s = negated(argv, ("vlan", "interface"))
        if keyword(argv, s, ("vlan", "interface")) == "vlan":
            vlan = vlan_id(argv, s + 1)
            done(argv, s + 2)
            if negate:
                if str(vlan) not in self.config["vlans"] or vlan == 1:
                    raise CliError(INVALID, 2)
                del self.config["vlans"][str(vlan)]
                return []
            self.config["vlans"].setdefault(str(vlan), {})
            self.modes.append(("sub", str(vlan)))
            return []
        if negate:
            raise CliError(INVALID, 1)
        port = port_name(argv, 1)
        done(argv, 2)
        self.modes.append(("swif", port))
        return []

    def _sub(self, argv: list[str]) -> list[str]:
        vlan = self.config["vlans"].setdefault(self.modes[-1][1], {})
        negate, s = negated(argv, ("name",))
        keyword(argv, s, ("name",))
        if negate:
            done(argv, 2)
            vlan.pop("name", None)
        else:
            name = value(argv, 1, VLAN_NAME)
            done(argv, 2)
            vlan["name"] = name
        return []

    def _swif(self, argv: list[str]) -> list[str]:
        key = self.modes[-1][1]
        port = dict(self.config["switchports"].get(key, {}))
        negate, s = negated(argv, ("switchport",))
        keyword(argv, s, ("switchport",))
        what = keyword(argv, s + 1, ("mode", "access", "trunk"))
        used: list[int] = []
        if what == "mode":
            if negate:
                done(argv, s + 2)
                port.pop("mode", None)
            else:
                port["mode"] = keyword(argv, 2, MODES)
                done(argv, 3)
        elif what == "access":
            keyword(argv, s + 2, ("vlan",))
            if negate:
                done(argv, s + 3)
                port.pop("access", None)
            else:
                port["access"] = vlan_id(argv, 3)
                done(argv, 4)
                used.append(port["access"])
        elif keyword(argv, s + 2, ("vlan", "native")) == "native":
            keyword(argv, s + 3, ("vlan",))
            if negate:
                done(argv, s + 4)
                port.pop("native", None)
            else:
                port["native"] = vlan_id(argv, 4)
                done(argv, 5)
                used.append(port["native"])
        else:
            vlans = parse_vlans(value(argv, s + 3, re.compile(r"\S+")))
            if vlans is None:
                raise CliError(INVALID, s + 3)
            done(argv, s + 4)
            have = set(port.get("trunk", []))
            port["trunk"] = sorted(have - set(vlans) if negate else have | set(vlans))
            used += [] if negate else vlans
            if not port["trunk"]:
                del port["trunk"]
        for vlan in used:  # a VLAN a port names exists from then on (ZXROS creates it)
            self.config["vlans"].setdefault(str(vlan), {})
        if port.get("mode") == "access":
            del port["mode"]
        self._store("switchports", key, port)
        return []

    def _store(self, table: str, key: str, settings: dict[str, Any]) -> None:
        """A port's settings back into the configuration (a port left at its defaults holds nothing)."""
        if settings:
            self.config[table][key] = settings
        else:
            self.config[table].pop(key, None)


def negated(argv: list[str], commands: Sequence[str]) -> tuple[bool, int]:
    """Whether the line is the ``no`` form of one of ``commands``, and where the command word is."""
    negate = keyword(argv, 0, (*commands, "no")) == "no"
    return negate, 1 if negate else 0


# -- state and sessions --------------------------------------------------------------------------------


def locked_state(state_dir: Path, name: str) -> contextlib.AbstractContextManager[dict[str, Any]]:
    """The switch's state, locked for one command; written back when it changed."""
    return simkit.locked_state(state_dir, name, initial_state)


class Session:
    """One SSH session: its modes survive between commands, the switch's state is re-read for each."""

    def __init__(self, state_dir: Path, name: str, user: str = "admin") -> None:
        self.state_dir, self.name = state_dir, name
        self.switch = Switch(initial_state(name), user)

    def command(self, line: str) -> list[str]:
        with locked_state(self.state_dir, self.name) as state:
            self.switch.state = state
            return self.switch.run(line)

    def prompt(self) -> str:
        with locked_state(self.state_dir, self.name) as state:
            self.switch.state = state
            return self.switch.prompt()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args()
    session = Session(args.state_dir, simkit.which_device(args.state_dir, "switch"), os.environ.get("USER") or "admin")
    original = os.environ.get("SSH_ORIGINAL_COMMAND")
    if original:
        simkit.run_lines(original, session.command, lambda: session.switch.closed, 1000)
        return 0
    print("\n******************************************************************")
    print(" ZXR10-style switch: netctl lab simulator (not ZTE software)")
    print("******************************************************************")
    simkit.shell(session.command, session.prompt, lambda: session.switch.closed, MAX_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
