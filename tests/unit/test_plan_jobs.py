"""Config jobs as plain functions over (db_path, selection_json): per-AP dicts, failures as data.

No lab needed: the APs point at a loopback port where nothing listens.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.helpers.lab import INVENTORY_FILES


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_push_job_marks_unreachable_aps_pending_and_converge_keeps_them(tmp_path: Path) -> None:
    from netctl.api import Netctl
    from netctl.push.jobs import converge_job, drift_job, push_job
    from netctl.selection import Selection

    db_path = str(tmp_path / "city.db")
    api = Netctl(db_path, create=True)
    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    api.inventory.import_secrets({"lab/netconf": json.dumps({"username": "nobody", "password": "x"}),
                        "duisburg/staff-psk": "staff-pass-1", "duisburg/pupil-psk": "pupil-pass-2"})
    port = closed_port()
    for name in ("gs-meiderich-ap01", "gs-meiderich-ap02"):
        api.inventory.set_ap(name, {"address": "127.0.0.1", "port": port})
    api.close()
    selection = Selection(names=("gs-meiderich-ap01", "gs-meiderich-ap02", "gs-eick-ap01")).to_json()

    results = push_job(db_path, selection, confirm_timeout=5)
    by_ap = {r["ap"]: r for r in results}
    assert json.loads(json.dumps(results)) == results  # JSON-ready
    assert by_ap["gs-meiderich-ap01"]["status"] == "pending"
    assert "unreachable at 127.0.0.1" in by_ap["gs-meiderich-ap01"]["reason"]
    # gs-eick-ap01 (Moers) needs Moers passphrases nobody stored: a render failure, not a crash
    assert by_ap["gs-eick-ap01"]["status"] == "failed" and "secret:moers/" in by_ap["gs-eick-ap01"]["reason"]

    api = Netctl(db_path)
    statuses = {s["ap"]: s["status"] for s in api.config.config_status(Selection.from_json(selection))}
    assert statuses == {"gs-eick-ap01": "failed", "gs-meiderich-ap01": "pending", "gs-meiderich-ap02": "pending"}
    assert {a["ap"] for a in api.config.audit()} == set(by_ap)
    api.close()

    again = converge_job(db_path, selection, confirm_timeout=5)
    assert sorted(r["ap"] for r in again) == ["gs-meiderich-ap01", "gs-meiderich-ap02"]
    assert all(r["status"] == "pending" for r in again)
    drift = {r["ap"]: r["status"] for r in drift_job(db_path, selection)}
    assert drift["gs-meiderich-ap01"] == "unreachable"


def test_config_jobs_are_registered_with_the_scheduler() -> None:
    from netctl.push import jobs
    from netctl.schedule.jobs import job_function

    assert job_function("push") is jobs.push_job
    assert job_function("converge") is jobs.converge_job
    assert job_function("backup") is jobs.backup_job
    assert job_function("drift") is jobs.drift_job
