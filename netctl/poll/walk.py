"""The one rule for walking table columns by GETBULK (pure; both SNMP paths use it).

A walk asks for several columns at once; each GETBULK reply is checked as a whole before any row
of it is kept (:meth:`Walk.absorb`), so a reply that is refused leaves the walk where it was and the
round can be sent again:

- more values than asked for (columns x max-repetitions): ``malformed`` (extra varbinds);
- no values at all: ``malformed``;
- an OID not greater than the last one of its column (or than the OID asked for): ``malformed`` —
  this catches replies going backwards, repeated rows and loops, also when the OID going backwards
  lies outside the column (which otherwise looks like the column's end, and cuts the table short);
- a column ends at endOfMibView or at the first OID past its subtree;
- a walk that has not ended after ``max_rounds`` rounds: ``malformed`` (an agent walking forever).

A round that fails (timeout, refused reply) is the caller's to retry; when it keeps failing after
rows were read, :meth:`Walk.failed` turns the failure into ``partial``: the table is known to be cut
short and is never reported as complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netctl.errors import PollError

Oid = tuple[int, ...]
Typed = tuple[str, Any]


class WalkError(PollError):
    """A walk that cannot go on: ``kind`` is malformed or partial (or the round's own failure kind)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message, kind=kind)


def dotted(oid: Sequence[int]) -> str:
    return ".".join(map(str, oid))


class Walk:
    """The state of a GETBULK walk over ``prefixes`` (columns), one round at a time."""

    def __init__(self, prefixes: Sequence[Oid], *, max_repetitions: int, max_rounds: int) -> None:
        self.prefixes = [tuple(p) for p in prefixes]
        self.max_repetitions = max_repetitions
        self.max_rounds = max_rounds
        self.rows: list[dict[str, Typed]] = [{} for _ in self.prefixes]
        self.pending: dict[int, Oid] = dict(enumerate(self.prefixes))
        self.last: dict[int, Oid] = dict(self.pending)
        self.rounds = 0

    @property
    def done(self) -> bool:
        return not self.pending

    @property
    def rows_read(self) -> int:
        return sum(len(column) for column in self.rows)

    def next_request(self) -> tuple[list[int], list[Oid]]:
        """The columns still walked and the OIDs to ask for next; raises WalkError past ``max_rounds``."""
        if self.rounds >= self.max_rounds:
            raise WalkError("malformed", f"table walk did not end after {self.max_rounds} GETBULK rounds "
                                         f"({self.max_rounds * self.max_repetitions} rows per column)")
        keys = list(self.pending)
        return keys, [self.last[k] for k in keys]

    def absorb(self, keys: Sequence[int], varbinds: Sequence[tuple[Oid, Typed]]) -> None:
        """Check one reply to the request for ``keys`` and keep its rows; raises WalkError (malformed)
        without changing the walk when the reply breaks a rule."""
        width = len(keys)
        if not varbinds:
            raise WalkError("malformed", "GETBULK answered with no values")
        asked = width * self.max_repetitions
        if len(varbinds) > asked:
            raise WalkError("malformed", f"GETBULK of {width} column(s) x {self.max_repetitions} answered with "
                                         f"{len(varbinds)} values (at most {asked})")
        last = {k: self.last[k] for k in keys}
        ended: set[int] = set()
        kept: list[tuple[int, str, Typed]] = []
        for pos, (oid, typed) in enumerate(varbinds):
            k = keys[pos % width]
            if k in ended:
                continue
            if typed[0] == "endOfMibView":
                ended.add(k)
                continue
            if oid <= last[k]:
                raise WalkError("malformed", f"OID not increasing: {dotted(oid)} after {dotted(last[k])} "
                                             f"(column {dotted(self.prefixes[k])})")
            prefix = self.prefixes[k]
            if oid[:len(prefix)] != prefix:
                ended.add(k)
                continue
            last[k] = oid
            kept.append((k, dotted(oid[len(prefix):]), typed))
        self.rounds += 1
        for k, index, typed in kept:
            self.rows[k][index] = typed
        self.last.update(last)
        for k in ended:
            self.pending.pop(k, None)

    def failed(self, kind: str, message: str) -> WalkError:
        """The error for a round that failed for good: ``partial`` once rows were read, else ``kind``."""
        if self.rows_read:
            columns = ", ".join(dotted(self.prefixes[k]) for k in sorted(self.pending))
            return WalkError("partial", f"table walk cut short after {self.rows_read} rows in {self.rounds} "
                                        f"round(s) ({kind}: {message}); not finished: {columns}")
        return WalkError(kind, message)
