"""Shared fixtures.

``lab`` starts (or reuses) the real lab peers on loopback once per session. It never skips: if the
lab cannot start, every lab test errors, so a green run always means the real peers answered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tests.helpers.lab import INVENTORY_FILES, ROOT


@pytest.fixture
def memdb() -> sqlite_utils.Database:
    """A migrated in-memory database."""
    from netctl.store import open_db

    return open_db(":memory:")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Any]:
    """A facade on a fresh database file (no users: the caller is admin)."""
    from netctl.api import Netctl

    nc = Netctl(tmp_path / "netctl.db", create=True)
    yield nc
    nc.close()


@pytest.fixture(scope="session")
def lab() -> Any:
    """The running lab (started if needed). Fails loudly when it cannot start."""
    from lab import ensure_lab

    os.environ.setdefault("NETCTL_LAB_DIR", str(ROOT / ".lab"))
    return ensure_lab()


@pytest.fixture
def city(tmp_path: Path, lab: Any) -> Iterator[Any]:
    """A facade with the lab's secrets and the example city loaded, on a fresh database."""
    from netctl.api import Netctl

    nc = Netctl(tmp_path / "city.db", create=True)
    nc.inventory.import_secrets(lab.secrets)
    nc.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    yield nc
    nc.close()
