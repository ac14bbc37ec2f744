"""The walk rule both SNMP paths follow (netctl.poll.walk): never a short table reported as complete."""

from __future__ import annotations

import pytest

from netctl.poll.walk import Walk, WalkError

DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
OPER = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)


def row(index: int) -> list[tuple[tuple[int, ...], tuple[str, object]]]:
    return [((*DESCR, index), ("OctetString", f"if{index}")), ((*OPER, index), ("Integer", 1))]


def test_a_table_over_several_rounds_ends_past_its_columns() -> None:
    walk = Walk([DESCR, OPER], max_repetitions=2, max_rounds=10)
    keys, oids = walk.next_request()
    assert oids == [DESCR, OPER]
    walk.absorb(keys, row(1) + row(2))
    keys, oids = walk.next_request()
    assert oids == [(*DESCR, 2), (*OPER, 2)]
    walk.absorb(keys, row(3) + [((*OPER, 1), ("Integer", 1)), ((1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1), ("Integer", 0))])
    assert walk.done and walk.rows_read == 6
    assert walk.rows[0] == {"1": ("OctetString", "if1"), "2": ("OctetString", "if2"), "3": ("OctetString", "if3")}


def test_extra_varbinds_are_malformed_and_leave_the_walk_unchanged() -> None:
    walk = Walk([DESCR, OPER], max_repetitions=2, max_rounds=10)
    keys, _oids = walk.next_request()
    with pytest.raises(WalkError) as caught:
        walk.absorb(keys, [(SYS_DESCR, ("OctetString", "x"))] + row(1) + row(2))
    assert caught.value.kind == "malformed" and "5 values" in str(caught.value)
    assert walk.rows_read == 0 and walk.rounds == 0  # the round can be asked again


def test_an_oid_going_backwards_out_of_the_column_is_malformed_not_the_end() -> None:
    walk = Walk([DESCR, OPER], max_repetitions=3, max_rounds=10)
    keys, _oids = walk.next_request()
    walk.absorb(keys, row(1))
    keys, _oids = walk.next_request()
    with pytest.raises(WalkError) as caught:  # sysDescr is below ifDescr.1: not the end of the column
        walk.absorb(keys, row(2) + [(SYS_DESCR, ("OctetString", "x")), (SYS_DESCR, ("OctetString", "x"))])
    assert caught.value.kind == "malformed" and "not increasing" in str(caught.value)
    assert walk.rows_read == 2 and not walk.done


def test_a_repeated_reply_is_a_loop_and_malformed() -> None:
    walk = Walk([DESCR, OPER], max_repetitions=2, max_rounds=10)
    keys, _oids = walk.next_request()
    walk.absorb(keys, row(1) + row(2))
    keys, _oids = walk.next_request()
    with pytest.raises(WalkError, match="not increasing"):
        walk.absorb(keys, row(1) + row(2))


def test_a_walk_that_never_ends_is_bounded() -> None:
    walk = Walk([DESCR], max_repetitions=1, max_rounds=5)
    for n in range(5):
        keys, _oids = walk.next_request()
        walk.absorb(keys, [((*DESCR, n + 1), ("OctetString", "x"))])
    with pytest.raises(WalkError) as caught:
        walk.next_request()
    assert caught.value.kind == "malformed" and "5 GETBULK rounds" in str(caught.value)


def test_end_of_mib_view_and_no_values() -> None:
    walk = Walk([DESCR], max_repetitions=5, max_rounds=5)
    keys, _oids = walk.next_request()
    with pytest.raises(WalkError, match="no values"):
        walk.absorb(keys, [])
    walk.absorb(keys, [(DESCR, ("endOfMibView", None))])
    assert walk.done and walk.rows == [{}]


def test_a_walk_failing_after_rows_is_partial_and_before_them_keeps_its_kind() -> None:
    walk = Walk([DESCR, OPER], max_repetitions=2, max_rounds=10)
    assert walk.failed("timeout", "no answer").kind == "timeout"
    keys, _oids = walk.next_request()
    walk.absorb(keys, row(1) + row(2))
    error = walk.failed("timeout", "no answer")
    assert error.kind == "partial"
    assert "4 rows" in str(error) and "1.3.6.1.2.1.2.2.1.2" in str(error)
