"""Drivers: how netctl talks to an AP's management interface, one small Protocol per transport.

A driver only sequences I/O around the pure planning functions (:mod:`netctl.drivers.plan`); what
differs between platforms is read from their definitions (:mod:`netctl.platforms`). Built-in
drivers are loaded lazily by name (``netconf`` → paramiko and lxml, ``cli`` → netmiko), so importing the
facade never imports a heavy library; third parties add drivers through the ``netctl.drivers``
entry point group (``name = "package.module:DriverClass"``), held by the same kind of registry as
the platforms: a name that is taken raises :class:`~netctl.registry.NameClash`. Layers are
one-way: :mod:`netctl.push` uses drivers, drivers use platforms, never the other way round.

Each driver translates its libraries' exceptions in one place: a table of rules (``EXCEPTIONS``)
applied by :func:`netctl.drivers.exceptions.mapped` around its I/O.

A driver raises only netctl errors: :class:`~netctl.errors.ConnectError` when the AP cannot be
reached at all (the caller marks it ``pending``), :class:`~netctl.errors.LockError`,
:class:`~netctl.errors.RpcError` (with the rpc-error tag) and :class:`~netctl.errors.DeviceError`
for everything else, and :class:`~netctl.errors.HostKeyError` when the AP's SSH host key is not the
pinned one (checked before authentication: nothing was sent). Before raising after a change
began, a driver has put the AP back on its previous config (or says in the message that the AP's
own rollback timer will).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from netctl.errors import ConfigError, DeviceError
from netctl.registry import Registry, import_spec

#: driver name -> ``module:Class``, imported on first use: the built-ins, then the ``netctl.drivers``
#: entry points
DRIVERS: Registry[str] = Registry("driver", "netctl.drivers", load_value=True)
DRIVERS.register("netconf", "netctl.drivers.netconf:NetconfDriver")
DRIVERS.register("cli", "netctl.drivers.cli:CliDriver")


@dataclass
class Target:
    """Where and how to reach one AP (credentials already resolved; never logged)."""

    ap: str
    platform: str
    host: str
    port: int
    username: str
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None
    secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    #: SSH host keys pinned for this AP (``TYPE BASE64``); empty: none yet (see :mod:`netctl.hostkeys`)
    host_keys: list[str] = field(default_factory=list)
    #: ``accept-new`` (pin the key of a first contact) or ``strict`` (only pinned keys)
    host_key_policy: str = "accept-new"
    #: the config about to be pushed is the one last applied to this AP, so its secrets are what netctl
    #: put there (a secret the device shows only as cipher text compares as them; see ``compare``)
    secrets_applied: bool = False


@dataclass
class PushOptions:
    dry_run: bool = False
    confirm_timeout: int = 60
    #: the intended text is the whole configuration (a restore): a CLI driver also removes what the
    #: device has beyond it, where the platform's dialect knows how (NETCONF replaces anyway)
    replace: bool = False
    #: the intended text is a partial config (a targeted change, netctl.push.targeted): only what it
    #: names is compared, sent (NETCONF: merge, not replace) and read back; the AP must have it already
    merge: bool = False
    #: a health gate (:class:`netctl.poll.gate.Gate` as a dict): after the confirmed commit and the
    #: read-back, confirm only once the AP answers SNMP with its clients back, else cancel the commit
    health_gate: dict[str, Any] | None = None


@dataclass
class Outcome:
    """What a driver did. ``status``: applied, unchanged, dry-run."""

    status: str
    changed: bool
    diff: str = ""
    running_before: str = ""
    running_after: str = ""


class Transcript:
    """The device conversation of one AP, masked as it is written (secrets never reach it).

    ``masker`` is typically ``lambda text: netctl.drivers.plan.mask(text, platform, secret_values)``.
    """

    def __init__(self, masker: Callable[[str], str] | None = None) -> None:
        self._mask = masker or (lambda text: text)
        self.lines: list[str] = []
        #: the SSH host key the AP presented (``TYPE BASE64``), set by the first connection
        self.host_key: str | None = None

    def add(self, direction: str, text: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S.%f")[:-3]
        self.lines.append(f"{stamp} {direction} {self._mask(text.rstrip())}")

    def text(self) -> str:
        return "\n".join(self.lines)


class Driver(Protocol):
    """What the push, backup and drift jobs need from a transport."""

    def fetch_running(self, target: Target, transcript: Transcript) -> str:
        """The AP's running configuration as the platform's dialect (what a backup stores)."""
        ...

    def push(
        self,
        target: Target,
        intended: str,
        secrets: Sequence[str],
        options: PushOptions,
        transcript: Transcript,
    ) -> Outcome:
        """Converge the AP on ``intended`` safely (or only diff it, with ``options.dry_run``)."""
        ...


_loaded: dict[str, Driver] = {}


def get_driver(name: str) -> Driver:
    """The driver registered as ``name`` (built-in or entry point), loaded on first use.

    Raises ConfigError for an unknown name, NameClash when two packages define one name.
    """
    spec = DRIVERS.get(name)
    if spec in _loaded:
        return _loaded[spec]
    if spec is None:
        raise ConfigError(
            f"no driver named {name!r}",
            hint="drivers: " + ", ".join(sorted(DRIVERS)) + " (others come from the netctl.drivers entry points)",
        )
    driver: Driver = import_spec(spec)()
    _loaded[spec] = driver
    return driver


def error_lines(output: str, patterns: Sequence[str]) -> list[str]:
    """Lines of device output that match one of the platform's error patterns."""
    compiled = [re.compile(p) for p in patterns]
    return [line.strip() for line in output.splitlines() if any(rx.search(line.strip()) for rx in compiled)]


__all__ = ["Driver", "Outcome", "PushOptions", "Target", "Transcript", "error_lines", "get_driver"]


def refuse_missing(target: Target, intended: str, running: str, transcript: Transcript) -> None:
    """A targeted change (``PushOptions.merge``) must not create what the AP does not have (half an
    SSID): raise DeviceError, nothing sent, when ``intended`` names something ``running`` lacks."""
    from netctl.drivers.plan import missing

    absent = missing(intended, running, target.platform)
    if absent:
        transcript.add("--", "targeted change refused: the AP does not have " + ", ".join(absent))
        raise DeviceError(
            f"the AP does not have {absent[0]} in its running config; nothing was sent",
            ap=target.ap,
            hint="push the AP's full config first (netctl push AP), then switch again",
        )
