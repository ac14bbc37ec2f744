"""SQLite storage through sqlite-utils: connection setup and the migrations that own the schema."""

from netctl.store.db import open_db, transaction

__all__ = ["open_db", "transaction"]
