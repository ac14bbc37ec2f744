"""Health rules as pure functions: states, thresholds, recovery, flapping, depot windows, rates."""

from __future__ import annotations

import datetime as dt

import pytest

from netctl.errors import ConfigError
from netctl.poll.health import (
    HealthState,
    Observation,
    Rules,
    counter_rates,
    degrade_reasons,
    diff_alerts,
    evaluate,
    in_window,
    wanted_alerts,
)

RULES = Rules(down_after_misses=3, up_after_oks=2, flap_window_s=600, flap_max_changes=4)
OK = Observation(ok=True, metrics={"cpu": 20.0, "mem": 40.0, "radios_down": 0, "if_errors_ps": 0.0, "clients": 30})
MISS = Observation(ok=False, error_kind="timeout", error="no answer")


def run(observations: list[Observation], rules: Rules = RULES, start: float = 1000.0) -> list[str]:
    state: HealthState | None = None
    seen = []
    for i, obs in enumerate(observations):
        verdict = evaluate(state, obs, rules, start + 60 * i)
        state = verdict.health
        seen.append(verdict.state)
    return seen


def test_first_good_poll_is_up_and_misses_turn_down_only_after_n() -> None:
    assert run([OK, MISS, MISS, MISS, MISS]) == ["up", "up", "up", "down", "down"]


def test_a_never_seen_ap_that_misses_stays_unknown_until_down() -> None:
    assert run([MISS, MISS, MISS]) == ["unknown", "unknown", "down"]


def test_recovery_needs_consecutive_good_polls() -> None:
    assert run([OK, MISS, MISS, MISS, OK, MISS, OK, OK]) == ["up", "up", "up", "down", "down", "down", "down",
                                                            "up"]


def test_a_down_its_controller_reports_says_only_what_the_controller_said() -> None:
    said = Observation(ok=False, error_kind="error", error="controller du-ac01 reports it fault", reported=True)
    verdict = evaluate(None, said, Rules(down_after_misses=1), 1000.0)
    assert verdict.state == "down" and verdict.reasons == (("down", "controller du-ac01 reports it fault"),)
    assert wanted_alerts(verdict) == {"down": "controller du-ac01 reports it fault"}
    # an AP polled itself still counts the polls it did not answer
    assert evaluate(None, MISS, Rules(down_after_misses=1), 1000.0).reasons == (
        ("down", "no answer to 1 polls in a row (no answer)"),)


def test_degraded_reasons_from_thresholds() -> None:
    metrics: dict[str, float | None] = {"cpu": 95.0, "mem": 91.0, "radios_down": 1, "if_errors_ps": 25.0, "clients": 3}
    kinds = [kind for kind, _ in degrade_reasons(metrics, Rules(), baseline=40.0)]
    assert kinds == ["radio-down", "if-errors", "cpu-high", "mem-high", "clients-collapsed"]
    assert degrade_reasons({"cpu": 89.9, "mem": 10.0, "radios_down": 0}, Rules(), None) == []


def test_clients_collapse_is_judged_against_the_aps_own_recent_level() -> None:
    state = None
    for clients in (40, 42, 38, 41):
        verdict = evaluate(state, Observation(ok=True, metrics={"clients": clients}), Rules(), 0.0)
        state = verdict.health
        assert verdict.state == "up"
    collapsed = evaluate(state, Observation(ok=True, metrics={"clients": 2}), Rules(), 60.0)
    assert collapsed.state == "degraded"
    assert collapsed.reasons[0][0] == "clients-collapsed"
    assert "usually ~40" in collapsed.reasons[0][1]
    # a small AP (baseline under the minimum) never counts as collapsed
    small = evaluate(HealthState(state="up", baseline=5.0), Observation(ok=True, metrics={"clients": 0}), Rules(), 0)
    assert small.state == "up"


def test_auth_and_malformed_are_unknown_with_an_alert_kind() -> None:
    verdict = evaluate(HealthState(state="up"), Observation(ok=False, error_kind="auth", error="wrong digest"),
                       RULES, 0.0)
    assert verdict.state == "unknown"
    assert wanted_alerts(verdict) == {"poll-auth": "wrong digest"}


def test_vehicle_in_depot_window_is_not_an_outage() -> None:
    parked = Observation(ok=False, error_kind="timeout", error="no answer", in_depot=True)
    states = run([OK, parked, parked, parked, parked])
    assert states == ["up", "unknown", "unknown", "unknown", "unknown"]
    state = None
    for obs in [OK, parked, parked, parked]:
        verdict = evaluate(state, obs, RULES, 0.0)
        state = verdict.health
    assert wanted_alerts(verdict) == {}


def test_flapping_is_detected_within_the_window() -> None:
    state = None
    flags = []
    pattern = [OK, MISS, MISS, MISS, OK, OK, MISS, MISS, MISS, OK, OK]
    for i, obs in enumerate(pattern):
        verdict = evaluate(state, obs, Rules(down_after_misses=3, up_after_oks=2, flap_window_s=3600,
                                             flap_max_changes=4), 60.0 * i)
        state = verdict.health
        flags.append(state.flapping)
    assert flags[-1] is True
    assert flags[3] is False


def test_prev_state_is_not_modified() -> None:
    prev = HealthState(state="up", misses=1, changes=[1.0])
    evaluate(prev, MISS, RULES, 100.0)
    assert prev.misses == 1 and prev.changes == [1.0]


def test_alert_diff() -> None:
    assert diff_alerts({"down", "cpu-high"}, {"down": "x", "mem-high": "y"}) == (["mem-high"], ["down"],
                                                                                 ["cpu-high"])


@pytest.mark.parametrize(("window", "clock", "inside"), [
    ("01:00-04:30", "02:00", True), ("01:00-04:30", "04:30", False), ("01:00-04:30", "00:59", False),
    ("22:00-05:00", "23:30", True), ("22:00-05:00", "04:00", True), ("22:00-05:00", "12:00", False),
])
def test_time_windows_including_past_midnight(window: str, clock: str, inside: bool) -> None:
    assert in_window(window, dt.time.fromisoformat(clock)) is inside


def test_bad_window_and_unknown_rule_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="HH:MM-HH:MM"):
        in_window("1am-4am", dt.time(2))
    with pytest.raises(ConfigError, match="down_after_misses"):
        Rules.from_dict({"down_after_mises": 2})
    assert Rules.from_dict({"down_after_misses": "2"}).down_after_misses == 2


def test_counter_rates_handle_wrap_reset_and_reboot() -> None:
    prev: dict[str, float] = {"in:eth0#32": 4294967000, "in:eth1#64": 100, "out:eth0#32": 5000}
    now: dict[str, float] = {"in:eth0#32": 704, "in:eth1#64": 1100, "out:eth0#32": 10}
    rates = counter_rates(prev, 100.0, now, 110.0)
    assert rates["in:eth0#32"] == pytest.approx(1000 / 10)  # wrapped once
    assert rates["in:eth1#64"] == pytest.approx(100.0)
    assert "out:eth0#32" not in rates  # went far backwards: a reset, no rate
    assert counter_rates(prev, 100.0, now, 110.0, rebooted=True) == {}
    assert counter_rates(None, None, now, 110.0) == {}
