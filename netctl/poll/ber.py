"""A small, strict BER codec for SNMPv2c messages (pure; no I/O, no pyasn1).

It knows exactly what a poller sends and receives: GetRequest and GetBulkRequest messages to encode,
and Response messages to decode, with the SMI value types INTEGER, OCTET STRING, NULL, OBJECT
IDENTIFIER, IpAddress, Counter32, Gauge32/Unsigned32, TimeTicks, Opaque, Counter64 and the exceptions
noSuchObject / noSuchInstance / endOfMibView. Anything else (an unknown tag, a length that runs past
the end, an indefinite length, a value out of its type's range, bytes left over) raises
:class:`BerError`, naming the OID when the fault is inside a variable binding.

Replies come from the network, so nothing in them is trusted: a number is refused by its octet count
before it is converted (at most :data:`MAX_INTEGER_OCTETS`), an OID by its size, arc count
(:data:`MAX_OID_ARCS`, RFC 2578) and arc size (32 bits) while it is read, and the cache of decoded
OIDs is bounded in bytes (:data:`OID_CACHE_BYTES`). Decoding one datagram therefore costs time
linear in its size with a small constant, whatever it holds, and :class:`BerError` is the only
exception any input can raise.

Decoded values have exactly the shape :func:`netctl.poll.snmp.typed` gives pysnmp's values
(``(SMI type name, plain Python value)``), so :mod:`netctl.poll.decode` cannot tell the two apart.

Requests are encoded once per profile as a :class:`Template`; only the request-id changes between
requests. Request-ids are drawn from ``[2**23, 2**31)`` so their encoding is always four octets and
can be patched in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netctl.errors import PollError

Oid = tuple[int, ...]
Typed = tuple[str, Any]

TAG_INTEGER = 0x02
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_SEQUENCE = 0x30
TAG_IPADDRESS = 0x40
TAG_COUNTER32 = 0x41
TAG_GAUGE32 = 0x42
TAG_TIMETICKS = 0x43
TAG_OPAQUE = 0x44
TAG_COUNTER64 = 0x46
TAG_NO_SUCH_OBJECT = 0x80
TAG_NO_SUCH_INSTANCE = 0x81
TAG_END_OF_MIB_VIEW = 0x82
PDU_GET = 0xA0
PDU_GETNEXT = 0xA1
PDU_RESPONSE = 0xA2
PDU_GETBULK = 0xA5

#: SNMP message version field: 0 = SNMPv1, 1 = SNMPv2c
VERSION_2C = 1
#: request-ids in this range always take four content octets (see the module docstring)
REQUEST_ID_MIN = 1 << 23
REQUEST_ID_MAX = (1 << 31) - 1

INT32 = _INT32 = (-(1 << 31), (1 << 31) - 1)
_UINT32 = (0, (1 << 32) - 1)
_UINT64 = (0, (1 << 64) - 1)
#: application tag -> (SMI type name as pysnmp names it, allowed range)
_NUMBERS = {
    TAG_INTEGER: ("Integer", _INT32),
    TAG_COUNTER32: ("Counter32", _UINT32),
    TAG_GAUGE32: ("Gauge32", _UINT32),
    TAG_TIMETICKS: ("TimeTicks", _UINT32),
    TAG_COUNTER64: ("Counter64", _UINT64),
}
_MISSING = {TAG_NO_SUCH_OBJECT: ("noSuchObject", None), TAG_NO_SUCH_INSTANCE: ("noSuchInstance", None),
            TAG_END_OF_MIB_VIEW: ("endOfMibView", None), TAG_NULL: ("noSuchObject", None)}
#: the longest number an SMI value may take (Counter64 with its leading zero octet)
MAX_INTEGER_OCTETS = 9
#: sub-identifiers of an OID (RFC 2578 section 3.5), each at most 2**32 - 1, so at most 5 octets
MAX_OID_ARCS = 128
_MAX_ARC = (1 << 32) - 1
_MAX_OID_OCTETS = (MAX_OID_ARCS - 1) * 5
#: decoded OIDs by their encoding: polls ask for the same OIDs again and again; bounded in bytes
#: (encoding plus the tuple and its ints, roughly), never in entries only
OID_CACHE_BYTES = 16 * 1024 * 1024
_OID_CACHE: dict[bytes, Oid] = {}
_oid_cache_used = 0


#: variable bindings in one PDU; a GETBULK of 10 repetitions x 20 columns needs 200
MAX_VARBINDS = 2048


class BerError(PollError):
    """A message that is not a well-formed SNMPv2c message; ``oid`` names the variable binding at fault.

    ``version`` is set when the message is well formed but of another SNMP version (the agent speaks
    SNMP, just not what was asked: kind ``unsupported`` rather than ``malformed``).
    """

    def __init__(self, message: str, oid: str | None = None, *, version: int | None = None) -> None:
        super().__init__(f"{message} (at {oid})" if oid else message,
                         kind="malformed" if version is None else "unsupported")
        self.oid = oid
        self.version = version


# -- encoding --------------------------------------------------------------------------------------
def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(body)) + body


def encode_integer(value: int, tag: int = TAG_INTEGER) -> bytes:
    return tlv(tag, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def encode_unsigned(value: int, tag: int) -> bytes:
    """An unsigned application type (Counter32, Gauge32, TimeTicks, Counter64): a leading 0 when needed."""
    return tlv(tag, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big"))


def encode_oid(oid: Sequence[int]) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise BerError(f"cannot encode OID {'.'.join(map(str, oid))}")
    body = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0:
            raise BerError(f"cannot encode OID {'.'.join(map(str, oid))}")
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(TAG_OID, bytes(body))


def oid_of(text: str) -> Oid:
    return tuple(int(p) for p in text.strip().strip(".").split("."))


def encode_varbinds(oids: Sequence[Sequence[int]]) -> bytes:
    return tlv(TAG_SEQUENCE, b"".join(tlv(TAG_SEQUENCE, encode_oid(o) + b"\x05\x00") for o in oids))


class PduTemplate:
    """One PDU (without the message around it) encoded once; :meth:`build` patches in the request-id."""

    __slots__ = ("prefix", "suffix")

    def __init__(self, pdu_tag: int, oids: Sequence[Sequence[int]], *, non_repeaters: int = 0,
                 max_repetitions: int = 0) -> None:
        pdu = tlv(pdu_tag, encode_integer(REQUEST_ID_MIN) + encode_integer(non_repeaters)
                  + encode_integer(max_repetitions) + encode_varbinds(oids))
        at = len(pdu) - len(pdu.split(encode_integer(REQUEST_ID_MIN), 1)[1])
        self.prefix = pdu[:at - 4]
        self.suffix = pdu[at:]

    def build(self, request_id: int) -> bytes:
        return self.prefix + request_id.to_bytes(4, "big") + self.suffix


class Template:
    """One SNMPv2c request message encoded once; :meth:`build` patches in the request-id."""

    __slots__ = ("prefix", "suffix")

    def __init__(self, community: bytes, pdu_tag: int, oids: Sequence[Sequence[int]], *, non_repeaters: int = 0,
                 max_repetitions: int = 0) -> None:
        pdu = PduTemplate(pdu_tag, oids, non_repeaters=non_repeaters, max_repetitions=max_repetitions)
        body_length = len(pdu.prefix) + 4 + len(pdu.suffix)
        head = encode_integer(VERSION_2C) + tlv(TAG_OCTET_STRING, community)
        self.prefix = (bytes((TAG_SEQUENCE,)) + encode_length(len(head) + body_length) + head + pdu.prefix)
        self.suffix = pdu.suffix

    def build(self, request_id: int) -> bytes:
        return self.prefix + request_id.to_bytes(4, "big") + self.suffix


def encode_get(community: bytes, request_id: int, oids: Sequence[Sequence[int]]) -> bytes:
    return Template(community, PDU_GET, oids).build(request_id)


def encode_getbulk(community: bytes, request_id: int, oids: Sequence[Sequence[int]], max_repetitions: int,
                   non_repeaters: int = 0) -> bytes:
    return Template(community, PDU_GETBULK, oids, non_repeaters=non_repeaters,
                    max_repetitions=max_repetitions).build(request_id)


# -- decoding --------------------------------------------------------------------------------------
def header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``; raises BerError past ``end``."""
    if pos + 2 > end:
        raise BerError("truncated message")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0:
            raise BerError("indefinite length not allowed")
        if n > 4 or pos + n > end:
            raise BerError("truncated or oversized length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    stop = pos + length
    if stop > end:
        raise BerError("a length runs past the end of the message")
    return tag, pos, stop


def read_integer(data: bytes, pos: int, end: int, what: str, low: int = _INT32[0],
                 high: int = _INT32[1]) -> tuple[int, int]:
    """An INTEGER header field (version, request-id, msgID…) within ``low..high`` (Integer32 by default)."""
    tag, start, stop = header(data, pos, end)
    if tag != TAG_INTEGER or stop == start:
        raise BerError(f"{what} is not an INTEGER")
    if stop - start > MAX_INTEGER_OCTETS:
        raise BerError(f"{what} is an INTEGER of {stop - start} octets")
    value = int.from_bytes(data[start:stop], "big", signed=True)
    if not low <= value <= high:
        raise BerError(f"{what} {value} is out of range ({low}..{high})")
    return value, stop


def decode_oid(body: bytes) -> Oid:
    """An OBJECT IDENTIFIER's content as arcs; raises BerError for anything RFC 2578 does not allow."""
    global _oid_cache_used
    cached = _OID_CACHE.get(body)
    if cached is not None:
        return cached
    if not body or body[-1] & 0x80:
        raise BerError("malformed OBJECT IDENTIFIER")
    if len(body) > _MAX_OID_OCTETS:
        raise BerError(f"OBJECT IDENTIFIER of {len(body)} octets (more than {MAX_OID_ARCS} arcs)")
    arcs: list[int] = []
    value = 0
    fresh = True
    for octet in body:
        if fresh and octet == 0x80:
            raise BerError("malformed OBJECT IDENTIFIER (non-minimal arc)")
        value = (value << 7) | (octet & 0x7F)
        if value > _MAX_ARC:
            raise BerError("OBJECT IDENTIFIER arc larger than 2^32-1")
        if octet & 0x80:
            fresh = False
        else:
            arcs.append(value)
            value = 0
            fresh = True
    if len(arcs) >= MAX_OID_ARCS:
        raise BerError(f"OBJECT IDENTIFIER of {len(arcs) + 1} arcs (at most {MAX_OID_ARCS})")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    oid = (*head, *arcs[1:])
    cost = len(body) + 64 + 36 * len(oid)
    if _oid_cache_used + cost <= OID_CACHE_BYTES:
        _OID_CACHE[bytes(body)] = oid
        _oid_cache_used += cost
    return oid


def clear_oid_cache() -> None:
    """Forget the decoded OIDs (tests; a long-running process never needs to)."""
    global _oid_cache_used
    _OID_CACHE.clear()
    _oid_cache_used = 0


def _text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    if text.isprintable() or not raw:
        return text
    return "0x" + raw.hex()


def decode_value(tag: int, raw: bytes, oid: Oid) -> Typed:
    """One SMI value as ``(type name, value)``, exactly as :func:`netctl.poll.snmp.typed` renders it."""
    number = _NUMBERS.get(tag)
    if number is not None:
        name, (low, high) = number
        if not raw:
            raise BerError(f"empty {name}", _dotted(oid))
        if len(raw) > MAX_INTEGER_OCTETS:
            raise BerError(f"{name} of {len(raw)} octets", _dotted(oid))
        value = int.from_bytes(raw, "big", signed=True)
        if not low <= value <= high:
            raise BerError(f"{name} value {value} out of range", _dotted(oid))
        return name, value
    if tag == TAG_OCTET_STRING or tag == TAG_OPAQUE:
        return "OctetString", _text(raw)
    missing = _MISSING.get(tag)
    if missing is not None:
        if raw:
            raise BerError(f"tag 0x{tag:02x} with content", _dotted(oid))
        return missing
    if tag == TAG_OID:
        return "ObjectIdentifier", _dotted(decode_oid(raw))
    if tag == TAG_IPADDRESS:
        if len(raw) != 4:
            raise BerError(f"IpAddress of {len(raw)} octets", _dotted(oid))
        return "IpAddress", ".".join(map(str, raw))
    raise BerError(f"unknown value type (tag 0x{tag:02x})", _dotted(oid))


def _dotted(oid: Sequence[int]) -> str:
    return ".".join(map(str, oid))


def peek_request_id(data: bytes) -> int:
    """The request-id of an SNMPv1/v2c message (the msgID of an SNMPv3 one), or -1 when unreadable.

    Only ``0 .. 2**31-1`` counts as readable: a poller never sends a negative request-id.
    """
    try:
        end = len(data)
        _t, pos, end = header(data, 0, end)
        version, pos = read_integer(data, pos, end, "version")
        if version == 3:
            _t, pos, global_end = header(data, pos, end)  # msgGlobalData
            return read_integer(data, pos, global_end, "msgID", 0, REQUEST_ID_MAX)[0]
        _t, _s, pos = header(data, pos, end)     # community
        _t, pos, pdu_end = header(data, pos, end)  # PDU
        return read_integer(data, pos, pdu_end, "request-id", 0, REQUEST_ID_MAX)[0]
    except (BerError, IndexError):
        return -1


def peek_community(data: bytes) -> bytes | None:
    """The community of an SNMPv1/v2c message, or None when unreadable (or an SNMPv3 message)."""
    try:
        end = len(data)
        _t, pos, end = header(data, 0, end)
        version, pos = read_integer(data, pos, end, "version")
        if version == 3:
            return None
        tag, start, stop = header(data, pos, end)
    except (BerError, IndexError):
        return None
    return bytes(data[start:stop]) if tag == TAG_OCTET_STRING else None


class Response:
    """A decoded Response PDU: request-id, error status/index and ``[(oid, (type, value))]``."""

    __slots__ = ("request_id", "error_status", "error_index", "varbinds", "community")

    def __init__(self, request_id: int, error_status: int, error_index: int, varbinds: list[tuple[Oid, Typed]],
                 community: bytes) -> None:
        self.request_id = request_id
        self.error_status = error_status
        self.error_index = error_index
        self.varbinds = varbinds
        self.community = community


def decode_response(data: bytes) -> Response:
    """Decode an SNMPv2c Response message; raises :class:`BerError` for anything else or anything broken."""
    size = len(data)
    tag, pos, end = header(data, 0, size)
    if tag != TAG_SEQUENCE:
        raise BerError("not an SNMP message")
    if end != size:
        raise BerError(f"{size - end} octets after the message")
    version, pos = read_integer(data, pos, end, "version")
    if version != VERSION_2C:
        raise BerError(f"not an SNMPv2c message (version {version})", version=version)
    tag, start, pos = header(data, pos, end)
    if tag != TAG_OCTET_STRING:
        raise BerError("community is not an OCTET STRING")
    community = data[start:pos]
    tag, pos, pdu_end = header(data, pos, end)
    if tag != PDU_RESPONSE:
        raise BerError(f"not a Response PDU (tag 0x{tag:02x})")
    if pdu_end != end:
        raise BerError("octets after the PDU")
    return decode_pdu_body(data, pos, pdu_end, bytes(community))


def decode_pdu_body(data: bytes, pos: int, pdu_end: int, community: bytes = b"") -> Response:
    """The fields of a Response/Report PDU whose content runs from ``pos`` to ``pdu_end``."""
    request_id, pos = read_integer(data, pos, pdu_end, "request-id")
    error_status, pos = read_integer(data, pos, pdu_end, "error-status", 0, 255)
    error_index, pos = read_integer(data, pos, pdu_end, "error-index", 0, MAX_VARBINDS)
    tag, pos, list_end = header(data, pos, pdu_end)
    if tag != TAG_SEQUENCE or list_end != pdu_end:
        raise BerError("variable bindings are not a SEQUENCE")
    varbinds: list[tuple[Oid, Typed]] = []
    append = varbinds.append
    while pos < list_end:
        if len(varbinds) >= MAX_VARBINDS:
            raise BerError(f"more than {MAX_VARBINDS} variable bindings")
        tag, pos, vb_end = header(data, pos, list_end)
        if tag != TAG_SEQUENCE:
            raise BerError(f"variable binding {len(varbinds) + 1} is not a SEQUENCE")
        tag, start, pos = header(data, pos, vb_end)
        if tag != TAG_OID:
            raise BerError(f"variable binding {len(varbinds) + 1} has no OID")
        oid = decode_oid(data[start:pos])
        try:
            tag, start, pos = header(data, pos, vb_end)
        except BerError as exc:
            raise BerError(str(exc), _dotted(oid)) from None
        if pos != vb_end:
            raise BerError("octets after the value", _dotted(oid))
        append((oid, decode_value(tag, data[start:pos], oid)))
    return Response(request_id, error_status, error_index, varbinds, community)
