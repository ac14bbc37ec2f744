"""Validation of inventory entries: pure functions from raw input to clean records or problems.

Every validator takes an :class:`Entry` (the raw mapping as read from a YAML/CSV/JSON file or
given on the command line, with its file and line) and returns ``(record, problems)``. A record is
the normalised row as stored (JSON columns as Python values); fields with a problem are ``None`` in
it, and a record with problems must not be stored (it is returned so that references and
duplicates can still be checked). Validators never stop at the first problem: a file is
checked completely so that one run reports everything.

Decisions (documented in docs/inventory.md):
- Management addresses are IP literals (IPv4 or IPv6, optionally with a port: ``10.0.0.1:830``,
  ``[2001:db8::1]:830``). Host names are rejected, so that a typo or a stale DNS entry can never
  send configuration to another device.
- Secrets (``credentials``, SNMP ``community``/``auth_key``/``priv_key`` and any variable whose
  name says it is a secret) must be references: ``env:NAME``, ``file:PATH`` or ``secret:NAME``.
  A clear-text value is a problem; its value is never echoed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from netctl.errors import Problem
from netctl.inventory.secrets import SCHEMES
from netctl.inventory.vars import RESERVED_KEYS
from netctl.platforms import PLATFORMS
from netctl.values import check_values

SITE_KINDS = ("school", "zoo", "transit", "city", "office")
ROLES = ("ap", "switch", "router", "controller")
SNMP_VERSIONS = ("2c", "3")
SNMP_AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
SNMP_PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")
SNMP_DEFAULT_PORT = 161

TENANT_FIELDS = ("name", "title", "vars")
SITE_FIELDS = ("name", "tenant", "kind", "title", "address", "geo", "lat", "lon", "vars")
GROUP_FIELDS = ("name", "tenant", "vars")
AP_FIELDS = ("name", "tenant", "site", "role", "platform", "address", "port", "model", "serial",
             "vehicle_id", "groups", "tags", "snmp", "credentials", "vars", "controller", "mac", "ap_group", "ap_id")
SNMP_FIELDS = ("version", "port", "community", "user", "auth_protocol", "auth_key", "priv_protocol",
               "priv_key", "profile")
SNMP_SECRET_FIELDS = ("community", "auth_key", "priv_key")

#: the largest AP ID netctl takes (a Huawei AC numbers its APs from 0; the biggest models hold 10,240)
MAX_AP_ID = 65535

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
VAR_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Variable names that hold secrets: their values must be references too.
SECRET_VAR_RE = re.compile(r"(password|passwd|passphrase|secret|psk|community|private_key|token)", re.I)

REFERENCE_HINT = ("use a reference instead: env:NAME, file:PATH or secret:NAME "
                  "(store the value with `netctl secret set NAME`)")


@dataclass
class Entry:
    """One raw inventory entry and where it came from."""

    kind: str                      # tenant | site | group | ap | globals
    data: dict[str, Any]
    file: str
    line: int | None = None
    keylines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str | None = None) -> int | None:
        """The line of field ``key`` when known (YAML), else the entry's line."""
        if key is None:
            return self.line
        top, _, sub = key.partition(".")
        nested = self.data.get(top)
        if sub and sub in getattr(nested, "keylines", {}):
            return int(nested.keylines[sub])  # type: ignore[union-attr]
        return self.keylines.get(top, self.line)

    @property
    def label(self) -> str:
        name = self.data.get("name")
        return str(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else "?"


class _Checker:
    """Collects the problems of one entry."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self.problems: list[Problem] = []

    def add(self, key: str | None, message: str) -> None:
        ap = self.entry.label if self.entry.kind == "ap" else None
        self.problems.append(Problem(self.entry.file, self.entry.line_of(key), message, ap))

    # -- field readers: each returns a clean value (or None) and records problems -----------------
    def unknown_fields(self, allowed: tuple[str, ...], what: str) -> None:
        for key in self.entry.data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                tip = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(allowed)}"
                self.add(str(key), f"unknown {what} field {key!r}{tip}")

    def name(self, key: str = "name", what: str = "name", required: bool = True) -> str | None:
        value = self.entry.data.get(key)
        if value is None or value == "":
            if required:
                self.add(key, f"missing required field {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.add(key, f"{key} must be a plain name, not {type(value).__name__}")
            return None
        text = str(value).strip()
        if not NAME_RE.match(text):
            self.add(key, f"bad {what} {text!r}: use letters, digits, '.', '_' and '-' (at most 64, "
                          "starting with a letter or digit)")
            return None
        return text

    def text(self, key: str) -> str | None:
        value = self.entry.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, (dict, list)):
            self.add(key, f"{key} must be text, not a {'mapping' if isinstance(value, dict) else 'list'}")
            return None
        return str(value).strip()

    def choice(self, key: str, choices: tuple[str, ...], what: str, default: str | None = None) -> str | None:
        value = self.entry.data.get(key)
        if value is None or value == "":
            if default is None:
                self.add(key, f"missing required field {key!r}")
            return default
        text = str(value).strip()
        if text not in choices:
            self.add(key, f"unknown {what} {text!r}; use one of: {', '.join(choices)}")
            return None
        return text

    def names_list(self, key: str, what: str) -> list[str]:
        value = self.entry.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            items: list[Any] = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list):
            items = value
        else:
            self.add(key, f"{key} must be a list of {what} names")
            return []
        out: list[str] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int)) or not NAME_RE.match(str(item)):
                self.add(key, f"bad {what} name {item!r} in {key}")
                continue
            if str(item) not in out:
                out.append(str(item))
        return out

    def variables(self, key: str = "vars") -> dict[str, Any]:
        value = self.entry.data.get(key)
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            self.add(key, "vars must be a mapping of name: value")
            return {}
        out: dict[str, Any] = {}
        for name, item in value.items():
            if not isinstance(name, str) or not VAR_KEY_RE.match(name):
                self.add(f"{key}.{name}", f"bad variable name {name!r}: use letters, digits and '_' "
                                          "(not starting with a digit)")
                continue
            if name in RESERVED_KEYS:
                self.add(f"{key}.{name}",
                         f"variable name {name!r} is reserved for built-in facts; choose another name")
                continue
            if SECRET_VAR_RE.search(name) and isinstance(item, str) and not is_reference_value(item):
                self.add(f"{key}.{name}", f"variable {name!r} holds a clear-text secret; {REFERENCE_HINT}")
                continue
            refused = check_values(self.entry.label, self._platform(), {name: _plain(item)},
                                   skip=_is_reference, fix="fix the value in this entry")
            if refused:
                for problem in refused:
                    self.add(f"{key}.{name}", f"variable {problem.variable} {problem.message}")
                continue
            out[name] = _plain(item)
        return out

    def _platform(self) -> str:
        """The AP's platform for its platform's value rules (netctl.values); '' for other entries."""
        platform = self.entry.data.get("platform") if self.entry.kind == "ap" else None
        return platform if isinstance(platform, str) and platform in PLATFORMS else ""

    def port(self, value: Any, key: str, what: str = "port") -> int | None:
        if value is None or value == "":
            return None
        try:
            if isinstance(value, bool) or isinstance(value, float):
                raise ValueError
            port = int(str(value).strip())
        except ValueError:
            self.add(key, f"bad {what} {value!r}: must be a number 1..65535")
            return None
        if not 1 <= port <= 65535:
            self.add(key, f"bad {what} {port}: must be 1..65535")
            return None
        return port

    def reference(self, value: Any, key: str, what: str, required: bool = False) -> str | None:
        if value is None or value == "":
            if required:
                self.add(key, f"missing {what} (a reference such as secret:NAME)")
            return None
        if not isinstance(value, str) or not is_reference_value(value):
            self.add(key, f"{what} is clear text; secrets are never stored in clear: {REFERENCE_HINT}")
            return None
        return value.strip()


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and is_reference_value(value)


def is_reference_value(value: str) -> bool:
    """Whether ``value`` is a usable secret reference (a scheme and a non-empty name)."""
    text = value.strip()
    return any(text.startswith(s) and len(text) > len(s) for s in SCHEMES)


def _plain(value: Any) -> Any:
    """Make a YAML value storable as JSON: dates become ISO text, nested values are walked."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def parse_address(text: Any) -> tuple[str, int | None]:
    """Split a management address into ``(ip, port or None)``. Raises ValueError saying why.

    Accepts ``192.0.2.1``, ``192.0.2.1:830``, ``2001:db8::1``, ``[2001:db8::1]`` and
    ``[2001:db8::1]:830``. The IP comes back in its canonical (compressed) form.
    """
    if not isinstance(text, str):
        if isinstance(text, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return str(text), None
        raise ValueError("must be an IPv4 or IPv6 address")
    raw = text.strip()
    port: str | None = None
    host = raw
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise ValueError("missing ']' after the IPv6 address")
        host, rest = raw[1:end], raw[end + 1:]
        if rest:
            if not rest.startswith(":") or not rest[1:]:
                raise ValueError("expected ':PORT' after ']'")
            port = rest[1:]
    elif raw.count(":") == 1:
        host, port = raw.split(":")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address "
                         "(host names are not accepted; use the IP address)") from None
    if raw.startswith("[") and ip.version != 6:
        raise ValueError("brackets are only for IPv6 addresses")
    if port is not None:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"bad port {port!r} (must be 1..65535)")
        return ip.compressed, int(port)
    return ip.compressed, None


# -- validators ---------------------------------------------------------------------------------
def validate_tenant(entry: Entry) -> tuple[dict[str, Any], list[Problem]]:
    c = _Checker(entry)
    c.unknown_fields(TENANT_FIELDS, "tenant")
    name = c.name(what="tenant name")
    record = {"name": name, "title": c.text("title"), "vars": c.variables()}
    return record, c.problems


def validate_site(entry: Entry) -> tuple[dict[str, Any], list[Problem]]:
    c = _Checker(entry)
    c.unknown_fields(SITE_FIELDS, "site")
    name = c.name(what="site name")
    tenant = c.name("tenant", "tenant name")
    kind = c.choice("kind", SITE_KINDS, "site kind")
    geo = entry.data.get("geo")
    lat, lon = entry.data.get("lat"), entry.data.get("lon")
    if geo is not None:
        if isinstance(geo, dict) and set(geo) <= {"lat", "lon"}:
            lat, lon = geo.get("lat", lat), geo.get("lon", lon)
        else:
            c.add("geo", "geo must be a mapping with lat and lon")
    coords: list[float | None] = []
    for key, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if value is None or value == "":
            coords.append(None)
            continue
        try:
            number = float(value)
            if isinstance(value, bool) or not -limit <= number <= limit:
                raise ValueError
            coords.append(number)
        except (TypeError, ValueError):
            c.add("geo" if geo is not None else key, f"bad {key} {value!r}: must be a number in ±{limit:g}")
            coords.append(None)
    if (coords[0] is None) != (coords[1] is None) and not c.problems:
        c.add("geo" if geo is not None else "lat", "give both lat and lon, or neither")
    record = {"name": name, "tenant": tenant, "kind": kind, "title": c.text("title"),
              "address": c.text("address"), "lat": coords[0], "lon": coords[1], "vars": c.variables()}
    return record, c.problems


def validate_group(entry: Entry) -> tuple[dict[str, Any], list[Problem]]:
    c = _Checker(entry)
    c.unknown_fields(GROUP_FIELDS, "group")
    record = {"tenant": c.name("tenant", "tenant name"), "name": c.name(what="group name"),
              "vars": c.variables()}
    return record, c.problems


def validate_globals(entry: Entry) -> tuple[dict[str, Any], list[Problem]]:
    c = _Checker(entry)
    values = c.variables("vars")
    return values, c.problems


def validate_ap(entry: Entry) -> tuple[dict[str, Any], list[Problem]]:
    """Check one AP entry. The tenant may stay ``None`` here: it follows from the site."""
    c = _Checker(entry)
    data = entry.data
    c.unknown_fields(AP_FIELDS, "AP")
    name = c.name(what="AP name")
    tenant = c.name("tenant", "tenant name", required=False)
    site = c.name("site", "site name")
    role = c.choice("role", ROLES, "role", default="ap")
    platform = c.choice("platform", tuple(sorted(PLATFORMS)), "platform")
    port = c.port(data.get("port"), "port")
    address: str | None = None
    if data.get("address") in (None, ""):
        c.add("address", "missing required field 'address' (the AP's management IP)")
    else:
        try:
            address, embedded = parse_address(data["address"])
        except ValueError as exc:
            c.add("address", f"bad management address {data['address']!r}: {exc}")
        else:
            if embedded is not None:
                if port is not None and port != embedded:
                    c.add("address", f"address gives port {embedded} but field port says {port}")
                port = embedded
    if port is None and platform and PLATFORMS[platform].default_port is not None:
        port = PLATFORMS[platform].default_port
    record = {
        "name": name, "tenant": tenant, "site": site, "role": role, "platform": platform,
        "address": address, "port": port, "model": c.text("model"), "serial": c.text("serial"),
        "vehicle_id": c.text("vehicle_id"), "groups": c.names_list("groups", "group"),
        "tags": c.names_list("tags", "tag"), "snmp": _validate_snmp(c, data.get("snmp")),
        "credentials": c.reference(data.get("credentials"), "credentials", "credentials"),
        "vars": c.variables(),
        **_validate_controller_fields(c, role),
    }
    return record, c.problems


def _validate_controller_fields(c: _Checker, role: str | None) -> dict[str, Any]:
    """``controller`` (a name; whether it names a controller is checked with the other references),
    ``mac`` (stored as ``aa:bb:cc:dd:ee:ff``), ``ap_group`` (the AP's group or tag on its controller) and
    ``ap_id`` (its ID there, 0..MAX_AP_ID; one per controller is checked with the references)."""
    from netctl.controllers.mibs import normalise_mac

    controller = c.name("controller", "controller name", required=False)
    if controller is not None and role == "controller":
        c.add("controller", f"a controller cannot name a controller ({controller!r}); drop controller "
                            "or give this entry another role")
    mac: str | None = None
    raw_mac = c.entry.data.get("mac")
    if raw_mac not in (None, ""):
        try:
            mac = normalise_mac(raw_mac)
        except ValueError as exc:
            c.add("mac", f"bad MAC address {raw_mac!r}: {exc}")
    ap_group = c.name("ap_group", "ap_group name", required=False)
    if ap_group is not None and controller is None and c.entry.data.get("controller") in (None, ""):
        c.add("ap_group", "ap_group is the AP's group on its controller: give controller too")
    raw_id = c.entry.data.get("ap_id")
    ap_id: int | None = None
    if raw_id not in (None, ""):
        try:
            if isinstance(raw_id, bool | float):
                raise ValueError
            ap_id = int(str(raw_id).strip())
        except ValueError:
            c.add("ap_id", f"bad ap_id {raw_id!r}: must be a whole number 0..{MAX_AP_ID}")
        else:
            if not 0 <= ap_id <= MAX_AP_ID:
                c.add("ap_id", f"bad ap_id {ap_id}: must be 0..{MAX_AP_ID}")
                ap_id = None
            elif controller is None and c.entry.data.get("controller") in (None, ""):
                c.add("ap_id", "ap_id is the AP's ID on its controller: give controller too")
    return {"controller": controller, "mac": mac, "ap_group": ap_group, "ap_id": ap_id}


def _validate_snmp(c: _Checker, raw: Any) -> dict[str, Any]:
    if raw is None or raw == {} or raw == "":
        return {}
    if not isinstance(raw, dict):
        c.add("snmp", "snmp must be a mapping (version, port, community | user, auth_protocol, …)")
        return {}
    for key in raw:
        if key not in SNMP_FIELDS:
            close = difflib.get_close_matches(str(key), SNMP_FIELDS, n=1)
            tip = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(SNMP_FIELDS)}"
            c.add(f"snmp.{key}", f"unknown snmp field {key!r}{tip}")
    version_raw = raw.get("version")
    version = str(version_raw).strip().lower().removeprefix("v") if version_raw not in (None, "") else ""
    version = {"2": "2c"}.get(version, version)
    if version not in SNMP_VERSIONS:
        c.add("snmp.version", f"snmp version must be 2c or 3, not {version_raw!r}" if version
              else "snmp needs a version (2c or 3)")
        return {}
    out: dict[str, Any] = {"version": version,
                           "port": c.port(raw.get("port"), "snmp.port", "snmp port") or SNMP_DEFAULT_PORT}
    profile = raw.get("profile")
    if profile not in (None, ""):
        if not isinstance(profile, str) or not NAME_RE.match(profile):
            c.add("snmp.profile", f"bad snmp profile {profile!r}")
        out["profile"] = profile
    if version == "2c":
        for key in ("user", "auth_protocol", "auth_key", "priv_protocol", "priv_key"):
            if raw.get(key) not in (None, ""):
                c.add(f"snmp.{key}", f"snmp {key} is only for version 3 (this AP uses 2c)")
        community = c.reference(raw.get("community"), "snmp.community", "snmp community")
        if raw.get("community") in (None, ""):
            c.add("snmp", "snmp version 2c needs 'community' (a reference such as secret:NAME)")
        out["community"] = community
        return out
    if raw.get("community") not in (None, ""):
        c.add("snmp.community", "snmp community is only for version 2c (this AP uses 3: give user and keys)")
    user = raw.get("user")
    if user in (None, ""):
        c.add("snmp", "snmp version 3 needs 'user'")
    elif not isinstance(user, str) or not NAME_RE.match(user):
        c.add("snmp.user", f"bad snmp user {user!r}")
    out["user"] = user
    auth = _protocol(raw.get("auth_protocol"))
    if not auth:
        c.add("snmp", f"snmp version 3 needs 'auth_protocol' ({'/'.join(SNMP_AUTH_PROTOCOLS)})")
    elif auth not in SNMP_AUTH_PROTOCOLS:
        c.add("snmp.auth_protocol", f"unknown snmp auth_protocol {raw.get('auth_protocol')!r}; "
                      f"use one of: {', '.join(SNMP_AUTH_PROTOCOLS)}")
    out["auth_protocol"] = auth
    out["auth_key"] = c.reference(raw.get("auth_key"), "snmp.auth_key", "snmp auth_key", required=True)
    priv = _protocol(raw.get("priv_protocol"))
    if priv:
        if priv not in SNMP_PRIV_PROTOCOLS:
            c.add("snmp.priv_protocol", f"unknown snmp priv_protocol {raw.get('priv_protocol')!r}; "
                          f"use one of: {', '.join(SNMP_PRIV_PROTOCOLS)}")
        out["priv_protocol"] = priv
        out["priv_key"] = c.reference(raw.get("priv_key"), "snmp.priv_key", "snmp priv_key", required=True)
    elif raw.get("priv_key") not in (None, ""):
        c.add("snmp.priv_key", "snmp priv_key given without priv_protocol")
    return out


def _protocol(value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value).strip().upper().replace("-", "")
    return {"SHA1": "SHA", "AES128": "AES"}.get(text, text)
