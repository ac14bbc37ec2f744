"""The facade composes explicit services over one session; nothing is found by name or widened in place."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.core import Session
from netctl.errors import PermissionDenied
from tests.helpers.access import as_user, seed

ROOT = Path(__file__).resolve().parents[2]


def test_the_facade_is_no_mixin_and_holds_each_service_over_one_session(memdb: sqlite_utils.Database) -> None:
    assert Netctl.__bases__ == (object,)
    seed(memdb)
    nc = Netctl(memdb)
    for name, cls in Netctl.SERVICES.items():
        service: Any = getattr(nc, name)
        assert service.session is nc.session, name
        assert type(service) is cls, name
        assert cls.__bases__ == (object,), f"{cls.__name__} inherits {cls.__bases__}: compose it instead"
        assert "session" in inspect.signature(cls).parameters, name
    # the services that need another one hold that very instance
    assert nc.config.inventory is nc.inventory and nc.monitor.inventory is nc.inventory
    assert nc.ssids.config is nc.config and nc.access.ssids is nc.ssids


def test_no_code_in_the_core_finds_a_sibling_by_name() -> None:
    """``getattr(self, "render")`` hid a missing service until run time (and dropped variable layers)."""
    offenders = []
    for path in sorted((ROOT / "netctl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and len(node.args) > 1
                    and isinstance(node.args[0], ast.Name) and node.args[0].id == "self"
                    and isinstance(node.args[1], ast.Constant)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_a_grant_is_a_new_session_and_never_widens_the_callers(memdb: sqlite_utils.Database) -> None:
    seed(memdb)
    boot = Netctl(memdb)
    boot.access.add_user("ada", "admin", os_login="nobody-maps-here")
    boot.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    sam = as_user(memdb, "sam")
    granted = sam.session.granting("render")
    assert isinstance(granted, Session) and granted is not sam.session
    assert granted.can("render") and not sam.session.can("render")
    assert granted.scope == sam.session.scope and granted.db is sam.session.db
    timer = sam.session.as_timer(7)
    assert timer.who().startswith("@system (timer 7, run as sam") and sam.session.who().startswith("sam")
    # a service over the granted session renders; the caller's own still may not
    assert [r.ap for r in sam.config.using(granted).render("gs-meiderich-ap01")] == ["gs-meiderich-ap01"]
    with pytest.raises(PermissionDenied):
        sam.config.render("gs-meiderich-ap01")
