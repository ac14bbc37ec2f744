"""The AP list and the AP page say "n/a" / "not available (why)" for a value the agent did not serve."""

from __future__ import annotations

import datetime as dt

from tui.model import build_rows, cells
from tui.screens.ap_detail import health_facts


def test_tui_lists_and_ap_page_say_not_available() -> None:
    status = {"aps": [{"name": "ap1", "state": "up", "clients": None, "uptime": 100.0,
                       "unavailable": {"clients": "the agent served no unifiVapTable rows"}}]}
    [row] = build_rows([{"name": "ap1", "site": "s"}], status)
    assert cells(row, dt.datetime.now(dt.UTC))[3] == "n/a"
    facts = dict(health_facts(status["aps"][0], dt.datetime.now(dt.UTC)))
    assert facts["clients"] == "not available (the agent served no unifiVapTable rows)"
