"""Overlays ("exam mode"): the highest variable layer while active, gone after, refused when unsafe."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.errors import ConfigError, NotFound, PermissionDenied
from netctl.overlays import active_overlays, check_vars, covers

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def overlay_row(name: str, kind: str, target: str, variables: dict[str, object], until: dt.datetime,
                tenant: str = "duisburg", state: str = "active") -> dict[str, object]:
    return {"name": name, "kind": kind, "target": target, "tenant": tenant, "vars": json.dumps(variables),
            "until": until.isoformat(timespec="seconds"), "who": "ada", "created": NOW.isoformat(), "state": state}


@pytest.fixture
def city(memdb: sqlite_utils.Database) -> Netctl:
    from tests.helpers.access import seed

    seed(memdb)
    boot = Netctl(memdb)
    boot.access.add_user("ada", "admin", os_login="nobody-maps-here")
    boot.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    memdb.table("aps").update("gs-meiderich-ap01", {"groups": json.dumps(["rooms-1"]), "vars": json.dumps({"x": "ap"})})
    return Netctl(memdb, user="ada")


def test_an_active_overlay_is_the_highest_layer_and_gone_when_its_time_is_over(city: Netctl) -> None:
    db = city.session.db
    ap = city.session.get_ap("gs-meiderich-ap01")
    assert city.inventory.merged_vars(ap)["x"] == "ap"
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    db.table("overlays").insert(overlay_row("exam-112", "ap", "gs-meiderich-ap01", {"x": "exam"}, soon))
    db.table("overlays").insert(overlay_row("old", "site", "gs-meiderich", {"y": 1}, dt.datetime.now(dt.UTC)
                                      - dt.timedelta(minutes=1)))
    db.table("overlays").insert(overlay_row("done", "site", "gs-meiderich", {"z": 1}, soon, state="ended"))
    merged = city.inventory.merged_vars(ap)
    assert merged["x"] == "exam" and "y" not in merged and "z" not in merged
    by_key = {v["key"]: v for v in city.inventory.ap_vars("gs-meiderich-ap01")}
    assert by_key["x"]["source"] == "overlay:exam-112" and by_key["x"]["overrides"] == ["ap:gs-meiderich-ap01"]
    other = city.session.get_ap("gs-meiderich-ap02")
    assert city.inventory.merged_vars(other).get("x") is None


def test_which_aps_an_overlay_covers() -> None:
    ap = {"name": "a1", "site": "s1", "tenant": "t1"}
    assert covers({"kind": "ap", "target": "a1"}, ap, [])
    assert covers({"kind": "site", "target": "s1"}, ap, []) and not covers({"kind": "site", "target": "s2"}, ap, [])
    assert covers({"kind": "group", "target": "g", "tenant": "t1"}, ap, ["g"])
    assert not covers({"kind": "group", "target": "g", "tenant": "t2"}, ap, ["g"])  # another city's group "g"


def test_active_overlays_in_a_database_without_the_table_are_none(memdb: sqlite_utils.Database) -> None:
    memdb.table("overlays").drop()
    assert active_overlays(memdb, {"name": "a1"}, NOW.isoformat()) == []


@pytest.mark.parametrize(("changes", "words"), [
    ({"vars.ap": 1}, "reserved"),
    ({"vars.radius_secret": "secret:duisburg/radius"}, "reference"),
    ({"vars.x": "env:HOME"}, "reference"),
    ({"vars.a.b": 1}, "not vars.NAME"),
    ({}, "at least one variable"),
    ({"vars.x": None}, "no value"),
])
def test_unsafe_or_empty_variables_are_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        check_vars(changes)


def test_adding_needs_push_a_good_name_a_target_in_scope_and_a_readable_until(city: Netctl) -> None:
    sam = Netctl(city.session.db, user="sam")
    with pytest.raises(PermissionDenied):
        sam.overlays.add("exam", kind="ap", target="gs-meiderich-ap01", changes={"vars.x": 1}, until="90m")
    with pytest.raises(ConfigError, match="bad overlay name"):
        city.overlays.add("exam mode", kind="ap", target="gs-meiderich-ap01", changes={"vars.x": 1}, until="90m")
    with pytest.raises(NotFound):
        city.overlays.add("exam", kind="ap", target="no-such-ap", changes={"vars.x": 1}, until="90m")
    with pytest.raises(ConfigError, match="cannot read"):
        city.overlays.add("exam", kind="ap", target="gs-meiderich-ap01", changes={"vars.x": 1}, until="soon")
    assert city.session.db["overlays"].count == 0  # nothing stored by a refused add
