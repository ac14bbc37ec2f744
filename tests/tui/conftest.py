"""Fixtures for the TUI tests: a small city written straight into an in-memory database.

The clock is fixed and live refresh is off, so screens (and snapshots) are deterministic. The city,
the clock and the waiting helpers are in :mod:`tests.helpers.tui`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlite_utils

from netctl.api import Netctl
from tests.helpers.tui import NOW, add_users, seed_activity, seed_city


@pytest.fixture
def city_db(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed_city(memdb)
    add_users(memdb)
    return memdb


@pytest.fixture
def make_app(city_db: sqlite_utils.Database) -> Callable[..., Any]:
    """``make_app(user)`` → a NetctlApp acting as ``user`` on the seeded city, fixed clock, no refresh."""
    from tui.app import NetctlApp

    def make(user: str = "ada", db: sqlite_utils.Database | None = None) -> NetctlApp:
        return NetctlApp(Netctl(db or city_db, user=user), refresh_seconds=0, clock=lambda: NOW)

    return make


@pytest.fixture
def busy_db(city_db: sqlite_utils.Database) -> sqlite_utils.Database:
    seed_activity(city_db)
    return city_db
