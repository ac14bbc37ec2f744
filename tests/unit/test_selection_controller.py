"""Selecting the APs behind a WLAN controller (``Selection(controller=NAME)``, ``--controller NAME``).

The city of the TUI tests with two controllers (tests/helpers/controllers.py): Duisburg's ``du-ac01``
with five APs at two Duisburg schools, and Moers' ``mo-wlc01`` with one AP in Moers and one at a
Duisburg school. A selection by controller needs the controller in the user's scope: eva (tenant
duisburg) sees ``mo-cap02`` at a Duisburg school, yet ``controller=mo-wlc01`` is refused, not answered
with that one AP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.cli import main
from netctl.errors import NotFound
from netctl.selection import Scope, Selection, select_aps
from netctl.store import open_db
from tests.helpers.controllers import seed_controllers
from tests.helpers.tui import NOW, add_users, seed_city

DU_AC01 = [f"du-cap0{i}" for i in range(1, 6)]


@pytest.fixture
def db() -> sqlite_utils.Database:
    memdb = open_db(":memory:")
    seed_city(memdb)
    seed_controllers(memdb, NOW)
    return memdb


def names(rows: list[dict[str, object]]) -> list[str]:
    return [str(r["name"]) for r in rows]


def test_a_controller_selects_the_aps_behind_it_and_not_itself(db: sqlite_utils.Database) -> None:
    assert names(select_aps(db, Selection(controller="du-ac01"))) == DU_AC01
    assert names(select_aps(db, Selection(controller="du-ac01", site="gym-hamborn"))) == ["du-cap05"]
    assert names(select_aps(db, Selection(controller="mo-wlc01"))) == ["mo-cap01", "mo-cap02"]
    duisburg = Scope(tenants=frozenset({"duisburg"}))
    assert names(select_aps(db, Selection(controller="du-ac01"), duisburg)) == DU_AC01


@pytest.mark.parametrize(("scope", "controller"), [
    (Scope(tenants=frozenset({"duisburg"})), "mo-wlc01"),       # one of its APs is in scope, the controller not
    (Scope(sites=frozenset({"gs-meiderich"})), "du-ac01"),      # a school's admin: the AC is in the data centre
    (None, "du-cap01"),                                         # not a controller
    (None, "du-ac99"),                                          # no such entry
])
def test_a_controller_outside_the_scope_is_refused_not_an_empty_list(
        db: sqlite_utils.Database, scope: Scope | None, controller: str) -> None:
    with pytest.raises(NotFound, match=f"no controller named '{controller}'") as err:
        select_aps(db, Selection(controller=controller), scope)
    assert "netctl controller list" in (err.value.hint or "")


def test_the_controller_is_part_of_the_selection_as_data(db: sqlite_utils.Database) -> None:
    selection = Selection(names=("du-*",), controller="du-ac01")
    assert Selection.from_json(selection.to_json()) == selection
    assert selection.describe() == "du-* controller=du-ac01"
    add_users(db)
    eva = Netctl(db, user="eva")
    assert eva.session.selection_outside(Selection(controller="mo-wlc01")) == ["controller 'mo-wlc01'"]
    assert eva.session.selection_outside(Selection(controller="du-ac01")) == []


def test_the_cli_selects_by_controller_and_refuses_one_outside_the_scope(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "netctl.db"
    file_db = open_db(str(path), create=True)
    seed_city(file_db)
    seed_controllers(file_db, NOW)
    add_users(file_db)
    file_db.conn.close()

    def run(user: str, *args: str) -> tuple[int, str, str]:
        try:
            main(["--db", str(path), "--user", user, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, err = run("eva", "inventory", "list", "--controller", "du-ac01", "--json")
    assert code == 0, err
    assert [ap["name"] for ap in json.loads(out)] == DU_AC01
    code, out, err = run("eva", "status", "--controller", "du-ac01", "--json")
    assert code == 0, err
    assert sorted(ap["name"] for ap in json.loads(out)["aps"]) == DU_AC01
    code, out, err = run("eva", "status", "--controller", "mo-wlc01")
    assert code == 3 and out == "" and "no controller named 'mo-wlc01'" in err, (code, out, err)
