"""What a poll stores when interfaces share a name or counters are not served (issue 12, finding 5 in part)."""

from __future__ import annotations

from typing import Any

import pytest

from netctl.poll.health import counter_rates
from netctl.poll.store import counters_of, sample_metrics

T0 = 1_800_000_000.0


def values(octets: dict[int, tuple[str, int | None]], errors: int | None = 0) -> dict[str, Any]:
    return {"interfaces": [{"index": index, "name": name, "in_octets": count, "out_octets": count,
                            "counter_bits": 64, "in_errors": errors, "out_errors": errors}
                           for index, (name, count) in octets.items()]}


def metrics_between(first: dict[str, Any], second: dict[str, Any]) -> dict[str, float]:
    rates = counter_rates(counters_of(first), T0, counters_of(second), T0 + 10)
    return sample_metrics(second, rates, 1.0)


def test_interfaces_with_the_same_name_are_kept_apart_by_ifindex() -> None:
    # an Aruba controller calls 8 ports "Link Aggregate": each has its own counters
    first = values({11: ("Link Aggregate", 1000), 12: ("Link Aggregate", 5000), 1: ("eth0", 0)})
    second = values({11: ("Link Aggregate", 2000), 12: ("Link Aggregate", 5000 + 10_000), 1: ("eth0", 100)})
    metrics = metrics_between(first, second)
    assert metrics["in_bps"] == pytest.approx((100 + 1000 + 10_000) / 10 * 8)
    assert metrics["in_bps:if1"] == pytest.approx(80.0)  # every interface by its ifIndex
    assert metrics["in_bps:if11"] == pytest.approx(800.0)
    assert metrics["in_bps:if12"] == pytest.approx(8000.0)


def test_traffic_not_served_is_not_stored_as_zero() -> None:
    # no octet counters at all (no ifXTable and no 32-bit fallback in the reply): only errors move
    first = values({1: ("eth0", None)}, errors=5)
    second = values({1: ("eth0", None)}, errors=15)
    metrics = metrics_between(first, second)
    assert "in_bps" not in metrics and "out_bps" not in metrics
    assert metrics["if_errors_ps"] == pytest.approx(2.0)


def test_errors_not_served_are_not_stored_as_zero() -> None:
    first = values({1: ("eth0", 100)}, errors=None)
    second = values({1: ("eth0", 200)}, errors=None)
    metrics = metrics_between(first, second)
    assert metrics["in_bps"] == pytest.approx(80.0)
    assert "if_errors_ps" not in metrics


def test_the_32_bit_octets_are_walked_only_when_ifxtable_is_empty() -> None:
    from netctl.poll.decode import decode
    from netctl.poll.oids import IF_OCTETS, PROFILES

    profile = PROFILES["wlan-ap"]
    if_rows: dict[str, dict[str, tuple[str, Any]]] = {
        "descr": {"1": ("OctetString", "eth0")}, "oper_status": {"1": ("Integer", 1)}}
    assert profile.fallback_tables({"if": if_rows, "ifx": {"hc_in_octets": {}, "hc_out_octets": {}}}) == {
        "if_octets": IF_OCTETS}
    assert profile.fallback_tables({"if": if_rows, "ifx": {"hc_in_octets": {"1": ("Counter64", 5)}}}) == {}
    assert profile.fallback_tables({"if": {}, "ifx": {}}) == {}  # no interfaces: nothing to fall back to
    assert PROFILES["legacy-if"].fallback_tables({"if": if_rows}) == {}
    tables = {"if": if_rows, "ifx": {}, "if_octets": {"in_octets": {"1": ("Counter32", 4_000_000_000)},
                                                      "out_octets": {"1": ("Counter32", 7)}}}
    [iface] = decode(profile, {"sys_uptime": ("TimeTicks", 100)}, tables)["interfaces"]
    assert (iface["in_octets"], iface["out_octets"], iface["counter_bits"]) == (4_000_000_000, 7, 32)


def test_what_an_agent_did_not_serve_is_named_not_zero() -> None:
    from netctl.poll.decode import decode
    from netctl.poll.oids import PROFILES

    uptime = {"sys_uptime": ("TimeTicks", 100)}
    # an agent with no interfaces, no CPU table, no UniFi MIB and no UCD memory
    empty = decode(PROFILES["wlan-ap"], {**uptime, "mem_total_kb": ("noSuchObject", None)}, {})
    assert empty["interfaces"] == [] and empty["clients"] is None
    assert empty["unavailable"] == ["interfaces", "cpu", "mem", "clients"]
    # ifNumber answered noSuchInstance: kept apart from 0
    scalar = decode(PROFILES["scalar"], {**uptime, "if_number": ("noSuchInstance", None)}, {})
    assert scalar["if_number"] is None and scalar["unavailable"] == ["if_number"]
    zero = decode(PROFILES["scalar"], {**uptime, "if_number": ("Integer", 0)}, {})
    assert zero["if_number"] == 0 and zero["unavailable"] == []
