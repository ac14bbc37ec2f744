"""Record real SNMP replies from the lab's agents into ``replies.json`` (the fuzz tests' seed corpus).

Run with the lab up: ``python -m tests.unit.snmp_corpus.record``. Requests are sent from a plain UDP
socket; the replies are stored as the agents sent them, except that SNMPv3 replies are decrypted with
the lab's keys and re-encrypted and re-signed with the fixed test keys below, so the corpus does not
depend on (or reveal) one lab's random secrets. Each entry names the agent and the request.
"""

from __future__ import annotations

import hmac
import json
import os
import socket
from pathlib import Path
from typing import Any

from netctl.poll import usm
from netctl.poll.ber import (
    PDU_GET,
    PDU_GETBULK,
    PduTemplate,
    Template,
    header,
    oid_of,
    read_integer,
)
from netctl.poll.oids import PROFILES

HERE = Path(__file__).resolve().parent
#: the corpus's own SNMPv3 passwords (test data, not any agent's)
TEST_AUTH, TEST_PRIV = "corpus-auth-key", "corpus-priv-key"
SNMPD = ("127.1.0.161", 1161)
SNMPSIM = ("127.1.1.1", 1161)


def exchange(addr: tuple[str, int], message: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(message, addr)
        return sock.recvfrom(65535)[0]


def resign(data: bytes, lab_keys: usm.Keys, test_keys: usm.Keys) -> bytes:
    """An SNMPv3 reply decrypted with the lab's keys, re-encrypted and re-signed with the test keys."""
    reply = usm.decode(data, lab_keys)  # checks the lab's digest and decrypts
    _tag, pos, end = header(data, 0, len(data))
    _v, pos = read_integer(data, pos, end, "version")
    _t, _s, pos = header(data, pos, end)        # msgGlobalData
    _t, pos, sec_end = header(data, pos, end)   # msgSecurityParameters
    _t, pos, usm_end = header(data, pos, sec_end)
    for _ in range(3):                           # engine ID, boots, time
        _t, _s, pos = header(data, pos, usm_end)
    _t, _s, pos = header(data, pos, usm_end)     # user
    _t, auth_start, pos = header(data, pos, usm_end)
    _t, priv_start, pos = header(data, pos, usm_end)
    salt = data[priv_start:pos]
    out = bytearray(data)
    if reply.flags & usm.FLAG_PRIV:
        _t, enc_start, enc_end = header(data, pos, end)
        iv = reply.boots.to_bytes(4, "big") + reply.time.to_bytes(4, "big") + salt
        plain = usm._aes_cfb(lab_keys.priv or b"", iv, data[enc_start:enc_end], encrypt=False)
        out[enc_start:enc_end] = usm._aes_cfb(test_keys.priv or b"", iv, plain, encrypt=True)
    out[auth_start:auth_start + 12] = bytes(12)
    out[auth_start:auth_start + 12] = hmac.new(test_keys.auth, bytes(out), test_keys.hash_name).digest()[:12]
    return bytes(out)


def main() -> None:
    secrets = json.loads((Path(os.environ.get("NETCTL_LAB_DIR", HERE.parents[2] / ".lab")) / "secrets.json")
                         .read_text())
    community = secrets["lab/snmp-community"].encode()
    entries: list[dict[str, Any]] = []
    rid = 0x00ABCDEF

    def add(agent: str, what: str, kind: str, data: bytes, **extra: Any) -> None:
        entries.append({"agent": agent, "request": what, "kind": kind, "hex": data.hex(), **extra})

    for name, addr in (("snmpd", SNMPD), ("snmpsim gs-meiderich-ap01", SNMPSIM)):
        for profile in ("wlan-ap", "wlan-ap-full", "switch"):
            spec = PROFILES[profile]
            oids = [oid_of(o) for o in spec.scalars.values()]
            rid += 1
            add(name, f"GET {profile} scalars", "v2c", exchange(addr, Template(community, PDU_GET, oids).build(rid)))
            columns = [oid_of(t.column_oid(c)) for t in spec.tables.values() for c in t.columns]
            rid += 1
            add(name, f"GETBULK {profile} columns x10", "v2c",
                exchange(addr, Template(community, PDU_GETBULK, columns, max_repetitions=10).build(rid)))
        rid += 1
        add(name, "GET of missing OIDs", "v2c",
            exchange(addr, Template(community, PDU_GET, [(1, 3, 6, 1, 2, 1, 1, 99, 0), (1, 3, 6, 1, 9, 9)]).build(rid)))
        rid += 1
        add(name, "GETBULK past the end of the MIB", "v2c",
            exchange(addr, Template(community, PDU_GETBULK, [(1, 3, 6, 1, 6, 3, 99)], max_repetitions=5).build(rid)))

    discovery = exchange(SNMPD, usm.discovery(rid + 1))
    add("snmpd", "SNMPv3 engine discovery", "v3-report", discovery)
    engine_reply = usm.decode(discovery, None)
    engine = usm.Engine(engine_reply.engine_id, engine_reply.boots, engine_reply.time, 0.0)
    lab_keys = usm.Keys.derive(engine.engine_id, "SHA", secrets["lab/snmpv3-auth"], secrets["lab/snmpv3-priv"])
    test_keys = usm.Keys.derive(engine.engine_id, "SHA", TEST_AUTH, TEST_PRIV)
    lab_auth_only = usm.Keys(lab_keys.hash_name, lab_keys.auth, None)
    test_auth_only = usm.Keys(test_keys.hash_name, test_keys.auth, None)
    wrong = usm.Keys.derive(engine.engine_id, "SHA", "not-the-auth-key", None)
    salt = 1
    for profile in ("wlan-ap-hr", "switch"):
        spec = PROFILES[profile]
        oids = [oid_of(o) for o in spec.scalars.values()]
        columns = [oid_of(t.column_oid(c)) for t in spec.tables.values() for c in t.columns]
        for what, pdu in ((f"GET {profile} scalars", PduTemplate(PDU_GET, oids)),
                          (f"GETBULK {profile} columns x10", PduTemplate(PDU_GETBULK, columns, max_repetitions=10))):
            levels = (("authPriv", lab_keys, test_keys), ("authNoPriv", lab_auth_only, test_auth_only))
            for level, lkeys, tkeys in levels:
                rid += 1
                salt += 1
                message = usm.encode(rid, engine, engine_reply.time, b"labuser", lkeys, pdu.build(rid), salt)
                reply = exchange(SNMPD, message)
                add("snmpd", f"{what} ({level})", "v3", resign(reply, lkeys, tkeys))
    rid += 1
    add("snmpd", "SNMPv3 GET with a wrong auth key", "v3-report",
        exchange(SNMPD, usm.encode(rid, engine, engine_reply.time, b"labuser", wrong,
                                   PduTemplate(PDU_GET, [(1, 3, 6, 1, 2, 1, 1, 3, 0)]).build(rid), 7)))
    rid += 1
    add("snmpd", "SNMPv3 GET by an unknown user", "v3-report",
        exchange(SNMPD, usm.encode(rid, engine, engine_reply.time, b"nobody", test_keys,
                                   PduTemplate(PDU_GET, [(1, 3, 6, 1, 2, 1, 1, 3, 0)]).build(rid), 8)))
    corpus = {"engine_id": engine.engine_id.hex(), "auth_protocol": "SHA", "auth_password": TEST_AUTH,
              "priv_password": TEST_PRIV, "replies": entries}
    (HERE / "replies.json").write_text(json.dumps(corpus, indent=1) + "\n")
    print(f"{len(entries)} replies recorded in {HERE / 'replies.json'}")


if __name__ == "__main__":
    main()
