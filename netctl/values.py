"""Values that are safe in every dialect: the one check between merged variables and templates.

Every AP's merged variables (and its ``ap``/``site``/``tenant`` facts) pass :func:`check_values`
before a template sees them, whatever the platform (``netctl.render.engine.render_ap`` calls it):

1. No control characters anywhere: C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F), the
   Unicode line and paragraph separators (U+2028, U+2029), lone surrogates and the Unicode
   noncharacters (U+FFFE, U+FFFF …, which XML cannot carry). A newline in a
   value would add a command line to a CLI config; a ^U (line kill) or ^C would edit the line a
   device's terminal is reading. No config netctl writes needs any of them in a value.
2. Per-field rules, as data (:data:`FIELD_RULES`, plus the ``field_rules`` of the platform row in
   :mod:`netctl.platforms`): an SSID is 1–32 bytes of UTF-8, a WPA passphrase 8–63 printable ASCII
   characters or 64 hex digits, a VLAN an integer 1–4094, and so on.

Secret values (``secret:…`` references) are checked by :func:`check_value` when the renderer
resolves them; their values never appear in an error. Every problem names the AP, the variable and
the rule and says what to do; one problem stops the AP's render, so nothing is sent.

The second half of the safety is in the templates: each platform's templates are rendered with a
finaliser for its dialect (:data:`DIALECTS`, :func:`finaliser`), so every ``{{ … }}`` output is
quoted (uci: one single-quoted shell word), checked to be one token (IOS, VRP, ZXROS) or XML-escaped
(NETCONF). A value that cannot be written safely stops the render with a :class:`QuotingError`.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from netctl.errors import RenderError
from netctl.platforms import find_platform

# -- control characters ------------------------------------------------------------------------------

_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


_NAMES = {0x00: "null", 0x09: "tab", 0x0A: "line feed", 0x0D: "carriage return", 0x1B: "escape", 0x7F: "delete",
          0x85: "next line", 0x2028: "line separator", 0x2029: "paragraph separator"}


def control_character(text: str) -> tuple[int, str] | None:
    """``(position, description)`` of the first control character in ``text``, or None."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    code = ord(m.group(0))
    what = _NAMES.get(code) or (
        "surrogate" if 0xD800 <= code <= 0xDFFF
        else "noncharacter" if code >= 0xFDD0 and (code <= 0xFDEF or code & 0xFFFE == 0xFFFE)
        else "control character"
    )
    if code < 0x20:
        what += f", ^{chr(code + 0x40)}"
    return m.start(), f"U+{code:04X} ({what})"


# -- rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A named check of one value. ``check(value, platform)`` returns what is wrong, or None."""

    name: str
    allowed: str
    check: Callable[[Any, str], str | None]
    secret: bool = False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ssid(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is None:
        return f"is a {type(value).__name__}, not text"
    size = len(text.encode("utf-8", "surrogatepass"))
    if not 1 <= size <= 32:
        return f"is {size} bytes long in UTF-8"
    return None


_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


def _psk(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is None:
        return f"is a {type(value).__name__}, not text"
    if _HEX64.fullmatch(text):
        return None
    if not _PRINTABLE_ASCII.fullmatch(text):
        return "has a character outside printable ASCII"
    if not 8 <= len(text) <= 63:
        return f"has {len(text)} characters"
    return None


def _integer(lo: int, hi: int) -> Callable[[Any, str], str | None]:
    def check(value: Any, platform: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | str):
            return f"is a {type(value).__name__}, not a whole number"
        if isinstance(value, str):
            if not re.fullmatch(r"[0-9]{1,6}", value):
                return "is not a whole number (digits only)"
            value = int(value)
        return None if lo <= value <= hi else "is out of range"

    return check


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def _hostname(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is None or not _HOSTNAME.fullmatch(text) or len(text) > 253:
        return "is not a host name"
    return None


def _host(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is None:
        return f"is a {type(value).__name__}, not text"
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return _hostname(text, platform) and "is neither an IP address nor a host name"
    return None


#: interface names when a platform row gives no ``interface_pattern``
GENERIC_INTERFACE = r"[A-Za-z][A-Za-z0-9_./:-]{0,63}"


def interface_pattern(platform: str) -> str:
    definition = find_platform(platform)
    return (definition.interface_pattern if definition else None) or GENERIC_INTERFACE


def _interface(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is None:
        return f"is a {type(value).__name__}, not text"
    if not re.fullmatch(interface_pattern(platform), text):
        return f"does not match {interface_pattern(platform)}"
    return None


def _pattern(regex: str) -> Callable[[Any, str], str | None]:
    rx = re.compile(regex)

    def check(value: Any, platform: str) -> str | None:
        text = _text(value)
        if text is None:
            return f"is a {type(value).__name__}, not text"
        return None if rx.fullmatch(text) else "has the wrong form"

    return check


def _list_key(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is not None and "'" in text:
        return "holds \"'\""
    return None


def _trimmed(value: Any, platform: str) -> str | None:
    text = _text(value)
    if text is not None and text != text.strip():
        return "starts or ends with white space"
    return None


#: rule name → rule. ``allowed`` says what is accepted, for the error message.
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("ssid", "an SSID is 1 to 32 bytes of UTF-8 text", _ssid),
        Rule(
            "wpa-psk",
            "a WPA passphrase is 8 to 63 printable ASCII characters, or 64 hex digits",
            _psk,
            secret=True,
        ),
        Rule("vlan", "a VLAN is one whole number from 1 to 4094", _integer(1, 4094)),
        Rule("hostname", "a host name is letters, digits and '-' (labels of 1-63, dot-separated)", _hostname),
        Rule("host", "an NTP/syslog server is an IP address or a host name", _host),
        Rule("interface", "an interface name matches the platform's pattern", _interface),
        Rule("time-of-day", "a time of day is HH:MM (24 h)", _pattern(r"([01][0-9]|2[0-3]):[0-5][0-9]")),
        Rule("timezone", "a time zone is a name such as Europe/Berlin or UTC", _pattern(r"[A-Za-z0-9_+/-]{1,64}")),
        Rule("wlan-id", "a WLAN ID is one whole number from 1 to 4096", _integer(1, 4096)),
        Rule(
            "cisco-name",
            "a Cisco WLAN profile, policy profile or tag name is 1 to 32 printable ASCII characters, no white "
            "space at either end and no \"'\"",
            _pattern(r"[!-&(-~](?:[ -&(-~]{0,30}[!-&(-~])?"),
        ),
        Rule("switchport-mode", "a switch port's mode is access (one VLAN, untagged) or trunk (the school's VLANs, "
             "tagged)", _pattern(r"access|trunk")),
        Rule("port-description", "a port description is 1 to 80 printable ASCII characters", _pattern(r"[ -~]{1,80}")),
        Rule("wlan-security", "a controller WLAN's security is wpa2-psk or wpa2-enterprise (802.1X)",
             _pattern(r"wpa2-psk|wpa2-enterprise")),
        Rule("mac", "a MAC address is six pairs of hex digits separated by ':' (aa:bb:cc:dd:ee:ff)",
             _pattern(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")),
        Rule(
            "list-key",
            "a list key on this platform may not hold \"'\" (its NETCONF server writes keys into '-quoted "
            "instance identifiers: yuma123 dies when such an entry is replaced)",
            _list_key,
        ),
        Rule(
            "trimmed",
            "a value on this platform may not start or end with white space (the NETCONF server trims it, so "
            "it would not be stored as given)",
            _trimmed,
        ),
    )
}

#: variable (dotted path, fnmatch pattern) → rule names. Every matching row applies; for a list
#: the rule applies to each item. Platform rows add their own (``field_rules`` in netctl.platforms).
FIELD_RULES: tuple[tuple[str, str], ...] = (
    ("*_ssid", "ssid"),
    ("ssids_disabled", "ssid"),
    ("*_psk", "wpa-psk"),
    ("*_passphrase", "wpa-psk"),
    ("*_vlan", "vlan"),
    ("ap.name", "hostname"),
    ("ap_ports", "interface"),
    ("ntp_servers", "host"),
    ("syslog_server", "host"),
    ("timezone", "timezone"),
    ("school_hours.start", "time-of-day"),
    ("school_hours.end", "time-of-day"),
)

CONTROL_RULE = "no control characters"


def rules_for(path: str, platform: str) -> list[Rule]:
    """The rules that apply to the variable at dotted ``path`` on ``platform``."""
    definition = find_platform(platform)
    rows = FIELD_RULES + tuple(definition.field_rules if definition else ())
    return [RULES[rule] for rule in _matching(path, rows)]


@lru_cache(maxsize=4096)
def _matching(path: str, rows: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The names of the rules of ``rows`` whose pattern matches ``path`` (every AP's render asks the
    same few hundred questions)."""
    return tuple(rule for pattern, rule in rows if fnmatch.fnmatchcase(path, pattern))


@dataclass(frozen=True)
class ValueProblem:
    """One value that breaks a rule: which AP, which variable, which rule, and what to do."""

    ap: str
    variable: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.ap}: variable {self.variable} {self.message}"


def _fix(ap: str, variable: str) -> str:
    top = variable.split(".")[0].split("[")[0]
    if top in ("ap", "site", "tenant"):
        return f"rename or edit the {top} in the inventory"
    return f"fix it where it is set (netctl inventory vars {ap} shows the layer)"


def check_value(
    ap: str, platform: str, variable: str, value: Any, *, secret: bool = False, fix: str | None = None
) -> list[ValueProblem]:
    """Problems of one leaf value (a string, number, …) at ``variable``; empty when it is safe.

    ``secret``: the value came from a secret reference; it is never shown in a message. ``fix``:
    what to do, when not the default (fix it in the layer ``netctl inventory vars AP`` names).
    """
    todo = fix or _fix(ap, variable)
    problems: list[ValueProblem] = []
    base = re.sub(r"\[\d+\]$", "", variable)
    if isinstance(value, str) and (found := control_character(value)) is not None:
        pos, label = found
        problems.append(
            ValueProblem(
                ap,
                variable,
                CONTROL_RULE,
                f"breaks rule '{CONTROL_RULE}': {label} at character {pos + 1}; values that land in a "
                "config may not hold C0, DEL or C1 control characters, line separators or noncharacters. "
                + todo,
            )
        )
        return problems
    for rule in rules_for(base, platform):
        if (what := rule.check(value, platform)) is None:
            continue
        shown = "" if (secret or rule.secret) else f" {_short(value)}"
        problems.append(
            ValueProblem(
                ap,
                variable,
                rule.name,
                f"breaks rule '{rule.name}':{shown} {what}; {rule.allowed}. {todo}",
            )
        )
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 48 else text[:40] + "…" + text[-6:]


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and control_character(key) is not None:
                yield f"{path}.<key>" if path else "<key>", key
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def check_values(
    ap: str,
    platform: str,
    variables: Mapping[str, Any],
    *,
    skip: Callable[[Any], bool] | None = None,
    fix: str | None = None,
) -> list[ValueProblem]:
    """Every problem in an AP's merged variables and facts (empty when all values are safe).

    ``skip(value)`` marks leaves checked later (secret references, checked once resolved).
    """
    problems: list[ValueProblem] = []
    for path, value in _leaves(variables, ""):
        if skip is not None and skip(value):
            continue
        problems.extend(check_value(ap, platform, path, value, fix=fix))
    return problems


# -- dialects: how a template's {{ … }} output is written ---------------------------------------------


class QuotingError(RenderError):
    """A value that the platform's dialect cannot write safely (raised while a template renders)."""


class Token(str):
    """Text a template filter has already checked for its position (``| ident``): written as it is."""

    __slots__ = ()


class Var(str):
    """A string variable that remembers its name, so a quoting error can say which variable it was."""

    __slots__ = ("variable",)
    variable: str

    def __new__(cls, text: str, variable: str) -> Var:
        obj = super().__new__(cls, text)
        obj.variable = variable
        return obj


def tag_variables(value: Any, path: str = "") -> Any:
    """A copy of ``value`` with every string leaf a :class:`Var` carrying its dotted path."""
    if isinstance(value, Mapping):
        return {k: tag_variables(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [tag_variables(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str) and not isinstance(value, Var):
        return Var(value, path)
    return value


def _refuse(value: Any, text: str, why: str, dialect: str) -> QuotingError:
    var = getattr(value, "variable", None)
    source = f"variable {var} " if var else "a value "
    shown = "" if getattr(value, "secret", False) else f" {_short(text)}"
    return QuotingError(
        f"{source}breaks rule '{dialect} quoting' (it cannot be written safely in this dialect):{shown} {why}",
        hint="change the value in the inventory, or the template if it builds the value",
    )


def _as_text(value: Any, dialect: str) -> str:
    text = str(value)
    if (found := control_character(text)) is not None:
        raise _refuse(value, text, f"holds a control character ({found[1]})", dialect)
    return text


def quote_uci(value: Any) -> str:
    """One single-quoted shell word (``'`` written as ``'\\''``), as ``uci show`` prints values."""
    if isinstance(value, Token):
        return str(value)
    text = _as_text(value, "uci")
    return "'" + text.replace("'", "'\\''") + "'"


_IOS_TOKEN = re.compile(r"[\x21-\x3e\x40-\x7e]+")


def token_ios(value: Any, dialect: str = "ios") -> str:
    """The value as one IOS/VRP/ZXROS CLI token: printable ASCII, no space, no '?' (the CLI's help key).
    ``dialect`` names the quoting rule in the error."""
    text = _as_text(value, dialect)
    if not _IOS_TOKEN.fullmatch(text):
        bad = "is empty" if not text else (
            "holds a space" if " " in text else "holds '?' (context help)" if "?" in text
            else "holds a character outside printable ASCII"
        )
        raise _refuse(value, text, f"{bad}; a value must be exactly one token on the line", dialect)
    return text


def token_vrp(value: Any) -> str:
    """The value as one VRP CLI token: an IOS token that holds no '"' either (VRP's quote character
    would join the next words into the value)."""
    text = str(value)
    if '"' in text:
        raise _refuse(value, text, "holds '\"' (the CLI's quote); a value must be exactly one token on the line", "vrp")
    return token_ios(value)


def token_zxros(value: Any) -> str:
    """The value as one ZXROS CLI token: an IOS token that holds no '"' either (ZXROS writes a value with
    spaces between double quotes, ``description "Customer A"``: a '"' would join the next words into it)."""
    text = str(value)
    if '"' in text:
        raise _refuse(value, text, "holds '\"' (the CLI's quote); a value must be exactly one token on the line",
                      "zxros")
    return token_ios(value, "zxros")


def escape_xml(value: Any) -> Any:
    """Text for an XML element or attribute; the environment's autoescape then escapes ``<&>'"``."""
    if hasattr(value, "__html__"):
        return value  # markup from a macro of the template itself, already escaped
    return _as_text(value, "xml")


def ident(value: Any) -> Token:
    """``{{ name | ident }}``: a uci section/option name, written without quotes (letters, digits, '_')."""
    text = str(value)
    if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", text):
        raise _refuse(value, text, "is not a name of letters, digits and '_'", "uci")
    return Token(text)


#: dialect → finaliser applied to every ``{{ … }}`` output of a platform's templates
DIALECTS: dict[str, Callable[[Any], Any]] = {
    "uci": quote_uci,
    "ios": token_ios,
    "vrp": token_vrp,
    "zxros": token_zxros,
    "xml": escape_xml,
}


def dialect_of(platform: str) -> str:
    """The quoting dialect of a platform (its ``quoting``; XML for NETCONF, else IOS tokens)."""
    definition = find_platform(platform)
    if definition is None:
        return "ios"
    return definition.quoting or ("xml" if definition.config_format == "xml" else "ios")


def finaliser(dialect: str) -> Callable[[Any], Any]:
    return DIALECTS[dialect]
