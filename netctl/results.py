"""One result per AP, and the results of a run over many APs.

Every operation of the facade over a selection (render, diff, push, converge, backup, drift, poll …)
returns :class:`Results`: a list with one :class:`Result` per AP, failures included, so one dead AP
never hides the others. Each operation's result class (``PushResult``, ``PollResult``,
``RenderResult``, ``DiffResult``, ``BackupResult``, ``Fetched``) is a dataclass deriving from
:class:`Result` with the fields it needs; all of them answer the same questions:

    ap         the AP's name
    ok         the operation reached its goal on this AP
    status     one word for what happened (applied, pending, in-sync, stored, timeout …)
    changed    whether the AP's configuration changed (a dry run or diff: would change); None when
               unknown; always False for what only reads (render, poll, backup)
    reason     why it failed or what to know about it, else None
    failed     the AP counts as a failure of the run (``not ok``, unless the class says otherwise)
    exception  the exception the failure came from, kept as data (None across a process boundary)
    traceback  that exception's traceback as text when it was unexpected (not a NetctlError: a bug in
               netctl, a driver or a library), which is also logged; else None. A NetctlError says
               what went wrong and what to do in its message; its traceback stays on ``exception``.

A caller that wants an exception opts in with :meth:`Results.raise_on_error`, which raises
:class:`netctl.errors.RunFailed` naming the failed APs.

``to_dict()`` is the public, JSON-ready shape of a result (what ``--json`` prints); the exception is
never part of it. ``to_dict(full=True)`` holds every field but the exception object (the traceback as
text), and ``from_dict`` turns either shape back into a result: that is how results travel from a
worker process to its parent as JSON.
"""

from __future__ import annotations

import traceback as traceback_module
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from netctl.errors import NetctlError, RunFailed

if TYPE_CHECKING:
    from typing import Self

#: the field names of each result class's ``to_dict(full=True)``, computed once per class
_FULL_FIELDS: dict[type, tuple[str, ...]] = {}


@dataclass(slots=True)
class Result:
    """What every per-AP result has (see the module docstring); subclasses add their own fields."""

    #: the fields of the public shape (``to_dict()``), in order
    PUBLIC: ClassVar[tuple[str, ...]] = ()
    #: public fields left out of ``to_dict()`` while they are None (e.g. a backup's version on failure)
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()

    exception: BaseException | None = field(default=None, kw_only=True, repr=False, compare=False)
    traceback: str | None = field(default=None, kw_only=True, repr=False, compare=False)

    if TYPE_CHECKING:
        # fields or properties of every subclass (declared there, in each one's own order)
        @property
        def ap(self) -> str: ...

        @property
        def ok(self) -> bool: ...

        @property
        def status(self) -> str: ...

        @property
        def changed(self) -> bool | None: ...

        @property
        def reason(self) -> str | None: ...

    @property
    def failed(self) -> bool:
        """Whether this AP counts as a failure of the run."""
        return not self.ok

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """The public shape (``--json``), or with ``full`` every field but the exception object."""
        if full:
            names = _FULL_FIELDS.get(type(self))
            if names is None:
                names = _FULL_FIELDS[type(self)] = tuple(f.name for f in fields(self) if f.name != "exception")
            return {name: getattr(self, name) for name in names}
        out = {name: getattr(self, name) for name in self.PUBLIC}
        for name in self.OMIT_NONE:
            if out.get(name, 0) is None:
                del out[name]
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Self:
        """A result from :meth:`to_dict` output (either shape); the exception itself does not travel."""
        return cls(**raw)


@dataclass(slots=True)
class ReadResult(Result):
    """A result of work that changes nothing on the AP and says why it failed in ``error`` (a render,
    a poll): ``changed`` is False, ``reason`` is ``error``."""

    if TYPE_CHECKING:

        @property
        def error(self) -> str | None: ...

    @property
    def changed(self) -> bool:
        return False

    @property
    def reason(self) -> str | None:
        return self.error


def caught(exc: BaseException) -> dict[str, Any]:
    """``exception=`` and ``traceback=`` for a result made from ``exc`` (keyword arguments); the
    traceback text only when ``exc`` is not a NetctlError (see the module docstring)."""
    if isinstance(exc, NetctlError):
        return {"exception": exc, "traceback": None}
    return {"exception": exc, "traceback": "".join(traceback_module.format_exception(exc))}


R = TypeVar("R", bound=Result)


class Results(list[R], Generic[R]):
    """The results of one run, one per AP, in the run's order; a list, so index and iterate as usual."""

    __slots__ = ()

    @property
    def failed(self) -> bool:
        """Whether any AP failed."""
        return any(result.failed for result in self)

    @property
    def failed_aps(self) -> list[str]:
        """The names of the APs that failed, in the run's order."""
        return [result.ap for result in self if result.failed]

    def counts(self) -> dict[str, int]:
        """How many APs ended in each status."""
        counts: dict[str, int] = {}
        for result in self:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def to_dict(self) -> list[dict[str, Any]]:
        """Every result's public shape (what ``--json`` prints)."""
        return [result.to_dict() for result in self]

    def raise_on_error(self) -> None:
        """Raise :class:`netctl.errors.RunFailed` naming the failed APs, if any failed."""
        if self.failed:
            raise RunFailed([result for result in self if result.failed])

