"""SNMPv3 User-based Security Model messages for the fast path (pure; no I/O).

What a poller needs of RFC 3412/3414/3826 and nothing more: engine discovery, key localisation
(password to key, RFC 3414 A.2), HMAC-MD5-96 / HMAC-SHA-96 authentication and AES-128-CFB privacy
(RFC 3826), encoding a request and decoding (authenticating, decrypting) its reply or Report. Other
protocols (SHA-2, DES, AES-192/256) stay with the pysnmp engine.

A reply that fails authentication or cannot be decrypted raises :class:`UsmError` (kind ``auth``);
broken encodings raise :class:`netctl.poll.ber.BerError`, and nothing else, for any input: header
fields are range-checked (RFC 3412/3414: msgID, msgMaxSize, engine boots and time 0..2^31-1) before
authentication, so a forged header costs no HMAC and can never reach the cipher with an impossible IV.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from netctl.errors import PollError
from netctl.poll.ber import (
    PDU_GET,
    TAG_OCTET_STRING,
    TAG_SEQUENCE,
    BerError,
    Response,
    decode_pdu_body,
    encode_integer,
    encode_length,
    header,
    read_integer,
    tlv,
)

VERSION_3 = 3
USM_MODEL = 3
MAX_SIZE = 65507
INT32_MAX = (1 << 31) - 1
FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 0x01, 0x02, 0x04
PDU_REPORT = 0xA8
#: usmStats counters an agent reports (RFC 3414): arc -> (error kind, what it means)
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
REPORTS = {
    1: ("auth", "unsupported security level (usmStatsUnsupportedSecLevels)"),
    2: ("time", "not in time window (usmStatsNotInTimeWindows)"),
    3: ("auth", "unknown user name (usmStatsUnknownUserNames)"),
    4: ("engine", "unknown engine ID (usmStatsUnknownEngineIDs)"),
    5: ("auth", "wrong digest (usmStatsWrongDigests): wrong auth key?"),
    6: ("auth", "decryption error (usmStatsDecryptionErrors): wrong privacy key?"),
}
AUTH_HASHES = {"MD5": "md5", "SHA": "sha1", "SHA1": "sha1"}
PRIV_CIPHERS = frozenset({"AES", "AES128"})
_AUTH_PLACEHOLDER = bytes(12)
_CFB: Any = None


class UsmError(PollError):
    """A reply that failed authentication or decryption (kind ``auth``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="auth")


def password_to_key(password: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: the user's key from a password (1 MiB of the password repeated, hashed)."""
    if not password:
        raise ValueError("an SNMPv3 key needs a non-empty password")
    repeated = password * (1048576 // len(password) + 1)
    return hashlib.new(hash_name, repeated[:1048576]).digest()


def localize(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: a user's key localised to one authoritative engine."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


@dataclass(frozen=True)
class Keys:
    """Localised keys of one user at one engine; ``priv`` is None for authNoPriv."""

    hash_name: str
    auth: bytes
    priv: bytes | None

    @classmethod
    def derive(cls, engine_id: bytes, auth_protocol: str, auth_password: str, priv_password: str | None,
               cache: dict[Any, bytes] | None = None) -> Keys:
        hash_name = AUTH_HASHES[auth_protocol.upper()]
        cache = {} if cache is None else cache

        def ku(password: str) -> bytes:
            key = (password, hash_name)
            if key not in cache:
                cache[key] = password_to_key(password.encode(), hash_name)
            return cache[key]

        auth = localize(ku(auth_password), engine_id, hash_name)
        priv = localize(ku(priv_password), engine_id, hash_name)[:16] if priv_password else None
        return cls(hash_name, auth, priv)


@dataclass
class Engine:
    """What discovery learnt of an authoritative engine: its ID, boots and time (at ``seen``, monotonic)."""

    engine_id: bytes
    boots: int
    time: int
    seen: float

    def now(self, monotonic: float) -> int:
        return self.time + int(monotonic - self.seen)


def _cfb_mode() -> Any:
    try:  # cryptography >= 47 keeps CFB among the "decrepit" modes
        from cryptography.hazmat.decrepit.ciphers.modes import CFB
    except ImportError:
        from cryptography.hazmat.primitives.ciphers.modes import CFB
    return CFB


def _aes_cfb(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    global _CFB
    if _CFB is None:
        _CFB = _cfb_mode()
    cipher = Cipher(algorithms.AES(key), _CFB(iv))
    worker = cipher.encryptor() if encrypt else cipher.decryptor()
    return worker.update(data) + worker.finalize()


def _message(msg_id: int, flags: int, engine_id: bytes, boots: int, engine_time: int, user: bytes,
             priv_params: bytes, msg_data: bytes) -> tuple[bytes, int]:
    """The whole message with a zero authentication parameter, and the offset of that parameter."""
    global_data = tlv(TAG_SEQUENCE, encode_integer(msg_id) + encode_integer(MAX_SIZE)
                      + tlv(TAG_OCTET_STRING, bytes((flags,))) + encode_integer(USM_MODEL))
    before_auth = (tlv(TAG_OCTET_STRING, engine_id) + encode_integer(boots) + encode_integer(engine_time)
                   + tlv(TAG_OCTET_STRING, user))
    auth_tlv = tlv(TAG_OCTET_STRING, _AUTH_PLACEHOLDER if flags & FLAG_AUTH else b"")
    usm = tlv(TAG_SEQUENCE, before_auth + auth_tlv + tlv(TAG_OCTET_STRING, priv_params))
    security = tlv(TAG_OCTET_STRING, usm)
    body = encode_integer(VERSION_3) + global_data + security + msg_data
    head = bytes((TAG_SEQUENCE,)) + encode_length(len(body))
    # offset of the 12 placeholder octets: after the headers of security and usm, and before_auth
    offset = (len(head) + len(encode_integer(VERSION_3)) + len(global_data) + (len(security) - len(usm))
              + (len(usm) - len(before_auth) - len(auth_tlv) - len(tlv(TAG_OCTET_STRING, priv_params)))
              + len(before_auth) + 2)
    return head + body, offset


def scoped_pdu(engine_id: bytes, pdu: bytes) -> bytes:
    return tlv(TAG_SEQUENCE, tlv(TAG_OCTET_STRING, engine_id) + tlv(TAG_OCTET_STRING, b"") + pdu)


def discovery(msg_id: int) -> bytes:
    """An engine-discovery request: noAuthNoPriv, reportable, empty user and engine, an empty GET."""
    pdu = tlv(PDU_GET, encode_integer(msg_id) + encode_integer(0) + encode_integer(0) + tlv(TAG_SEQUENCE, b""))
    message, _offset = _message(msg_id, FLAG_REPORTABLE, b"", 0, 0, b"", b"", scoped_pdu(b"", pdu))
    return message


def encode(msg_id: int, engine: Engine, engine_time: int, user: bytes, keys: Keys, pdu: bytes, salt: int) -> bytes:
    """An authenticated (and, with a privacy key, encrypted) request carrying ``pdu``."""
    plain = scoped_pdu(engine.engine_id, pdu)
    flags = FLAG_AUTH | FLAG_REPORTABLE
    priv_params = b""
    if keys.priv is not None:
        flags |= FLAG_PRIV
        priv_params = (salt & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
        iv = engine.boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + priv_params
        msg_data = tlv(TAG_OCTET_STRING, _aes_cfb(keys.priv, iv, plain, encrypt=True))
    else:
        msg_data = plain
    message, offset = _message(msg_id, flags, engine.engine_id, engine.boots, engine_time, user, priv_params,
                               msg_data)
    digest = hmac.new(keys.auth, message, keys.hash_name).digest()[:12]
    return message[:offset] + digest + message[offset + 12:]


@dataclass
class Reply:
    """A decoded SNMPv3 reply: the engine's fields, whether it was authenticated, and its PDU."""

    msg_id: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    pdu_tag: int
    response: Response

    def report(self) -> tuple[str, str] | None:
        """(kind, message) of a Report PDU, None for a Response."""
        if self.pdu_tag != PDU_REPORT:
            return None
        for oid, _value in self.response.varbinds:
            if oid[:len(USM_STATS)] == USM_STATS and len(oid) == len(USM_STATS) + 2:
                return REPORTS.get(oid[len(USM_STATS)], ("error", f"report {'.'.join(map(str, oid))}"))
        names = ", ".join(".".join(map(str, o)) for o, _v in self.response.varbinds) or "nothing"
        return "error", f"agent reported {names}"


def decode(data: bytes, keys: Keys | None) -> Reply:
    """Decode (verify, decrypt) an SNMPv3 message from an agent.

    ``keys`` None accepts only unauthenticated messages (discovery). Raises BerError (broken
    encoding) or UsmError (failed authentication, undecryptable).
    """
    size = len(data)
    tag, pos, end = header(data, 0, size)
    if tag != TAG_SEQUENCE or end != size:
        raise BerError("not an SNMP message")
    version, pos = read_integer(data, pos, end, "version")
    if version != VERSION_3:
        raise BerError(f"not an SNMPv3 message (version {version})", version=version)
    tag, pos, global_end = header(data, pos, end)
    if tag != TAG_SEQUENCE:
        raise BerError("msgGlobalData is not a SEQUENCE")
    msg_id, pos = read_integer(data, pos, global_end, "msgID", 0, INT32_MAX)
    _max_size, pos = read_integer(data, pos, global_end, "msgMaxSize", 484, INT32_MAX)
    tag, start, pos = header(data, pos, global_end)
    if tag != TAG_OCTET_STRING or pos - start != 1:
        raise BerError("msgFlags is not one octet")
    flags = data[start]
    model, pos = read_integer(data, pos, global_end, "msgSecurityModel")
    if model != USM_MODEL or pos != global_end:
        raise BerError(f"security model {model} is not USM")
    tag, pos, security_end = header(data, pos, end)
    if tag != TAG_OCTET_STRING:
        raise BerError("msgSecurityParameters is not an OCTET STRING")
    tag, pos, usm_end = header(data, pos, security_end)
    if tag != TAG_SEQUENCE or usm_end != security_end:
        raise BerError("USM parameters are not a SEQUENCE")
    tag, start, pos = header(data, pos, usm_end)
    if tag != TAG_OCTET_STRING:
        raise BerError("msgAuthoritativeEngineID is not an OCTET STRING")
    engine_id = bytes(data[start:pos])
    boots, pos = read_integer(data, pos, usm_end, "msgAuthoritativeEngineBoots", 0, INT32_MAX)
    engine_time, pos = read_integer(data, pos, usm_end, "msgAuthoritativeEngineTime", 0, INT32_MAX)
    tag, _start, pos = header(data, pos, usm_end)
    if tag != TAG_OCTET_STRING:
        raise BerError("msgUserName is not an OCTET STRING")
    tag, auth_start, pos = header(data, pos, usm_end)
    if tag != TAG_OCTET_STRING:
        raise BerError("msgAuthenticationParameters is not an OCTET STRING")
    auth_params = data[auth_start:pos]
    tag, start, pos = header(data, pos, usm_end)
    if tag != TAG_OCTET_STRING or pos != usm_end:
        raise BerError("msgPrivacyParameters is not an OCTET STRING")
    priv_params = data[start:pos]
    if flags & FLAG_AUTH:
        if keys is None:
            raise UsmError("an authenticated reply to an unauthenticated request")
        if len(auth_params) != 12:
            raise UsmError("authentication parameter is not 12 octets")
        zeroed = data[:auth_start] + _AUTH_PLACEHOLDER + data[auth_start + 12:]
        if not hmac.compare_digest(hmac.new(keys.auth, zeroed, keys.hash_name).digest()[:12], auth_params):
            raise UsmError("the reply failed authentication (wrong digest): wrong auth key?")
    if flags & FLAG_PRIV:
        if not flags & FLAG_AUTH or keys is None or keys.priv is None:
            raise UsmError("an encrypted reply without keys to decrypt it")
        tag, start, pos = header(data, pos, end)
        if tag != TAG_OCTET_STRING or pos != end or len(priv_params) != 8:
            raise BerError("encryptedPDU is not an OCTET STRING")
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + bytes(priv_params)
        plain = _aes_cfb(keys.priv, iv, bytes(data[start:pos]), encrypt=False)
        try:
            return _scoped(plain, 0, len(plain), msg_id, flags, engine_id, boots, engine_time, exact=False)
        except BerError as exc:
            raise UsmError(f"the reply cannot be decrypted ({exc}): wrong privacy key?") from None
    return _scoped(data, pos, end, msg_id, flags, engine_id, boots, engine_time, exact=True)


def _scoped(data: bytes, pos: int, end: int, msg_id: int, flags: int, engine_id: bytes, boots: int,
            engine_time: int, *, exact: bool) -> Reply:
    tag, pos, scoped_end = header(data, pos, end)
    if tag != TAG_SEQUENCE or (exact and scoped_end != end):
        raise BerError("scopedPDU is not a SEQUENCE")
    for what in ("contextEngineID", "contextName"):
        tag, _start, pos = header(data, pos, scoped_end)
        if tag != TAG_OCTET_STRING:
            raise BerError(f"{what} is not an OCTET STRING")
    pdu_tag, pos, pdu_end = header(data, pos, scoped_end)
    if pdu_tag not in (0xA2, PDU_REPORT) or pdu_end != scoped_end:
        raise BerError(f"not a Response or Report PDU (tag 0x{pdu_tag:02x})")
    return Reply(msg_id, flags, engine_id, boots, engine_time, pdu_tag, decode_pdu_body(data, pos, pdu_end))
