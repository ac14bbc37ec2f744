"""SNMPv3 USM messages of the fast path, checked against RFC 3414 test vectors and pyasn1/pysnmp encodings.

Requests netctl encodes are taken apart with pysnmp's own ASN.1 specs, authenticated with ``hmac`` and
decrypted with ``cryptography`` independently of :mod:`netctl.poll.usm`; replies an agent would send are
built the same independent way and must decode to what was put in. Tampered or wrongly keyed replies
fail authentication (``UsmError``), never crash.
"""

from __future__ import annotations

import hmac

import pytest
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902
from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from netctl.poll import ber, usm

P = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
ENGINE_ID = bytes.fromhex("80001f88807c6e3b5b6a1f4f6900000000")
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)


def aes(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), CFB(iv))
    worker = cipher.encryptor() if encrypt else cipher.decryptor()
    return worker.update(data) + worker.finalize()


@pytest.mark.parametrize(("hash_name", "ku", "kul"), [
    ("md5", "9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
    ("sha1", "9fb5cc0381497b3793528939ff788d5d79145211", "6695febc9288e36282235fc7151f128497b38f3f"),
])
def test_key_localisation_matches_rfc3414_vectors(hash_name: str, ku: str, kul: str) -> None:
    key = usm.password_to_key(b"maplesyrup", hash_name)
    assert key.hex() == ku
    assert usm.localize(key, bytes.fromhex("000000000000000000000002"), hash_name).hex() == kul
    with pytest.raises(ValueError):
        usm.password_to_key(b"", hash_name)


def keys() -> usm.Keys:
    return usm.Keys.derive(ENGINE_ID, "SHA", "lab-auth-pass", "lab-priv-pass")


def test_authpriv_request_decodes_verifies_and_decrypts_independently() -> None:
    k = keys()
    engine = usm.Engine(ENGINE_ID, boots=7, time=123456, seen=0.0)
    pdu = ber.PduTemplate(ber.PDU_GET, [SYS_NAME]).build(0x01020304)
    data = usm.encode(0x01020304, engine, 123460, b"labuser", k, pdu, salt=0x1122334455667788)

    msg, rest = decoder.decode(data, asn1Spec=SNMPv3Message())
    assert not rest and int(msg["msgVersion"]) == 3
    assert int(msg["msgGlobalData"]["msgID"]) == 0x01020304
    assert bytes(msg["msgGlobalData"]["msgFlags"]) == b"\x07"  # auth, priv, reportable
    assert int(msg["msgGlobalData"]["msgSecurityModel"]) == 3
    params, _ = decoder.decode(bytes(msg["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(params["msgAuthoritativeEngineId"]) == ENGINE_ID
    assert (int(params["msgAuthoritativeEngineBoots"]), int(params["msgAuthoritativeEngineTime"])) == (7, 123460)
    assert bytes(params["msgUserName"]) == b"labuser"
    salt = bytes(params["msgPrivacyParameters"])
    assert salt == bytes.fromhex("1122334455667788")

    digest = bytes(params["msgAuthenticationParameters"])
    zeroed = data.replace(digest, bytes(12), 1)
    assert hmac.new(k.auth, zeroed, "sha1").digest()[:12] == digest

    encrypted = bytes(msg["msgData"]["encryptedPDU"])
    plain = aes(k.priv or b"", (7).to_bytes(4, "big") + (123460).to_bytes(4, "big") + salt, encrypted, False)
    scoped, _ = decoder.decode(plain, asn1Spec=ScopedPDU())
    assert bytes(scoped["contextEngineId"]) == ENGINE_ID
    get = scoped["data"]["get-request"]
    assert int(P.apiPDU.get_request_id(get)) == 0x01020304
    assert [tuple(o) for o, _v in P.apiPDU.get_varbinds(get)] == [SYS_NAME]


def agent_reply(k: usm.Keys | None, pdu_bytes: bytes, *, msg_id: int = 42, boots: int = 7, engine_time: int = 99,
                flags: int = 0x03) -> bytes:
    """A reply built the way an agent builds it, with pyasn1 and independent crypto (not netctl.poll.usm)."""
    salt = bytes.fromhex("0102030405060708") if flags & 0x02 else b""
    scoped = ber.tlv(0x30, ber.tlv(0x04, ENGINE_ID) + ber.tlv(0x04, b"") + pdu_bytes)
    params = UsmSecurityParameters()
    params["msgAuthoritativeEngineId"] = ENGINE_ID
    params["msgAuthoritativeEngineBoots"] = boots
    params["msgAuthoritativeEngineTime"] = engine_time
    params["msgUserName"] = b"labuser"
    params["msgAuthenticationParameters"] = bytes(12) if flags & 0x01 else b""
    params["msgPrivacyParameters"] = salt
    msg = SNMPv3Message()
    msg["msgVersion"] = 3
    msg["msgGlobalData"]["msgID"] = msg_id
    msg["msgGlobalData"]["msgMaxSize"] = 65507
    msg["msgGlobalData"]["msgFlags"] = bytes((flags,))
    msg["msgGlobalData"]["msgSecurityModel"] = 3
    msg["msgSecurityParameters"] = bytes(encoder.encode(params))
    if flags & 0x02:
        assert k is not None and k.priv is not None
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt
        msg["msgData"]["encryptedPDU"] = aes(k.priv, iv, scoped, True)
    else:
        msg["msgData"]["plaintext"] = decoder.decode(scoped, asn1Spec=ScopedPDU())[0]
    data = bytes(encoder.encode(msg))
    if flags & 0x01:
        assert k is not None
        digest = hmac.new(k.auth, data, "sha1").digest()[:12]
        data = data.replace(b"\x04\x0c" + bytes(12), b"\x04\x0c" + digest, 1)
    return data


def response_pdu(request_id: int, varbinds: list[tuple[tuple[int, ...], object]], tag: int = 0xA2) -> bytes:
    body = b"".join(ber.tlv(0x30, ber.encode_oid(o) + bytes(encoder.encode(v))) for o, v in varbinds)
    return ber.tlv(tag, ber.encode_integer(request_id) + ber.encode_integer(0) + ber.encode_integer(0)
                   + ber.tlv(0x30, body))


def test_authpriv_reply_decodes_to_what_the_agent_put_in() -> None:
    k = keys()
    data = agent_reply(k, response_pdu(42, [(SYS_NAME, rfc1902.OctetString(b"ap01")),
                                            ((1, 3, 6, 1, 2, 1, 1, 3, 0), rfc1902.TimeTicks(4294967295))]))
    reply = usm.decode(data, k)
    assert (reply.msg_id, reply.engine_id, reply.boots, reply.time) == (42, ENGINE_ID, 7, 99)
    assert reply.report() is None
    assert reply.response.varbinds == [(SYS_NAME, ("OctetString", "ap01")),
                                       ((1, 3, 6, 1, 2, 1, 1, 3, 0), ("TimeTicks", 4294967295))]
    assert ber.peek_request_id(data) == 42


def test_tampered_or_wrongly_keyed_replies_fail_authentication() -> None:
    k = keys()
    data = agent_reply(k, response_pdu(42, [(SYS_NAME, rfc1902.OctetString(b"ap01"))]))
    tampered = bytearray(data)
    tampered[-3] ^= 0x01
    with pytest.raises(usm.UsmError, match="digest"):
        usm.decode(bytes(tampered), k)
    with pytest.raises(usm.UsmError):
        usm.decode(data, usm.Keys.derive(ENGINE_ID, "SHA", "other-auth-pass", "lab-priv-pass"))
    with pytest.raises(usm.UsmError, match="privacy"):
        usm.decode(data, usm.Keys(k.hash_name, k.auth, bytes(16)))  # right digest, wrong privacy key
    with pytest.raises(usm.UsmError):
        usm.decode(data, None)  # an authenticated reply to a discovery
    for cut in range(len(data)):
        with pytest.raises((ber.BerError, usm.UsmError)):
            usm.decode(data[:cut], k)


@pytest.mark.parametrize(("arc", "kind"), [(1, "auth"), (2, "time"), (3, "auth"), (4, "engine"), (5, "auth"),
                                           (6, "auth")])
def test_reports_are_classified(arc: int, kind: str) -> None:
    oid = (*usm.USM_STATS, arc, 0)
    data = agent_reply(None, response_pdu(42, [(oid, rfc1902.Counter32(3))], tag=usm.PDU_REPORT), flags=0x00)
    report = usm.decode(data, None).report()
    assert report is not None and report[0] == kind
    if arc == 5:
        assert "digest" in report[1]


def test_discovery_request_is_what_pysnmp_expects() -> None:
    data = usm.discovery(1234567)
    msg, rest = decoder.decode(data, asn1Spec=SNMPv3Message())
    assert not rest
    assert int(msg["msgGlobalData"]["msgID"]) == 1234567
    assert bytes(msg["msgGlobalData"]["msgFlags"]) == b"\x04"
    params, _ = decoder.decode(bytes(msg["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(params["msgAuthoritativeEngineId"]) == b"" and bytes(params["msgUserName"]) == b""
    get = msg["msgData"]["plaintext"]["data"]["get-request"]
    assert list(P.apiPDU.get_varbinds(get)) == []
