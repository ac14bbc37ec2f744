"""The poller's own exception types are PollErrors: one tree, each with the kind a poll result reports."""

from __future__ import annotations

import pytest

from netctl.errors import NetctlError, PollError
from netctl.poll import ber, fast, snmp, usm, walk
from netctl.poll.model import ERROR_KINDS


def test_a_malformed_datagram_is_a_poll_error_of_kind_malformed() -> None:
    with pytest.raises(PollError) as caught:
        ber.decode_response(b"\x30\x03\x02\x01")
    assert isinstance(caught.value, ber.BerError) and caught.value.kind == "malformed"
    assert str(caught.value) == caught.value.message


def test_each_poll_exception_carries_its_kind() -> None:
    errors: list[PollError] = [
        ber.BerError("not an SNMPv2c message (version 0)", version=0),
        usm.UsmError("the reply failed authentication (wrong digest): wrong auth key?"),
        walk.WalkError("partial", "the walk stopped"),
        fast.Failure("timeout", "no answer (request timed out)", {"replies_unmatched": 2}),
        snmp._Failure("malformed", "GET of 2 OIDs answered with 1 values"),
    ]
    assert [e.kind for e in errors] == ["unsupported", "auth", "partial", "timeout", "malformed"]
    for error in errors:
        assert isinstance(error, NetctlError) and error.kind in ERROR_KINDS
        assert str(error) == error.message  # no hint: the text a poll result shows is the message alone
    assert errors[3].seen == {"replies_unmatched": 2}  # type: ignore[attr-defined]
