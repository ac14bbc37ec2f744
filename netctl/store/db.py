"""Opening the database: WAL, busy timeout, foreign keys, migrations.

The TUI, the scheduler and CLI calls share one database file, so every connection uses WAL mode
and waits (busy timeout) instead of failing when another process writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from netctl.errors import NotFound, StoreError

BUSY_TIMEOUT_MS = 15_000


def open_db(path: str | Path, *, migrate: bool = True, create: bool = False) -> sqlite_utils.Database:
    """Open (and upgrade) the netctl database at ``path``; ``":memory:"`` for tests.

    A missing file is created only with ``create`` (``netctl init``): a mistyped ``--db`` must not
    open an empty database. Raises NotFound when the file is missing, StoreError when it cannot be
    opened or is not a netctl database.
    """
    try:
        if str(path) == ":memory:":
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            p = Path(path)
            if not create and not p.exists():
                raise NotFound(f"no netctl database at {p}",
                               hint=f"run: netctl --db {p} init (to create it), or check --db / $NETCTL_DB")
            if p.parent and not p.parent.exists():
                raise StoreError(
                    f"cannot create database {p}: folder {p.parent} does not exist",
                    hint="create the folder or pass another --db PATH",
                )
            conn = sqlite3.connect(str(p), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        db = sqlite_utils.Database(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}",
                         hint="check the path given with --db or $NETCTL_DB") from exc
    if migrate:
        from netctl.store.migrations import migrate as run_migrations

        run_migrations(db)
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All-or-nothing block: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception.

    IMMEDIATE takes the write lock up front, so two writers wait on the busy timeout instead
    of failing half-way.
    """
    conn = db.conn
    if conn.in_transaction:  # nested: join the outer transaction
        yield db
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"database is busy: {exc}", hint="try again; another netctl process is writing") from exc
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def insert_row(db: sqlite_utils.Database, table: str, row: Mapping[str, Any]) -> int | None:
    """INSERT one row (keys are the table's column names, values plain SQLite values); its rowid.

    For rows written per AP on a hot path (a push records three per AP): ``db[table].insert`` asks the
    schema about views, tables and columns on every call, a dozen queries where one will do.
    """
    columns = ", ".join(f"[{name}]" for name in row)
    cursor = db.execute(f"insert into [{table}] ({columns}) values ({', '.join('?' for _ in row)})",
                        list(row.values()))
    return cursor.lastrowid


def upsert_row(db: sqlite_utils.Database, table: str, row: Mapping[str, Any], pk: str) -> None:
    """Insert one row, or set the columns ``row`` names of the row with the same primary key ``pk``
    (the others keep their values): what ``db[table].upsert(row, pk=pk, alter=False)`` does."""
    columns = ", ".join(f"[{name}]" for name in row)
    updates = ", ".join(f"[{name}] = excluded.[{name}]" for name in row if name != pk)
    action = f"do update set {updates}" if updates else "do nothing"
    db.execute(f"insert into [{table}] ({columns}) values ({', '.join('?' for _ in row)}) "
               f"on conflict([{pk}]) {action}", list(row.values()))
