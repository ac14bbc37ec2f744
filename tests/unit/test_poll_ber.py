"""The SNMPv2c BER codec of the fast path, checked against pysnmp/pyasn1 encoding the same messages.

pyasn1 is the reference: requests netctl encodes must be byte for byte what pysnmp encodes and decode
to the same fields; responses pysnmp encodes must decode to exactly what :func:`netctl.poll.snmp.typed`
makes of pysnmp's own decoding. Broken input (every truncation, flipped octets, unknown tags, values
out of range) must raise :class:`BerError`, never anything else.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from netctl.poll import ber
from netctl.poll.snmp import typed

P = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS = (1, 3, 6, 1, 2, 1, 1)


def pysnmp_message(pdu: Any, community: bytes = b"public") -> bytes:
    msg = P.Message()
    P.apiMessage.set_defaults(msg)
    P.apiMessage.set_community(msg, community)
    P.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def pysnmp_response(request_id: int, varbinds: Sequence[tuple[tuple[int, ...], Any]], *, status: int = 0,
                    index: int = 0, community: bytes = b"public") -> bytes:
    pdu = P.GetResponsePDU()
    P.apiPDU.set_defaults(pdu)
    P.apiPDU.set_request_id(pdu, request_id)
    P.apiPDU.set_error_status(pdu, status)
    P.apiPDU.set_error_index(pdu, index)
    P.apiPDU.set_varbinds(pdu, varbinds)
    return pysnmp_message(pdu, community)


def pysnmp_decoded(data: bytes) -> tuple[int, int, int, list[tuple[tuple[int, ...], tuple[str, Any]]]]:
    msg, rest = decoder.decode(data, asn1Spec=P.Message())
    assert not rest
    pdu = P.apiMessage.get_pdu(msg)
    return (int(P.apiPDU.get_request_id(pdu)), int(P.apiPDU.get_error_status(pdu)),
            int(P.apiPDU.get_error_index(pdu)),
            [(tuple(oid), typed(value)) for oid, value in P.apiPDU.get_varbinds(pdu)])


EVERY_TYPE: list[tuple[tuple[int, ...], Any]] = [
    (SYS + (1, 0), rfc1902.OctetString(b"NW-AP 620 \xc3\xa4")),          # UTF-8 text
    (SYS + (1, 1), rfc1902.OctetString(b"\x00\x1a\x2b\x3c\x4d\x5e")),    # binary (a MAC) -> 0x…
    (SYS + (1, 2), rfc1902.OctetString(b"")),
    (SYS + (1, 3), rfc1902.OctetString(b"x" * 300)),                       # long length form
    (SYS + (2, 0), rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 41112, 1, 6, 4294967295))),
    (SYS + (3, 0), rfc1902.TimeTicks(4294967295)),
    (SYS + (3, 1), rfc1902.TimeTicks(0)),
    (SYS + (4, 0), rfc1902.Integer32(-1)),
    (SYS + (4, 1), rfc1902.Integer32(-128)),
    (SYS + (4, 2), rfc1902.Integer32(-129)),
    (SYS + (4, 3), rfc1902.Integer32(-2147483648)),
    (SYS + (4, 4), rfc1902.Integer32(2147483647)),
    (SYS + (4, 5), rfc1902.Integer32(0)),
    (SYS + (5, 0), rfc1902.Counter32(4294967295)),
    (SYS + (5, 1), rfc1902.Counter32(128)),
    (SYS + (6, 0), rfc1902.Gauge32(4294967295)),
    (SYS + (6, 1), rfc1902.Unsigned32(7)),
    (SYS + (7, 0), rfc1902.Counter64(18446744073709551615)),
    (SYS + (7, 1), rfc1902.Counter64(0)),
    (SYS + (8, 0), rfc1902.IpAddress("10.20.30.255")),
    (SYS + (9, 0), rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00")),
    (SYS + (10, 0), rfc1905.noSuchObject),
    (SYS + (10, 1), rfc1905.noSuchInstance),
    (SYS + (10, 2), rfc1905.endOfMibView),
    (SYS + (11, 0), rfc1902.Null()),
    ((1, 3, 6, 1, 4, 1, 2021, 4, 5, 0), rfc1902.Integer32(1024000)),
    ((2, 999, 3), rfc1902.Integer32(5)),                                    # first arcs 2.999
]


def test_response_with_every_type_decodes_like_pysnmp() -> None:
    data = pysnmp_response(123456789, EVERY_TYPE)
    assert len(data) > 256  # the message and varbind list use two-octet lengths
    response = ber.decode_response(data)
    rid, status, index, varbinds = pysnmp_decoded(data)
    assert (response.request_id, response.error_status, response.error_index) == (rid, status, index)
    assert response.varbinds == varbinds
    assert response.community == b"public"
    assert dict(response.varbinds)[SYS + (7, 0)] == ("Counter64", 2**64 - 1)
    assert dict(response.varbinds)[SYS + (4, 3)] == ("Integer", -(2**31))
    assert dict(response.varbinds)[SYS + (1, 1)] == ("OctetString", "0x001a2b3c4d5e")
    assert ber.peek_request_id(data) == 123456789


@pytest.mark.parametrize("request_id", [0, 1, 127, 128, -1, -(2**31), 2**31 - 1, ber.REQUEST_ID_MIN])
def test_request_id_and_error_fields_like_pysnmp(request_id: int) -> None:
    data = pysnmp_response(request_id, [(SYS + (3, 0), rfc1902.TimeTicks(5)), (SYS + (5, 0),
                                         rfc1902.OctetString(b"ap"))], status=6, index=2)
    response = ber.decode_response(data)
    assert (response.request_id, response.error_status, response.error_index) == (request_id, 6, 2)
    # a poller never sends a negative request-id: peeking one is "unreadable" (-1), matching no request
    assert ber.peek_request_id(data) == (request_id if request_id >= 0 else -1)


@pytest.mark.parametrize("request_id", [ber.REQUEST_ID_MIN, ber.REQUEST_ID_MIN + 1, 99999999, ber.REQUEST_ID_MAX])
def test_get_and_getbulk_requests_are_byte_identical_to_pysnmp(request_id: int) -> None:
    oids = [SYS + (1, 0), SYS + (3, 0), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 4294967295), (1, 3, 6, 1, 4, 1, 41112)]
    get = P.GetRequestPDU()
    P.apiPDU.set_defaults(get)
    P.apiPDU.set_request_id(get, request_id)
    P.apiPDU.set_varbinds(get, [(o, rfc1902.Null()) for o in oids])
    assert ber.encode_get(b"s3cr3t", request_id, oids) == pysnmp_message(get, b"s3cr3t")

    bulk = P.GetBulkRequestPDU()
    P.apiBulkPDU.set_defaults(bulk)
    P.apiBulkPDU.set_request_id(bulk, request_id)
    P.apiBulkPDU.set_non_repeaters(bulk, 0)
    P.apiBulkPDU.set_max_repetitions(bulk, 25)
    P.apiBulkPDU.set_varbinds(bulk, [(o, rfc1902.Null()) for o in oids])
    assert ber.encode_getbulk(b"s3cr3t", request_id, oids, 25) == pysnmp_message(bulk, b"s3cr3t")


def test_template_patches_only_the_request_id() -> None:
    oids = [SYS + (i, 0) for i in range(1, 8)]
    template = ber.Template(b"public", ber.PDU_GET, oids)
    for rid in (ber.REQUEST_ID_MIN, 0x12345678, ber.REQUEST_ID_MAX):
        assert template.build(rid) == ber.encode_get(b"public", rid, oids)
        msg, _rest = decoder.decode(template.build(rid), asn1Spec=P.Message())
        pdu = P.apiMessage.get_pdu(msg)
        assert int(P.apiPDU.get_request_id(pdu)) == rid
        assert [tuple(o) for o, _v in P.apiPDU.get_varbinds(pdu)] == oids


def test_large_response_with_three_octet_length() -> None:
    varbinds = [((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, i), rfc1902.OctetString(f"GigabitEthernet1/0/{i}".encode()))
                for i in range(1, 2001)]
    data = pysnmp_response(ber.REQUEST_ID_MIN, varbinds)
    assert len(data) > 65535
    assert ber.decode_response(data).varbinds == pysnmp_decoded(data)[3]


def test_every_truncation_is_an_error_not_a_crash() -> None:
    data = pysnmp_response(424242, EVERY_TYPE[:8])
    for cut in range(len(data)):
        with pytest.raises(ber.BerError):
            ber.decode_response(data[:cut])
        assert isinstance(ber.peek_request_id(data[:cut]), int)


def test_flipped_octets_never_crash() -> None:
    data = bytearray(pysnmp_response(424242, EVERY_TYPE))
    rng = random.Random(7)
    errors = 0
    for _ in range(3000):
        broken = bytearray(data)
        for _flip in range(rng.randint(1, 3)):
            broken[rng.randrange(len(broken))] = rng.randrange(256)
        try:
            ber.decode_response(bytes(broken))
        except ber.BerError:
            errors += 1
        ber.peek_request_id(bytes(broken))
    assert errors > 1000


def _with_value(value_tlv: bytes, oid: tuple[int, ...] = SYS + (3, 0)) -> bytes:
    varbind = ber.tlv(0x30, ber.encode_oid(oid) + value_tlv)
    pdu = ber.tlv(ber.PDU_RESPONSE, ber.encode_integer(77) + ber.encode_integer(0) + ber.encode_integer(0)
                  + ber.tlv(0x30, varbind))
    return ber.tlv(0x30, ber.encode_integer(1) + ber.tlv(0x04, b"public") + pdu)


@pytest.mark.parametrize(("value", "fault"), [
    (bytes.fromhex("470101"), "unknown value type (tag 0x47)"),               # an application tag nobody defines
    (bytes.fromhex("a0020500"), "unknown value type (tag 0xa0)"),
    (bytes.fromhex("410600ffffffffff"), "Counter32 value 1099511627775 out of range"),
    (bytes.fromhex("4301ff"), "TimeTicks value -1 out of range"),
    (bytes.fromhex("0205017fffffff"), "Integer value 6442450943 out of range"),
    (bytes.fromhex("4000"), "IpAddress of 0 octets"),
    (bytes.fromhex("4100"), "empty Counter32"),
    (bytes.fromhex("800101"), "tag 0x80 with content"),
])
def test_bad_values_are_errors_naming_the_oid(value: bytes, fault: str) -> None:
    with pytest.raises(ber.BerError) as caught:
        ber.decode_response(_with_value(value))
    assert fault in str(caught.value)
    assert caught.value.oid == "1.3.6.1.2.1.1.3.0"


def test_messages_that_are_not_a_v2c_response_are_errors() -> None:
    good = _with_value(bytes.fromhex("430105"))
    assert ber.decode_response(good).varbinds == [(SYS + (3, 0), ("TimeTicks", 5))]
    with pytest.raises(ber.BerError, match="after the message"):
        ber.decode_response(good + b"\x00")
    with pytest.raises(ber.BerError, match="indefinite"):
        ber.decode_response(b"\x30\x80" + good[2:] + b"\x00\x00")
    with pytest.raises(ber.BerError, match="version 0"):
        ber.decode_response(good.replace(bytes.fromhex("020101"), bytes.fromhex("020100"), 1))
    with pytest.raises(ber.BerError, match="not a Response PDU"):
        ber.decode_response(good.replace(bytes((ber.PDU_RESPONSE,)), bytes((ber.PDU_GET,)), 1))
    with pytest.raises(ber.BerError, match="OBJECT IDENTIFIER"):
        ber.decode_response(_with_value(bytes.fromhex("0602ff80")))  # the value OID ends mid-arc
    assert ber.peek_request_id(b"") == -1
    assert ber.peek_request_id(b"\x30\x03\x02\x01") == -1


def test_oid_encoding_round_trip_and_refusals() -> None:
    for oid in [(1, 3), (1, 3, 6, 1, 4, 1, 2**32 - 1, 0, 127, 128, 16383, 16384), (2, 999, 1), (0, 39)]:
        encoded = ber.encode_oid(oid)
        assert encoded == bytes(encoder.encode(rfc1902.ObjectName(oid)))
        assert ber.decode_oid(encoded[2:]) == oid
    for bad in [(1,), (3, 1), (1, 40), (1, 3, -1)]:
        with pytest.raises(ber.BerError):
            ber.encode_oid(bad)
    with pytest.raises(ber.BerError):
        ber.decode_oid(bytes.fromhex("2b8001"))  # a non-minimal arc
