"""The SSH side of pinned host keys (paramiko): check the key an AP offers before anything is sent.

Both drivers hand the decision to one :class:`HostKeyCheck` per AP conversation: the NETCONF session
calls it itself (:func:`netctl.drivers.netconf_ssh.connect`), netmiko's paramiko client through a
missing-host-key policy. Both run after the key exchange and before authentication, so a refused AP
never sees a password, a key signature or a command. The key exchange keeps paramiko's order of host
key types (ed25519 first): an AP is expected to offer the same type each time, and a key of another
type than the pinned ones is refused like a changed key (both fingerprints named), never silently
accepted.

The rules themselves (what counts as pinned, the words of the refusal) are in :mod:`netctl.hostkey_rules`.
"""

from __future__ import annotations

import socket
from typing import Any

import paramiko

from netctl.drivers import Target, Transcript
from netctl.errors import ConnectError, HostKeyError
from netctl.hostkey_rules import describe, is_pinned, refused_message

HINT_CHANGED = (
    "if the AP was replaced or re-keyed, compare the fingerprint with the one on its console, then run: "
    "netctl hostkeys trust {ap}; otherwise something else answers at its address"
)
HINT_STRICT = "pre-load the key: netctl hostkeys import KNOWN_HOSTS, or netctl hostkeys trust {ap}"


def key_line(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


class HostKeyCheck:
    """The host key decision for one AP's conversation (every connection of one push or fetch).

    The keys pinned are the target's; a key first seen by an earlier connection of the same
    conversation counts as pinned for the later ones (the post-check session of a push).
    """

    def __init__(self, target: Target, transcript: Transcript) -> None:
        self.target = target
        self.transcript = transcript

    @property
    def pinned(self) -> list[str]:
        seen = self.transcript.host_key
        known = list(self.target.host_keys)
        return known + [seen] if seen and not is_pinned(seen, known) else known

    def check(self, offered: paramiko.PKey) -> None:
        """Accept the key the AP offers, or raise HostKeyError (before any authentication)."""
        line = key_line(offered)
        pinned = self.pinned
        if is_pinned(line, pinned):
            self.transcript.host_key = self.transcript.host_key or line
            self.transcript.add("--", f"host key {describe(line)}: pinned")
            return
        if not pinned and self.target.host_key_policy != "strict":
            self.transcript.host_key = line
            self.transcript.add("--", f"host key {describe(line)}: first contact, pinned (accept-new)")
            return
        message = refused_message(pinned, line)
        self.transcript.add("<-", message)
        raise HostKeyError(
            message,
            ap=self.target.ap,
            offered=line,
            pinned=tuple(pinned),
            hint=(HINT_CHANGED if pinned else HINT_STRICT).format(ap=self.target.ap),
        )


class PinnedKeyPolicy(paramiko.MissingHostKeyPolicy):
    """For a paramiko ``SSHClient`` that has no host keys loaded: every key goes through ``check``."""

    def __init__(self, check: HostKeyCheck) -> None:
        self.host_key_check = check

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        self.host_key_check.check(key)


def probe(ap: str, host: str, port: int, timeout: float = 10.0) -> str:
    """The host key ``host:port`` offers (``TYPE BASE64``): key exchange only, no login, nothing sent.

    Raises ConnectError when the AP cannot be reached or speaks no SSH.
    """
    transport: Any = None
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            transport = paramiko.Transport(sock)
            transport.start_client(timeout=timeout)
            return key_line(transport.get_remote_server_key())
    except (OSError, EOFError, paramiko.SSHException) as exc:
        raise ConnectError(
            f"cannot read the host key at {host}:{port}: {exc or type(exc).__name__}",
            ap=ap,
            hint="check that the AP is up and its address and port in the inventory",
        ) from exc
    finally:
        if transport is not None:
            transport.close()
