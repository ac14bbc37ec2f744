"""Local checks of rendered configs and their canonical form (pure functions).

What differs by platform is data in its definition (:mod:`netctl.platforms`): list keys, model
defaults, leaf-lists ordered by user, and which local check of :data:`CHECKS` applies.

The checks mirror what the AP's YANG model would reject (``yang/netctl-wlan-ap.yang`` for
``netconf-wlan``, the OpenConfig WiFi models for ``openconfig-wlan``), so a bad value is caught
before anything is sent. The canonical form (a flat ``path -> value`` map with list keys in the
path and model defaults filled in) is what diffs and read-back checks compare, so element order,
whitespace and namespace prefixes never show up as a change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from netctl.platforms import NWAP_NS, find_platform

_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


def parse_fragment(text: str) -> Any:
    """Parse one or more top-level XML elements under a synthetic root. Raises etree.XMLSyntaxError."""
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    return etree.fromstring(f"<root>{body}</root>".encode(), _PARSER)


#: the ``[key=value,…]`` part of a path; ``\``, ``]`` and ``,`` in a key value are escaped with ``\``
_KEY = r"\[(?:[^\]\\]|\\.)*\]"


def _escape_key(value: str) -> str:
    return re.sub(r"([\\\],])", r"\\\1", value)


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _value(el: Any) -> str:
    text = (el.text or "").strip()
    if ":" in text:
        prefix, _, rest = text.partition(":")
        if prefix in (el.nsmap or {}):
            return rest  # identityref: the prefix is only a spelling of the module
    return text


def flatten(text: str, platform: str) -> dict[str, str]:
    """Canonical ``path -> value`` map of an XML config; leaf-lists become sorted ``a, b`` values."""
    definition = find_platform(platform)
    keys = definition.list_keys if definition else {}
    ordered = definition.ordered_by_user if definition else frozenset()
    defaults = definition.model_defaults if definition else {}
    root = parse_fragment(text)
    out: dict[str, list[str]] = {}
    #: each path without its list keys (what ``ordered_by_user`` names)
    bare_of: dict[str, str] = {}
    #: the entries of each list that has model defaults: ``{"ap/radio": {"ap/radio[id=radio0]", …}}``
    entries: dict[str, set[str]] = {}

    def walk(el: Any, prefix: str, bare: str) -> None:
        tag = el.tag
        name = tag[tag.rfind("}") + 1 :]
        children = list(el.iterchildren(etree.Element))
        if not children:
            path = prefix + name
            values = out.get(path)
            if values is None:
                out[path] = [_value(el)]
                bare_of[path] = bare + name
            else:
                values.append(_value(el))
            return
        seg = name
        if name in keys:
            parts = []
            for key in keys[name]:
                key_el = next((c for c in children if c.tag[c.tag.rfind("}") + 1 :] == key), None)
                key_value = _value(key_el) if key_el is not None else "?"
                parts.append(f"{key}={_escape_key(key_value)}")
            seg = f"{name}[{','.join(parts)}]"
            if prefix + name in defaults:
                entries.setdefault(prefix + name, set()).add(prefix + seg)
        prefix, bare = f"{prefix}{seg}/", f"{bare}{name}/"
        for child in children:
            walk(child, prefix, bare)

    for top in root.iterchildren(etree.Element):
        walk(top, "", "")
    flat = {path: values[0] if len(values) == 1 else ", ".join(values if bare_of[path] in ordered else sorted(values))
            for path, values in out.items()}
    for list_path, leaves in defaults.items():
        for entry in entries.get(list_path, ()):
            for leaf, default in leaves.items():
                flat.setdefault(f"{entry}/{leaf}", default)
    return dict(sorted(flat.items()))


# -- local checks -----------------------------------------------------------------------------------

Check = Callable[[str], str | None]


def _enum(*allowed: str) -> Check:
    return lambda v: None if v in allowed else f"{v!r} is not one of {', '.join(allowed)}"


def _int(lo: int, hi: int) -> Check:
    def check(v: str) -> str | None:
        try:
            n = int(v)
        except ValueError:
            return f"{v!r} is not a number"
        return None if lo <= n <= hi else f"{n} is out of range {lo}..{hi}"

    return check


def _length(lo: int, hi: int) -> Check:
    return lambda v: None if lo <= len(v) <= hi else f"length {len(v)} is out of range {lo}..{hi}"


def _pattern(regex: str) -> Check:
    rx = re.compile(rf"^(?:{regex})$")
    return lambda v: None if rx.match(v) else f"{v!r} does not match {regex}"


_BOOL = _enum("true", "false")
_HHMM = r"([01][0-9]|2[0-3]):[0-5][0-9]"

#: netctl-wlan-ap leaves: path (list keys stripped) → type check
NWAP_LEAVES: dict[str, Check] = {
    "ap/system/hostname": _pattern(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,62}"),
    "ap/system/location": lambda v: None,
    "ap/system/contact": lambda v: None,
    "ap/system/timezone": lambda v: None,
    "ap/system/ntp-server": lambda v: None,
    "ap/system/syslog-server": lambda v: None,
    "ap/radio/id": lambda v: None,
    "ap/radio/band": _enum("2.4ghz", "5ghz", "6ghz"),
    "ap/radio/channel": _int(1, 233),
    "ap/radio/channel-width": _enum("20", "40", "80", "160"),
    "ap/radio/tx-power": _int(1, 30),
    "ap/radio/enabled": _BOOL,
    "ap/ssid/name": _length(1, 32),
    "ap/ssid/enabled": _BOOL,
    "ap/ssid/vlan": _int(1, 4094),
    "ap/ssid/security": _enum("open", "wpa2-psk", "wpa3-sae", "wpa2-enterprise"),
    "ap/ssid/passphrase": _length(8, 63),
    "ap/ssid/hidden": _BOOL,
    "ap/ssid/max-clients": _int(1, 512),
    "ap/ssid/radio": lambda v: None,
    "ap/ssid/schedule/start": _pattern(_HHMM),
    "ap/ssid/schedule/end": _pattern(_HHMM),
    "ap/ssid/schedule/day": _enum("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
}

OC_LEAVES: dict[str, Check] = {
    "radios/radio/id": _int(0, 255),
    "radios/radio/operating-frequency": lambda v: None,
    "radios/radio/config/id": _int(0, 255),
    "radios/radio/config/operating-frequency": lambda v: None,
    "radios/radio/config/enabled": _BOOL,
    "radios/radio/config/transmit-power": _int(-128, 127),
    "radios/radio/config/channel": _int(1, 233),
    "radios/radio/config/channel-width": _int(0, 255),
    "ssids/ssid/name": _length(1, 32),
    "ssids/ssid/config/name": _length(1, 32),
    "ssids/ssid/config/enabled": _BOOL,
    "ssids/ssid/config/hidden": _BOOL,
    "ssids/ssid/config/default-vlan": _int(1, 4094),
    "ssids/ssid/config/operating-frequency": lambda v: None,
    "ssids/ssid/config/opmode": _enum(
        "OPEN",
        "WPA2_PERSONAL",
        "WPA2_ENTERPRISE",
        "ENHANCED_OPEN",
        "ENHANCED_OPEN_TRANSITION",
        "WPA3_SAE",
        "WPA3_2_SAE_TRANSITION",
        "WPA3_ENTERPRISE",
        "WPA3_2_ENTERPRISE_TRANSITION",
        "WPA3_ENTERPRISE_192_BIT",
    ),
    "ssids/ssid/config/wpa2-psk": _length(8, 63),
    "ssids/ssid/config/wpa3-psk": _length(8, 63),
}

_KEYED = re.compile(_KEY)


def _check_leaves(flat: dict[str, str], table: dict[str, Check], problems: list[str]) -> None:
    for path, value in flat.items():
        bare = _KEYED.sub("", path)
        check = table.get(bare)
        if check is None:
            problems.append(f"{path}: not in the model")
            continue
        values = value.split(", ") if bare.endswith(("ntp-server", "ssid/radio", "schedule/day")) else [value]
        for one in values:
            if (msg := check(one)) is not None:
                problems.append(f"{path}: {msg}")


def _entries(flat: dict[str, str], list_path: str) -> dict[str, dict[str, str]]:
    """Entries of a list: ``{entry path: {leaf: value}}`` (defaults included)."""
    out: dict[str, dict[str, str]] = {}
    pattern = re.compile(re.escape(list_path) + rf"({_KEY})/(.+)$")
    for path, value in flat.items():
        if m := pattern.match(path):
            out.setdefault(list_path + m.group(1), {})[m.group(2)] = value
    return out


def _check_nwap(text: str) -> list[str]:
    root = parse_fragment(text)
    tops = [el for el in root if isinstance(el.tag, str)]
    if len(tops) != 1 or etree.QName(tops[0]).namespace != NWAP_NS or _local(tops[0]) != "ap":
        return [f'expected one <ap xmlns="{NWAP_NS}"> element']
    flat = flatten(text, "netconf-wlan")
    problems: list[str] = []
    _check_leaves(flat, NWAP_LEAVES, problems)
    ntp = flat.get("ap/system/ntp-server", "")
    if ntp and len(ntp.split(", ")) > 4:
        problems.append("ap/system/ntp-server: more than 4 servers (max-elements 4)")
    radios = _entries(flat, "ap/radio")
    radio_ids = {leaves.get("id") for leaves in radios.values()}
    for entry, leaves in radios.items():
        if "band" not in leaves:
            problems.append(f"{entry}/band: missing (mandatory)")
        elif (
            leaves["band"] == "2.4ghz"
            and leaves.get("channel", "").isdigit()
            and not 1 <= int(leaves["channel"]) <= 14
        ):
            problems.append(f"{entry}/channel: 2.4ghz radios use channels 1..14")
    for entry, leaves in _entries(flat, "ap/ssid").items():
        if leaves.get("security") in ("wpa2-psk", "wpa3-sae") and "passphrase" not in leaves:
            problems.append(f"{entry}/passphrase: required when security is {leaves['security']}")
        for radio in (leaves.get("radio") or "").split(", "):
            if radio and radio not in radio_ids:
                problems.append(f"{entry}/radio: {radio!r} is not a configured radio id (leafref)")
    return problems


def _check_openconfig(text: str) -> list[str]:
    root = parse_fragment(text)
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) == "operating-frequency":
            prefix = (el.text or "").partition(":")[0]
            if ":" not in (el.text or "") or prefix not in el.nsmap:
                problems = [
                    f"{_local(el.getparent())}/operating-frequency: identityref {el.text!r} needs "
                    "a declared module prefix (oc-wifi-types:)"
                ]
                return problems
    flat = flatten(text, "openconfig-wlan")
    problems = []
    _check_leaves(flat, OC_LEAVES, problems)
    for entry, leaves in _entries(flat, "ssids/ssid").items():
        mode = leaves.get("config/opmode")
        if "config/wpa2-psk" in leaves and mode != "WPA2_PERSONAL":
            problems.append(
                f"{entry}/config/wpa2-psk: only valid with opmode WPA2_PERSONAL (would be dropped)"
            )
        if mode == "WPA2_PERSONAL" and "config/wpa2-psk" not in leaves:
            problems.append(f"{entry}/config/wpa2-psk: required for WPA2_PERSONAL")
        if mode == "WPA3_SAE" and "config/wpa3-psk" not in leaves:
            problems.append(f"{entry}/config/wpa3-psk: required for WPA3_SAE")
    return problems


#: one uci command; a value is one single-quoted shell word (``'`` inside written as ``'\''``,
#: as the uci finaliser of netctl.values writes it and ``uci show`` prints it)
_UCI_LINE = re.compile(
    r"^uci (set|add_list|del_list|delete) [A-Za-z0-9_@\[\]\-.]+(=('(?:[^'\x00-\x1f\x7f]|'\\'')*'|[A-Za-z0-9_-]+))?$"
)


def _check_uci(text: str) -> list[str]:
    return [
        f"line {n}: {line!r} is not a uci set/add_list/del_list/delete command with one quoted value "
        "(in a template, write option={{ value }}: values are quoted for you)"
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.startswith("#") and not _UCI_LINE.match(line)
    ]


def _check_ios(text: str) -> list[str]:
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        if m := re.match(r"^vlan (\S+)$", line):
            if _int(1, 4094)(m.group(1)) is not None:
                problems.append(f"line {n}: vlan {m.group(1)} is out of range 1..4094")
    return problems


def _check_vrp(text: str) -> list[str]:
    """VRP views nest one space per level; VLANs are 1..4094 and WLAN IDs 1..16 (what the AC refuses)."""
    problems = []
    deepest = 1  # the deepest indentation the next line may have
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.strip() in ("#", "return"):
            deepest = 1
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent > deepest or line[indent:indent + 1].isspace():
            problems.append(f"line {n}: indented {indent}, the view above is at {deepest - 1}")
        deepest = indent + 1
        if (m := re.search(r"\bvlan-id (\S+)$", line)) and _int(1, 4094)(m.group(1)) is not None:
            problems.append(f"line {n}: vlan-id {m.group(1)} is out of range 1..4094")
        if (m := re.search(r" wlan (\S+) radio ", line)) and _int(1, 16)(m.group(1)) is not None:
            problems.append(f"line {n}: wlan {m.group(1)} is out of range 1..16")
    return problems


_VLAN_LIST = re.compile(r"[0-9]{1,4}(?:-[0-9]{1,4})?(?:,[0-9]{1,4}(?:-[0-9]{1,4})?)*")


def vlan_set(text: str) -> set[int] | None:
    """The VLANs of a ZXROS list such as ``10,20,30-32``; None when it is not one (or out of 1..4094)."""
    if not _VLAN_LIST.fullmatch(text):
        return None
    out: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 4094:
            return None
        out.update(range(first, last + 1))
    return out


def vlan_list(vlans: Iterable[int]) -> str:
    """VLANs as ZXROS writes them: sorted, runs as ranges (``10,20,30-32``)."""
    ordered, parts = sorted(set(vlans)), []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)



def _check_zxros(text: str) -> list[str]:
    """ZXROS modes: each block's lines indented two spaces deeper than the line that opens it and the block
    closed by a ``$`` at its own indentation (the switch runs a line only in its mode, so a missing ``$``
    sends the next lines to the wrong mode); VLANs 1..4094 (what the switch refuses)."""
    problems = []
    level = 0  # blocks open
    can_open = False  # the line before may take children
    for n, line in enumerate(text.splitlines(), 1):
        word = line.strip()
        if not word or word.startswith("!"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if line[indent:indent + 1].isspace():
            problems.append(f"line {n}: indented with a tab or other white space; use two spaces per mode")
            continue
        if word == "$":
            if can_open and indent == 2 * level:
                pass  # closes the mode the line before opened, empty (a VLAN without a name)
            elif level == 0:
                problems.append(f"line {n}: '$' closes no mode")
            else:
                level -= 1
                if indent != 2 * level:
                    problems.append(f"line {n}: '$' indented {indent}, the mode it closes starts at {2 * level}")
            can_open = False
            continue
        if can_open and indent == 2 * (level + 1):
            level += 1
        elif indent != 2 * level:
            problems.append(f"line {n}: indented {indent}, expected {2 * level} (two spaces per mode; a mode ends "
                            "with a '$' line at its own indentation)")
        can_open = True
        words = word.split()
        for prefix, at in ((["vlan"], 1), (["switchport", "access", "vlan"], 3),
                           (["switchport", "trunk", "native", "vlan"], 4), (["no", "vlan"], 2)):
            if words[:len(prefix)] == prefix and len(words) > at and _int(1, 4094)(words[at]) is not None:
                problems.append(f"line {n}: vlan {words[at]} is out of range 1..4094")
        if words[:3] == ["switchport", "trunk", "vlan"] and (len(words) != 4 or vlan_set(words[3]) is None):
            problems.append(f"line {n}: {' '.join(words[3:]) or 'nothing'} is not a VLAN list of 1..4094 "
                            "(e.g. 10,20,30-32)")
    if level:
        problems.append(f"{level} mode(s) not closed with '$' at the end")
    return problems


_C9800_NAME = _pattern(r"[!-~]([ -~]{0,30}[!-~])?")


def _c9800_ssid(value: str) -> str | None:
    size = len(value.encode("utf-8", "surrogatepass"))
    return None if 1 <= size <= 32 else f"{size} bytes of UTF-8 is out of range 1..32"


#: the leaves of Cisco's 9800 models (IOS-XE 17.12.1 wireless wlan/site/rf/ap-cfg) that netctl's template
#: writes: path (list keys stripped) → type check
C9800_LEAVES: dict[str, Check] = {
    **{f"wlan-cfg-data/wlan-cfg-entries/wlan-cfg-entry/{leaf}": check for leaf, check in {
        "profile-name": _C9800_NAME, "wlan-id": _int(1, 4096), "auth-key-mgmt-psk": _BOOL,
        "auth-key-mgmt-dot1x": _BOOL, "authentication-list": _C9800_NAME, "psk-key-type": _enum("key-ascii", "key-hex"),
        "psk": _pattern(r"[ -~]{8,63}|[0-9A-Fa-f]{64}"), "psk-type": _enum("clear", "aes", "type-6"),
        "apf-vap-id-data/ssid": _c9800_ssid, "apf-vap-id-data/broadcast-ssid": _BOOL,
        "apf-vap-id-data/wlan-status": _BOOL}.items()},
    "wlan-cfg-data/wlan-policies/wlan-policy/policy-profile-name": _C9800_NAME,
    "wlan-cfg-data/wlan-policies/wlan-policy/status": _BOOL,
    # the policy profile's VLAN (the model takes a VLAN name too; netctl writes the number)
    "wlan-cfg-data/wlan-policies/wlan-policy/interface-name": _int(1, 4094),
    "wlan-cfg-data/policy-list-entries/policy-list-entry/tag-name": _C9800_NAME,
    "wlan-cfg-data/policy-list-entries/policy-list-entry/wlan-policies/wlan-policy/wlan-profile-name": _C9800_NAME,
    "wlan-cfg-data/policy-list-entries/policy-list-entry/wlan-policies/wlan-policy/policy-profile-name": _C9800_NAME,
    "site-cfg-data/site-tag-configs/site-tag-config/site-tag-name": _C9800_NAME,
    "site-cfg-data/site-tag-configs/site-tag-config/description": lambda v: None,
    "rf-cfg-data/rf-tags/rf-tag/tag-name": _C9800_NAME,
    "rf-cfg-data/rf-tags/rf-tag/description": lambda v: None,
    "ap-cfg-data/ap-tags/ap-tag/ap-mac": _pattern(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}"),
    "ap-cfg-data/ap-tags/ap-tag/policy-tag": _C9800_NAME,
    "ap-cfg-data/ap-tags/ap-tag/site-tag": _C9800_NAME,
    "ap-cfg-data/ap-tags/ap-tag/rf-tag": _C9800_NAME,
}


def _check_cisco_9800(text: str) -> list[str]:
    """Cisco's 9800 models: leaf types, one WLAN per WLAN ID (the model's ``unique``), at most 16 WLANs per
    policy tag (its ``must``), and every name a tag or an AP uses defined in the same config (the 9800's own
    default tags aside)."""
    flat = flatten(text, "cisco-9800")
    problems: list[str] = []
    _check_leaves(flat, C9800_LEAVES, problems)
    wlans = _entries(flat, "wlan-cfg-data/wlan-cfg-entries/wlan-cfg-entry")
    ids: dict[str, str] = {}
    for entry, leaves in wlans.items():
        if (wlan_id := leaves.get("wlan-id")) in ids:
            problems.append(f"{entry}/wlan-id: {wlan_id} is the WLAN ID of {ids[wlan_id]} too")
        elif wlan_id is not None:
            ids[wlan_id] = entry
        if leaves.get("auth-key-mgmt-psk") == "true" and not leaves.get("psk"):
            problems.append(f"{entry}/psk: a WLAN with the PSK AKM needs a passphrase")
        if leaves.get("auth-key-mgmt-dot1x") == "true" and not leaves.get("authentication-list"):
            problems.append(f"{entry}/authentication-list: an 802.1X WLAN needs an AAA method list")
    profiles = {leaves.get("profile-name") for leaves in wlans.values()}
    policies = {leaves.get("policy-profile-name")
                for leaves in _entries(flat, "wlan-cfg-data/wlan-policies/wlan-policy").values()}
    tag_list = "wlan-cfg-data/policy-list-entries/policy-list-entry"
    for entry in _entries(flat, tag_list):
        members = _entries({p: v for p, v in flat.items() if p.startswith(entry + "/")},
                           f"{entry}/wlan-policies/wlan-policy")
        if len(members) > 16:
            problems.append(f"{entry}: {len(members)} WLANs, a policy tag holds at most 16")
        for member, leaves in members.items():
            if leaves.get("wlan-profile-name") not in profiles:
                problems.append(f"{member}: WLAN profile {leaves.get('wlan-profile-name')!r} is not defined")
            if leaves.get("policy-profile-name") not in policies:
                problems.append(f"{member}: policy profile {leaves.get('policy-profile-name')!r} is not defined")
    defined = {
        "policy-tag": {v for p, v in flat.items() if p.startswith(tag_list) and p.endswith("]/tag-name")},
        "site-tag": {v for p, v in flat.items() if p.endswith("/site-tag-name")},
        "rf-tag": {v for p, v in flat.items() if p.startswith("rf-cfg-data/") and p.endswith("/tag-name")},
    }
    for entry, leaves in _entries(flat, "ap-cfg-data/ap-tags/ap-tag").items():
        for kind, names in defined.items():
            if (name := leaves.get(kind)) is not None and name not in names and name != f"default-{kind}":
                problems.append(f"{entry}/{kind}: {name!r} is not defined")
    return problems


#: local checks by name; a platform names its own (``local_check`` in :mod:`netctl.platforms`)
CHECKS: dict[str, Callable[[str], list[str]]] = {
    "netctl-wlan-ap": _check_nwap,
    "openconfig-wifi": _check_openconfig,
    "uci": _check_uci,
    "ios": _check_ios,
    "vrp": _check_vrp,
    "zxros": _check_zxros,
    "cisco-9800": _check_cisco_9800,
}


def check_config(platform: str, text: str) -> list[str]:
    """Problems the device's model would reject in ``text`` (empty when it looks acceptable)."""
    definition = find_platform(platform)
    if definition is None or definition.local_check is None:
        return []
    check = CHECKS.get(definition.local_check)
    if check is None:
        return [f"platform {platform!r} names an unknown local check {definition.local_check!r}"]
    try:
        return check(text)
    except etree.XMLSyntaxError as exc:
        return [f"bad XML: {exc}"]


def canonical_xml(text: str) -> str:
    """Pretty XML of each top element with unused namespace declarations removed (for storage)."""
    root = parse_fragment(text)
    parts = []
    for top in root:
        if isinstance(top.tag, str):
            in_values = {
                (el.text or "").strip().partition(":")[0]
                for el in top.iter()
                if isinstance(el.tag, str) and ":" in (el.text or "")
            }
            etree.cleanup_namespaces(top, keep_ns_prefixes=sorted(p for p in in_values if p))
            parts.append(etree.tostring(top, pretty_print=True).decode())
    return "".join(parts)
