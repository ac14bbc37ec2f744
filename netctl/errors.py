"""The one exception tree of netctl.

Every error says what went wrong and what to do next. Third-party exceptions (ncclient, netmiko,
paramiko, pysnmp, sqlite3) are translated at the driver or store boundary with
``raise NetctlError(...) from exc``; nothing above a driver catches library exceptions.

    NetctlError
    ├── ConfigError            bad settings, unknown platform/template, missing secret
    │   ├── SecretError        a secret reference that cannot be resolved
    │   └── NameClash          two definitions claim one name: platform, driver, SNMP profile (netctl.registry)
    ├── InventoryError         bad inventory input (carries a list of Problem with file/line)
    ├── NotFound               an AP, site, tenant, job … that does not exist (or is out of scope)
    ├── PermissionDenied       the user's role or scope does not allow the action
    ├── RenderError            a template failed to render or its output failed a local check
    ├── DeviceError            talking to an AP failed
    │   ├── ConnectError       unreachable, refused, timed out, authentication failed
    │   ├── RpcError           the device answered with an error (NETCONF rpc-error, CLI error line)
    │   ├── HostKeyError       the AP's SSH host key is not the pinned one (nothing was sent)
    │   ├── RolledBack         the change did not stay: the AP runs its previous config again
    │   ├── Unsettled          the AP stopped answering after the commit: whether the change stayed is unknown
    │   └── LockError          the configuration is locked by someone else
    ├── PollError              an SNMP poll failed; ``kind``: timeout, auth, malformed, partial, unsupported, error
    │   ├── BerError           a datagram that is no well-formed SNMP message (netctl.poll.ber)
    │   ├── UsmError           an SNMPv3 reply that fails authentication or decryption (netctl.poll.usm)
    │   ├── WalkError          a table walk that cannot go on (netctl.poll.walk)
    │   └── Failure            one failed request or poll of the fast path (netctl.poll.fast; the pysnmp
    │                          path's is netctl.poll.snmp._Failure)
    ├── RunFailed              APs of a run failed (raised only on request: Results.raise_on_error)
    └── StoreError             the database could not be read or written
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class NetctlError(Exception):
    """Root of all netctl errors. ``hint`` tells the user what to do about it."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(NetctlError):
    """Bad settings, an unknown platform or template, a missing secret."""


class SecretError(ConfigError):
    """A secret reference (env:, file:, secret:) that cannot be resolved."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is and what to do."""

    file: str
    line: int | None
    message: str
    ap: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.ap}]" if self.ap else ""
        return f"{where}:{who} {self.message}"


class InventoryError(NetctlError):
    """Inventory input with one or more problems; nothing was written."""

    exit_code = 2

    def __init__(self, problems: list[Problem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in the inventory; nothing was changed:\n{lines}",
            hint=hint or "fix the lines named above and run the command again",
        )


class NotFound(NetctlError):
    """Something named does not exist, or is outside the user's scope."""

    exit_code = 3


class PermissionDenied(NetctlError):
    """The user's role or scope does not allow this action."""

    exit_code = 4


class RenderError(NetctlError):
    """A template failed to render, or its output failed a local check."""


class DeviceError(NetctlError):
    """Talking to an AP failed."""

    def __init__(self, message: str, *, ap: str | None = None, hint: str | None = None) -> None:
        super().__init__(f"{ap}: {message}" if ap else message, hint=hint)
        self.ap = ap
        self.reason = message


class ConnectError(DeviceError):
    """The AP is unreachable, refused the connection, timed out or rejected the login."""


class RpcError(DeviceError):
    """The AP answered with an error (NETCONF rpc-error, a CLI error line)."""

    def __init__(
        self, message: str, *, ap: str | None = None, tag: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, ap=ap, hint=hint)
        self.tag = tag


class HostKeyError(DeviceError):
    """The AP offered an SSH host key that is not pinned for it; refused before authentication.

    ``offered`` is the key the AP presented (OpenSSH ``TYPE BASE64``), ``pinned`` the keys netctl
    knows for the AP (empty: none known and first contact is not allowed).
    """

    def __init__(
        self,
        message: str,
        *,
        ap: str | None = None,
        offered: str | None = None,
        pinned: tuple[str, ...] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, ap=ap, hint=hint)
        self.offered = offered
        self.pinned = pinned


class RolledBack(DeviceError):
    """The change reached the AP but did not stay: its confirm timer (or a failed confirm) put the
    previous configuration back, as read back after confirming. Nothing needs undoing."""


class Unsettled(DeviceError):
    """The AP stopped answering after netctl committed (or confirmed): whether the change stayed is not
    known yet. The push journal keeps the AP's row, and the next config command reads it back once
    any confirmed commit has had time to roll back (:mod:`netctl.push.journal`)."""


class LockError(DeviceError):
    """The AP's configuration is locked by another session."""


class PollError(NetctlError):
    """An SNMP poll failed; ``kind`` is one of :data:`netctl.poll.model.ERROR_KINDS` (timeout, auth,
    malformed, partial, unsupported, error), the poll result's ``error_kind``."""

    def __init__(self, message: str, *, kind: str = "error", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind


class StoreError(NetctlError):
    """The database could not be read or written."""


class RunFailed(NetctlError):
    """One or more APs of a run failed; raised only when the caller asks (``Results.raise_on_error``).

    ``results`` holds the failed APs' results (each with its reason, and its exception when it came
    from one); ``aps`` their names.
    """

    def __init__(self, results: Sequence[Any]) -> None:
        self.results = list(results)
        self.aps = [result.ap for result in self.results]
        shown = ", ".join(self.aps[:10]) + (f" and {len(self.aps) - 10} more" if len(self.aps) > 10 else "")
        lines = "".join(f"\n  {r.ap}: {r.status}" + (f": {r.reason.splitlines()[0]}" if r.reason else "")
                        for r in self.results[:10])
        super().__init__(
            f"{len(self.aps)} AP(s) failed: {shown}{lines}",
            hint="each AP's reason is above; fix the cause and run the command again for these APs",
        )
