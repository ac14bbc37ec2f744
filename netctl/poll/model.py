"""Plain data passed between the poller, worker processes, the store and the facade (no pysnmp here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from netctl.results import ReadResult

#: why a poll of an AP failed (docs/polling.md says what each means for an operator):
#: timeout (no usable answer), auth (credentials refused), malformed (an answer that breaks SNMP or the
#: MIB), partial (answered, but a table walk was cut short), unsupported (answered in another SNMP
#: version), error (agent error-status, settings or secrets missing, anything else)
ERROR_KINDS = ("timeout", "auth", "malformed", "partial", "unsupported", "error")


@dataclass(frozen=True)
class Target:
    """One AP to poll, with its credentials already resolved. Picklable; never printed with secrets."""

    ap: str
    host: str
    port: int = 161
    version: str = "2c"
    community: str | None = field(default=None, repr=False)
    user: str | None = None
    auth_protocol: str = "SHA"
    auth_key: str | None = field(default=None, repr=False)
    priv_protocol: str = "AES"
    priv_key: str | None = field(default=None, repr=False)
    profile: str = "wlan-ap"


@dataclass(slots=True)
class PollResult(ReadResult):
    """The outcome of polling one AP: values when ``ok``, else ``error_kind`` and ``error``.

    ``state`` is the AP's health state after this poll (filled in by the store); ``error_kind`` is one of
    :data:`ERROR_KINDS`, and ``error`` says what was seen. As every :class:`Result`: ``status`` is
    "answered" or the error kind, ``reason`` the error, ``changed`` False (a poll changes nothing).
    """

    PUBLIC: ClassVar[tuple[str, ...]] = ("ap", "ok", "state", "latency_ms", "error_kind", "error", "values", "ts")

    ap: str
    ok: bool
    state: str | None = None
    latency_ms: float | None = None
    error_kind: str | None = None
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    ts: float = 0.0

    @property
    def status(self) -> str:
        return "answered" if self.ok else self.error_kind or "error"
