"""Pure planning for drivers: masking, canonical comparison, diffs and undo of configs, by dialect.

Nothing here talks to a device or the database; drivers sequence their I/O around these functions
and the push layer (:mod:`netctl.push`) calls them for diffs, restores and backups. A diff is
always computed on the real values (so a changed passphrase counts as a change) and shown masked
(so no diff, audit row or screen ever holds a secret). A platform's definition names its dialect
(``dialect`` in :mod:`netctl.platforms`):

    xml   NETCONF subtrees, compared as canonical leaf paths (netctl.render.schema.flatten)
    uci   OpenWrt ``uci set`` commands against ``uci show`` output, compared per option
    ios   IOS configuration blocks against ``show running-config``, compared per block line
    vrp   Huawei VRP views nested by indentation against ``display current-configuration``, compared
          per line path (a command that holds one value, such as ``service-vlan``, is keyed by its name)
    zxros ZTE ZXROS modes nested by indentation and closed by ``$`` against ``show running-config``,
          compared per line path like vrp; a trunk's VLAN list is a set (``10,20-22``), which a push
          first prunes of what the intended list lacks (``switchport trunk vlan`` only adds)

A targeted change (:mod:`netctl.push.targeted`) is a partial config: :func:`partial_compare` looks
only at what it names, and :func:`missing` says what it names that the AP does not have.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree

from netctl.errors import DeviceError
from netctl.platforms import find_platform
from netctl.render.schema import flatten, vlan_list, vlan_set
from netctl.secretrefs import MASK

#: IOS commands that hold one value (undo = send the old line again)
SINGLE_LINE_COMMANDS = frozenset({"hostname", "ip", "ntp", "logging", "snmp-server", "banner"})

@dataclass(frozen=True)
class ConfigDiff:
    """Intended vs running: whether they differ, and a masked human-readable diff."""

    changed: bool
    text: str
    kind: str  # "structural" (xml) or "unified" (cli)
    secrets_differ: bool = False


def dialect(platform: str) -> str:
    """The config dialect of ``platform`` (xml for a platform netctl does not know)."""
    definition = find_platform(platform)
    return definition.dialect if definition else "xml"


# -- masking ---------------------------------------------------------------------------------------


def mask(text: str, platform: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with secret values replaced by the mask and volatile lines (timestamps, counters) dropped."""
    definition = find_platform(platform)
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern in definition.secret_patterns if definition else ():
        text = re.sub(pattern, lambda m: m.group(1) + MASK + m.group(3), text, flags=re.MULTILINE)
    volatile = [re.compile(p) for p in (definition.volatile_patterns if definition else ())]
    if volatile:
        text = "\n".join(line for line in text.splitlines() if not any(v.search(line) for v in volatile))
        text = text.rstrip("\n") + "\n"
    return text


def strip_volatile(text: str, platform: str) -> str:
    """Only the volatile lines dropped (for hashing and dedup of backups)."""
    definition = find_platform(platform)
    volatile = [re.compile(p) for p in (definition.volatile_patterns if definition else ())]
    lines = [line.rstrip() for line in text.splitlines() if not any(v.search(line) for v in volatile)]
    return "\n".join(line for line in lines if line).strip() + "\n"


# -- uci -------------------------------------------------------------------------------------------

_UCI_SET = re.compile(r"^uci set (?P<key>[^=\s]+)=(?P<value>.*)$")
_UCI_ADD_LIST = re.compile(r"^uci add_list (?P<key>[^=\s]+)=(?P<value>.*)$")


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


def uci_options(text: str) -> dict[str, str]:
    """``key -> value`` from ``uci set`` commands or from ``uci show`` lines."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _UCI_SET.match(line)
        if m:
            out[m.group("key")] = _unquote(m.group("value"))
        elif m := _UCI_ADD_LIST.match(line):
            key, value = m.group("key"), _unquote(m.group("value"))
            out[key] = f"{out[key]}' '{value}" if key in out else value  # as `uci show` prints a list
        elif "=" in line and not line.startswith("uci "):
            key, _, value = line.partition("=")
            out[key] = _unquote(value)
    return out


def _uci_lines(options: dict[str, str]) -> list[str]:
    return [f"{k}='{v}'" for k, v in sorted(options.items())]


#: first line of a uci config that replaces whole packages (a restore): "# netctl-replace: system wireless"
UCI_REPLACE = "# netctl-replace:"


def uci_replaced(intended: str) -> set[str]:
    """The uci packages ``intended`` replaces entirely (empty for a template's partial config)."""
    first = intended.lstrip().splitlines()[0] if intended.strip() else ""
    return set(first[len(UCI_REPLACE):].split()) if first.startswith(UCI_REPLACE) else set()


def uci_extra(intended: str, running: str) -> dict[str, str]:
    """Options and sections of replaced packages that are running but not in ``intended``."""
    packages = uci_replaced(intended)
    want = uci_options(intended)
    return {k: v for k, v in uci_options(running).items() if k.split(".")[0] in packages and k not in want}


def uci_delete_commands(intended: str, running: str) -> list[str]:
    """``uci delete`` for what a replacing config drops (a dropped section takes its options along)."""
    extra = uci_extra(intended, running)
    sections = {k for k in extra if k.count(".") == 1}
    return [f"uci delete {k}" for k in sorted(extra)
            if k in sections or ".".join(k.split(".")[:2]) not in sections]


def _diff_uci(intended: str, running: str, platform: str, secrets: Sequence[str]) -> ConfigDiff:
    want = uci_options(intended)
    have = uci_options(running)
    relevant = {k: have[k] for k in want if k in have} | uci_extra(intended, running)
    changed = relevant != want
    before = mask("\n".join(_uci_lines(relevant)) + "\n", platform, secrets).splitlines()
    after = mask("\n".join(_uci_lines(want)) + "\n", platform, secrets).splitlines()
    text = "\n".join(difflib.unified_diff(before, after, "running", "intended", lineterm="", n=1))
    return ConfigDiff(changed, text, "unified", secrets_differ=changed and not text)


# -- ios -------------------------------------------------------------------------------------------


def ios_blocks(text: str) -> dict[str, list[str]]:
    """Top-level lines → their indented child lines (``!`` and blank lines dropped)."""
    blocks: dict[str, list[str]] = {}
    header: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip() == "!" or line.strip() in ("end", "exit"):
            if line.strip() == "!":
                header = None
            continue
        if line[0] in " \t":
            if header is not None:
                blocks[header].append(line.strip())
            continue
        header = line.strip()
        blocks.setdefault(header, [])
    return blocks


def _block_lines(blocks: dict[str, list[str]]) -> list[str]:
    return [line for header, children in blocks.items() for line in [header, *(" " + c for c in children)]]


def _diff_ios(intended: str, running: str, platform: str, secrets: Sequence[str]) -> ConfigDiff:
    want = ios_blocks(intended)
    have = ios_blocks(running)
    relevant = {h: have[h] for h in want if h in have}
    changed = any(h not in have or any(c not in have[h] for c in children) for h, children in want.items())
    before = mask("\n".join(_block_lines(relevant)) + "\n", platform, secrets).splitlines()
    merged = {
        h: list(relevant.get(h, [])) + [c for c in want[h] if c not in relevant.get(h, [])] for h in want
    }
    after = mask("\n".join(_block_lines(merged)) + "\n", platform, secrets).splitlines()
    text = "\n".join(difflib.unified_diff(before, after, "running", "intended", lineterm="", n=1))
    return ConfigDiff(changed, text, "unified", secrets_differ=changed and not text)


# -- vrp -------------------------------------------------------------------------------------------

#: VRP commands that hold one value in their view (a new value replaces the old; undo takes the name)
VRP_SINGLE_VALUE = frozenset({"sysname", "security", "ssid", "forward-mode", "service-vlan", "ssid-profile",
                              "security-profile", "ap-name", "ap-group"})

Path = tuple[str, ...]


def vrp_paths(text: str) -> list[Path]:
    """Every configuration line of a VRP config as its path of views (``("wlan", " vap-profile name X",
    "service-vlan vlan-id 10")`` without the indentation); ``#``, ``!`` and ``return`` lines are left out."""
    paths: list[Path] = []
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        word = line.strip()
        if not word or word.startswith("!") or word in ("#", "return"):
            stack = [] if word in ("#", "return") else stack
            continue
        depth = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        path = (*(h for _, h in stack), word)
        if path not in paths:
            paths.append(path)
        stack.append((depth, word))
    return paths


def _vrp_is_block(path: Path) -> bool:
    """A line that creates a profile, AP group or AP (``undo`` removes it with all its lines)."""
    words = path[-1].split()
    return len(words) > 2 and words[1] == "name" or words[0] == "ap-id"


def vrp_key(path: Path) -> Path:
    """What a line sets: lines with the same key replace each other (``service-vlan``, the VAP profile
    of ``wlan 1 radio all``, the MAC of ``ap-id 0``)."""
    words = path[-1].split()
    if _vrp_is_block(path):
        return (*path[:-1], " ".join(words[:2] if words[0] == "ap-id" else words[:3]))
    if words[0] in VRP_SINGLE_VALUE:
        return (*path[:-1], words[0])
    if words[0] == "vap-profile" and len(words) > 2:
        return (*path[:-1], " ".join([words[0], *words[2:]]))
    return path


def _vrp_text(paths: Iterable[Path]) -> str:
    return "".join(" " * (len(p) - 1) + p[-1] + "\n" for p in paths)


def _vrp_opaque(want: list[Path], have: list[Path], platform: str, known: bool) -> tuple[list[Path], list[Path]]:
    """``want`` and ``have`` with each secret the device shows only as cipher text (the platform's
    ``opaque_secret_patterns``, VRP's ``%^%#…%^%#``) masked, and the intended secret of the same line
    (same views, same words around it) masked alike, when ``known``: netctl sent exactly these secrets
    itself (the intended config is the one last applied to the AP, or was sent a moment ago), so it
    takes the cipher text as them. Otherwise a cipher text compares unequal, and a push sends the line.
    A secret changed on the device by hand is not seen."""
    definition = find_platform(platform)
    if not known or definition is None or not definition.opaque_secret_patterns:
        return want, have
    ciphers = [re.compile(p) for p in definition.opaque_secret_patterns]
    patterns = [re.compile(p) for p in definition.secret_patterns]

    def masked(path: Path, opaque: bool) -> Path | None:
        for pattern in patterns:
            m = pattern.match(path[-1])
            if m and (not opaque or any(c.fullmatch(m.group(2)) for c in ciphers)):
                return (*path[:-1], m.group(1) + MASK + m.group(3))
        return None

    shown = {p: m for p in have if (m := masked(p, True)) is not None}
    hidden = set(shown.values())
    have = [shown.get(p, p) for p in have]
    want = [m if (m := masked(p, False)) in hidden else p for p in want]
    return want, have


def _diff_vrp(intended: str, running: str, platform: str, secrets: Sequence[str], *,
              secrets_applied: bool = False) -> ConfigDiff:
    want, have = _vrp_opaque(vrp_paths(intended), vrp_paths(running), platform, secrets_applied)
    changed = any(p not in have for p in want)
    keys = {vrp_key(p) for p in want}
    before = mask(_vrp_text(sorted(p for p in have if vrp_key(p) in keys)), platform, secrets).splitlines()
    after = mask(_vrp_text(sorted(want)), platform, secrets).splitlines()
    text = "\n".join(difflib.unified_diff(before, after, "running", "intended", lineterm="", n=1))
    return ConfigDiff(changed, text, "unified", secrets_differ=changed and not text)


def _vrp_undo(backup: str, intended: str) -> list[str]:
    """VRP commands that take back what ``intended`` added to ``backup``: first the old values of lines
    it changed, then removals last line first (an AP before its group, a group before the VAP profile
    it binds: VRP refuses to remove what is in use; a line the AC never took fails last)."""
    old = vrp_paths(backup)
    old_by_key = {vrp_key(p): p for p in old}
    new = [p for p in vrp_paths(intended) if p not in old]
    removed = {p for p in new if _vrp_is_block(p) and vrp_key(p) not in old_by_key}
    views = {p[:i] for p in new for i in range(1, len(p))}
    back: list[tuple[Path, str]] = []
    undo: list[tuple[Path, str]] = []
    for path in reversed(new):
        if any(path[:i] in removed for i in range(1, len(path))) or path in views and path not in removed:
            continue  # inside a block that goes as a whole, or a view such as ``wlan`` (nothing to undo)
        words = path[-1].split()
        if path in removed:
            undo.append((path, "undo " + " ".join(words[:2] if words[0] == "ap-id" else words)))
        elif vrp_key(path) in old_by_key:
            back.append((path, old_by_key[vrp_key(path)][-1]))
        else:
            undo.append((path, "undo " + (words[0] if words[0] in VRP_SINGLE_VALUE else path[-1])))
    cmds: list[str] = []
    for path, line in back[::-1] + undo:
        cmds += [" " * i + view for i, view in enumerate(path[:-1])] + [" " * (len(path) - 1) + line]
    return cmds


def _vrp_restored(backup: str, running: str, intended: str) -> bool:
    old = {vrp_key(p): p for p in vrp_paths(backup)}
    now = {vrp_key(p): p for p in vrp_paths(running)}
    return all(old.get(vrp_key(p)) == now.get(vrp_key(p)) for p in vrp_paths(intended))


# -- zxros -----------------------------------------------------------------------------------------

#: ZXROS commands that hold one value in their mode (a new value replaces the old; undo: the old line,
#: or ``no`` and the command)
ZXROS_SINGLE_VALUE = ("hostname", "description", "name", "switchport mode", "switchport access vlan",
                      "switchport trunk native vlan", "shutdown")
#: the one ZXROS command whose value is a set: each line adds VLANs to the trunk, ``no`` takes them away
ZXROS_TRUNK = "switchport trunk vlan"
#: lines that enter a mode (their children follow, indented, and a ``$`` closes it)
ZXROS_MODES = ("interface ", "vlan ", "switchvlan-configuration")


def _zxros_line(word: str) -> str:
    """A line in canonical form: single spaces, a trunk's VLANs sorted with runs as ranges."""
    word = " ".join(word.split())
    if word.startswith(ZXROS_TRUNK + " ") and (vlans := vlan_set(word[len(ZXROS_TRUNK) + 1:])):
        return f"{ZXROS_TRUNK} {vlan_list(vlans)}"
    return word


def zxros_paths(text: str) -> list[Path]:
    """Every configuration line of a ZXROS config as its path of modes (``("switchvlan-configuration",
    "interface gei-1/1/1/1", "switchport mode trunk")``) without the indentation; ``$`` (end of a mode),
    ``!`` lines (ZXROS's ``!<section>`` markers and comments) and ``end`` are left out."""
    paths: list[Path] = []
    seen: set[Path] = set()
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        word = line.strip()
        if not word or word.startswith("!") or word in ("$", "end"):
            continue
        depth = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        word = _zxros_line(word)
        path = (*(h for _, h in stack), word)
        if path not in seen:
            seen.add(path)
            paths.append(path)
        stack.append((depth, word))
    return paths


def zxros_key(path: Path) -> Path:
    """What a line sets: lines with the same key replace each other (``description``, ``switchport mode``,
    ``shutdown`` / ``no shutdown``, the trunk's VLAN list); any other line is its own key."""
    line = path[-1]
    bare = line[3:] if line.startswith("no ") else line
    for key in (*ZXROS_SINGLE_VALUE, ZXROS_TRUNK):
        if bare == key or bare.startswith(key + " "):
            return (*path[:-1], key)
    return path


def _zxros_default(path: Path) -> bool:
    """A line that sets a command back to the switch's default (``no switchport mode``, ``no description``):
    the running config shows no line for it, so it holds when the command has no line there."""
    key = zxros_key(path)
    return path[-1].startswith("no ") and key != path and key[-1] not in ("shutdown", ZXROS_TRUNK)


def _zxros_holds(path: Path, have: set[Path], have_keys: set[Path]) -> bool:
    """Whether a running config with lines ``have`` (keys ``have_keys``) holds the intended line ``path``."""
    return zxros_key(path) not in have_keys if _zxros_default(path) else path in have


def _zxros_vlans(path: Path) -> set[int]:
    return vlan_set(path[-1][len(ZXROS_TRUNK) + 1:]) or set()


def _zxros_is_vlan_block(path: Path) -> bool:
    """``vlan N`` in switchvlan-configuration: a VLAN, created by the line and removed by ``no vlan N``."""
    words = path[-1].split()
    return (len(path) == 2 and path[0] == "switchvlan-configuration" and len(words) == 2 and words[0] == "vlan"
            and words[1].isdigit() and 1 <= int(words[1]) <= 4094)


def _zxros_text(paths: Iterable[Path]) -> str:
    return "".join("  " * (len(p) - 1) + p[-1] + "\n" for p in paths)


def _zxros_script(items: Sequence[tuple[Path, str | None]]) -> list[str]:
    """Lines to type: each item's modes entered (only where the previous item left others), its line,
    and a ``$`` for every mode left, so the session ends where it began (ZXROS runs a line only in its
    own mode). An item whose line is None only enters its modes (an empty VLAN is created so)."""
    commands: list[str] = []
    open_modes: list[str] = []
    for modes, line in items:
        common = 0
        while common < min(len(open_modes), len(modes)) and open_modes[common] == modes[common]:
            common += 1
        commands += ["  " * depth + "$" for depth in range(len(open_modes) - 1, common - 1, -1)]
        commands += ["  " * depth + modes[depth] for depth in range(common, len(modes))]
        open_modes = list(modes)
        if line is not None:
            commands.append("  " * len(modes) + line)
    return commands + ["  " * depth + "$" for depth in range(len(open_modes) - 1, -1, -1)]


def _zxros_negation(path: Path) -> str | None:
    """The line that takes ``path``'s line back to the switch's default; None for ``no shutdown`` (netctl never
    shuts a port down to take a line back: a port without the line is not shut down either)."""
    line, key = path[-1], zxros_key(path)[-1]
    if line == "no shutdown":
        return None
    if line.startswith("no "):
        return line[3:]
    if key in ("shutdown", ZXROS_TRUNK):
        return "no " + line
    return "no " + key


def _zxros_ports(paths: Iterable[Path]) -> set[str]:
    """The switch's ports (``show running-config`` lists every one, configured or not)."""
    return {p[0] for p in paths if len(p) == 1 and p[0].startswith("interface ")}


def _zxros_reachable(path: Path, ports: set[str]) -> bool:
    """Whether ``path`` names only ports the switch has (a line for another port was refused)."""
    return not ports or all(mode in ports for mode in path if mode.startswith("interface "))


def _diff_zxros(intended: str, running: str, platform: str, secrets: Sequence[str]) -> ConfigDiff:
    want, have = zxros_paths(intended), zxros_paths(running)
    have_set, have_keys = set(have), {zxros_key(p) for p in have}
    changed = not all(_zxros_holds(p, have_set, have_keys) for p in want)
    keys = {zxros_key(p) for p in want}
    # a default line that holds is shown on both sides (the running config has no line for it)
    shown = [p for p in have if zxros_key(p) in keys]
    shown += [p for p in want if _zxros_default(p) and _zxros_holds(p, have_set, have_keys)]
    before = mask(_zxros_text(sorted(shown)), platform, secrets).splitlines()
    after = mask(_zxros_text(sorted(want)), platform, secrets).splitlines()
    text = "\n".join(difflib.unified_diff(before, after, "running", "intended", lineterm="", n=1))
    return ConfigDiff(changed, text, "unified", secrets_differ=changed and not text)


def zxros_prune_commands(intended: str, running: str) -> list[str]:
    """What a push sends before ``intended``: ``no switchport trunk vlan …`` for the VLANs a trunk carries
    beyond the intended list (``switchport trunk vlan`` only adds, so they would stay)."""
    have = {zxros_key(p): p for p in zxros_paths(running)}
    items: list[tuple[Path, str | None]] = []
    for path in zxros_paths(intended):
        key = zxros_key(path)
        if key[-1] == ZXROS_TRUNK and key in have:
            extra = _zxros_vlans(have[key]) - _zxros_vlans(path)
            if extra:
                items.append((path[:-1], f"no {ZXROS_TRUNK} {vlan_list(extra)}"))
    return _zxros_script(items)


def _zxros_undo(backup: str, intended: str) -> list[str]:
    """ZXROS lines that take back what ``intended`` changed in ``backup``: first the old values of lines it
    changed, then ``no`` for what it added, last line first (a port's VLANs before the VLAN). Lines for a
    port the switch does not have, and lines netctl does not know how to take back, are left out: the
    switch refused them, and the read-back decides."""
    old = zxros_paths(backup)
    old_set = set(old)
    old_by_key = {zxros_key(p): p for p in old}
    ports = _zxros_ports(old)
    new = [p for p in zxros_paths(intended) if p not in old_set]
    removed = {p for p in new if _zxros_is_vlan_block(p)}
    back: list[tuple[Path, str | None]] = []
    undo: list[tuple[Path, str | None]] = []
    for path in reversed(new):
        key = zxros_key(path)
        if any(path[:i] in removed for i in range(1, len(path))) or not _zxros_reachable(path, ports):
            continue
        if path in removed:
            undo.append((path[:-1], "no " + path[-1]))
        elif key == path:
            continue  # a mode (switchvlan-configuration, a port), or a line netctl cannot take back
        elif key[-1] == ZXROS_TRUNK:
            was = _zxros_vlans(old_by_key[key]) if key in old_by_key else set()
            now = _zxros_vlans(path)
            if now - was:
                undo.append((path[:-1], f"no {ZXROS_TRUNK} {vlan_list(now - was)}"))
            if was - now:  # the push pruned them
                back.append((path[:-1], f"{ZXROS_TRUNK} {vlan_list(was - now)}"))
        elif key in old_by_key:
            back.append((path[:-1], old_by_key[key][-1]))
        elif not _zxros_default(path) and (negation := _zxros_negation(path)):
            undo.append((path[:-1], negation))  # (a default line where the switch had the default: nothing)
    return _zxros_script(back[::-1] + undo)


def _zxros_replace(target: str, running: str) -> list[str]:
    """For a restore: what takes away the VLANs and settings ``running`` has beyond ``target`` (``no vlan
    40``, ``no description``, the trunk VLANs the stored version lacks), sent before ``target``."""
    want = zxros_paths(target)
    want_set, want_keys = set(want), {zxros_key(p) for p in want}
    items: list[tuple[Path, str | None]] = []
    vlans: list[tuple[Path, str | None]] = []  # removed last: no port may still name them
    gone: set[Path] = set()
    for path in zxros_paths(running):
        key = zxros_key(path)
        if any(path[:i] in gone for i in range(1, len(path))):
            continue
        if _zxros_is_vlan_block(path) and path not in want_set and path[-1] != "vlan 1":
            gone.add(path)
            vlans.append((path[:-1], "no " + path[-1]))
        elif key != path and key not in want_keys and key[-1] != "hostname":
            if negation := _zxros_negation(path):
                items.append((path[:-1], negation))
        elif key[-1] == ZXROS_TRUNK and key in want_keys:
            extra = _zxros_vlans(path) - set().union(*(_zxros_vlans(p) for p in want if zxros_key(p) == key))
            if extra:
                items.append((path[:-1], f"no {ZXROS_TRUNK} {vlan_list(extra)}"))
    return _zxros_script(items + vlans)


def _zxros_restore(backup: str) -> str:
    """A stored ZXROS config as the lines that restore it: every setting in its modes, each mode closed."""
    paths = zxros_paths(backup)
    parents = {p[:i] for p in paths for i in range(1, len(p))}
    items: list[tuple[Path, str | None]] = []
    for path in paths:
        if path in parents or (len(path) == 1 and path[0].startswith("interface ")):
            continue  # a mode with settings (entered for them), or a port with none
        if path[-1].startswith(ZXROS_MODES):
            items.append((path, None))  # an empty mode that is configuration itself (a VLAN without a name)
        else:
            items.append((path[:-1], path[-1]))
    return "\n".join(_zxros_script(items)) + "\n"


def _zxros_restored(backup: str, running: str, intended: str) -> bool:
    old = {zxros_key(p): p for p in zxros_paths(backup)}
    now = {zxros_key(p): p for p in zxros_paths(running)}
    return all(old.get(zxros_key(p)) == now.get(zxros_key(p)) for p in zxros_paths(intended))


# -- xml -------------------------------------------------------------------------------------------


def structural_diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Lines ``+ path = value``, ``- path = value``, ``~ path: old -> new`` (sorted by path)."""
    lines = []
    for path in sorted(set(before) | set(after)):
        if path not in before:
            lines.append(f"+ {path} = {after[path]}")
        elif path not in after:
            lines.append(f"- {path} = {before[path]}")
        elif before[path] != after[path]:
            lines.append(f"~ {path}: {before[path]} -> {after[path]}")
    return lines


def _diff_xml(intended: str, running: str, platform: str, secrets: Sequence[str]) -> ConfigDiff:
    want = flatten(intended, platform) if intended.strip() else {}
    have = flatten(running, platform) if running.strip() else {}
    changed = want != have
    masked_want = flatten(mask(intended, platform, secrets), platform) if intended.strip() else {}
    masked_have = flatten(mask(running, platform, secrets), platform) if running.strip() else {}
    text = "\n".join(structural_diff(masked_have, masked_want))
    return ConfigDiff(changed, text, "structural", secrets_differ=changed and not text)


_DIFFS = {"xml": _diff_xml, "uci": _diff_uci, "ios": _diff_ios, "vrp": _diff_vrp, "zxros": _diff_zxros}


def compare(intended: str, running: str, platform: str, secrets: Sequence[str] = (), *,
            secrets_applied: bool = False) -> ConfigDiff:
    """Intended vs running for ``platform``. A changed secret shows as ``(secret values differ)``.

    ``secrets_applied``: netctl itself put the intended secrets on the device (this intended config was
    the last one applied, or was just sent), so a secret the device shows only as cipher text (the
    platform's ``opaque_secret_patterns``) is taken as the intended one; without it, it is a change.

    Raises DeviceError when a config is not well-formed XML (an AP answering garbage; callers turn it
    into that AP's failure).
    """
    try:
        if dialect(platform) == "vrp":
            result = _diff_vrp(intended, running, platform, secrets, secrets_applied=secrets_applied)
        else:
            result = _DIFFS[dialect(platform)](intended, running, platform, secrets)
    except etree.XMLSyntaxError as exc:
        raise DeviceError(f"the running config cannot be compared: it is not well-formed XML ({exc})",
                          hint="read it with: netctl backup AP, or over the AP's own NETCONF session") from exc
    if result.secrets_differ:
        return ConfigDiff(True, "(secret values differ)", result.kind, True)
    return result


def unified(before: str, after: str, a: str = "before", b: str = "after") -> str:
    """A plain unified diff of two texts (for show-config/history comparisons)."""
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), a, b, lineterm=""))


# -- restore ---------------------------------------------------------------------------------------


def restore_commands(backup: str, platform: str) -> str:
    """Turn a stored running config into the commands a CLI push sends to restore it."""
    kind = dialect(platform)
    if kind == "uci":
        options = uci_options(backup)
        commands = [f"{UCI_REPLACE} {' '.join(sorted({k.split('.')[0] for k in options}))}"]
        for key, value in sorted(options.items()):
            try:
                items = shlex.split(f"'{value}'")
            except ValueError:
                items = [value]
            commands.append(f"uci set {key}='{items[0] if items else ''}'")
            commands.extend(f"uci add_list {key}='{item}'" for item in items[1:])  # a uci list option
        return "\n".join(commands) + "\n"
    if kind == "ios":
        return "\n".join(_block_lines(_restorable_blocks(backup, platform))) + "\n"
    if kind == "vrp":
        return _vrp_text(vrp_paths(strip_volatile(backup, platform)))
    if kind == "zxros":
        return _zxros_restore(strip_volatile(backup, platform))
    return backup


def _restorable_blocks(text: str, platform: str) -> dict[str, list[str]]:
    """The blocks of a stored IOS-style config that are configuration (no banner lines of ``show``)."""
    return {
        h: c
        for h, c in ios_blocks(strip_volatile(text, platform)).items()
        if not h.startswith(("version ", "Building", "Current configuration", "end"))
    }


def replace_commands(target: str, running: str, platform: str) -> list[str]:
    """For a restore over an IOS-style CLI: what takes away the blocks and lines ``running`` has beyond
    ``target`` (``no vlan 40``, ``default interface …``, `` no description …``), sent before ``target``.

    zxros: ``no vlan N``, ``no description`` …, and the trunk VLANs ``target`` lacks (:func:`_zxros_replace`).
    Other dialects need none: uci restores replace whole packages, NETCONF replaces the datastore.
    """
    if dialect(platform) == "zxros":
        return _zxros_replace(target, running)
    if dialect(platform) != "ios":
        return []
    want = _restorable_blocks(target, platform)
    have = _restorable_blocks(running, platform)
    commands = undo_commands("\n".join(_block_lines(want)), "\n".join(_block_lines(have)), platform)
    # a bare header the stored version has anyway (e.g. its hostname) is sent with it: not an undo
    return [c for i, c in enumerate(commands)
            if c.startswith(" ") or c not in want or commands[i + 1:i + 2] and commands[i + 1].startswith(" ")]


def prepare_commands(intended: str, running: str, platform: str) -> list[str]:
    """What a CLI push sends before ``intended`` so that the device ends up holding exactly it, where a
    line of the dialect only adds (zxros: the trunk VLANs beyond the intended list); [] for the others."""
    if dialect(platform) == "zxros":
        return zxros_prune_commands(intended, running)
    return []


def undo_commands(backup: str, intended: str, platform: str) -> list[str]:
    """Commands that put back what ``intended`` changed, from the ``backup`` taken before (CLI only).

    uci: options the push set go back to their old value or are deleted; ios: blocks the push added
    are removed (``no vlan 20``, ``default interface …``) and changed blocks get their old lines back;
    vrp and zxros: changed lines get their old value, added ones are removed (:func:`_zxros_undo`).
    """
    kind = dialect(platform)
    if kind == "uci":
        old, new = uci_options(backup), uci_options(intended)
        cmds = []
        for key in new:
            if key in old:
                cmds.append(f"uci set {key}='{old[key]}'")
            else:
                cmds.append(f"uci delete {key}")
        return cmds
    if kind == "ios":
        old_blocks, new_blocks = ios_blocks(backup), ios_blocks(intended)
        cmds = []
        for header, children in new_blocks.items():
            if header not in old_blocks:
                word = header.split()[0]
                previous = next((h for h in old_blocks if h.split()[0] == word), None)
                if header.startswith("interface "):
                    cmds.append("default " + header)
                elif not children and word in SINGLE_LINE_COMMANDS and previous is not None:
                    cmds.append(previous)
                else:
                    cmds.append("no " + header)
                continue
            old_children = old_blocks[header]
            added = [c for c in children if c not in old_children]
            if added or header.startswith("hostname"):
                cmds.append(header)
                cmds.extend(" no " + c for c in added)
                cmds.extend(" " + c for c in old_children)
        return cmds
    if kind == "vrp":
        return _vrp_undo(backup, intended)
    if kind == "zxros":
        return _zxros_undo(backup, intended)
    return []


def is_restored(backup: str, running: str, intended: str, platform: str) -> bool:
    """Whether everything ``intended`` touched is back as it was in ``backup`` (CLI dialects)."""
    kind = dialect(platform)
    if kind == "uci":
        old, now = uci_options(backup), uci_options(running)
        return all(old.get(key) == now.get(key) for key in uci_options(intended))
    if kind == "ios":
        old_blocks, now_blocks = ios_blocks(backup), ios_blocks(running)
        return all(old_blocks.get(h) == now_blocks.get(h) for h in ios_blocks(intended))
    if kind == "vrp":
        return _vrp_restored(backup, running, intended)
    if kind == "zxros":
        return _zxros_restored(backup, running, intended)
    return False


# -- targeted changes ------------------------------------------------------------------------------


def _leaf(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _named(intended: str, platform: str) -> dict[str, str]:
    """The leaves ``intended`` names itself (not the model defaults ``flatten`` fills in)."""
    return {
        path: value
        for path, value in flatten(intended, platform).items()
        if re.search(rf"<(?:[\w.-]+:)?{re.escape(_leaf(path))}[\s/>]", intended)
    }


def missing(intended: str, running: str, platform: str) -> list[str]:
    """What a partial config names that the AP does not have (paths or uci options), sorted.

    A merge would create it (an SSID with only a name and a state); a targeted change refuses it.
    """
    if dialect(platform) == "xml":
        have = flatten(running, platform) if running.strip() else {}
        return sorted(p for p in _named(intended, platform) if p not in have)
    have_uci = uci_options(running)
    return sorted(k for k in uci_options(intended) if k not in have_uci)


def partial_compare(intended: str, running: str, platform: str, secrets: Sequence[str] = ()) -> ConfigDiff:
    """Intended vs running for the leaves ``intended`` names only (masked, as :func:`compare`)."""
    if dialect(platform) != "xml":
        return compare(intended, running, platform, secrets)  # uci and ios compare what is named already
    want = _named(intended, platform)
    have = flatten(running, platform) if running.strip() else {}
    relevant = {path: have[path] for path in want if path in have}
    changed = relevant != want
    masked_have = flatten(mask(running, platform, secrets), platform) if running.strip() else {}
    before = {path: masked_have[path] for path in relevant if path in masked_have}
    text = "\n".join(structural_diff(before, want))
    return ConfigDiff(changed, text, "structural")
