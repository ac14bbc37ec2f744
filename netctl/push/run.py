"""Config work on one AP: a push or a read of its running config, as plain data in and out.

A push of one AP is a :class:`PushJob` (everything resolved: target, rendered text, options) and
:func:`push_one` turns it into a :class:`PushResult`; reading one is a :class:`FetchJob` that
:func:`fetch_one` turns into :class:`Fetched`. All are plain data, so the same job runs on a thread
here or in a worker process (:mod:`netctl.push.worker` makes them tasks of :mod:`netctl.runner`).
Workers only talk to devices; every database write (status, versions, audit) happens on the calling
thread as results arrive, so one sqlite connection serves the whole run. One AP's failure is its own
result and never stops the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from netctl.drivers import PushOptions, Target
from netctl.errors import (
    ConnectError,
    DeviceError,
    HostKeyError,
    LockError,
    NetctlError,
    RolledBack,
    RpcError,
    Unsettled,
)
from netctl.results import Result, caught

logger = logging.getLogger(__name__)


#: push statuses that count as a failure of the run (exit code 1): "pending" does not, an unreachable
#: AP says nothing about the change and converges later
PUSH_FAILURES = frozenset({"failed", "skipped", "busy", "rolled-back", "unsettled"})


@dataclass
class PushResult(Result):
    """The outcome of a push (or restore, converge) on one AP.

    ``status``: applied, unchanged, dry-run, pending (unreachable; converge later), failed,
    skipped (a staged rollout stopped before this AP; nothing was sent), busy (another run holds
    the AP, see :mod:`netctl.push.journal`; nothing was sent), rolled-back (the change reached the
    AP but did not stay: read back after confirming, it runs its previous config), unsettled (the AP
    stopped answering after the commit; the next config command reads it back and records the outcome).
    """

    PUBLIC: ClassVar[tuple[str, ...]] = (
        "ap", "ok", "status", "changed", "reason", "rpc_error_tag", "diff", "duration_s", "template",
        "rendered_hash", "version", "transcript", "host_key_refused",
    )

    ap: str
    ok: bool
    status: str
    changed: bool = False
    reason: str | None = None
    rpc_error_tag: str | None = None
    diff: str = ""
    duration_s: float = 0.0
    template: str | None = None
    rendered_hash: str | None = None
    version: int | None = None
    transcript: str = field(default="", repr=False)
    running_after: str = field(default="", repr=False)
    #: the SSH host key the AP presented when it was not pinned yet (first contact) or was refused
    host_key: str | None = field(default=None, repr=False)
    host_key_refused: bool = False

    @property
    def failed(self) -> bool:
        return self.status in PUSH_FAILURES


def failure(ap: str, exc: BaseException, started: float, **extra: Any) -> PushResult:
    """A PushResult for an exception: unreachable → pending, rolled back by the AP → rolled-back, else failed.

    The result keeps the exception and its traceback; an exception that is not a NetctlError (a bug in
    a driver or below) is also logged with its traceback.
    """
    tag = None
    if isinstance(exc, LockError):
        tag = "lock-denied"
    elif host_key_refusal(exc) is not None:
        tag = "host-key-changed"
    elif isinstance(exc, RpcError):
        tag = exc.tag
    if isinstance(exc, DeviceError):
        reason = exc.reason
    elif isinstance(exc, NetctlError):
        reason = exc.message
    else:
        reason = f"{type(exc).__name__}: {exc}"
        logger.error("%s: unexpected %s (a bug, not an answer of the AP)", ap, type(exc).__name__, exc_info=exc)
    status = (
        "pending"
        if isinstance(exc, ConnectError)
        else "rolled-back"
        if isinstance(exc, RolledBack)
        else "unsettled"
        if isinstance(exc, Unsettled)
        else "failed"
    )
    if isinstance(exc, NetctlError):
        logger.info("%s: %s: %s", ap, status, reason)
    return PushResult(
        ap,
        False,
        status,
        reason=reason,
        rpc_error_tag=tag,
        duration_s=round(time.monotonic() - started, 3),
        **caught(exc),
        **extra,
    )


@dataclass
class PushJob:
    """One AP's device work with everything resolved (credentials and secrets included: never logged)."""

    ap: str
    platform: str
    driver: str
    target: Target = field(repr=False)
    text: str = field(repr=False)
    secrets: list[str] = field(default_factory=list, repr=False)
    template: str | None = None
    rendered_hash: str | None = None
    options: PushOptions = field(default_factory=PushOptions)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PushJob:
        return cls(**{**raw, "target": Target(**raw["target"]), "options": PushOptions(**raw["options"])})


def host_key_refusal(exc: BaseException) -> HostKeyError | None:
    """The HostKeyError behind ``exc`` (itself, or the cause of a failed post-check), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, HostKeyError):
            return current
        seen.add(id(current))
        current = current.__cause__
    return None


def host_key_seen(target: Target, transcript: Any, exc: BaseException | None = None) -> tuple[str | None, bool]:
    """What a conversation learnt about the AP's host key: ``(key, refused)``, key None if nothing new."""
    from netctl.hostkey_rules import is_pinned

    refusal = host_key_refusal(exc) if exc is not None else None
    if refusal is not None and refusal.offered:
        return refusal.offered, True
    seen = transcript.host_key
    if seen and not is_pinned(seen, target.host_keys):
        return seen, False
    return None, False


def push_one(job: PushJob) -> PushResult:
    """Push one AP through its driver; every failure is this AP's result (never raises)."""
    from netctl.drivers import Transcript, get_driver
    from netctl.drivers.plan import mask

    started = time.monotonic()
    transcript = Transcript(lambda text: mask(text, job.platform, job.secrets))
    extra: dict[str, Any] = {"template": job.template, "rendered_hash": job.rendered_hash}
    try:
        outcome = get_driver(job.driver).push(job.target, job.text, job.secrets, job.options, transcript)
    except Exception as exc:  # noqa: BLE001 - every failure is this AP's result
        result = failure(job.ap, exc, started, **extra)
        result.transcript = transcript.text()
        result.host_key, result.host_key_refused = host_key_seen(job.target, transcript, exc)
        return result
    host_key, _ = host_key_seen(job.target, transcript)
    return PushResult(
        job.ap,
        True,
        outcome.status,
        changed=outcome.changed,
        diff=outcome.diff,
        duration_s=round(time.monotonic() - started, 3),
        transcript=transcript.text(),
        running_after=outcome.running_after,
        host_key=host_key,
        **extra,
    )


@dataclass
class FetchJob:
    """Reading one AP's running config (backup, diff, drift): where and how to reach it."""

    ap: str
    driver: str
    target: Target = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FetchJob:
        return cls(**{**raw, "target": Target(**raw["target"])})


@dataclass
class Fetched(Result):
    """One AP's running config, or why there is none (``status``: fetched, unreachable, failed)."""

    ap: str
    ok: bool
    status: str
    text: str | None = field(default=None, repr=False)
    reason: str | None = None
    #: as in PushResult: a host key first seen, or refused
    host_key: str | None = field(default=None, repr=False)
    host_key_refused: bool = False

    @property
    def changed(self) -> bool:
        return False


def fetch_one(job: FetchJob) -> Fetched:
    """Read one AP's running config; every failure is this AP's result (never raises)."""
    from netctl.drivers import Transcript, get_driver

    transcript = Transcript()
    try:
        text = get_driver(job.driver).fetch_running(job.target, transcript)
    except NetctlError as exc:
        status = "unreachable" if isinstance(exc, ConnectError) else "failed"
        key, refused = host_key_seen(job.target, transcript, exc)
        logger.info("%s: reading the running config: %s: %s", job.ap, status, exc.message)
        return Fetched(job.ap, False, status, reason=getattr(exc, "reason", None) or exc.message, host_key=key,
                       host_key_refused=refused, **caught(exc))
    except Exception as exc:  # noqa: BLE001 - every failure is this AP's result
        logger.exception("%s: unexpected %s reading the running config (a bug, not an answer of the AP)",
                         job.ap, type(exc).__name__)
        return Fetched(job.ap, False, "failed", reason=f"{type(exc).__name__}: {exc}", **caught(exc))
    key, _ = host_key_seen(job.target, transcript)
    return Fetched(job.ap, True, "fetched", text=text, host_key=key)

