"""SSH host keys as text: parsing, fingerprints, ``known_hosts`` lines and the words of a refusal.

Pure logic with no database: the drivers' SSH side (:mod:`netctl.drivers.sshkeys`) and the device work
of a worker that has no database (:mod:`netctl.push.run`) use it; :mod:`netctl.hostkeys` adds the
table of pinned keys and the facade operations on top (and re-exports everything here).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netctl.errors import ConfigError, Problem

POLICIES = ("accept-new", "strict")
DEFAULT_POLICY = "accept-new"
POLICY_ENV = "NETCTL_HOST_KEYS"
ALERT_KIND = "host-key-changed"
AUDIT_ACTION = "host-key"
SSH_PORT = 22


# -- pure: keys and fingerprints -----------------------------------------------------------------
def _blob(key: str) -> bytes:
    parts = key.split()
    if len(parts) < 2:
        raise ConfigError(f"not an SSH public key: {key[:60]!r}", hint="give it as TYPE BASE64, e.g. ssh-ed25519 AAAA…")
    try:
        return base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"not an SSH public key (bad base64): {key[:60]!r}", hint="copy the whole key line") from exc


def parse_key(text: str) -> str:
    """``TYPE BASE64`` of an OpenSSH public key line (a comment is dropped); ConfigError when malformed.

    The type named in front must be the type inside the key blob (a key cannot pass as another type).
    """
    parts = text.split()
    blob = _blob(text)
    try:
        (length,) = struct.unpack(">I", blob[:4])
        inner = blob[4 : 4 + length].decode("ascii")
    except (struct.error, UnicodeDecodeError) as exc:
        raise ConfigError(f"not an SSH public key: {text[:60]!r}", hint="copy the whole key line") from exc
    if inner != parts[0] or len(blob) < 4 + length + 1:
        raise ConfigError(
            f"SSH public key says {parts[0]!r} but holds a {inner!r} key", hint="copy the whole key line"
        )
    return f"{parts[0]} {parts[1]}"


def fingerprint(key: str) -> str:
    """The SHA256 fingerprint as OpenSSH prints it (``SHA256:…``, base64 without padding)."""
    digest = hashlib.sha256(_blob(key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def key_type(key: str) -> str:
    return key.split()[0]


def same_key(a: str, b: str) -> bool:
    return _blob(a) == _blob(b)


def is_pinned(offered: str, pinned: Iterable[str]) -> bool:
    return any(same_key(offered, key) for key in pinned)


def describe(key: str) -> str:
    """``SHA256:… (ssh-ed25519)``: how a key is named in messages."""
    return f"{fingerprint(key)} ({key_type(key)})"


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise ConfigError(
            f"unknown host key policy {policy!r} (from ${POLICY_ENV})", hint="use one of: " + ", ".join(POLICIES)
        )
    return policy


def policy_from_env() -> str:
    return check_policy(os.environ.get(POLICY_ENV) or DEFAULT_POLICY)


# -- pure: known_hosts -----------------------------------------------------------------------------
@dataclass(frozen=True)
class KnownHost:
    """One usable line of a ``known_hosts`` file."""

    line: int
    patterns: tuple[str, ...]
    key: str


def parse_known_hosts(text: str, source: str) -> tuple[list[KnownHost], list[Problem]]:
    """The key lines of a ``known_hosts`` file and the lines that were skipped (with why).

    ``@cert-authority`` and ``@revoked`` lines are skipped: netctl pins plain keys only.
    """
    entries: list[KnownHost] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if fields[0].startswith("@"):
            problems.append(Problem(source, number, f"{fields[0]} lines are not supported; skipped"))
            continue
        if len(fields) < 3:
            problems.append(Problem(source, number, "expected HOSTS TYPE BASE64; skipped"))
            continue
        try:
            key = parse_key(f"{fields[1]} {fields[2]}")
        except ConfigError as exc:
            problems.append(Problem(source, number, f"{exc.message}; skipped"))
            continue
        entries.append(KnownHost(number, tuple(fields[0].split(",")), key))
    return entries, problems


def host_pattern(address: str, port: int) -> str:
    """How ``known_hosts`` names a host: ``ADDRESS`` on port 22, ``[ADDRESS]:PORT`` otherwise."""
    return address if port == SSH_PORT else f"[{address}]:{port}"


def _hashed_match(pattern: str, name: str) -> bool:
    try:
        _, _, salt, digest = pattern.split("|", 3)
        mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(mac, base64.b64decode(digest))
    except (ValueError, binascii.Error):
        return False


def _wildcard(pattern: str, name: str) -> bool:
    """OpenSSH host patterns: ``*`` and ``?`` are wildcards, everything else (``[``, ``]``) is literal."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, name, flags=re.IGNORECASE) is not None


def matches(entry: KnownHost, address: str, port: int) -> bool:
    """Whether ``entry`` names the host at ``address:port`` (plain, wildcard, negated or hashed patterns)."""
    name = host_pattern(address, port)
    hit = False
    for pattern in entry.patterns:
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        found = _hashed_match(pattern, name) if pattern.startswith("|1|") else _wildcard(pattern, name)
        if found and negated:
            return False
        hit = hit or found
    return hit


def refused_message(pinned: Sequence[str], offered: str) -> str:
    """Why a connection was refused, naming both fingerprints (the words the driver uses too)."""
    if not pinned:
        return f"host key {describe(offered)} is not pinned and the host key policy is strict; nothing was sent"
    known = ", ".join(describe(k) for k in pinned)
    return f"host key changed: pinned {known}, offered {describe(offered)}; refused before login, nothing was sent"
