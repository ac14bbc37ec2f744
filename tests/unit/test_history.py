"""Raw samples in compressed chunks (netctl.poll.history): the same history as a row per sample gave.

The reference is what the ``samples`` table did: ``insert or ignore`` (the first value at a time wins),
None and NaN not stored, -0.0 read back as 0.0, retention deleting what is older than the cutoff, the
5-minute fold as SQLite's ``avg/min/max/count``. A property test drives writes of every kind (polls,
late samples, repeats, bursts of one series, NaN) and retention through both and compares them; the
migration test compares ``series()`` before and after ``018_sample_chunks``; a writer process killed
with SIGKILL mid-write leaves every poll it committed and none half.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netctl.poll import chunks, history
from netctl.poll.history import MAX_CHUNK_BYTES, WINDOW, window_start
from netctl.store import migrations, open_db
from netctl.store.db import transaction

PROPS = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])
T0 = 1_790_000_000
ROOT = Path(__file__).resolve().parents[2]


class Reference:
    """The row-per-sample store: ``(series, ts) -> value``, first write wins, a cutoff deletes."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], float] = {}
        self.cut: int | None = None

    def write(self, rows: list[tuple[int, int, Any]]) -> None:
        for series_id, ts, value in rows:
            if value is None or value != value or (self.cut is not None and ts < self.cut):
                continue
            self.rows.setdefault((series_id, int(ts)), float(value) + 0.0)

    def expire(self, before: int) -> int:
        if self.cut is not None and before <= self.cut:
            return 0
        old = [key for key in self.rows if key[1] < before]
        for key in old:
            del self.rows[key]
        self.cut = before
        return len(old)

    def sorted(self) -> list[tuple[int, int, float]]:
        return [(s, t, v) for (s, t), v in sorted(self.rows.items())]

    def fold(self, since: int, until: int, width: int) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(":memory:")
        conn.execute("create table samples (series integer, ts integer, value real, primary key (series, ts)) "
                     "without rowid")
        conn.executemany("insert into samples values (?, ?, ?)", self.sorted())
        return conn.execute(f"select series, (ts / {width}) * {width}, avg(value), min(value), max(value), count(*) "
                            "from samples where ts >= ? and ts < ? group by series, ts / ?", [since, until, width]
                            ).fetchall()


def fresh(db: sqlite_utils.Database) -> None:
    for table in ("sample_heads", "sample_chunks", "poll_settings", "series"):
        db.execute(f"delete from [{table}]")
    db.conn.executemany("insert into series (id, ap, metric) values (?, ?, ?)",
                        [(s, f"ap{s}", "m") for s in range(1, 41)])


def check_layout(db: sqlite_utils.Database) -> None:
    """Every chunk decodes, lies in one window of its series and fits a page; heads hold each series' newest."""
    newest: dict[int, int] = {}
    for series_id, start, data in db.execute("select series, start, data from sample_chunks"):
        samples = chunks.decode(data)
        assert samples[0][0] == start
        assert window_start(series_id, samples[-1][0]) == window_start(series_id, start)
        assert len(data) <= history.MAX_CHUNK_BYTES or len(samples) == 1
        newest[series_id] = max(newest.get(series_id, start), samples[-1][0])
    for series_id, wend, start, last_ts, last_value, data in db.execute(
            "select series, wend, start, last_ts, last_value, data from sample_heads"):
        samples = history.unpack_head(series_id, start, data)
        assert samples[0][0] == start and samples[-1] == (last_ts, last_value)
        assert [t for t, _v in samples] == sorted({t for t, _v in samples})
        assert start < wend <= window_start(series_id, start) + WINDOW
        assert last_ts > newest.get(series_id, last_ts - 1)  # no chunk holds anything newer


def compare(db: sqlite_utils.Database, ref: Reference) -> None:
    got = history.rows(db)
    want = ref.sorted()
    assert [(s, t) for s, t, _v in got] == [(s, t) for s, t, _v in want]
    assert [struct_bits(v) for *_k, v in got] == [struct_bits(v) for *_k, v in want]
    # the exporter's view: the newest sample of every series, from the heads alone
    last: dict[int, tuple[int, float]] = {}
    for s, t, v in want:
        last[s] = (t, v)
    heads = {s: (t, v) for s, t, v in db.execute("select series, last_ts, last_value from sample_heads")}
    assert heads == last


def struct_bits(value: float) -> bytes:
    import struct

    return struct.pack("<d", value)


VALUE = st.one_of(st.sampled_from([0.0, -0.0, 1.0, 20.0, math.inf, -math.inf, math.nan, None, 2.0 ** 70, 1e-300]),
                  st.floats(allow_nan=False, allow_infinity=False),
                  st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False).map(float))


@st.composite
def operations(draw: Any) -> list[tuple[str, Any]]:
    """Polls (one sample per series, time moving on), late and repeated samples, bursts, retention."""
    ops: list[tuple[str, Any]] = []
    now = T0
    series_ids = draw(st.lists(st.integers(1, 40), min_size=1, max_size=6, unique=True))
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["poll", "poll", "poll", "poll", "late", "repeat", "burst", "expire"]))
        if kind == "poll":
            now += draw(st.sampled_from([60, 61, 59, 300, 3600, WINDOW, 3 * WINDOW, 1]))
            value = draw(VALUE)
            ops.append(("write", [(s, now, value if i % 2 else draw(VALUE)) for i, s in enumerate(series_ids)]))
        elif kind == "late":
            ops.append(("write", [(draw(st.sampled_from(series_ids)), now - draw(st.integers(1, 3 * WINDOW)),
                                   draw(VALUE))]))
        elif kind == "repeat":
            ops.append(("write", [(s, now, draw(VALUE)) for s in series_ids]))
        elif kind == "burst":  # one series, many samples in one write (out of order, repeated)
            s = draw(st.sampled_from(series_ids))
            stamps = draw(st.lists(st.integers(now - 2 * WINDOW, now + 2 * WINDOW), min_size=2, max_size=150))
            ops.append(("write", [(s, t, draw(VALUE)) for t in stamps]))
            now = max(now, *stamps)
        else:
            ops.append(("expire", now - draw(st.sampled_from([0, 600, 3600, 2 * WINDOW, 10**6]))))
    return ops


@pytest.fixture(scope="module")
def shared_db() -> sqlite_utils.Database:
    return open_db(":memory:")


@PROPS
@given(operations())
def test_chunks_hold_what_a_row_per_sample_held(shared_db: sqlite_utils.Database,
                                                ops: list[tuple[str, Any]]) -> None:
    replay(shared_db, ops)


@PROPS
@given(operations())
def test_the_same_with_tiny_heads_and_chunks(shared_db: sqlite_utils.Database, ops: list[tuple[str, Any]]) -> None:
    """Heads closing after 3 samples and chunks split above 40 bytes: several chunks and a head share a
    window, and late samples land among them."""
    saved = history.HEAD_SAMPLES, history.MAX_CHUNK_BYTES
    history.HEAD_SAMPLES, history.MAX_CHUNK_BYTES = 3, 40
    try:
        replay(shared_db, ops)
    finally:
        history.HEAD_SAMPLES, history.MAX_CHUNK_BYTES = saved


def replay(db: sqlite_utils.Database, ops: list[tuple[str, Any]]) -> None:
    fresh(db)
    ref = Reference()
    for kind, arg in ops:
        with transaction(db):
            if kind == "write":
                history.write(db, arg)
                ref.write(arg)
            else:
                assert history.expire(db, arg) == ref.expire(arg)
        compare(db, ref)
    check_layout(db)
    # reads of one series and of a time range agree with the reference too
    all_rows = ref.sorted()
    if all_rows:
        lo, hi = all_rows[0][1], all_rows[-1][1]
        mid = (lo + hi) // 2
        some = {all_rows[0][0]}
        assert history.rows(db, some, mid, hi) == [r for r in all_rows if r[0] in some and mid <= r[1] < hi]
        assert nan_as_null(history.fold(db, lo, hi + 1, 300)) == nan_as_null(ref.fold(lo, hi + 1, 300))


def nan_as_null(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """SQLite stores a NaN as NULL (an average of inf and -inf lands as NULL in samples_5m either way)."""
    return [tuple(None if isinstance(v, float) and v != v else v for v in row) for row in rows]


def test_a_day_of_polls_closes_one_head_per_window_and_reads_back(memdb: sqlite_utils.Database) -> None:
    fresh(memdb)
    ref = Reference()
    queries: list[str] = []
    for i in range(24 * 60):
        rows = [(s, T0 + 60 * i, float(s) if s % 2 else 1000.0 + 60 * i) for s in range(1, 25)]
        with transaction(memdb):
            if i == 24 * 60 - 1:
                with memdb.tracer(lambda sql, params: queries.append(sql)):
                    history.write(memdb, rows)
            else:
                history.write(memdb, rows)
        ref.write(rows)
    compare(memdb, ref)
    check_layout(memdb)
    per_series = memdb.execute("select count(*) from sample_chunks where series = 1").fetchone()[0]
    assert per_series in (11, 12)  # 24 h of 2-hour windows, the last one open
    size = memdb.execute("select sum(length(data)) from sample_chunks").fetchone()[0]
    assert size / (24 * 60 * 24) < 0.4  # bytes of chunk data per sample: regular values compress to little
    # a poll is one indexed query for heads due and one UPDATE per sample, plus the heads it closes
    assert sum(1 for q in queries if q.startswith("select series, wend")) == 1
    folded = history.fold(memdb, T0, T0 + 86400, 300)
    assert folded == ref.fold(T0, T0 + 86400, 300)


def test_fast_polls_close_heads_early_and_big_chunks_split(memdb: sqlite_utils.Database) -> None:
    import random

    rng = random.Random(7)
    fresh(memdb)
    ref = Reference()
    for i in range(2000):  # every 5 s, noisy floats (XOR: ~8 bytes a sample)
        rows = [(1, T0 + 5 * i, rng.random()), (2, T0 + 5 * i, 1.0)]
        with transaction(memdb):
            history.write(memdb, rows)
        ref.write(rows)
    compare(memdb, ref)
    check_layout(memdb)
    head_sizes = [n for (n,) in memdb.execute("select length(data) / 10 from sample_heads")]
    assert max(head_sizes) <= history.HEAD_SAMPLES + 1  # the first window learnt the pace; later heads close early
    noisy = [len(d) for (d,) in memdb.execute("select data from sample_chunks where series = 1")]
    assert noisy and max(noisy) <= MAX_CHUNK_BYTES


def test_late_and_repeated_samples_keep_the_first_value(memdb: sqlite_utils.Database) -> None:
    fresh(memdb)
    with transaction(memdb):
        history.write(memdb, [(1, T0 + 60 * i, float(i)) for i in range(300)])  # a burst: chunks and a head
    with transaction(memdb):
        history.write(memdb, [(1, T0 + 60 * 10, 99.0), (1, T0 + 60 * 10 + 30, 7.5), (1, T0 + 60 * 299, 98.0)])
    got = dict((t, v) for _s, t, v in history.rows(memdb))
    assert got[T0 + 600] == 10.0 and got[T0 + 630] == 7.5 and got[T0 + 60 * 299] == 299.0
    assert len(got) == 301
    check_layout(memdb)


def test_a_late_sample_rewrites_only_its_own_window(memdb: sqlite_utils.Database) -> None:
    fresh(memdb)
    for i in range(24 * 60):
        with transaction(memdb):
            history.write(memdb, [(1, T0 + 60 * i, float(i % 5))])
    before = memdb.execute("select start, data from sample_chunks where series = 1 order by start").fetchall()
    late = T0 + 3 * 3600 + 30  # between two polls, 21 hours ago (a clock stepped back, a slow worker)
    with transaction(memdb):
        history.write(memdb, [(1, late, 9.0)])
    after = memdb.execute("select start, data from sample_chunks where series = 1 order by start").fetchall()
    changed = [row for row in after if row not in before]
    assert len(changed) == 1 and len(after) == len(before)
    assert window_start(1, changed[0][0]) == window_start(1, late)
    assert (late, 9.0) in chunks.decode(changed[0][1])
    check_layout(memdb)


def test_retention_hides_at_once_and_drops_whole_chunks_later(memdb: sqlite_utils.Database) -> None:
    fresh(memdb)
    ref = Reference()
    rows = [(1, T0 + 60 * i, float(i % 7)) for i in range(600)]  # 10 hours
    with transaction(memdb):
        history.write(memdb, rows)
    ref.write(rows)
    cut = T0 + 60 * 250
    with transaction(memdb):
        assert history.expire(memdb, cut) == ref.expire(cut) == 250
    compare(memdb, ref)
    assert memdb.execute("select min(start) from sample_chunks").fetchone()[0] > cut - WINDOW
    assert history.expire(memdb, cut - 3600) == 0  # the cutoff never moves back: nothing reappears
    compare(memdb, ref)
    with transaction(memdb):
        history.write(memdb, [(1, cut - 60, 5.0)])  # older than the cutoff: not stored
    compare(memdb, ref)
    with transaction(memdb):
        assert history.expire(memdb, T0 + 60 * 700) == 350
    assert memdb.execute("select count(*) from sample_heads").fetchone()[0] == 0  # the series ended long ago
    assert history.rows(memdb) == []


# -- the migration -------------------------------------------------------------------------------
OLD_SERIES = """
select s.metric as metric, s.label as label, x.ts as ts, x.value as value from series s
join samples x on x.series = s.id where s.ap = ? and x.ts >= ? order by x.ts, s.metric
"""  # what series() read for raw samples before 018


def test_migration_converts_every_row_and_series_reads_the_same(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    from netctl.poll.store import series

    rng = random.Random(3)
    path = tmp_path / "old.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < "018"])
    db = open_db(path, create=True)
    db.conn.executemany("insert into series (id, ap, metric, label) values (?, ?, ?, ?)",
                        [(1, "ap1", "clients", None), (2, "ap1", "in_bps:if1", "eth0"), (3, "ap1", "up", None),
                         (4, "gone", "cpu", None)])
    raw = [(1, T0 + 60 * i, float(rng.randint(0, 30))) for i in range(400)]
    raw += [(2, T0 + 60 * i + rng.randint(0, 2), round(rng.uniform(0, 1e7), 3)) for i in range(400)]
    raw += [(3, T0 + 60 * i, 1.0) for i in range(400)] + [(4, T0 - 86400, -0.0), (4, T0, math.inf)]
    db.conn.executemany("insert into samples (series, ts, value) values (?, ?, ?)", raw)
    db.conn.executemany("insert into samples_5m (series, ts, value, min, max, n) values (?, ?, ?, ?, ?, ?)",
                        [(1, T0 - 3600, 10.5, 9.0, 12.0, 5)])
    db.conn.commit()
    before = {ap: [dict(r) for r in db.query(OLD_SERIES, [ap, T0 - 7200])] for ap in ("ap1", "gone")}
    stored = sorted(db.execute("select series, ts, value from samples").fetchall())
    db.conn.close()
    monkeypatch.undo()

    db = open_db(path)
    assert "samples" not in db.table_names()
    assert history.rows(db) == [(s, t, v + 0.0) for s, t, v in stored]
    check_layout(db)
    for ap, rows in before.items():
        got = [{k: r[k] for k in ("metric", "label", "ts", "value")}
               for r in series(db, ap, None, T0 - 7200, now=T0) if r["resolution"] == "raw"]
        assert got == [{**r, "ts": history_iso(r["ts"])} for r in rows]
    # the roll-up before the oldest raw sample is still read where raw has none
    assert [r["resolution"] for r in series(db, "ap1", "clients", T0 - 7200, now=T0)][0] == "5m"


def history_iso(ts: int) -> str:
    from netctl.poll.store import iso

    return str(iso(ts))


# -- a writer killed mid-write -------------------------------------------------------------------
WRITER = r"""
import sys, time
from netctl.store import open_db
from netctl.store.db import transaction
from netctl.poll import history
db = open_db(sys.argv[1])
T0, n = int(sys.argv[2]), 300
for i in range(100000):
    rows = [(s, T0 + 60 * i, float((i * s) % 97)) for s in range(1, n + 1)]
    with transaction(db):
        history.write(db, rows)
    print(i, flush=True)
"""


def test_a_writer_killed_mid_write_loses_no_committed_poll(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    db = open_db(path, create=True)
    db.conn.executemany("insert into series (id, ap, metric) values (?, ?, ?)",
                        [(s, f"ap{s}", "m") for s in range(1, 301)])
    db.conn.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(T0)], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout is not None
    committed = -1
    deadline = time.monotonic() + 60
    # past a few windows (so heads have closed into chunks), then kill it while it writes
    while committed < 400 and time.monotonic() < deadline:
        committed = int(proc.stdout.readline())
    time.sleep(0.013)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read().split()
    committed = int(rest[-1]) if rest else committed
    assert committed >= 400

    db = open_db(path)
    rows = history.rows(db)
    polls = {t for _s, t, _v in rows}
    last = (max(polls) - T0) // 60
    assert last in (committed, committed + 1)  # the poll being written when killed: all of it or none
    assert polls == {T0 + 60 * i for i in range(last + 1)}
    assert len(rows) == 300 * (last + 1)  # every series of every poll
    assert all(v == float((((t - T0) // 60) * s) % 97) for s, t, v in rows)
    check_layout(db)
    assert db.execute("select count(*) from sample_chunks").fetchone()[0] > 0
    # and it goes on from there
    with transaction(db):
        history.write(db, [(s, T0 + 60 * (last + 1), 1.0) for s in range(1, 301)])
    assert len(history.rows(db)) == 300 * (last + 2)
