"""Counter discontinuities never produce a traffic spike: restarts, wraps, counters going backwards.

Two polls of one AP are recorded (``record_results``) and the stored rates read back through the facade,
as ``netctl metrics`` shows them. The lab test ``tests/lab/test_poll_restart_lab.py`` restarts a real agent
between two polls.
"""

from __future__ import annotations

from typing import Any

import pytest

from netctl.poll.health import agent_restarted
from netctl.poll.model import PollResult
from tests.helpers.poll import T0, add_city, record

WRAP32 = 2 ** 32
WRAP64 = 2 ** 64


def answer(ts: float, uptime_s: float, octets: int, *, bits: int = 64, name: str = "eth0",
           index: int = 1) -> PollResult:
    values = {"sys_name": "ap1", "uptime_s": uptime_s, "cpu": 5.0, "mem": 20.0, "clients": None, "radios_down": 0,
              "interfaces": [{"index": index, "name": name, "oper": "up", "in_octets": octets, "out_octets": octets,
                              "counter_bits": bits, "in_errors": 0, "out_errors": 0}]}
    return PollResult("ap1", True, latency_ms=2.0, values=values, ts=ts)


def rates_after(api: Any, first: PollResult, second: PollResult) -> dict[str, float]:
    """The traffic values stored for the second poll (metric -> value)."""
    add_city(api)
    record(api, [first], first.ts)
    record(api, [second], second.ts)
    return {r["metric"]: r["value"] for r in api.monitor.metrics("ap1", since=T0 - 10)
            if r["epoch"] == int(second.ts) and ("bps" in r["metric"] or "errors" in r["metric"])}


def test_steady_counters_give_a_rate(api: Any) -> None:
    rates = rates_after(api, answer(T0, 5000, 1_000), answer(T0 + 60, 5060, 1_000 + 60 * 125))
    assert rates["in_bps"] == pytest.approx(1000.0)


def test_agent_restart_with_an_uptime_past_the_previous_one_gives_no_rate(api: Any) -> None:
    # polled at uptime 100 s; the agent restarts, and 10 minutes later it has been up 300 s: the uptime is
    # larger than before, but shorter than the time between the polls, so the counters started again
    rates = rates_after(api, answer(T0, 100, 4_000_000_000, bits=32),
                        answer(T0 + 600, 300, 1_000, bits=32))
    assert rates == {}


def test_sysuptime_going_back_gives_no_rate(api: Any) -> None:
    rates = rates_after(api, answer(T0, 90_000, 4_000_000_000, bits=32), answer(T0 + 60, 30, 50_000, bits=32))
    assert rates == {}


@pytest.mark.parametrize("bits", [32, 64])
def test_a_counter_wrap_gives_the_true_rate(api: Any, bits: int) -> None:
    top = 2 ** bits
    rates = rates_after(api, answer(T0, 5000, top - 3_000, bits=bits), answer(T0 + 60, 5060, 4_500, bits=bits))
    assert rates["in_bps"] == pytest.approx(7_500 * 8 / 60)


@pytest.mark.parametrize(("bits", "before", "after"), [
    (64, 9_000_000_000, 1_000_000),  # 64-bit counter reset (clear counters), no restart
    (32, 2_000_000_000, 1_500_000_000),  # 32-bit counter a little backwards: no wrap can explain it
    (32, 100_000, 50_000),
])
def test_a_counter_going_backwards_without_a_restart_gives_no_rate(api: Any, bits: int, before: int,
                                                                   after: int) -> None:
    rates = rates_after(api, answer(T0, 5000, before, bits=bits), answer(T0 + 60, 5060, after, bits=bits))
    assert "in_bps" not in rates and "out_bps" not in rates
    assert not any(k.startswith(("in_bps:", "out_bps:")) for k in rates)


def test_another_interface_under_the_same_ifindex_gives_no_rate(api: Any) -> None:
    rates = rates_after(api, answer(T0, 5000, 1_000_000, name="eth0", index=3),
                        answer(T0 + 60, 5060, 90_000_000_000, name="wlan0", index=3))
    assert "in_bps" not in rates


def test_the_32_bit_fallback_switching_to_64_bit_counters_gives_no_rate(api: Any) -> None:
    rates = rates_after(api, answer(T0, 5000, 4_000_000_000, bits=32), answer(T0 + 60, 5060, 90_000_000_000, bits=64))
    assert "in_bps" not in rates


@pytest.mark.parametrize(("prev", "now", "elapsed", "restarted"), [
    (1000.0, 1060.0, 60.0, False),
    (1000.0, 1059.0, 60.0, False),  # a second of clock skew is no restart
    (1000.0, 10.0, 60.0, True),  # went back
    (100.0, 300.0, 600.0, True),  # up for less time than since the last poll
    (None, 300.0, 600.0, True),
    (None, 3000.0, 600.0, False),
    (1000.0, None, 60.0, False),  # no uptime served: counters decide alone
    (1000.0, 1000.0, 5.0, False),  # an agent serving a fixed sysUpTime (a recording) is not restarting
])
def test_agent_restarted(prev: float | None, now: float | None, elapsed: float, restarted: bool) -> None:
    assert agent_restarted(prev, now, elapsed) is restarted
