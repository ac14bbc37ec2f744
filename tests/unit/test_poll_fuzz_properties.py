"""Property-based companions of the seeded fuzz test: arbitrary bytes and arbitrary BER trees.

Hypothesis draws inputs the mutation corpus would not (any byte string; well-formed TLV trees of any
tags, lengths and depths, with hostile contents); the decoders may only return or raise their
documented errors. ``derandomize`` keeps runs reproducible; the example counts keep the suite fast.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netctl.poll import ber, usm
from netctl.poll.snmp import probe_verdict
from netctl.poll.walk import Walk, WalkError
from tests.unit.snmp_corpus.fuzz import serialize

FAST = settings(max_examples=500, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEYS = usm.Keys.derive(bytes(12), "SHA", "prop-auth-key", "prop-priv-key")
TAGS = st.sampled_from([0x02, 0x04, 0x05, 0x06, 0x30, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0xA2,
                        0xA8, 0x1F, 0xFF, 0x00])
HOSTILE = [b"\x01" + bytes(1799), b"\xff" * 10, b"\x2b" + b"\x81" * 900, b"\x80\x01", b"", b"\x00" * 9]
CONTENT = st.one_of(st.binary(max_size=12), st.sampled_from(HOSTILE))


def tree(depth: int = 3) -> Any:
    leaf = st.tuples(TAGS, CONTENT).map(list)
    if depth == 0:
        return st.lists(leaf, max_size=4)
    return st.lists(st.one_of(leaf, st.tuples(TAGS, tree(depth - 1)).map(list)), max_size=4)


def snmp_like() -> Any:
    """A SEQUENCE{INTEGER version, ...} at the top, so the decoders get past their first checks."""
    version = st.sampled_from([b"\x00", b"\x01", b"\x03", b"\x7f", b"\x01" + bytes(20)])
    return st.tuples(version, tree()).map(lambda vt: serialize([[0x30, [[0x02, vt[0]], *vt[1]]]]))


def decode_all(data: bytes) -> None:
    for call in (lambda: ber.decode_response(data), lambda: usm.decode(data, None), lambda: usm.decode(data, KEYS)):
        try:
            reply = call()
        except (ber.BerError, usm.UsmError):
            continue
        if isinstance(reply, usm.Reply):
            reply.report()
    assert ber.peek_request_id(data) >= -1
    probe_verdict(data, 1)


@FAST
@given(st.binary(max_size=2048))
def test_any_bytes_raise_only_documented_errors(data: bytes) -> None:
    decode_all(data)


@FAST
@given(snmp_like())
def test_any_ber_tree_raises_only_documented_errors(data: bytes) -> None:
    decode_all(data)


OID = st.lists(st.integers(0, 40), min_size=1, max_size=4).map(lambda t: (1, 3, 6, 1, 2, 1, *t))


@FAST
@given(st.lists(st.lists(st.tuples(OID, st.sampled_from([("Integer", 1), ("endOfMibView", None)])), max_size=12),
                max_size=6))
def test_a_walk_keeps_only_increasing_rows_inside_its_columns(replies: list[list[Any]]) -> None:
    prefixes = [(1, 3, 6, 1, 2, 1, 2), (1, 3, 6, 1, 2, 1, 5)]
    walk = Walk(prefixes, max_repetitions=5, max_rounds=4)
    for varbinds in replies:
        if walk.done:
            break
        try:
            keys, _oids = walk.next_request()
            walk.absorb(keys, varbinds)
        except WalkError as exc:
            assert exc.kind == "malformed"
            break
    for prefix, rows in zip(prefixes, walk.rows, strict=True):
        oids = [prefix + tuple(int(p) for p in index.split(".")) for index in rows]
        assert oids == sorted(set(oids))
        assert all(len(oid) > len(prefix) for oid in oids)
