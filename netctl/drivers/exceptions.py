"""Library exceptions become netctl errors in one place per driver: a table and a context manager.

A driver lists, per stage of its conversation (connect, rpc, channel …), which exceptions of its
libraries (ncclient, netmiko, paramiko, the socket layer) become which :class:`~netctl.errors.DeviceError`,
with the message, the hint and the transcript line, and runs its I/O inside :func:`mapped`::

    with mapped(RULES["rpc"], target, transcript, what="edit-config candidate"):
        reply = m.edit_config(...)

The first rule whose types match translates the exception (``raise … from exc``, so the original
stays as ``__cause__``); netctl errors pass through untouched, and an exception no rule names
propagates as it is (a bug, logged with its traceback by the runner, never taken for an answer of
the AP). Messages and transcript lines are format strings over :class:`Seen`'s fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from netctl.drivers import Target, Transcript
from netctl.errors import DeviceError, NetctlError


@dataclass(frozen=True)
class Seen:
    """What a rule's message, hint and transcript line may name (``{what}``, ``{why}`` …)."""

    #: the step that failed (``get-config running``, a CLI command)
    what: str
    #: the exception's text (may be empty)
    exc: str
    #: the exception's text, or its type name when it has none
    why: str
    #: ``Type: text``, or the type name when it has no text
    typed: str
    #: the first line of the exception's text
    line: str
    host: str
    port: int
    user: str

    @classmethod
    def of(cls, exc: BaseException, target: Target, what: str) -> Seen:
        text = str(exc)
        name = type(exc).__name__
        return cls(what, text, text or name, f"{name}: {text}" if text else name,
                   text.splitlines()[0] if text else "", target.host, target.port, target.username)


@dataclass(frozen=True)
class Rule:
    """One row of a driver's exception table: ``types`` become ``error`` with ``message`` and ``hint``.

    ``note`` is the transcript line (``<-``) written before raising; ``build`` replaces ``error``
    and ``message`` where the netctl error depends on the exception's content (a NETCONF
    rpc-error's tag).
    """

    types: tuple[type[BaseException], ...]
    error: type[DeviceError] = DeviceError
    message: str = "{what}: {exc}"
    hint: str | None = None
    note: str | None = None
    build: Callable[[BaseException, Target, str], DeviceError] | None = None

    def translate(self, exc: BaseException, target: Target, what: str) -> DeviceError:
        if self.build is not None:
            return self.build(exc, target, what)
        seen = Seen.of(exc, target, what)
        hint = self.hint.format(**vars(seen)) if self.hint else None
        return self.error(self.message.format(**vars(seen)), ap=target.ap, hint=hint)


def rule_for(rules: Sequence[Rule], exc: BaseException) -> Rule | None:
    """The first rule of ``rules`` that names ``exc``'s type, None when none does."""
    return next((rule for rule in rules if isinstance(exc, rule.types)), None)


def types_of(rules: Sequence[Rule]) -> tuple[type[BaseException], ...]:
    """Every exception type ``rules`` translate (for a clean-up that may ignore them)."""
    return tuple(t for rule in rules for t in rule.types)


@contextmanager
def mapped(rules: Sequence[Rule], target: Target, transcript: Transcript, what: str = "") -> Iterator[None]:
    """Run the block with the library exceptions ``rules`` name translated into netctl errors."""
    try:
        yield
    except NetctlError:
        raise
    except Exception as exc:
        rule = rule_for(rules, exc)
        if rule is None:
            raise
        error = rule.translate(exc, target, what)
        if rule.note is not None:
            transcript.add("<-", rule.note.format(**vars(Seen.of(exc, target, what))))
        elif rule.build is not None:
            transcript.add("<-", error.reason)
        raise error from exc


__all__ = ["Rule", "Seen", "mapped", "rule_for", "types_of"]
