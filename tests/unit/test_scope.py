"""Scope holds everywhere: jobs, global variables, default jobs and secret references (issue 11, finding 4).

An engineer of Duisburg (``eva``) tries to reach Moers through every door that is not an AP
selection: a stored job, the default poll job, global variables, a secret or file reference in a
variable. A job runs with its owner's rights, re-checked at each run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from netctl.api import Netctl
from netctl.errors import NotFound, PermissionDenied
from netctl.schedule.scheduler import Scheduler
from netctl.selection import Selection
from netctl.store import open_db
from tests.helpers.access import SEEN, as_user, make_scope_db


@pytest.fixture(autouse=True)
def store_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return make_scope_db(tmp_path)


def job_runs(db_path: str) -> list[dict[str, Any]]:
    db = open_db(db_path)
    try:
        return list(db["job_runs"].rows_where(order_by="id"))
    finally:
        db.conn.close()


# -- jobs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("selection", [Selection(tenant="moers"), Selection(site="gs-moers-mitte"),
                                       Selection(names=("gs-moers-mitte-ap01",))])
def test_an_engineer_cannot_store_a_job_selecting_outside_their_scope(db_path: str, selection: Selection) -> None:
    eva = as_user(db_path, "eva")
    with pytest.raises((NotFound, PermissionDenied)) as err:
        eva.jobs.set_job("nightly", job="seen", interval_s=3600, selection=selection)
    assert "nightly" in str(err.value)
    assert "nightly" not in {j["name"] for j in as_user(db_path, "ada").jobs.list_jobs()}


def test_a_job_runs_with_its_owners_scope_even_when_an_admin_runs_it(db_path: str) -> None:
    as_user(db_path, "eva").jobs.set_job("nightly", job="seen", interval_s=3600)
    row = as_user(db_path, "ada").jobs.run_job("nightly")
    assert row["status"] == "ok"
    user, aps = SEEN[-1]
    assert user == "eva"
    assert aps and all(not name.startswith("gs-moers") for name in aps)
    jobs = {j["name"]: j for j in as_user(db_path, "ada").jobs.list_jobs()}
    assert jobs["nightly"]["owner"] == "eva"


def test_the_scheduler_runs_each_job_as_its_owner(db_path: str) -> None:
    as_user(db_path, "eva").jobs.set_job("nightly", job="seen", interval_s=3600)
    ada = as_user(db_path, "ada")
    for name in ("poll", "retention"):
        ada.jobs.set_job(name, enabled=False)
    Scheduler(db_path, user="ada", once=True, tick=0.02).run()
    assert [user for user, _aps in SEEN] == ["eva"]
    assert all(not name.startswith("gs-moers") for name in SEEN[0][1])


def test_a_narrowed_owner_does_not_widen_the_job_and_the_run_says_why(db_path: str) -> None:
    as_user(db_path, "eva").jobs.set_job("nightly", job="seen", interval_s=3600,
                                    selection=Selection(tenant="duisburg"))
    as_user(db_path, "ada").access.set_user_scope("eva", tenants=["moers"])
    row = as_user(db_path, "ada").jobs.run_job("nightly")
    assert row["status"] == "failed"
    assert SEEN == []
    detail = job_runs(db_path)[-1]["detail"]
    assert "nightly" in detail and "eva" in detail and "duisburg" in detail


def test_a_job_of_a_removed_user_fails_with_a_clear_reason(db_path: str) -> None:
    as_user(db_path, "eva").jobs.set_job("nightly", job="seen", interval_s=3600)
    as_user(db_path, "ada").access.remove_user("eva")
    row = as_user(db_path, "ada").jobs.run_job("nightly")
    assert row["status"] == "failed" and SEEN == []
    detail = job_runs(db_path)[-1]["detail"]
    assert "owner" in detail and "'eva'" in detail and "--owner" in detail


def test_a_job_of_a_demoted_user_cannot_push(db_path: str) -> None:
    as_user(db_path, "max").jobs.set_job("nightly", job="push", interval_s=3600,
                                    selection=Selection(site="gs-meiderich"))
    as_user(db_path, "ada").access.set_user_scope("max", role="school-admin", sites=["gs-meiderich"])
    row = as_user(db_path, "ada").jobs.run_job("nightly")
    assert row["status"] == "failed"
    assert "may not push" in job_runs(db_path)[-1]["detail"]


@pytest.mark.parametrize("user", ["eva", "max"])
def test_only_admins_change_the_default_jobs(db_path: str, user: str) -> None:
    engineer = as_user(db_path, user)
    for name in ("poll", "retention"):
        with pytest.raises(PermissionDenied, match=name):
            engineer.jobs.set_job(name, selection=Selection(tenant="moers"))
        with pytest.raises(PermissionDenied, match=name):
            engineer.jobs.set_job(name, enabled=False)
    jobs = {j["name"]: j for j in as_user(db_path, "ada").jobs.list_jobs()}
    assert jobs["poll"]["selection"] == {} or not any(jobs["poll"]["selection"].values())
    assert jobs["poll"]["enabled"] == 1


def test_an_engineer_cannot_change_or_run_another_users_job(db_path: str) -> None:
    as_user(db_path, "max").jobs.set_job("maxjob", job="seen", interval_s=3600)
    eva = as_user(db_path, "eva")
    with pytest.raises(PermissionDenied, match="maxjob"):
        eva.jobs.set_job("maxjob", selection=Selection(tenant="moers"))
    with pytest.raises((PermissionDenied, NotFound)):
        eva.jobs.run_job("maxjob")
    assert SEEN == []
    ada = as_user(db_path, "ada")
    ada.jobs.set_job("maxjob", owner="eva")
    assert {j["name"]: j for j in ada.jobs.list_jobs()}["maxjob"]["owner"] == "eva"
    with pytest.raises(PermissionDenied):
        as_user(db_path, "max").jobs.set_job("maxjob", owner="max")


def test_a_queue_task_goes_through_the_same_owner_checks(db_path: str) -> None:
    """A Celery task (run eagerly here; tests/lab/test_queue_lab.py runs a real worker) as eva."""
    from netctl.queue import make_app

    app = make_app("memory://", "cache+memory://")
    task = app.tasks["netctl.seen"]
    done = task.apply(args=[db_path, "{}"], kwargs={"user": "eva"}).get()
    assert done and all(not r["ap"].startswith("gs-moers") for r in done)
    with pytest.raises(PermissionDenied, match="tenant 'moers'"):
        task.apply(args=[db_path, Selection(tenant="moers").to_json()], kwargs={"user": "eva"}).get()
    with pytest.raises(PermissionDenied, match="ghost"):
        task.apply(args=[db_path, "{}"], kwargs={"user": "ghost"}).get()
    assert [user for user, _aps in SEEN] == ["eva"]


def test_existing_jobs_belong_to_the_system_after_the_upgrade(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from netctl.store import migrations

    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < "007"])
    db = open_db(path)
    db.table("jobs").insert({"name": "nightly", "job": "push", "interval_s": 60, "selection": '{"tenant": "moers"}'})
    db.conn.close()
    monkeypatch.undo()
    nc = Netctl(path)
    # the upgrade also brings the default timers and calendars jobs (they switch SSIDs by time)
    assert {j["name"]: j["owner"] for j in nc.jobs.list_jobs()} == {"nightly": "@system", "timers": "@system",
                                                                   "calendars": "@system"}
    nc.close()


def test_no_user_can_take_the_name_of_the_system_owner(db_path: str) -> None:
    from netctl.errors import ConfigError

    with pytest.raises(ConfigError, match="@system"):
        as_user(db_path, "ada").access.add_user("@system", "engineer", tenants=["duisburg"])
