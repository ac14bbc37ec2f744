"""The push journal: an AP's lock and the intent of the run holding it (pure store logic, no devices)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import sqlite_utils

from netctl.push import journal


def intent(ap: str, action: str = "push") -> journal.Intent:
    return journal.Intent(ap, "openwrt", action, "vehicle.uci.j2", "h-" + ap, "sealed-" + ap)


def dead_holder() -> journal.Holder:
    """A holder whose process has ended (a child that exited), as after kill -9 of netctl."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return journal.Holder("ada", journal.Holder.this_process("x").host, child.pid, "gone")


def rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.table(journal.TABLE).rows)


def test_a_second_run_finds_the_ap_busy_and_names_the_holder(memdb: sqlite_utils.Database) -> None:
    me = journal.Holder.this_process("ada")
    assert journal.take(memdb, "run1", me, [intent("bus-1"), intent("bus-2")], confirm_timeout=60) == {}
    busy = journal.take(memdb, "run2", journal.Holder.this_process("bob"), [intent("bus-2"), intent("bus-3")],
                        confirm_timeout=60)
    assert list(busy) == ["bus-2"]
    reason = journal.busy_reason(busy["bus-2"])
    assert "AP busy" in reason and "run1" in reason and "ada" in reason and "nothing was sent" in reason
    assert sorted((r["ap"], r["run"]) for r in rows(memdb)) == [("bus-1", "run1"), ("bus-2", "run1"),
                                                               ("bus-3", "run2")]


def test_release_frees_only_the_runs_own_row(memdb: sqlite_utils.Database) -> None:
    me = journal.Holder.this_process("ada")
    journal.take(memdb, "run1", me, [intent("bus-1")], confirm_timeout=60)
    journal.release(memdb, "run2", "bus-1")  # a busy run's record must not free the holder's lock
    assert [r["run"] for r in rows(memdb)] == ["run1"]
    journal.release(memdb, "run1", "bus-1")
    assert rows(memdb) == []
    assert journal.take(memdb, "run2", me, [intent("bus-1")], confirm_timeout=60) == {}


def test_a_live_holder_is_no_orphan(memdb: sqlite_utils.Database) -> None:
    journal.take(memdb, "run1", journal.Holder.this_process("ada"), [intent("bus-1")], confirm_timeout=0)
    assert journal.orphans(memdb) == ([], [])


def test_a_dead_holder_waits_out_the_rollback_window_then_is_ready(memdb: sqlite_utils.Database) -> None:
    journal.take(memdb, "run1", dead_holder(), [intent("bus-1")], confirm_timeout=30)
    ready, waiting = journal.orphans(memdb)
    assert ready == [] and [r["ap"] for r in waiting] == ["bus-1"]
    seen = rows(memdb)[0]["orphan_seen"]
    assert seen  # stamped at first sight; a second look does not move it
    journal.orphans(memdb)
    assert rows(memdb)[0]["orphan_seen"] == seen
    assert "AP busy" in journal.busy_reason(rows(memdb)[0]) and "ended at an unknown point" in journal.busy_reason(
        rows(memdb)[0]
    )
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=36)).isoformat(timespec="seconds")
    memdb.execute(f"update [{journal.TABLE}] set orphan_seen = ?", [past])
    ready, waiting = journal.orphans(memdb)
    assert [r["ap"] for r in ready] == ["bus-1"] and waiting == []


def test_a_reused_pid_is_not_the_holder(memdb: sqlite_utils.Database) -> None:
    me = journal.Holder.this_process("ada")
    impostor = journal.Holder(me.who, me.host, me.pid, "started-at-another-time")
    journal.take(memdb, "run1", impostor, [intent("bus-1")], confirm_timeout=0)
    assert not journal.holder_alive(rows(memdb)[0])


def test_an_expired_row_of_another_host_is_an_orphan(memdb: sqlite_utils.Database) -> None:
    journal.take(memdb, "run1", journal.Holder("ada", "other-host", 1, "x"), [intent("bus-1")], confirm_timeout=0)
    assert journal.holder_alive(rows(memdb)[0])  # another machine's run: its expiry decides
    memdb.execute(f"update [{journal.TABLE}] set expires = '2000-01-01T00:00:00+00:00'")
    assert not journal.holder_alive(rows(memdb)[0])


def test_abandon_turns_a_live_runs_rows_into_orphans(memdb: sqlite_utils.Database) -> None:
    journal.take(memdb, "run1", journal.Holder.this_process("ada"), [intent("bus-1")], confirm_timeout=0)
    journal.abandon(memdb, "run1")
    assert not journal.holder_alive(rows(memdb)[0])
