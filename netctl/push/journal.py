"""The push journal: one row per AP being changed, written before anything is sent.

The row is two things at once:

- **the AP's lock.** A second push, converge or restore of the same AP, from this process or any
  other sharing the database, finds the row and leaves the AP alone ("AP busy, pushed by …"): two
  runs never interleave on one device. A row expires (``expires``) so a holder on another machine
  that vanished cannot block an AP for ever.
- **the intent.** It names the run, who started it and the configuration about to be sent (sealed,
  like stored versions). When a run dies before recording an AP's result (``kill -9``, a crash,
  a power cut), its rows stay behind: the next config command finds them, reads those APs back and
  records what the device really runs (:meth:`netctl.push.ops.ConfigService.reconcile`).

A row is deleted in the same transaction that records the AP's result, so "row present" always means
"outcome unknown". An orphan is only read back once any confirmed commit it may have left on the
device has had time to roll back (``confirm_timeout`` after it was first seen orphaned): before that
the device may still show a configuration it is about to drop.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from netctl.store.db import transaction

TABLE = "push_intents"
#: how long a lock outlives the longest a run may spend on one AP (connect, confirm, read back)
LOCK_MARGIN_S = 900
#: how long after a confirmed commit's timeout a device is taken to have rolled back
ROLLBACK_GRACE_S = 5


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds")


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (so a reused pid is not taken for the holder), or None."""
    try:
        stat = open(f"/proc/{pid}/stat", encoding="ascii", errors="replace").read()  # noqa: SIM115
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


@dataclass(frozen=True)
class Holder:
    """Who holds a journal row: the netctl user, and the process (host, pid, its start time)."""

    who: str
    host: str
    pid: int
    pid_start: str

    @classmethod
    def this_process(cls, who: str) -> Holder:
        pid = os.getpid()
        return cls(who, socket.gethostname(), pid, _process_start(pid) or "")

    def describe(self) -> str:
        return f"{self.who} (pid {self.pid} on {self.host})"


@dataclass(frozen=True)
class Intent:
    """What a run is about to send to one AP."""

    ap: str
    platform: str
    action: str
    template: str | None
    intended_hash: str | None
    sealed: str


def holder_alive(row: dict[str, Any]) -> bool:
    """False when the row's process is gone (same host, pid dead or reused), or the row expired."""
    if _iso(_now()) >= str(row["expires"]):
        return False
    if row["host"] != socket.gethostname():
        return True  # another machine's run: trust its expiry
    start = _process_start(int(row["pid"]))
    return start is not None and start == row["pid_start"]


def take(
    db: sqlite_utils.Database,
    run: str,
    holder: Holder,
    intents: Sequence[Intent],
    *,
    confirm_timeout: int,
) -> dict[str, dict[str, Any]]:
    """Write ``intents`` as run ``run``'s rows; returns ``{ap: row}`` of the APs held by someone else.

    All or nothing per AP and atomic across processes (one IMMEDIATE transaction): of two runs
    racing for an AP, exactly one gets it.
    """
    now = _now()
    expires = _iso(now + dt.timedelta(seconds=confirm_timeout + LOCK_MARGIN_S))
    busy: dict[str, dict[str, Any]] = {}
    table = db.table(TABLE)
    with transaction(db):
        for intent in intents:
            held = list(table.rows_where("ap = ?", [intent.ap]))
            if held:
                busy[intent.ap] = held[0]
                continue
            table.insert(
                {
                    "ap": intent.ap,
                    "run": run,
                    "action": intent.action,
                    "platform": intent.platform,
                    "template": intent.template,
                    "intended_hash": intent.intended_hash,
                    "sealed": intent.sealed,
                    "who": holder.who,
                    "host": holder.host,
                    "pid": holder.pid,
                    "pid_start": holder.pid_start,
                    "started": _iso(now),
                    "expires": expires,
                    "confirm_timeout": confirm_timeout,
                    "orphan_seen": None,
                }
            )
    return busy


def release(db: sqlite_utils.Database, run: str, ap: str) -> None:
    """Delete run ``run``'s row of ``ap`` (call it inside the transaction that records the result)."""
    db.execute(f"delete from [{TABLE}] where ap = ? and run = ?", [ap, run])


def release_all(db: sqlite_utils.Database, run: str, aps: Iterable[str]) -> None:
    with transaction(db):
        for ap in aps:
            release(db, run, ap)


def busy_reason(row: dict[str, Any]) -> str:
    """The reason a push gives for an AP another run holds."""
    who = f"{row['who']} (pid {row['pid']} on {row['host']})"
    if holder_alive(row):
        return (
            f"AP busy: {row['action']} run {row['run']} by {who} has held it since {row['started']}; "
            "nothing was sent; try again when that run has finished"
        )
    return (
        f"AP busy: {row['action']} run {row['run']} by {who} ended at an unknown point; nothing was sent. "
        "netctl reads the AP back and records what it runs on the next config command once any "
        f"confirmed commit has rolled back ({settles_at(row)})"
    )


def settles_at(row: dict[str, Any]) -> str:
    """When an orphaned row may be read back: ``confirm_timeout`` after it was first seen orphaned."""
    seen = dt.datetime.fromisoformat(str(row["orphan_seen"])) if row.get("orphan_seen") else _now()
    return _iso(seen + dt.timedelta(seconds=int(row["confirm_timeout"] or 0) + ROLLBACK_GRACE_S))


def orphans(db: sqlite_utils.Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(ready, waiting)``: rows whose run is gone, split by whether they may be read back now.

    The first time a row is seen orphaned its ``orphan_seen`` is stamped; it becomes ready once a
    confirmed commit the dead run may have left has rolled back.
    """
    if TABLE not in db.table_names():
        return [], []
    dead = [row for row in db.table(TABLE).rows if not holder_alive(row)]
    if not dead:
        return [], []
    now = _iso(_now())
    with transaction(db):
        for row in dead:
            if not row.get("orphan_seen"):
                row["orphan_seen"] = now
                db.execute(f"update [{TABLE}] set orphan_seen = ? where ap = ? and run = ?",
                           [now, row["ap"], row["run"]])
    ready = [row for row in dead if settles_at(row) <= now]
    waiting = [row for row in dead if settles_at(row) > now]
    return ready, waiting


def leave_unsettled(db: sqlite_utils.Database, run: str, ap: str) -> None:
    """Keep run ``run``'s row of ``ap`` as an orphan: its outcome is unknown (the AP stopped answering
    after the commit), so the next config command reads it back (call inside the recording transaction)."""
    db.execute(f"update [{TABLE}] set expires = ? where run = ? and ap = ?", [_iso(_now()), run, ap])


def abandon(db: sqlite_utils.Database, run: str) -> None:
    """Mark run ``run``'s remaining rows as orphaned now (the run stopped with their outcome unknown)."""
    if TABLE in db.table_names():
        with transaction(db):
            db.execute(f"update [{TABLE}] set expires = ? where run = ?", [_iso(_now()), run])
