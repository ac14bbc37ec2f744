"""Hostile replies against the fast path's decoders: only documented errors, bounded time per datagram.

The seed corpus is real replies of the lab's net-snmp snmpd and snmpsim (``snmp_corpus/replies.json``,
recorded by ``python -m tests.unit.snmp_corpus.record``); the mutations are seeded, so a failure
reproduces. The reproducers of issue 12 are spelled out one by one below.
"""

from __future__ import annotations

import hmac
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from netctl.poll import ber, usm
from tests.unit.snmp_corpus import fuzz

GET_RESPONSE_HEAD = bytes.fromhex("020101") + ber.tlv(ber.TAG_OCTET_STRING, b"public")
#: a decode of any one datagram (at most 65,507 octets) must stay below this, on a busy 2-core machine
DATAGRAM_BUDGET_S = 0.02


def v2c_response(*varbinds: bytes, version: bytes = b"\x02\x01\x01", rid: bytes = b"\x02\x04\x00\x80\x00\x01") -> bytes:
    pdu = ber.tlv(ber.PDU_RESPONSE, rid + b"\x02\x01\x00\x02\x01\x00"
                  + ber.tlv(ber.TAG_SEQUENCE, b"".join(ber.tlv(ber.TAG_SEQUENCE, v) for v in varbinds)))
    return ber.tlv(ber.TAG_SEQUENCE, version + ber.tlv(ber.TAG_OCTET_STRING, b"public") + pdu)


SYS_UPTIME = ber.encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0))
HUGE_COUNTER = b"\x41\x82\x07\x08\x01" + bytes(1799)  # the reproducer of issue 12, finding 1


def test_seeded_fuzz_of_real_replies_raises_only_documented_errors() -> None:
    outcome = fuzz.run(12_000)
    assert outcome.cases == 12_000
    assert outcome.undocumented == []
    assert outcome.decoded > 1000 and outcome.documented > 5000  # the mutations reach both outcomes
    assert outcome.slowest_s < DATAGRAM_BUDGET_S * 5, outcome.slowest_case  # one GC pause allowed for
    assert outcome.total_s / outcome.cases < 0.0005


def test_corpus_replies_decode_as_recorded() -> None:
    corpus = fuzz.load()
    for entry in corpus["replies"]:
        data = bytes.fromhex(entry["hex"])
        if entry["kind"] == "v2c":
            assert ber.decode_response(data).varbinds, entry["request"]
        else:
            keys = corpus["auth_keys"] if "NoPriv" in entry["request"] else corpus["keys"]
            reply = usm.decode(data, keys)
            assert (reply.report() is None) == (entry["kind"] == "v3"), entry["request"]


@pytest.mark.parametrize("message", [
    v2c_response(SYS_UPTIME + HUGE_COUNTER),                                       # a Counter32 of 1,800 octets
    v2c_response(SYS_UPTIME + b"\x02\x82\x07\x08\x7f" + b"\xff" * 1799),           # an INTEGER of 1,800 octets
    v2c_response(SYS_UPTIME + b"\x43\x01\x01", version=b"\x02\x82\x07\x08\x01" + bytes(1799)),  # the version
    v2c_response(SYS_UPTIME + b"\x43\x01\x01", rid=b"\x02\x82\x07\x08\x01" + bytes(1799)),      # the request-id
    v2c_response(SYS_UPTIME + b"\x06\x82\x07\x08\x2b" + b"\x81" * 1798 + b"\x01"),  # an OID value, one 1,800-octet arc
    v2c_response(b"\x06\x82\x07\x08\x2b" + b"\x81" * 1798 + b"\x01" + b"\x05\x00"),  # the varbind's own OID
    v2c_response(SYS_UPTIME + b"\x06\x82\x01\x02\x2b" + b"\x01" * 257),             # an OID of 258 arcs
    v2c_response(SYS_UPTIME + b"\x46\x0a\x01" + bytes(9)),                          # Counter64 of 10 octets
], ids=["counter32", "integer", "version", "request-id", "oid-value", "varbind-oid", "258-arcs", "counter64"])
def test_huge_numbers_are_ber_errors_not_crashes(message: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode_response(message)
    assert ber.peek_request_id(message) >= -1


def test_a_65k_one_arc_oid_is_rejected_in_bounded_time() -> None:
    arc = b"\x06\x83\x00\xff\xe0\x2b" + b"\x81" * 0xFFDE + b"\x01"
    message = v2c_response(arc + b"\x05\x00")
    assert len(message) > 65000
    spent = []
    for _ in range(5):
        started = time.perf_counter()
        with pytest.raises(ber.BerError):
            ber.decode_response(message)
        spent.append(time.perf_counter() - started)
    assert statistics.median(spent) < DATAGRAM_BUDGET_S


def test_a_datagram_full_of_small_varbinds_is_bounded() -> None:
    varbind = ber.tlv(ber.TAG_SEQUENCE, ber.encode_oid((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1)) + b"\x04\x00")
    message = v2c_response(*[varbind[2:]] * 4000)
    assert len(message) < 65507
    started = time.perf_counter()
    try:
        ber.decode_response(message)
    except ber.BerError:
        pass
    assert time.perf_counter() - started < DATAGRAM_BUDGET_S * 3


def test_oid_cache_is_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ber, "OID_CACHE_BYTES", 256 * 1024)
    ber.clear_oid_cache()
    try:
        for n in range(5000):  # distinct OIDs of 100 arcs of 5 octets: long, legal, each seen once
            body = b"\x2b" + b"\x8f\xff\xff\xff\x7f" * 98 + ber.encode_oid((1, 3, n + 1))[3:]
            assert len(ber.decode_oid(body)) > 90
        assert 0 < len(ber._OID_CACHE) < 5000
        assert sum(len(k) + 8 * len(v) for k, v in ber._OID_CACHE.items()) <= 256 * 1024
        assert ber._oid_cache_used <= 256 * 1024
    finally:
        ber.clear_oid_cache()


# -- SNMPv3 -----------------------------------------------------------------------------------------
ENGINE_ID = bytes.fromhex("80001f88807c6e3b5b6a1f4f6900000000")


def v3_message(*, model: bytes = b"\x02\x01\x03", boots: int = 1, engine_time: int = 100, flags: int = 0x03,
               keys: usm.Keys | None = None, max_size: bytes = b"\x02\x03\x00\xff\xe3") -> bytes:
    """An SNMPv3 Response with the given header fields, signed by ``keys`` (priv: 8 octets of salt)."""
    pdu = ber.tlv(0xA2, b"\x02\x04\x00\x80\x00\x01\x02\x01\x00\x02\x01\x00"
                  + ber.tlv(ber.TAG_SEQUENCE, ber.tlv(ber.TAG_SEQUENCE, SYS_UPTIME + b"\x43\x01\x05")))
    scoped = ber.tlv(ber.TAG_SEQUENCE, ber.tlv(4, ENGINE_ID) + ber.tlv(4, b"") + pdu)
    salt = bytes(8) if flags & usm.FLAG_PRIV else b""
    msg_data = ber.tlv(4, scoped) if flags & usm.FLAG_PRIV else scoped
    global_data = ber.tlv(ber.TAG_SEQUENCE,
                          b"\x02\x04\x00\x80\x00\x01" + max_size + ber.tlv(4, bytes((flags,))) + model)
    params = ber.tlv(ber.TAG_SEQUENCE, ber.tlv(4, ENGINE_ID) + ber.encode_integer(boots)
                     + ber.encode_integer(engine_time) + ber.tlv(4, b"labuser") + ber.tlv(4, bytes(12))
                     + ber.tlv(4, salt))
    message = ber.tlv(ber.TAG_SEQUENCE, b"\x02\x01\x03" + global_data + ber.tlv(4, params) + msg_data)
    if keys is not None:
        at = message.index(bytes(12))
        digest = hmac.new(keys.auth, message, keys.hash_name).digest()[:12]
        message = message[:at] + digest + message[at + 12:]
    return message


KEYS = usm.Keys.derive(ENGINE_ID, "SHA", "lab-auth-pass", "lab-priv-pass")


@pytest.mark.parametrize(("build", "keys"), [
    (lambda: v3_message(model=b"\x02\x82\x07\x08\x01" + bytes(1799), flags=0), None),  # checked before auth
    (lambda: v3_message(model=b"\x02\x82\x07\x08\x01" + bytes(1799)), KEYS),
    (lambda: v3_message(max_size=b"\x02\x82\x07\x08\x01" + bytes(1799)), KEYS),
    (lambda: v3_message(boots=-1, keys=KEYS), KEYS),
    (lambda: v3_message(boots=1 << 32, flags=0x03, keys=KEYS), KEYS),
    (lambda: v3_message(engine_time=1 << 40, flags=0x03, keys=KEYS), KEYS),
    (lambda: v3_message(engine_time=-5, flags=0, keys=None), None),
], ids=["model-noauth", "model", "max-size", "boots-negative", "boots-2^32", "time-2^40", "time-negative"])
def test_v3_header_fields_out_of_range_are_ber_errors(build: Callable[[], bytes], keys: Any) -> None:
    with pytest.raises((ber.BerError, usm.UsmError)) as caught:
        usm.decode(build(), keys)
    assert isinstance(caught.value, ber.BerError)


def test_report_of_an_oid_with_a_huge_arc_is_a_ber_error() -> None:
    # the OID is refused by the decoder, so Reply.report() never formats a 4,300-digit number
    report = v3_message(flags=0)
    oid = b"\x06\x82\x07\x08\x2b" + b"\x81" * 1798 + b"\x01"
    with pytest.raises(ber.BerError):
        ber.decode_pdu_body(oid + b"\x05\x00", 0, len(oid) + 2)
    assert usm.decode(report, None).report() is None
