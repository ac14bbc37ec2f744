"""OpenWrt-style AP CLI simulator (lab peer for the ``openwrt`` platform).

This is a simulator, not OpenWrt: the lab's private OpenSSH sshd runs it as ForceCommand for every
session (interactive shell with a pty, or one command over an exec channel). It picks the AP from
the local address of the connection (third field of SSH_CONNECTION) and keeps that AP's
configuration in ``<state-dir>/<ap>.json``, so a read-back in a new session sees what an earlier
session committed. It runs under Debian's /usr/bin/python3 with the standard library only.

Supported: ``uci show|get|set|add_list|del_list|delete|add|commit|changes|revert``,
``wifi``/``wifi reload``/``wifi status``, ``cat /etc/config/<config>``, ``cat /etc/openwrt_release``,
``hostname``, ``uname [-a]``, ``echo``, ``/etc/init.d/system reload``, ``exit``/``logout``.
Errors are printed the way the real tools print them (``uci: Invalid argument``,
``uci: Entry not found``, ``-ash: foo: not found``).

Firmware (exec channel only): ``cat > /tmp/NAME`` stores the bytes sent on stdin (at most
:data:`MAX_UPLOAD`), ``sha256sum PATH`` prints their digest, ``sysupgrade [-T] [-n] PATH`` checks the
image and installs it. The simulator's images start with one header line,
``NETCTL-SIM-FIRMWARE <platform> <version> <target>``: an image for another platform or target
(``DISTRIB_TARGET``) is refused as real sysupgrade refuses an image for another board. ``-T`` only
checks; otherwise the session drops, the AP is "rebooting" for :data:`REBOOT_S` seconds (every
session meanwhile ends at once with exit code 255), then ``cat /etc/openwrt_release`` reports the new
version. ``-n`` also returns the configuration to its defaults; ``/tmp`` is empty after the reboot.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import re
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

Config = dict[str, dict[str, Any]]
NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
#: the release every simulated AP starts with, and its board (an image must be built for it)
FIRST_RELEASE = "23.05.5"
TARGET = "ramips/mt7621"
#: the first line of a simulator firmware image: magic, platform, version, target
IMAGE_MAGIC = "NETCTL-SIM-FIRMWARE"
#: the largest upload ``cat > /tmp/…`` takes (the simulated AP's RAM disk)
MAX_UPLOAD = 64 * 1024 * 1024
#: seconds a simulated AP reboots after ``sysupgrade``
REBOOT_S = 4.0


def release_text(version: str) -> str:
    """``/etc/openwrt_release`` of an AP running ``version``."""
    return (
        f"DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='{version}'\nDISTRIB_REVISION='r24106-10cc5fcd00'\n"
        f"DISTRIB_TARGET='{TARGET}'\nDISTRIB_ARCH='mipsel_24kc'\n"
        f"DISTRIB_DESCRIPTION='OpenWrt {version} r24106-10cc5fcd00 (netctl lab simulator)'\n"
    )


class UciError(Exception):
    pass


def initial_state(name: str) -> dict[str, Any]:
    wireless: Config = {
        "radio0": {
            ".type": "wifi-device",
            "type": "mac80211",
            "path": "platform/10300000.wmac",
            "band": "2g",
            "channel": "1",
            "htmode": "HT20",
            "country": "DE",
            "cell_density": "0",
        },
        "radio1": {
            ".type": "wifi-device",
            "type": "mac80211",
            "path": "1e140000.pcie/pci0000:00/0000:00:01.0",
            "band": "5g",
            "channel": "36",
            "htmode": "VHT80",
            "country": "DE",
            "cell_density": "0",
        },
        "default_radio0": {
            ".type": "wifi-iface",
            "device": "radio0",
            "network": "lan",
            "mode": "ap",
            "ssid": "OpenWrt",
            "encryption": "none",
        },
        "default_radio1": {
            ".type": "wifi-iface",
            "device": "radio1",
            "network": "lan",
            "mode": "ap",
            "ssid": "OpenWrt",
            "encryption": "none",
        },
    }
    system: Config = {
        "cfg01e48a": {
            ".type": "system",
            ".anonymous": True,
            "hostname": name,
            "timezone": "UTC",
            "zonename": "UTC",
            "ttylogin": "0",
            "log_size": "64",
            "urandom_seed": "0",
        },
        "ntp": {
            ".type": "timeserver",
            "enabled": "1",
            "enable_server": "0",
            "server": ["0.openwrt.pool.ntp.org", "1.openwrt.pool.ntp.org"],
        },
    }
    return {
        "committed": {"wireless": wireless, "system": system},
        "staged": None,
        "reloads": 0,
        "applied": {"wireless": copy.deepcopy(wireless)},
        "hostname": name,
        "release": FIRST_RELEASE,
        "rebooting_until": 0.0,
        "upgrades": 0,
    }


class Device:
    """One simulated AP's state file, locked for each command."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.path = state_dir / f"{name}.json"
        self.name = name
        self.state_dir = state_dir

    def tmp_file(self, path: str) -> Path | None:
        """Where the AP's ``/tmp/NAME`` lives in the state directory; None for any other path."""
        name = path[len("/tmp/"):] if path.startswith("/tmp/") else ""
        return self.state_dir / f"{self.name}.tmp-{name}" if NAME_RE.match(name.replace(".", "_")) else None

    def clear_tmp(self) -> None:
        for leftover in self.state_dir.glob(f"{self.name}.tmp-*"):
            leftover.unlink()

    @contextlib.contextmanager
    def state(self) -> Any:
        lock = self.path.with_suffix(".lock")
        with open(lock, "a") as lf:
            fcntl.flock(lf, fcntl.LOCK_EX)
            try:
                data = json.loads(self.path.read_text()) if self.path.exists() else initial_state(self.name)
                before = json.dumps(data, sort_keys=True)
                yield data
                if json.dumps(data, sort_keys=True) != before or not self.path.exists():
                    tmp = self.path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(data, indent=1))
                    os.replace(tmp, self.path)
            finally:
                fcntl.flock(lf, fcntl.LOCK_UN)


def working(state: dict[str, Any]) -> dict[str, Config]:
    return state["staged"] if state["staged"] is not None else state["committed"]


def staged(state: dict[str, Any]) -> dict[str, Config]:
    if state["staged"] is None:
        state["staged"] = copy.deepcopy(state["committed"])
    return state["staged"]


def resolve_section(cfg: Config, ref: str) -> str:
    m = re.fullmatch(r"@([A-Za-z0-9_-]+)\[(-?\d+)\]", ref)
    if m:
        of_type = [n for n, s in cfg.items() if s[".type"] == m.group(1)]
        idx = int(m.group(2))
        try:
            return of_type[idx]
        except IndexError as exc:
            raise UciError("uci: Entry not found") from exc
    if ref not in cfg:
        raise UciError("uci: Entry not found")
    return ref


def section_ref(cfg: Config, name: str) -> str:
    sec = cfg[name]
    if not sec.get(".anonymous"):
        return name
    same = [n for n, s in cfg.items() if s[".type"] == sec[".type"]]
    return f"@{sec['.type']}[{same.index(name)}]"


def quote(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(quote(v) for v in value)
    return "'" + str(value).replace("'", "'\\''") + "'"


def show(configs: dict[str, Config], path: str | None) -> list[str]:
    parts = path.split(".") if path else []
    names = [parts[0]] if parts else list(configs)
    out = []
    for cname in names:
        if cname not in configs:
            raise UciError("uci: Entry not found")
        cfg = configs[cname]
        secs = [resolve_section(cfg, parts[1])] if len(parts) > 1 else list(cfg)
        for sname in secs:
            ref = f"{cname}.{section_ref(cfg, sname)}"
            sec = cfg[sname]
            if len(parts) > 2:
                if parts[2] not in sec or parts[2].startswith("."):
                    raise UciError("uci: Entry not found")
                out.append(f"{ref}.{parts[2]}={quote(sec[parts[2]])}")
                continue
            out.append(f"{ref}={sec['.type']}")
            out += [f"{ref}.{k}={quote(v)}" for k, v in sec.items() if not k.startswith(".")]
    return out


def export(configs: dict[str, Config], cname: str) -> list[str]:
    if cname not in configs:
        raise FileNotFoundError(cname)
    out = []
    for sname, sec in configs[cname].items():
        out.append(f"config {sec['.type']}" + ("" if sec.get(".anonymous") else f" '{sname}'"))
        for k, v in sec.items():
            if k.startswith("."):
                continue
            for item in v if isinstance(v, list) else [v]:
                out.append(f"\t{'list' if isinstance(v, list) else 'option'} {k} {quote(item)}")
        out.append("")
    return out


def parse_target(arg: str) -> tuple[list[str], str | None]:
    path, eq, value = arg.partition("=")
    parts = path.split(".")
    if not 2 <= len(parts) <= 3 or not all(parts) or (eq and not value and len(parts) == 2):
        raise UciError("uci: Invalid argument")
    for p in parts:
        if not (NAME_RE.match(p) or re.fullmatch(r"@[A-Za-z0-9_-]+\[-?\d+\]", p)):
            raise UciError("uci: Invalid argument")
    if eq and len(parts) == 2 and not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise UciError("uci: Invalid argument")
    return parts, (value if eq else None)


def uci(state: dict[str, Any], args: list[str]) -> list[str]:
    if not args:
        return ["Usage: uci [<options>] <command> [<arguments>]"]
    cmd, rest = args[0], args[1:]
    if cmd == "show":
        return show(working(state), rest[0] if rest else None)
    if cmd == "get":
        if len(rest) != 1:
            raise UciError("uci: Invalid argument")
        line = show(working(state), rest[0])
        if len(rest[0].split(".")) == 2:
            return [
                working(state)[rest[0].split(".")[0]][
                    resolve_section(working(state)[rest[0].split(".")[0]], rest[0].split(".")[1])
                ][".type"]
            ]
        value = line[0].split("=", 1)[1]
        return [" ".join(shlex.split(value))]
    if cmd in ("set", "add_list", "del_list"):
        if len(rest) != 1 or "=" not in rest[0]:
            raise UciError("uci: Invalid argument")
        parts, parsed = parse_target(rest[0])
        value = str(parsed)
        cfgs = staged(state)
        if parts[0] not in cfgs:
            raise UciError("uci: Invalid argument")
        cfg = cfgs[parts[0]]
        if len(parts) == 2:
            if cmd != "set":
                raise UciError("uci: Invalid argument")
            if parts[1].startswith("@"):
                cfg[resolve_section(cfg, parts[1])][".type"] = str(value)
            elif parts[1] in cfg:
                cfg[parts[1]][".type"] = str(value)
            else:
                cfg[parts[1]] = {".type": str(value)}
            return []
        try:
            sec = cfg[resolve_section(cfg, parts[1])]
        except UciError as exc:
            raise UciError("uci: Invalid argument") from exc
        if cmd == "set":
            sec[parts[2]] = value
        elif cmd == "add_list":
            cur = sec.get(parts[2], [])
            sec[parts[2]] = (cur if isinstance(cur, list) else [cur]) + [value]
        else:
            cur = sec.get(parts[2], [])
            sec[parts[2]] = [v for v in (cur if isinstance(cur, list) else [cur]) if v != value]
        return []
    if cmd == "add":
        if len(rest) != 2 or rest[0] not in working(state) or not NAME_RE.match(rest[1].replace("-", "_")):
            raise UciError("uci: Invalid argument")
        cfg = staged(state)[rest[0]]
        name = f"cfg{len(cfg) + 1:02x}{abs(hash(rest[1])) % 0xFFFF:04x}"
        cfg[name] = {".type": rest[1], ".anonymous": True}
        return [name]
    if cmd == "delete":
        if len(rest) != 1:
            raise UciError("uci: Invalid argument")
        parts, _ = parse_target(rest[0])
        cfgs = staged(state)
        if parts[0] not in cfgs:
            raise UciError("uci: Entry not found")
        cfg = cfgs[parts[0]]
        sname = resolve_section(cfg, parts[1])
        if len(parts) == 2:
            del cfg[sname]
        elif parts[2] in cfg[sname]:
            del cfg[sname][parts[2]]
        else:
            raise UciError("uci: Entry not found")
        return []
    if cmd == "changes":
        return changes(state)
    if cmd == "commit":
        if state["staged"] is not None:
            state["committed"] = state["staged"]
            state["staged"] = None
        return []
    if cmd == "revert":
        state["staged"] = None
        return []
    raise UciError(f"uci: unknown command '{cmd}'" if cmd.isalnum() else "uci: Invalid argument")


def changes(state: dict[str, Any]) -> list[str]:
    """Staged changes as ``uci changes`` lists them: ``-path`` for removals, ``path=value`` for sets."""
    if state["staged"] is None:
        return []
    new_lines = show(state["staged"], None)
    old_lines = set(show(state["committed"], None))
    new_keys = {line.split("=", 1)[0] for line in new_lines}
    removed = [
        f"-{line.split('=', 1)[0]}" for line in show(state["committed"], None) if line.split("=", 1)[0] not in new_keys
    ]
    return removed + [line for line in new_lines if line not in old_lines]


def wifi(state: dict[str, Any], args: list[str]) -> list[str]:
    sub = args[0] if args else "reload"
    if sub in ("reload", "up"):
        for name, sec in state["committed"]["wireless"].items():
            if sec[".type"] != "wifi-device":
                continue
            ch = str(sec.get("channel", "auto"))
            band = sec.get("band", "2g")
            ok = ch == "auto" or (ch.isdigit() and (1 <= int(ch) <= 14 if band == "2g" else 32 <= int(ch) <= 177))
            if not ok:
                return [f"{name}: invalid channel '{ch}' for band {band}", "Command failed: Invalid argument"]
        state["applied"] = {"wireless": copy.deepcopy(state["committed"]["wireless"])}
        state["reloads"] = int(state.get("reloads", 0)) + 1
        return []
    if sub == "status":
        applied = state["applied"]["wireless"]
        status = {
            n: {
                "up": s.get("disabled", "0") != "1",
                "config": {k: v for k, v in s.items() if not k.startswith(".")},
                "interfaces": [
                    {"section": i, "config": {"ssid": x.get("ssid"), "mode": x.get("mode")}}
                    for i, x in applied.items()
                    if x.get("device") == n
                ],
            }
            for n, s in applied.items()
            if s[".type"] == "wifi-device"
        }
        return json.dumps(status, indent=1).splitlines()
    return ["Usage: /sbin/wifi [config|up|down|reconf|reload|status|isup]"]


def commands(line: str) -> list[str]:
    """The commands of a shell line, split at ``;`` outside quotes (as ash does; a quoted ``;`` stays)."""
    parts, current, quote, escaped = [], [], "", False
    for char in line:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


class SessionDrops(Exception):
    """``sysupgrade`` began: print ``lines``, then the session ends (the AP reboots)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.lines = lines


def upload(dev: Device, path: str, stdin: BinaryIO | None) -> tuple[list[str], int]:
    """``cat > /tmp/NAME``: store the bytes sent on stdin, at most :data:`MAX_UPLOAD` of them."""
    target = dev.tmp_file(path)
    if target is None:
        return [f"-ash: can't create {path}: Read-only file system"], 1
    if stdin is None:
        return ["-ash: cat: send the file on an exec channel"], 1
    part = target.with_name(target.name + ".part")
    size, full = 0, False
    with open(part, "wb") as fh:
        for _ in range(MAX_UPLOAD // 65536 + 2):
            chunk = stdin.read(65536)
            size += len(chunk)
            full = size > MAX_UPLOAD
            if not chunk or full:
                break
            fh.write(chunk)
    if full:
        part.unlink()
        return ["cat: write error: No space left on device"], 1
    os.replace(part, target)
    return [], 0


def sha256sum(dev: Device, paths: list[str]) -> tuple[list[str], int]:
    out, rc = [], 0
    for path in paths:
        file = dev.tmp_file(path)
        if file is None or not file.is_file():
            out.append(f"sha256sum: {path}: No such file or directory")
            rc = 1
            continue
        digest = hashlib.sha256()
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        out.append(f"{digest.hexdigest()}  {path}")
    return out, rc


def image_header(file: Path) -> tuple[str, str, str] | None:
    """(platform, version, target) of a simulator image, None when ``file`` is none."""
    with open(file, "rb") as fh:
        parts = fh.readline(256).decode("ascii", "replace").split()
    if len(parts) != 4 or parts[0] != IMAGE_MAGIC:
        return None
    return parts[1], parts[2], parts[3]


def sysupgrade(dev: Device, state: dict[str, Any], args: list[str]) -> tuple[list[str], int, bool]:
    """Check the image (``-T``: only that) and install it; the last item: the session drops now."""
    flags = [a for a in args if a.startswith("-")]
    paths = [a for a in args if not a.startswith("-")]
    if len(paths) != 1 or set(flags) - {"-T", "-n"}:
        return ["Usage: sysupgrade [-T] [-n] <image file>"], 1, False
    file = dev.tmp_file(paths[0])
    if file is None or not file.is_file():
        return ["Image file not found."], 1, False
    header = image_header(file)
    if header is None:
        return ["Image metadata not present", "Image check failed."], 1, False
    platform, version, target = header
    if platform != "openwrt" or target != TARGET:
        return [f"Device {TARGET} not supported by this image", f"Supported devices: {platform} {target}",
                "Image check failed."], 1, False
    if "-T" in flags:
        return [], 0, False
    if "-n" in flags:
        fresh = initial_state(dev.name)
        state.update(committed=fresh["committed"], staged=None, applied=fresh["applied"], hostname=dev.name)
    state["release"] = version
    state["rebooting_until"] = time.time() + REBOOT_S
    state["upgrades"] = int(state.get("upgrades") or 0) + 1
    dev.clear_tmp()
    return ["Commencing upgrade. Closing all shell sessions."], 0, True


def drop_session() -> None:
    """End the SSH connection as a rebooting AP does: the user's sshd process for this connection goes
    away. Only under sshd (run directly, e.g. by a unit test, nothing is signalled)."""
    if not os.environ.get("SSH_CONNECTION"):
        return
    pid = os.getppid()
    for _ in range(3):  # python <- (a shell) <- the connection's sshd
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if stat[stat.index("(") + 1:stat.rindex(")")].startswith("sshd"):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            return
        pid = int(stat[stat.rindex(")") + 2:].split()[1])


def run_command(dev: Device, line: str, stdin: BinaryIO | None = None) -> tuple[list[str], int]:
    try:
        argv = shlex.split(line)
    except ValueError:
        return ["-ash: syntax error: unterminated quoted string"], 2
    if not argv:
        return [], 0
    cmd = argv[0]
    if cmd == "cat" and argv[1:2] == [">"] and len(argv) == 3:
        return upload(dev, argv[2], stdin)
    if cmd == "cat" and len(argv) == 2 and argv[1].startswith(">"):
        return upload(dev, argv[1][1:], stdin)
    if cmd in ("sysupgrade", "/sbin/sysupgrade"):
        with dev.state() as state:
            out, rc, drops = sysupgrade(dev, state, argv[1:])
        if drops:
            raise SessionDrops(out)
        return out, rc
    with dev.state() as state:
        try:
            if cmd == "uci":
                return uci(state, argv[1:]), 0
            if cmd in ("wifi", "/sbin/wifi"):
                wifi_out = wifi(state, argv[1:])
                return wifi_out, 1 if wifi_out and wifi_out[-1].startswith("Command failed") else 0
        except UciError as exc:
            return [str(exc)], 1
        if cmd == "cat":
            out: list[str] = []
            for path in argv[1:]:
                if path == "/etc/openwrt_release":
                    out += release_text(str(state.get("release") or FIRST_RELEASE)).splitlines()
                elif path.startswith("/etc/config/"):
                    try:
                        out += export(state["committed"], path.rsplit("/", 1)[1])
                    except FileNotFoundError:
                        return [f"cat: can't open '{path}': No such file or directory"], 1
                else:
                    return [f"cat: can't open '{path}': No such file or directory"], 1
            return out, 0
        if cmd == "hostname":
            return [hostname(state)], 0
        if cmd == "uname":
            return [
                f"Linux {hostname(state)} 5.15.167 #0 SMP Mon Sep 23 12:34:46 2024 mips GNU/Linux"
                if "-a" in argv
                else "Linux"
            ], 0
        if cmd == "echo":
            return [" ".join(argv[1:])], 0
        if cmd == "/etc/init.d/system" and argv[1:] == ["reload"]:
            state["hostname"] = sysname(state)
            return [], 0
        if cmd in ("true", ":"):
            return [], 0
        if cmd == "sha256sum":
            return sha256sum(dev, argv[1:])
        return [f"-ash: {cmd}: not found"], 127


def sysname(state: dict[str, Any]) -> str:
    for sec in state["committed"]["system"].values():
        if sec[".type"] == "system":
            return str(sec.get("hostname", "OpenWrt"))
    return "OpenWrt"


def hostname(state: dict[str, Any]) -> str:
    return str(state.get("hostname") or sysname(state))


def which_ap(state_dir: Path) -> str:
    local = (os.environ.get("SSH_CONNECTION") or "").split()
    try:
        aps = json.loads((state_dir / "aps.json").read_text())
    except (OSError, ValueError):
        aps = {}
    if len(local) < 3 or local[2] not in aps:
        print("netctl lab simulator: no AP configured for this address", file=sys.stderr)
        raise SystemExit(1)
    return str(aps[local[2]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args()
    dev = Device(args.state_dir, which_ap(args.state_dir))
    with dev.state() as state:
        host = hostname(state)
        version = str(state.get("release") or FIRST_RELEASE)
        rebooting = time.time() < float(state.get("rebooting_until") or 0)
    if rebooting:
        print("netctl lab simulator: the AP is rebooting", file=sys.stderr)
        return 255
    original = os.environ.get("SSH_ORIGINAL_COMMAND")
    try:
        if original:
            return exec_commands(dev, original)
        return shell(dev, host, version)
    except SessionDrops as drop:
        for line in drop.lines:
            print(line)
        sys.stdout.flush()
        drop_session()
        return 255


def exec_commands(dev: Device, original: str) -> int:
    """One command line sent on an exec channel (its stdin is the channel's)."""
    rc = 0
    for part in commands(original):
        out, rc = run_command(dev, part.strip(), sys.stdin.buffer)
        for line in out:
            print(line)
    return rc


def shell(dev: Device, host: str, version: str) -> int:
    """The interactive shell (a pty): a prompt, one line at a time."""
    print(f"\nBusyBox v1.36.1 (2024-09-23 12:34:46 UTC) built-in shell (ash)\n\n"
          f"  OpenWrt {version} (netctl lab simulator)\n")
    for _ in range(100000):
        sys.stdout.write(f"root@{host}:~# ")
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            break
        line = line.strip()
        if line in ("exit", "logout"):
            break
        for part in commands(line):
            out, _rc = run_command(dev, part.strip())
            for text in out:
                print(text)
        with dev.state() as state:
            host = hostname(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
