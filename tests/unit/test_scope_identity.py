"""Who is acting: ``--user`` against the OS login, unknown users, and a missing database (issue 11, finding 4).

The OS login is the effective uid's name (never ``$USER``/``$LOGNAME``, which anyone can set). It
may act as another netctl user only when it maps to an admin; root maps to an admin unless an
admin mapped it to a named user.
"""

from __future__ import annotations

import json
import os
import pwd
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.errors import NotFound, PermissionDenied
from netctl.store import open_db
from tests.helpers.access import seed

NETCTL = str(Path(sys.executable).with_name("netctl"))
NOBODY = pwd.getpwnam("nobody")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NETCTL, *args], capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def users_db(memdb: sqlite_utils.Database) -> sqlite_utils.Database:
    seed(memdb)
    boot = Netctl(memdb)
    boot.access.add_user("ada", "admin", os_login="nobody-maps-here")
    boot.access.add_user("eva", "engineer", tenants=["duisburg"], os_login="nobody")
    return memdb


@pytest.fixture
def as_nobody(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process acts as the OS login ``nobody`` (effective uid), whatever the environment says."""
    monkeypatch.setattr(os, "geteuid", lambda: NOBODY.pw_uid)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "nobody")
    return monkeypatch


def test_user_must_match_the_os_login_unless_it_maps_to_an_admin(users_db: sqlite_utils.Database,
                                                                  as_nobody: pytest.MonkeyPatch) -> None:
    assert Netctl(users_db).session.user_name == "eva"
    assert Netctl(users_db, user="eva").session.user_name == "eva"
    with pytest.raises(PermissionDenied) as err:
        Netctl(users_db, user="ada")
    assert "nobody" in str(err.value) and "eva" in str(err.value)
    users_db.table("users").update("ada", {"os_login": "nobody"})
    users_db.table("users").update("eva", {"os_login": None})
    assert Netctl(users_db).session.user_name == "ada"
    assert Netctl(users_db, user="eva").session.role == "engineer"  # an admin's login may act as anyone


def test_the_os_login_comes_from_the_uid_not_the_environment(users_db: sqlite_utils.Database,
                                                             as_nobody: pytest.MonkeyPatch) -> None:
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        as_nobody.setenv(name, "root")
    with pytest.raises(PermissionDenied):
        Netctl(users_db, user="ada")
    nc = Netctl(users_db)
    assert (nc.session.user_name, nc.session.role) == ("eva", "engineer")


def test_root_maps_to_an_admin_unless_mapped_to_a_named_user(users_db: sqlite_utils.Database) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test describes root's mapping: run the unit tests as root (the lab does)")
    nc = Netctl(users_db)
    assert (nc.session.user_name, nc.session.role) == ("root", "admin")
    users_db.table("users").update("eva", {"os_login": "root"})
    nc = Netctl(users_db)
    assert (nc.session.user_name, nc.session.role) == ("eva", "engineer")
    with pytest.raises(PermissionDenied):
        Netctl(users_db, user="ada")


def test_an_unknown_user_is_refused_even_before_users_exist(memdb: sqlite_utils.Database) -> None:
    with pytest.raises((NotFound, PermissionDenied), match="ghost"):
        Netctl(memdb, user="ghost")
    login = pwd.getpwuid(os.geteuid()).pw_name
    assert Netctl(memdb, user=login).session.role == "admin"  # the OS login itself bootstraps a fresh install


def test_whoami_of_an_unknown_user_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    assert run("--db", str(db), "init").returncode == 0
    out = run("--db", str(db), "--user", "ghost", "users", "whoami", "--json")
    assert out.returncode == 3, out.stdout
    assert "ghost" in out.stderr and "admin" not in out.stdout


def test_a_missing_database_is_an_error_for_every_command_but_init(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    for args in (("users", "whoami"), ("inventory", "list"), ("jobs", "list"), ("status",)):
        out = run("--db", str(typo), *args)
        assert out.returncode == 3, (args, out.stdout, out.stderr)
        assert "netctl" in out.stderr and "init" in out.stderr and str(typo) in out.stderr
        assert not typo.exists()
    out = run("--db", str(typo), "init", "--json")
    assert out.returncode == 0, out.stderr
    assert typo.exists() and "004_access" in json.loads(out.stdout)["migrations"]
    assert run("--db", str(typo), "users", "whoami").returncode == 0


def test_a_missing_database_is_an_error_in_the_core(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="init"):
        Netctl(tmp_path / "typo.db")
    with pytest.raises(NotFound, match="init"):
        open_db(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()
    sqlite3.connect(tmp_path / "there.db").close()
    open_db(tmp_path / "there.db").conn.close()
