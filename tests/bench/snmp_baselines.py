"""Baselines the netctl poller is measured against, in the same run, against the same agents.

- ``sequential_new_engine``: how scripts are usually written: a new pysnmp engine per AP, one AP
  after the other.
- ``sequential_shared_engine``: the same loop with one engine reused.
- ``snmpget_spawn``: a LibreNMS-style poller: one net-snmp ``snmpget`` process per AP, 50 at a time.
- ``udp_ceiling``: what the agents themselves can answer: pre-encoded SNMPv2c GET packets sent over a
  raw UDP socket with a window of outstanding requests, no SNMP library on the client side at all.

Every function takes a list of ``(host, port)`` targets on loopback and returns a :class:`Measure`.
Loops are bounded in count (the target list) and time (``deadline_s``).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any

#: The standard scalar poll: SNMPv2-MIB system group plus ifNumber (8 OIDs).
SCALAR_OIDS = (
    "1.3.6.1.2.1.1.1.0",  # sysDescr
    "1.3.6.1.2.1.1.2.0",  # sysObjectID
    "1.3.6.1.2.1.1.3.0",  # sysUpTime
    "1.3.6.1.2.1.1.4.0",  # sysContact
    "1.3.6.1.2.1.1.5.0",  # sysName
    "1.3.6.1.2.1.1.6.0",  # sysLocation
    "1.3.6.1.2.1.1.7.0",  # sysServices
    "1.3.6.1.2.1.2.1.0",  # ifNumber
)


@dataclass
class Auth:
    """SNMP credentials for a benchmark run (lab values, never real ones)."""

    version: str = "2c"
    community: str = "public"
    user: str = "labuser"
    auth_key: str = ""
    priv_key: str = ""


@dataclass
class Measure:
    """One measured run: how many APs answered, wall time and CPU seconds (self + children)."""

    name: str
    aps: int
    ok: int
    wall_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0


class _Clock:
    """Wall and CPU time of this process and of reaped children."""

    def __enter__(self) -> _Clock:
        self.t0 = time.perf_counter()
        self.c0 = _cpu()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = _cpu() - self.c0


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _pysnmp_auth(auth: Auth) -> Any:
    from pysnmp.hlapi.v3arch.asyncio import (
        USM_AUTH_HMAC96_SHA,
        USM_PRIV_CFB128_AES,
        CommunityData,
        UsmUserData,
    )

    if auth.version == "3":
        return UsmUserData(auth.user, authKey=auth.auth_key, privKey=auth.priv_key,
                           authProtocol=USM_AUTH_HMAC96_SHA, privProtocol=USM_PRIV_CFB128_AES)
    return CommunityData(auth.community, mpModel=1)


async def _get(engine: Any, auth_data: Any, host: str, port: int, objects: list[Any]) -> bool:
    from pysnmp.hlapi.v3arch.asyncio import ContextData, UdpTransportTarget, get_cmd

    target = await UdpTransportTarget.create((host, port), timeout=2, retries=1)
    err_ind, err_status, _idx, var_binds = await get_cmd(engine, auth_data, target, ContextData(), *objects,
                                                         lookupMib=False)
    return not err_ind and not err_status and len(var_binds) == len(objects)


def _objects() -> list[Any]:
    from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType

    return [ObjectType(ObjectIdentity(oid)) for oid in SCALAR_OIDS]


def sequential_new_engine(targets: list[tuple[str, int]], auth: Auth, deadline_s: float = 60) -> Measure:
    """A new SnmpEngine per AP, APs one after the other (the usual script)."""
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    async def run() -> int:
        ok = 0
        stop = time.monotonic() + deadline_s
        for host, port in targets:
            if time.monotonic() > stop:
                break
            engine = SnmpEngine()
            try:
                ok += await _get(engine, _pysnmp_auth(auth), host, port, _objects())
            finally:
                engine.close_dispatcher()
        return ok

    with _Clock() as clock:
        ok = asyncio.run(run())
    return Measure("sequential pysnmp, new engine per AP", len(targets), ok, clock.wall, clock.cpu)


def sequential_shared_engine(targets: list[tuple[str, int]], auth: Auth, deadline_s: float = 60) -> Measure:
    """One SnmpEngine, APs one after the other."""
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    async def run() -> int:
        engine = SnmpEngine()
        auth_data, objects = _pysnmp_auth(auth), _objects()
        ok = 0
        stop = time.monotonic() + deadline_s
        try:
            for host, port in targets:
                if time.monotonic() > stop:
                    break
                ok += await _get(engine, auth_data, host, port, objects)
        finally:
            engine.close_dispatcher()
        return ok

    with _Clock() as clock:
        ok = asyncio.run(run())
    return Measure("sequential pysnmp, shared engine", len(targets), ok, clock.wall, clock.cpu)


def snmpget_spawn(targets: list[tuple[str, int]], auth: Auth, parallel: int = 50,
                  deadline_s: float = 120) -> Measure:
    """LibreNMS-style: one net-snmp ``snmpget`` process per AP, ``parallel`` at a time."""
    if auth.version == "3":
        cred = ["-v3", "-l", "authPriv", "-u", auth.user, "-a", "SHA", "-A", auth.auth_key, "-x", "AES",
                "-X", auth.priv_key]
    else:
        cred = ["-v2c", "-c", auth.community]
    env = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")

    async def one(sem: asyncio.Semaphore, host: str, port: int) -> bool:
        async with sem:
            proc = await asyncio.create_subprocess_exec(
                "snmpget", *cred, "-On", "-t", "2", "-r", "1", f"udp:{host}:{port}", *SCALAR_OIDS,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env)
            out, _ = await proc.communicate()
            return proc.returncode == 0 and out.count(b"\n") >= len(SCALAR_OIDS)

    async def run() -> int:
        sem = asyncio.Semaphore(parallel)
        results = await asyncio.wait_for(asyncio.gather(*(one(sem, h, p) for h, p in targets)), deadline_s)
        return sum(results)

    with _Clock() as clock:
        ok = asyncio.run(run())
    return Measure(f"snmpget per AP, {parallel} in parallel (LibreNMS-style)", len(targets), ok,
                   clock.wall, clock.cpu)


# -- raw BER for the ceiling: no SNMP library on the client side -------------------------------------

def _ber_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _ber_len(len(body)) + body


def _ber_int(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return _tlv(0x02, body)


def _ber_oid(oid: str) -> bytes:
    parts = [int(p) for p in oid.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for arc in parts[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def encode_v2c_get(community: str, request_id: int, oids: tuple[str, ...] = SCALAR_OIDS) -> bytes:
    """An SNMPv2c GetRequest message, BER-encoded by hand."""
    varbinds = b"".join(_tlv(0x30, _ber_oid(o) + b"\x05\x00") for o in oids)
    pdu = _tlv(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _tlv(0x30, varbinds))
    return _tlv(0x30, _ber_int(1) + _tlv(0x04, community.encode()) + pdu)


def udp_ceiling(targets: list[tuple[str, int]], auth: Auth, window: int = 200, deadline_s: float = 30) -> Measure:
    """How fast the agents answer: pre-encoded v2c GETs, ``window`` outstanding, one reply per AP.

    Requests lost in a burst are sent once more in a second pass.
    """
    if auth.version == "3":
        raise ValueError("the raw ceiling is measured with SNMPv2c only")
    packets = [encode_v2c_get(auth.community, 1000 + i) for i in range(len(targets))]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.settimeout(0.5)
    answered: set[int] = set()
    stop = time.monotonic() + deadline_s
    with _Clock() as clock:
        for _pass in range(2):
            pending = [i for i in range(len(targets)) if i not in answered]
            outstanding = sent = 0
            while (sent < len(pending) or outstanding > 0) and time.monotonic() < stop:
                while sent < len(pending) and outstanding < window:
                    sock.sendto(packets[pending[sent]], targets[pending[sent]])
                    sent += 1
                    outstanding += 1
                try:
                    data, _addr = sock.recvfrom(65535)
                except TimeoutError:
                    break
                outstanding -= 1
                answered.add(_request_id(data) - 1000)
            if len(answered) >= len(targets):
                break
    sock.close()
    ok = len([i for i in answered if 0 <= i < len(targets)])
    return Measure("agent ceiling (raw UDP, pre-encoded v2c GET)", len(targets), ok, clock.wall, clock.cpu)


def _request_id(message: bytes) -> int:
    """Request id of an SNMPv2c response (walks the BER header; -1 if malformed)."""
    try:
        pos = 0

        def header(p: int) -> tuple[int, int, int]:
            tag = message[p]
            length = message[p + 1]
            p += 2
            if length & 0x80:
                n = length & 0x7F
                length = int.from_bytes(message[p:p + n], "big")
                p += n
            return tag, length, p

        _t, _l, pos = header(pos)            # message SEQUENCE
        _t, length, pos = header(pos)        # version
        pos += length
        _t, length, pos = header(pos)        # community
        pos += length
        _t, _l, pos = header(pos)            # PDU
        _t, length, pos = header(pos)        # request-id
        return int.from_bytes(message[pos:pos + length], "big", signed=True)
    except IndexError:
        return -1
