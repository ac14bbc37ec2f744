"""Upgrading a database: ``m005_series`` re-keys the sample tables of an existing database by series id.

The old layout is built by running the shipped migrations up to ``004_access`` on a real file and
writing rows the way the ``m003_poll`` code did; the upgrade then runs through the same
:func:`migrate` that ``netctl init`` and every open use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from netctl.poll import history
from netctl.poll.store import series
from netctl.store import migrations, open_db

T0 = 1_790_000_000
OLD_RAW = [("ap1", "clients", T0, 12.0), ("ap1", "clients", T0 + 60, 13.0), ("ap1", "in_bps:eth0", T0, 1234.567),
           ("ap2", "up", T0, 1.0), ("ap2", "up", T0 + 60, 0.0),
           ("gone-ap", "cpu", T0, 99.5)]  # an AP no longer in the inventory: its history stays
OLD_5M = [("ap1", "clients", T0 - 3600, 10.4, 9.0, 12.0, 5), ("ap1", "cpu", T0 - 3600, 33.3333, 20.0, 50.0, 5),
          ("gone-ap", "cpu", T0 - 3600, 97.25, 95.0, 99.0, 5)]
OLD_1H = [("ap1", "clients", T0 - 86400, 8.25, 2.0, 19.0, 60)]


def old_layout_db(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database file as netctl left it before ``005_series``, with samples in all three tables."""
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < "005"])
    db = open_db(path, create=True)
    db.conn.executemany("insert into samples (ap, metric, ts, value) values (?, ?, ?, ?)", OLD_RAW)
    for table, rows in (("samples_5m", OLD_5M), ("samples_1h", OLD_1H)):
        db.conn.executemany(f"insert into {table} (ap, metric, ts, value, min, max, n) values (?, ?, ?, ?, ?, ?, ?)",
                            rows)
    assert "idx_samples_ts" in {i.name for i in db.table("samples").indexes}
    db.conn.close()
    monkeypatch.undo()


def named_rows(db: sqlite_utils.Database, table: str, columns: str) -> list[tuple[Any, ...]]:
    if table == "samples":  # raw samples are kept in compressed chunks since 018_sample_chunks
        names = {i: (ap, metric) for i, ap, metric in db.execute("select id, ap, metric from series")}
        return sorted((*names[s], ts, value) for s, ts, value in history.rows(db))
    return db.execute(
        f"select s.ap, s.metric, x.ts, {columns} from [{table}] x join series s on s.id = x.series "
        "order by s.ap, s.metric, x.ts").fetchall()


def test_upgrade_keeps_every_sample_with_its_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    old_layout_db(path, monkeypatch)
    db = open_db(path)
    assert "005_series" in {r["name"] for r in db["_migrations"].rows}
    assert named_rows(db, "samples", "x.value") == sorted(OLD_RAW)
    assert named_rows(db, "samples_5m", "x.value, x.min, x.max, x.n") == sorted(OLD_5M)
    assert named_rows(db, "samples_1h", "x.value, x.min, x.max, x.n") == sorted(OLD_1H)
    # one series per AP x metric, over all three tables; the old names and the ts index are gone
    assert db["series"].count == len({(r[0], r[1]) for r in OLD_RAW + OLD_5M + OLD_1H}) == 5
    assert "samples" not in db.table_names()  # converted into sample_chunks/sample_heads by 018_sample_chunks
    assert [i.origin for i in db.table("samples_5m").indexes] == ["pk"]
    assert not [t for t in db.table_names() if t.endswith("_m003")]
    # readers see the same history, roll-ups included
    got = [(r["metric"], r["epoch"], r["value"], r["resolution"]) for r in series(db, "ap1", None, T0 - 7200,
                                                                                    now=T0 + 120)]
    assert got == [("clients", T0 - 3600, 10.4, "5m"), ("cpu", T0 - 3600, 33.3333, "5m"),
                   ("clients", T0, 12.0, "raw"), ("in_bps:eth0", T0, 1234.567, "raw"),
                   ("clients", T0 + 60, 13.0, "raw")]
    assert [r["value"] for r in series(db, "gone-ap", "cpu", T0 - 7200, now=T0)] == [97.25, 99.5]
    db.conn.close()
    # opening again applies nothing
    again = open_db(path)
    assert again["series"].count == 5
    again.conn.close()


def test_upgrade_of_a_database_without_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < "005"])
    path = tmp_path / "empty.db"
    open_db(path, create=True).conn.close()
    monkeypatch.undo()
    db = open_db(path)
    assert db["series"].count == 0 and history.rows(db) == []
    assert set(db["samples_5m"].columns_dict) == {"series", "ts", "value", "min", "max", "n"}
