"""Shared fixtures.

``lab`` starts (or reuses) the real lab peers on loopback once per session. It never skips: if the
lab cannot start, every lab test errors, so a green run always means the real peers answered.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tests.helpers.lab import INVENTORY_FILES, ROOT

#: the tests read netctl's English: a developer's German locale or $NETCTL_LANG must not change what netctl
#: prints to them (the tests of the German catalog and of --lang choose the language themselves)
os.environ["NETCTL_LANG"] = "en"

#: tests that share the lab's devices, wait on real timers or measure the screen run one after another
#: in one worker (``make test`` runs two with pytest-xdist, ``--dist loadgroup``); the rest, pure logic
#: and local servers of their own, run beside them in the other
SERIAL_GROUP = "lab"
SERIAL_DIRS = ("tests/lab/", "tests/bench/", "tests/tui/")
#: a module that imports the lab or a helper that reads the lab's files belongs to the serial group too
_USES_LAB = re.compile(r"^\s*(?:from|import) (?:lab\b|tests\.helpers\.(?:lab|cli_city)\b)", re.M)
_module_uses_lab: dict[str, bool] = {}


def _serial(item: pytest.Item) -> bool:
    path = Path(str(item.fspath)).resolve()
    relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()
    if relative.startswith(SERIAL_DIRS) or item.get_closest_marker("lab"):
        return True
    if "lab" in getattr(item, "fixturenames", ()):
        return True
    if relative not in _module_uses_lab:
        _module_uses_lab[relative] = bool(_USES_LAB.search(path.read_text(encoding="utf-8")))
    return _module_uses_lab[relative]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test IDs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if _serial(item):
            item.add_marker(pytest.mark.xdist_group(SERIAL_GROUP))


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
