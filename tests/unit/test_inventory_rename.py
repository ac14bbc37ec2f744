"""Renaming an AP: its history follows it, selections that name it too, and the rename is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netctl.errors import InventoryError
from netctl.selection import Selection
from tests.helpers.poll import T0, add_city, good, record


def history_of(api: Any, ap: str) -> dict[str, int]:
    tables = ("config_versions", "config_status", "audit", "health", "series")
    return {t: api.session.db[t].count_where("ap = ?", [ap]) for t in tables}


def test_rename_moves_history_selections_and_is_audited(api: Any) -> None:
    add_city(api)
    record(api, [good("ap1", T0, octets=1_000), good("ap2", T0)], T0)
    record(api, [good("ap1", T0 + 60, octets=9_000), good("ap2", T0 + 60)], T0 + 60)
    api.session.db["config_versions"].insert({"ap": "ap1", "version": 1, "created": "2026-11-22T08:00:00+00:00",
                                      "hash": "h1", "format": "xml", "source": "push", "text": "<ap/>"})
    api.session.db["config_status"].insert({"ap": "ap1", "status": "applied", "version": 1, "updated": "x"})
    api.monitor.maintenance_add(Selection(names=("ap1", "ap2")), "now", "+2h", name="Umbau")
    api.jobs.set_job("nightly-ap1", job="backup", interval_s=86400, selection=Selection(names=("ap1",)))
    before = history_of(api, "ap1")
    samples = [(r["metric"], r["epoch"], r["value"]) for r in api.monitor.metrics("ap1", since=T0 - 10)]
    assert samples and before["series"] and before["health"] == 1

    ap = api.inventory.rename_ap("ap1", "gs-room-204")

    assert ap["name"] == "gs-room-204" and ap["site"] == "school1"
    assert [a["name"] for a in api.session.select()] == ["ap2", "bus1", "gs-room-204"]
    moved = history_of(api, "gs-room-204")
    assert moved == {**before, "audit": before["audit"] + 1}
    assert history_of(api, "ap1") == dict.fromkeys(before, 0)
    assert [(r["metric"], r["epoch"], r["value"]) for r in api.monitor.metrics("gs-room-204", since=T0 - 10)] == samples
    assert [v["version"] for v in api.config.history("gs-room-204")] == [1]
    assert api.monitor.maintenance_list()[0]["selection"]["names"] == ["gs-room-204", "ap2"]
    job = next(j for j in api.jobs.list_jobs() if j["name"] == "nightly-ap1")
    assert job["selection"]["names"] == ["gs-room-204"]
    entry = api.config.audit(ap="gs-room-204")[0]
    assert (entry["action"], entry["outcome"], entry["reason"]) == ("rename", "renamed", "renamed from ap1")
    # new polls land on the new name's series
    record(api, [good("gs-room-204", T0 + 120, octets=17_000)], T0 + 120)
    assert api.session.db["series"].count_where("ap = 'ap1'") == 0


@pytest.mark.parametrize(
    ("new", "words"),
    [("ap2", "exists already"), ("bad name!", "bad AP name"), ("-x", "bad AP name")],
)
def test_rename_refuses_clearly_and_changes_nothing(api: Any, new: str, words: str) -> None:
    add_city(api)
    record(api, [good("ap1", T0)], T0)
    with pytest.raises(InventoryError) as err:
        api.inventory.rename_ap("ap1", new)
    assert words in str(err.value)
    assert api.session.get_ap("ap1") and api.session.db["health"].count_where("ap = 'ap1'") == 1


def test_rename_refuses_a_name_with_a_removed_aps_history(api: Any) -> None:
    add_city(api)
    record(api, [good("ap1", T0), good("ap2", T0)], T0)
    api.inventory.remove_ap("ap2")  # history outlives a removed AP
    with pytest.raises(InventoryError) as err:
        api.inventory.rename_ap("ap1", "ap2")
    assert "a removed AP named 'ap2' left history" in str(err.value) and "health" in str(err.value)
    assert api.session.get_ap("ap1")


def test_rename_through_the_cli(api: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    add_city(api)
    api.close()
    netctl = str(Path(sys.executable).parent / "netctl")
    run = [netctl, "--db", str(tmp_path / "netctl.db"), "inventory", "rename", "ap2", "gs-room-101"]
    out = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "renamed ap2 to gs-room-101" in out.stdout, out.stderr
    again = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "ap2" in again.stderr
