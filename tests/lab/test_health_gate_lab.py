"""Health-gated rollouts against the lab: confirm a NETCONF commit only when SNMP says the AP is well.

Two APs of one school go out canary first. When the canary's SNMP agent (a real net-snmp snmpd of this
test) stops answering the moment its push starts, the gate cancels the canary's commit: the AP is on
its previous config (read back over the test's own NETCONF session), the next wave is not pushed, and a
``health-gate`` alert is open. With the agent answering, the same push is confirmed and the alert closes.

APs: bk-sued-ap02 (canary; shared with the calendar and overlay tests, each leaves it as it found it)
and bk-sued-ap03 (shared with the journal test, which pushes it back too).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from netctl.runner import Event
from netctl.selection import Selection
from tests.helpers.lab import with_psks
from tests.helpers.netconf import TX_5G, read_leaf
from tests.lab.agents import snmpd

pytestmark = pytest.mark.lab

CANARY, NEXT = "bk-sued-ap02", "bk-sued-ap03"


def community(city: Any) -> str:
    from netctl.inventory.secrets import resolve_secret

    return str(resolve_secret(city.session.db, "secret:lab/snmp-community", tenant="duisburg"))


@pytest.fixture
def school(city: Any, lab: Any) -> Iterator[tuple[Any, str, str]]:
    """Both APs pushed with their inventory config; the canary polled from an snmpd of this test (port 1162)."""
    with_psks(city)
    assert all(r.ok for r in city.config.push(Selection(names=(CANARY, NEXT)), confirm_timeout=20))
    before = {ap: read_leaf(city, ap, TX_5G) for ap in (CANARY, NEXT)}
    address = city.session.get_ap(CANARY)["address"]
    snmp = dict(city.session.get_ap(CANARY)["snmp"])
    city.inventory.set_ap(CANARY, {"snmp.port": 1162})
    try:
        yield city, address, f"rocommunity {lab.secrets['lab/snmp-community']} 127.0.0.0/8"
    finally:
        city.inventory.set_ap(CANARY, {"snmp.port": snmp.get("port"), "vars.radio_5g_tx_power": None})
        city.inventory.set_ap(NEXT, {"vars.radio_5g_tx_power": None})
        back = city.config.push(Selection(names=(CANARY, NEXT)), confirm_timeout=20)
        assert all(r.ok for r in back), [r.reason for r in back]
        assert {ap: read_leaf(city, ap, TX_5G) for ap in (CANARY, NEXT)} == before


def test_an_ap_whose_agent_stops_answering_is_rolled_back_and_stops_the_rollout(school: Any,
                                                                                tmp_path: Path) -> None:
    city, address, config = school
    before = read_leaf(city, CANARY, TX_5G)
    for ap in (CANARY, NEXT):
        city.inventory.set_ap(ap, {"vars.radio_5g_tx_power": 9})
    with ExitStack() as agent:
        agent.enter_context(snmpd(tmp_path, address, 1162, community(city), config))
        stopped = threading.Event()

        def progress(event: Event) -> None:
            if event.ap == CANARY and event.stage == "start" and not stopped.is_set():
                stopped.set()
                agent.close()  # the agent dies as the change goes out

        results = {r.ap: r for r in city.config.push(Selection(names=(CANARY, NEXT)), canary=1, health_gate=True,
                                                     gate_timeout=4, confirm_timeout=30, progress=progress)}
    assert stopped.is_set()
    canary = results[CANARY]
    assert canary.status == "rolled-back", (canary.status, canary.reason)
    assert canary.reason.startswith("health gate: after 4 s the AP does not answer SNMP"), canary.reason
    assert "the change was cancelled (cancel-commit)" in canary.reason
    assert read_leaf(city, CANARY, TX_5G) == before  # on its previous config, read over our own session
    assert results[NEXT].status == "skipped" and "the health gate stopped the rollout" in results[NEXT].reason
    assert read_leaf(city, NEXT, TX_5G) != ["9"]
    alerts = [a for a in city.monitor.alerts() if a["kind"] == "health-gate"]
    assert [(a["ap"], a["severity"]) for a in alerts] == [(CANARY, "critical")]
    assert "does not answer SNMP" in alerts[0]["message"]
    # a poll of the AP (its agent still gone) leaves the alert the health rules do not own alone
    assert [r.ok for r in city.monitor.poll(Selection(names=(CANARY,)))] == [False]
    assert [a["id"] for a in city.monitor.alerts() if a["kind"] == "health-gate"] == [alerts[0]["id"]]


def test_an_ap_that_answers_again_is_confirmed_and_its_gate_alert_closes(school: Any, tmp_path: Path) -> None:
    city, address, config = school
    with snmpd(tmp_path, address, 1162, community(city), config):
        city.inventory.set_ap(CANARY, {"vars.radio_5g_tx_power": 9})
        from netctl.poll.store import raise_alert

        raise_alert(city.session.db, city.session.get_ap(CANARY), "health-gate", "an earlier gate failed",
                    send=False)
        [result] = city.config.push(Selection(names=(CANARY,)), health_gate=True, gate_timeout=10,
                                    confirm_timeout=40)
    assert result.status == "applied", result.reason
    assert "health gate: answers SNMP" in result.transcript
    assert read_leaf(city, CANARY, TX_5G) == ["9"]
    assert [a for a in city.monitor.alerts() if a["kind"] == "health-gate"] == []


def test_aps_that_cannot_be_gated_are_not_pushed_and_say_why(city: Any) -> None:
    with_psks(city)
    results = {r.ap: r for r in city.config.push(Selection(names=("bus-1201-ap01",)), health_gate=True,
                                                 confirm_timeout=60)}
    assert results["bus-1201-ap01"].status == "failed"
    assert "needs a confirmed commit (NETCONF)" in (results["bus-1201-ap01"].reason or "")
