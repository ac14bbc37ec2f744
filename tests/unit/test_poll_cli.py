"""The poll-related CLI commands are thin: they print what the facade returns, as tables or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from netctl.cli import cli
from tests.helpers.poll import T0, add_city, dead, good, record


def run(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    return result


def test_status_alerts_ack_maintenance_jobs(api: Any) -> None:
    add_city(api)
    api.monitor.set_health_rules(down_after_misses=1)
    record(api, [good("ap1", T0), dead("ap2", T0)], T0)
    db = Path(api.session.db_path)
    status = json.loads(run(db, "status", "--json").output)
    assert status["totals"] == {"up": 1, "degraded": 0, "down": 1, "unknown": 1, "total": 3}
    text = run(db, "status", "--problems").output
    assert "ap2" in text and "ap1  " not in text
    alerts = json.loads(run(db, "alerts", "list", "--json").output)
    assert [(a["ap"], a["kind"]) for a in alerts] == [("ap2", "down")]
    acked = run(db, "alerts", "ack", str(alerts[0]["id"]), "--note", "on it")
    assert "acknowledged" in acked.output
    window = json.loads(run(db, "maintenance", "add", "--site", "school1", "--end", "+1h", "--json").output)
    assert json.loads(run(db, "maintenance", "list", "--active", "--json").output)[0]["id"] == window["id"]
    series = json.loads(run(db, "metrics", "ap1", "--metric", "clients", "--since", "2020-01-01", "--json").output)
    assert [p["value"] for p in series] == [20]
    assert "poll " in run(db, "jobs", "list").output
    changed = run(db, "jobs", "set", "poll", "--interval", "30", "--selection", '{"site": "school1"}')
    assert "every 30 s" in changed.output
    rows = {j["name"]: j for j in json.loads(run(db, "jobs", "list", "--json").output)}
    assert rows["poll"]["selection"]["site"] == "school1"
    bad = CliRunner().invoke(cli, ["--db", str(db), "alerts", "add-notifier", "x"])
    assert bad.exit_code != 0 and "exactly one of" in bad.output
