"""The health gate's rule (is the AP well after its commit?) and its bounded wait."""

from __future__ import annotations

import pytest

from netctl.poll.gate import Gate, judge, needed, wait
from netctl.poll.model import PollResult, Target

TARGET = Target("ap1", "127.0.0.1", 1161, community="c")


def answered(clients: int | None) -> PollResult:
    return PollResult("ap1", True, values={"clients": clients})


def silent() -> PollResult:
    return PollResult("ap1", False, error_kind="timeout", error="no answer (request timed out)")


def test_the_clients_needed_are_a_share_of_those_before_rounded_down() -> None:
    assert needed(10, 0.8) == 8 and needed(3, 0.8) == 2 and needed(None, 0.8) == 0 and needed(0, 0.8) == 0


@pytest.mark.parametrize(("baseline", "result", "ok", "words"), [
    (10, answered(8), True, "answers SNMP, 8 clients (needed 8)"),
    (10, answered(7), False, "7 clients, fewer than 8 (80% of the 10 before the push)"),
    (10, answered(None), False, "no longer serves its client count"),
    (None, answered(None), True, "answers SNMP"),
    (0, answered(0), True, "answers SNMP"),
    (10, silent(), False, "does not answer SNMP (timeout: no answer (request timed out))"),
])
def test_judge(baseline: int | None, result: PollResult, ok: bool, words: str) -> None:
    verdict = judge(Gate(TARGET, baseline), result)
    assert verdict.ok is ok and words in verdict.reason


def test_wait_polls_until_the_ap_is_well_and_stops_at_the_timeout() -> None:
    now = [0.0]
    replies = iter([silent(), answered(3), answered(9)])
    verdict = wait(Gate(TARGET, 10, timeout_s=30, interval_s=2), poll=lambda _t: next(replies),
                   clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert (verdict.ok, verdict.polls, verdict.clients, now[0]) == (True, 3, 9, 4.0)

    now[0] = 0.0
    verdict = wait(Gate(TARGET, 10, timeout_s=5, interval_s=2), poll=lambda _t: silent(),
                   clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert not verdict.ok and verdict.polls == 4 and now[0] == 5.0
    assert verdict.reason.startswith("health gate: after 5 s the AP does not answer SNMP")


def test_a_gate_travels_as_plain_data() -> None:
    gate = Gate(TARGET, 12, 0.5, 20.0, 1.0)
    assert Gate.from_dict(gate.to_dict()) == gate


# -- a WLAN controller (a firmware upgrade of the AC) is gated on the APs behind it ------------------
def ac_result(faults: int = 0, *, raw: dict | None = None) -> PollResult:
    """du-ac01's lab recording as its poll hands it over, with ``faults`` of its up APs turned ``fault``."""
    from lab.controller_snmp import render_controller_snmprec
    from tests.helpers.controllers import controller_result, lab_controller, raw_tables

    tables = raw if raw is not None else raw_tables(render_controller_snmprec(lab_controller("du-ac01")),
                                                    "huawei-ac")
    states = tables["ctl_ap"]["run_state"]
    for index in [i for i, (_kind, value) in states.items() if value == 8][:faults]:  # 8: normal
        states[index] = ("Integer", 4)  # 4: fault
    return controller_result("du-ac01", "huawei-ac", tables)


AC_GATE = Gate(Target("du-ac01", "127.0.0.1", 1161, community="c", profile="huawei-ac"), None, 0.8,
               controller="huawei", baseline_aps=35)


@pytest.mark.parametrize(("result", "ok", "words"), [
    (ac_result(), True, "answers SNMP, 35 of its 40 APs up (needed 28)"),
    (ac_result(7), True, "28 of its 40 APs up (needed 28)"),
    (ac_result(8), False, "27 of its 40 APs up, fewer than 28 (80% of the 35 up before)"),
    (ac_result(raw={"ctl_ap": {"run_state": {}}, "ctl_vap": {}}), False, "its AP table cannot be read"),
    (silent(), False, "does not answer SNMP"),
])
def test_a_controller_is_well_when_the_aps_up_before_are_back(result: PollResult, ok: bool, words: str) -> None:
    verdict = judge(AC_GATE, result)
    assert verdict.ok is ok and words in verdict.reason, verdict


def test_a_controller_gate_travels_as_plain_data() -> None:
    assert Gate.from_dict(AC_GATE.to_dict()) == AC_GATE
