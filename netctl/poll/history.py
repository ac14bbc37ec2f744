"""Raw samples in compressed chunks per series: writing, reading, expiring (what the ``samples`` table held).

Two tables (migration ``018_sample_chunks``) hold every raw sample ``(series, ts, value)``:

- ``sample_heads``: one row per series, its **open chunk**: the samples since the series' current
  window began, as 10-byte records (``<Hd``: seconds since the window's start, the value) appended
  to ``data`` by one UPDATE per sample, plus ``start`` (its first ts), ``last_ts``/``last_value`` (the
  series' newest sample, which is always here: the exporter reads it with SQL) and ``wend``, the time
  at which the chunk closes (indexed);
- ``sample_chunks``: the **closed chunks**, ``(series, start, data)`` WITHOUT ROWID, ``data`` encoded by
  :mod:`netctl.poll.chunks` (delta-of-delta timestamps, decimal deltas or XOR values, DEFLATE).

A series' time is cut into windows of :data:`WINDOW` seconds, shifted per series (so the series of a
fleet do not all close at the same poll: each poll closes about 1/120 of them at 1-minute polls). The
first sample at or past ``wend`` closes the head: its records are encoded into a chunk, and the new
sample starts the next head. That happens in the write's transaction (the poll's), so a process
killed at any point leaves either the poll with its closed chunks or neither. Every chunk lies in one
window; chunks of more than :data:`MAX_CHUNK_BYTES` are split (so a row never needs an overflow page).

Samples at a time already stored keep the first value (as ``insert or ignore`` did); a sample older
than the head's newest (a late one) or several samples of one series in one write are merged by
rewriting the windows they fall in (:func:`_merge`): rare, and exact.

Retention: :func:`expire` deletes whole chunks and heads once all their samples are older than the
cutoff, and records the cutoff (``poll_settings`` key ``samples_raw_cutoff``, only moving forward);
readers hide samples older than it, so raw history looks exactly as if every old sample had been
deleted, without re-encoding the chunk the cutoff falls in. A sample older than the cutoff is not
written at all.

Reads take one snapshot (a read transaction when the caller has none): a head closing into a chunk
meanwhile is never seen twice or missed.
"""

from __future__ import annotations

import json
import math
import sqlite3
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from netctl.poll import chunks

#: length of a series' window (s): a head closes into a chunk once per window (120 samples at 1-minute polls)
WINDOW = 7200
#: a head closes early when this many samples are expected before its window ends (fast polls)
HEAD_SAMPLES = 240
#: a closed chunk larger than this is split in two (WITHOUT ROWID rows over ~1000 bytes spill over)
MAX_CHUNK_BYTES = 900
CUTOFF_KEY = "samples_raw_cutoff"
_STRIDE = 2654435761  # odd, prime to 2, 3 and 5: consecutive series ids get far-apart window offsets
_RECORD = struct.Struct("<Hd")
_SQLITE_KBN = sqlite3.sqlite_version_info >= (3, 43, 0)

Row = tuple[int, int, float]


# -- windows and head records (pure) ---------------------------------------------------------------
def window_start(series: int, ts: int) -> int:
    """Start of the window of ``series`` that holds ``ts`` (windows are shifted per series)."""
    return ts - (ts - (series * _STRIDE) % WINDOW) % WINDOW


def pack_head(samples: Iterable[tuple[int, float]], base: int) -> bytes:
    """Head records of samples of one window starting at ``base``."""
    return b"".join(_RECORD.pack(ts - base, value) for ts, value in samples)


def unpack_head(series: int, start: int, data: bytes, since: int | None = None) -> list[tuple[int, float]]:
    """The samples of a head whose first sample is at ``start`` (only those at or after ``since``)."""
    base = window_start(series, start)
    if since is not None and since > start:  # records are in time order: skip the older ones unread
        low, high = 0, len(data) // _RECORD.size
        while low < high:
            mid = (low + high) // 2
            if base + _RECORD.unpack_from(data, mid * _RECORD.size)[0] < since:
                low = mid + 1
            else:
                high = mid
        data = data[low * _RECORD.size:]
    return [(base + offset, value) for offset, value in _RECORD.iter_unpack(data)]


def _split(samples: list[tuple[int, float]]) -> list[bytes]:
    """``samples`` as one chunk, or as several when one would exceed MAX_CHUNK_BYTES."""
    blob = chunks.encode(samples)
    if len(blob) <= MAX_CHUNK_BYTES or len(samples) == 1:
        return [blob]
    half = len(samples) // 2
    return _split(samples[:half]) + _split(samples[half:])


def _head_end(series: int, ts: int, closed: Sequence[tuple[int, float]] = ()) -> int:
    """When a head starting at ``ts`` closes: its window's end, earlier when the samples of the head it
    follows (``closed``) came so fast that more than HEAD_SAMPLES would arrive before that."""
    end = window_start(series, ts) + WINDOW
    if len(closed) >= 2:
        interval = (closed[-1][0] - closed[0][0]) / (len(closed) - 1)
        end = min(end, ts + max(1, math.ceil(interval * HEAD_SAMPLES)))
    return end


def _clean(value: Any) -> float | None:
    """A storable value: a float, -0.0 as 0.0 (as SQLite's REAL column stored it); None for None and NaN."""
    if value is None:
        return None
    value = float(value)
    if value != value:
        return None
    return value + 0.0


# -- settings ---------------------------------------------------------------------------------------
def cutoff(db: sqlite_utils.Database) -> int | None:
    """The raw retention's cutoff: samples older than this are gone (None: nothing expired yet)."""
    row = db.execute("select value from poll_settings where key = ?", [CUTOFF_KEY]).fetchone()
    return int(json.loads(row[0])) if row and row[0] is not None else None


def _set_cutoff(db: sqlite_utils.Database, value: int) -> None:
    db.execute("insert or replace into poll_settings (key, value) values (?, ?)", [CUTOFF_KEY, json.dumps(value)])


# -- writing ----------------------------------------------------------------------------------------
def write(db: sqlite_utils.Database, rows: Iterable[tuple[int, Any, Any]]) -> int:
    """Store raw samples ``(series id, ts, value)``; call inside the write transaction. Returns how many
    rows were handed to storage (None/NaN values and samples older than the cutoff are not stored).

    The fast path (one sample per series, newer than the series' newest: every poll) is one pass
    over the rows, one indexed query for the heads due to close, the closing of those, and one UPDATE
    per sample appending its record (an INSERT for a series' first). Anything else (several samples
    of a series, a late or repeated one) is merged series by series.
    """
    limit = cutoff(db)
    at: dict[int, int] = {}  # series -> index of its sample in params
    params: list[tuple[int, int, float, bytes]] = []  # series, ts, value, head record
    slow: dict[int, list[tuple[int, float]]] = {}
    pack = _RECORD.pack
    for series_id, ts, value in rows:
        if value is None or value != value:  # NaN is not stored
            continue
        if type(value) is not float:
            value = float(value)
        value += 0.0  # -0.0 is stored as 0.0, as SQLite's REAL column did
        ts = int(ts)
        if limit is not None and ts < limit:
            continue
        if series_id in at or series_id in slow:
            slow.setdefault(series_id, []).append((ts, value))
            continue
        at[series_id] = len(params)
        # the record's offset from its window's start: (ts - window_start(series_id, ts))
        params.append((series_id, ts, value, pack((ts - series_id * _STRIDE % WINDOW) % WINDOW, value)))
    if slow:  # several samples of one series: all of them are merged
        for series_id in list(slow):
            if series_id in at:
                first = params[at.pop(series_id)]
                slow[series_id].insert(0, (first[1], first[2]))
        params = [p for p in params if p[0] in at]
    stored = len(params) + sum(len(v) for v in slow.values())
    if params:
        for series_id, sample in _write_fast(db, params).items():
            slow[series_id] = [sample]
    for series_id, samples in slow.items():
        _merge(db, series_id, samples)
    return stored


APPEND = ("update sample_heads set last_ts = ?2, last_value = ?3, data = cast(data || ?4 as blob) "
          "where series = ?1 and last_ts < ?2")


def _write_fast(db: sqlite_utils.Database, params: list[tuple[int, int, float, bytes]]
                ) -> dict[int, tuple[int, float]]:
    """One sample per series; returns the samples that are older than their series' newest (late ones,
    for :func:`_merge`). Heads due to close are closed and restarted with their sample first."""
    newest = max(p[1] for p in params)
    due = dict(db.execute("select series, wend from sample_heads where wend <= ?", [newest]).fetchall())
    if due:
        closing = [p for p in params if p[0] in due and p[1] >= due[p[0]]]
        if closing:
            _close(db, closing)
            done = {p[0] for p in closing}
            params = [p for p in params if p[0] not in done]
    if not params:
        return {}
    changed = db.conn.executemany(APPEND, params).rowcount
    if changed == len(params):
        return {}
    # not appended: a series' first sample (no head yet), a sample at its newest time (the first one
    # wins) or an older one
    heads: dict[int, int] = {}
    ids = [p[0] for p in params]
    for batch in _batches(ids):
        heads.update(db.execute(f"select series, last_ts from sample_heads where series in ({_marks(batch)})",  # noqa: S608
                                batch).fetchall())
    new = [(s, window_start(s, ts) + WINDOW, ts, ts, value, record) for s, ts, value, record in params
           if s not in heads]
    db.conn.executemany("insert into sample_heads (series, wend, start, last_ts, last_value, data) "
                        "values (?, ?, ?, ?, ?, ?)", new)
    return {s: (ts, value) for s, ts, value, _record in params if s in heads and heads[s] > ts}


def _close(db: sqlite_utils.Database, closing: list[tuple[int, int, float, bytes]]) -> None:
    """Close the heads of the series in ``closing`` into chunks; each head starts again with its sample."""
    chunk_rows: list[tuple[int, int, bytes]] = []
    restart: list[tuple[int, int, float, bytes, int, int]] = []  # wend, start, value, record, last_ts, series
    by_series = {p[0]: p for p in closing}
    ids = list(by_series)
    for batch in _batches(ids):
        for series_id, start, data in db.execute(
                f"select series, start, data from sample_heads where series in ({_marks(batch)})", batch):
            samples = unpack_head(series_id, start, data)
            for blob in _split(samples):
                chunk_rows.append((series_id, chunks.header(blob)[1], blob))
            _s, ts, value, record = by_series[series_id]
            restart.append((_head_end(series_id, ts, samples), ts, value, record, ts, series_id))
    db.conn.executemany("insert into sample_chunks (series, start, data) values (?, ?, ?)", chunk_rows)
    db.conn.executemany("update sample_heads set wend = ?, start = ?, last_value = ?, data = ?, last_ts = ? "
                        "where series = ?", restart)


def _merge(db: sqlite_utils.Database, series_id: int, new: list[tuple[int, float]]) -> None:
    """Merge ``new`` samples into a series, rewriting only the windows they fall in.

    Samples already stored win over new ones at the same time, and among the new ones the first. A
    window older than the head's is rewritten as chunks; the head's window as chunks and the head; a
    newer one closes the head first, and the newest window written becomes the head.
    """
    windows: dict[int, dict[int, float]] = {}
    for ts, value in new:
        windows.setdefault(window_start(series_id, ts), {}).setdefault(ts, value)
    head = db.execute("select wend, start, data from sample_heads where series = ?", [series_id]).fetchone()
    head_base = window_start(series_id, head[1]) if head is not None else 0
    newest = max(windows)
    for base, fresh in sorted(windows.items()):
        if head is not None and base > head_base:  # the head's window is over: it becomes chunks
            samples = unpack_head(series_id, head[1], head[2])
            db.conn.executemany("insert into sample_chunks (series, start, data) values (?, ?, ?)",
                                [(series_id, chunks.header(b)[1], b) for b in _split(samples)])
            db.execute("delete from sample_heads where series = ?", [series_id])
            head = None
        in_head = head is not None and base == head_base
        stored: dict[int, float] = {}
        starts = []
        for start, data in db.execute("select start, data from sample_chunks where series = ? and start >= ? "
                                      "and start < ? order by start", [series_id, base, base + WINDOW]).fetchall():
            starts.append(start)
            stored.update(chunks.decode(data))
        if in_head:
            stored.update(unpack_head(series_id, head[1], head[2]))
        merged = dict(stored)
        for ts, value in fresh.items():
            merged.setdefault(ts, value)
        if len(merged) == len(stored):
            continue  # nothing new in this window
        db.conn.executemany("delete from sample_chunks where series = ? and start = ?",
                            [(series_id, start) for start in starts])
        samples = sorted(merged.items())
        if in_head or (head is None and base == newest):  # the series' newest samples: the last ones are the head
            keep = samples[-HEAD_SAMPLES:]
            wend = head[0] if in_head and head[0] > keep[-1][0] else base + WINDOW
            samples = samples[:-HEAD_SAMPLES]
            head, head_base = (wend, keep[0][0], pack_head(keep, base)), base
            db.execute("insert or replace into sample_heads (series, wend, start, last_ts, last_value, data) "
                       "values (?, ?, ?, ?, ?, ?)", [series_id, wend, keep[0][0], keep[-1][0], keep[-1][1], head[2]])
        if samples:
            db.conn.executemany("insert into sample_chunks (series, start, data) values (?, ?, ?)",
                                [(series_id, chunks.header(b)[1], b) for b in _split(samples)])


def _rebuild(db: sqlite_utils.Database, series_id: int, samples: list[tuple[int, float]]) -> None:
    """Store the sorted ``samples`` of a series that has no chunk or head from their first window on:
    every window but the last as chunks, the last as the head."""
    windows: list[list[tuple[int, float]]] = []
    current = None
    for sample in samples:
        base = window_start(series_id, sample[0])
        if base != current:
            windows.append([])
            current = base
        windows[-1].append(sample)
    head = windows.pop()
    if len(head) > HEAD_SAMPLES:  # more than a head should hold: the earlier part is closed
        windows.append(head[:-HEAD_SAMPLES])
        head = head[-HEAD_SAMPLES:]
    rows = [(series_id, chunks.header(blob)[1], blob) for window in windows for blob in _split(window)]
    db.conn.executemany("insert into sample_chunks (series, start, data) values (?, ?, ?)", rows)
    base = window_start(series_id, head[0][0])
    db.execute("insert into sample_heads (series, wend, start, last_ts, last_value, data) values (?, ?, ?, ?, ?, ?)",
               [series_id, base + WINDOW, head[0][0], head[-1][0], head[-1][1], pack_head(head, base)])


def load(db: sqlite_utils.Database, rows: Iterable[tuple[int, int, Any]]) -> None:
    """Bulk-store ``(series, ts, value)`` rows sorted by series and time into series that hold no
    samples yet (a migration's copy): each series built in one go."""
    series_id: int | None = None
    samples: dict[int, float] = {}
    for row_series, ts, value in rows:
        if row_series != series_id:
            if samples:
                _rebuild(db, series_id, sorted(samples.items()))  # type: ignore[arg-type]
            series_id, samples = row_series, {}
        clean = _clean(value)
        if clean is not None:
            samples.setdefault(int(ts), clean)
    if samples and series_id is not None:
        _rebuild(db, series_id, sorted(samples.items()))


# -- reading ----------------------------------------------------------------------------------------
def read(db: sqlite_utils.Database, series_ids: Iterable[int] | None = None, since: int | None = None,
         until: int | None = None) -> dict[int, list[tuple[int, float]]]:
    """Raw samples per series id, oldest first, with ``since <= ts < until`` (None: unbounded).

    ``series_ids`` None reads every series (retention). One snapshot of the database.
    """
    own = not db.conn.in_transaction
    if own:
        db.execute("BEGIN")
    try:
        return _read(db, None if series_ids is None else sorted(set(series_ids)), since, until)
    finally:
        if own:
            db.execute("COMMIT")


def _read(db: sqlite_utils.Database, ids: list[int] | None, since: int | None,
          until: int | None) -> dict[int, list[tuple[int, float]]]:
    limit = cutoff(db)
    low = max(since, limit) if since is not None and limit is not None else (since if since is not None else limit)
    high = until
    # a chunk's samples lie before its window's end, less than WINDOW after its start
    chunk_where = ["start > ?"] if low is not None else []
    chunk_args: list[Any] = [low - WINDOW] if low is not None else []
    if high is not None:
        chunk_where.append("start < ?")
        chunk_args.append(high)
    head_where = ["last_ts >= ?"] if low is not None else []
    head_args: list[Any] = [low] if low is not None else []
    if high is not None:
        head_where.append("start < ?")
        head_args.append(high)
    out: dict[int, list[tuple[int, float]]] = {}
    batches: Iterable[Sequence[int] | None] = _batches(ids) if ids is not None else [None]
    for batch in batches:
        scope = f"series in ({_marks(batch)})" if batch is not None else "series in (select id from series)"
        args = list(batch) if batch is not None else []
        for series_id, start, data in db.execute(
                f"select series, start, data from sample_chunks where {' and '.join([scope, *chunk_where])} "  # noqa: S608
                "order by series, start", args + chunk_args):
            if low is not None and window_start(series_id, start) + WINDOW <= low:
                continue  # its window ended before the times asked for
            out.setdefault(series_id, []).extend(chunks.decode(data))
        for series_id, start, data in db.execute(
                f"select series, start, data from sample_heads where {' and '.join([scope, *head_where])}",  # noqa: S608
                args + head_args):
            out.setdefault(series_id, []).extend(unpack_head(series_id, start, data, low))
    for series_id, samples in list(out.items()):
        if low is not None or high is not None:
            samples = [s for s in samples if (low is None or s[0] >= low) and (high is None or s[0] < high)]
        if samples:
            out[series_id] = samples
        else:
            del out[series_id]
    return out


def rows(db: sqlite_utils.Database, series_ids: Iterable[int] | None = None, since: int | None = None,
         until: int | None = None) -> list[Row]:
    """Raw samples as ``(series, ts, value)`` rows in primary-key order, as ``select * from samples`` gave."""
    return [(series_id, ts, value) for series_id, samples in sorted(read(db, series_ids, since, until).items())
            for ts, value in samples]


# -- retention --------------------------------------------------------------------------------------
def first_ts(db: sqlite_utils.Database) -> int | None:
    """The oldest raw sample's time (or the oldest chunk's start, hidden samples included)."""
    found = [v for (v,) in db.execute(
        "select min((select min(start) from sample_chunks where series = s.id)) from series s").fetchall()
        if v is not None]
    head = db.execute("select min(start) from sample_heads").fetchone()[0]
    if head is not None:
        found.append(head)
    low = cutoff(db)
    return max(min(found), low) if found and low is not None else (min(found) if found else None)


Rollup = tuple[int, int, float, float, float, int]


def fold(db: sqlite_utils.Database, since: int, until: int, width: int) -> list[Rollup]:
    """``(series, bucket, avg, min, max, n)`` of the raw samples in ``[since, until)`` per ``width``-second
    bucket, as SQLite's ``avg/min/max/count ... group by series, ts / width`` computes them."""
    out: list[Rollup] = []
    for series_id, samples in sorted(read(db, None, since, until).items()):
        bucket: int | None = None
        values: list[float] = []
        for ts, value in samples:
            at = (ts // width) * width if ts >= 0 else -((-ts) // width) * width  # SQLite's integer division
            if at != bucket:
                if values:
                    out.append((series_id, bucket, _avg(values), min(values), max(values), len(values)))  # type: ignore[arg-type]
                bucket, values = at, []
            values.append(value)
        if values:
            out.append((series_id, bucket, _avg(values), min(values), max(values), len(values)))  # type: ignore[arg-type]
    return out


def _avg(values: list[float]) -> float:
    """SQLite's avg() of doubles: a running sum (Kahan-Babuska-Neumaier from SQLite 3.43 on) over the count."""
    if not _SQLITE_KBN:
        total = 0.0
        for value in values:
            total += value
        return total / len(values)
    total, err = 0.0, 0.0
    for value in values:
        t = total + value
        if abs(total) > abs(value):
            err += (total - t) + value
        else:
            err += (value - t) + total
        total = t
    if math.isfinite(err):
        total += err
    return total / len(values)


def expire(db: sqlite_utils.Database, before: int) -> int:
    """Drop raw samples older than ``before`` (never moving the cutoff back); returns how many went.

    Chunks and heads all of whose samples are older go at once; the samples of a chunk the cutoff
    falls in are hidden by the cutoff until the whole chunk goes.
    """
    old = cutoff(db)
    if old is not None and before <= old:
        return 0
    gone = 0
    scope = "series in (select id from series)"
    low_args = [old - WINDOW] if old is not None else []
    low_where = " and start > ?" if old is not None else ""
    for series_id, start, data in db.execute(
            f"select series, start, data from sample_chunks where {scope} and start < ?{low_where}",  # noqa: S608
            [before, *low_args]):
        if start >= (old if old is not None else start) and window_start(series_id, start) + WINDOW <= before:
            gone += chunks.header(data)[0]  # all of it between the old cutoff and the new one
        else:
            gone += sum(1 for ts in chunks.timestamps(data) if ts < before and (old is None or ts >= old))
    # a head starting before the cutoff closes less than a window after it (the wend index finds them)
    heads = "select series, start, data from sample_heads where wend < ? and start < ?"
    for series_id, start, data in db.execute(heads, [before + WINDOW, before]):
        gone += sum(1 for ts, _v in unpack_head(series_id, start, data, old) if ts < before)
    db.execute(f"delete from sample_chunks where {scope} and start <= ?", [before - WINDOW])  # noqa: S608
    db.execute("delete from sample_heads where wend < ? and last_ts < ?", [before + WINDOW, before])
    _set_cutoff(db, before)
    return gone


def _batches(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _marks(ids: Sequence[int]) -> str:
    return ", ".join("?" * len(ids))
