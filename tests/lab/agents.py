"""Agents tests start for themselves (beside the lab's): real net-snmp snmpd processes, snmpsim serving
recordings of real devices (:func:`snmpsim_recordings`), and a proxy in front of a real agent that
misbehaves on purpose (:func:`misbehaving_proxy`)."""

from __future__ import annotations

import os
import random
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def snmpd(tmp_path: Path, host: str, port: int, community: str, config: str) -> Iterator[tuple[str, int]]:
    """A real net-snmp snmpd on ``host:port`` with ``config`` lines beside its address and community."""
    conf = tmp_path / "snmpd.conf"
    conf.write_text(f"agentaddress udp:{host}:{port}\n{config}\ndontLogTCPWrappersConnects yes\n")
    proc = subprocess.Popen(["timeout", "120", "/usr/sbin/snmpd", "-f", "-C", "-c", str(conf), "-Lf",
                             str(tmp_path / "snmpd.log"), "-p", str(tmp_path / "snmpd.pid")],
                            env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path), "MIBS": ""})
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(["snmpget", "-v2c", "-c", community, "-t", "0.3", "-r", "0", f"{host}:{port}",
                                    "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True, env={"MIBS": ""})
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"snmpd on {host}:{port} did not answer; see {tmp_path / 'snmpd.log'}")
        yield host, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def misbehaving_snmpd(tmp_path: Path, host: str, port: int) -> Iterator[tuple[str, int]]:
    """A real net-snmp snmpd whose sysUpTime is overridden with a string (a broken firmware's answer)."""
    with snmpd(tmp_path, host, port, "brokencomm", 'rocommunity brokencomm 127.0.0.0/8\n'
               'override 1.3.6.1.2.1.1.3.0 octet_str "yesterday"') as agent:
        yield agent


@contextmanager
def snmpd_without_ifxtable(tmp_path: Path, host: str, port: int, community: str) -> Iterator[tuple[str, int]]:
    """A real net-snmp snmpd that serves no ifXTable (a legacy agent: 32-bit ifTable octets only)."""
    with snmpd(tmp_path, host, port, community, "view noifx included .1\n"
               "view noifx excluded .1.3.6.1.2.1.31\n"
               f"rocommunity {community} 127.0.0.0/8 -V noifx") as agent:
        yield agent


#: the lab's tools virtualenv (lab/install.py) holds snmpsim
SNMPSIM = Path(os.environ.get("NETCTL_LAB_TOOLS") or "/opt/netctl-lab") / "venv" / "bin" / "snmpsim-command-responder"


@contextmanager
def snmpsim_recordings(recordings: list[Path], hosts: list[str], port: int = 1161) -> Iterator[dict[str, str]]:
    """One snmpsim process serving ``recordings`` (``.snmprec`` files) on every ``host:port``.

    The community selects the recording: its file name without ``.snmprec``. snmpsim drops privileges to
    ``nobody``, so the files are copied into a world-readable directory of their own under /tmp. Yields
    ``{community: path}``; the process lives at most 300 s.
    """
    base = Path(tempfile.mkdtemp(prefix="netctl-snmpsim-", dir="/tmp"))
    try:
        data, cache = base / "data", base / "cache"
        data.mkdir()
        cache.mkdir()
        served = {}
        for recording in recordings:
            shutil.copyfile(recording, data / recording.name)
            served[recording.stem] = str(data / recording.name)
        for path in (base, data, cache):
            path.chmod(0o777 if path == cache else 0o755)
        for path in data.iterdir():
            path.chmod(0o644)
        argv = ["timeout", "300", str(SNMPSIM), f"--data-dir={data}", f"--cache-dir={cache}",
                "--process-user=nobody", "--process-group=nogroup", f"--logging-method=file:{cache / 'log'}",
                *[f"--agent-udpv4-endpoint={host}:{port}" for host in hosts]]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={"PATH": "/usr/bin:/bin", "HOME": str(cache)})
        try:
            first = next(iter(served))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                probe = subprocess.run(["snmpget", "-v2c", "-c", first, "-t", "0.5", "-r", "0", f"{hosts[-1]}:{port}",
                                        "1.3.6.1.2.1.1.3.0"], capture_output=True, text=True, env={"MIBS": ""})
                if probe.returncode == 0:
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"snmpsim exited ({proc.returncode}); see {cache / 'log'}")
                time.sleep(0.2)
            else:
                raise RuntimeError(f"snmpsim did not answer within 30 s; see {cache / 'log'}")
            yield served
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- a misbehaving proxy -------------------------------------------------------------------------------
#: how each case mangles the real agent's reply to one request (``None``: drop it)
MISBEHAVIOURS = ("huge-counter", "truncated", "outer-length-2-31", "garbage", "wrong-request-id",
                 "extra-varbinds", "backwards", "no-tables", "v1-reply", "silent")


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(raw))) + raw + body


def _is_v3(data: bytes) -> bool:
    return b"\x02\x01\x03" in data[2:7]


def mangle(case: str, request: bytes, reply: bytes, rng: random.Random) -> bytes | None:
    """The real ``reply`` to ``request`` as the misbehaving agent of ``case`` sends it (pysnmp's codec,
    independent of netctl's). SNMPv3 (the poller's liveness probe) is mangled only where the case
    breaks every datagram (truncated, outer length, garbage, silent)."""
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api, rfc1902

    if case == "silent":
        return None
    if case == "truncated":
        return reply[:max(3, len(reply) // 2)]
    if case == "outer-length-2-31":
        return b"\x30\x84\x80\x00\x00\x00" + reply[2 + (reply[1] & 0x7F if reply[1] & 0x80 else 0):]
    if case == "garbage":
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    if _is_v3(request):
        return reply
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    msg, _rest = decoder.decode(reply, asn1Spec=p.Message())
    pdu = p.apiMessage.get_pdu(msg)
    varbinds = list(p.apiPDU.get_varbinds(pdu))
    bulk = decoder.decode(request, asn1Spec=p.Message())[0]
    is_bulk = p.apiMessage.get_pdu(bulk).tagSet == p.GetBulkRequestPDU.tagSet
    if case == "huge-counter" and not is_bulk:
        rid = encoder.encode(rfc1902.Integer32(int(p.apiPDU.get_request_id(pdu))))
        first = _tlv(0x30, encoder.encode(varbinds[0][0]) + b"\x41\x82\x07\x08\x01" + bytes(1799))
        rest = b"".join(_tlv(0x30, encoder.encode(o) + encoder.encode(v)) for o, v in varbinds[1:])
        body = _tlv(0xA2, rid + b"\x02\x01\x00\x02\x01\x00" + _tlv(0x30, first + rest))
        return _tlv(0x30, encoder.encode(msg["version"]) + encoder.encode(msg["community"]) + body)
    if case == "wrong-request-id":
        p.apiPDU.set_request_id(pdu, int(p.apiPDU.get_request_id(pdu)) + 1)
    elif case == "v1-reply":
        msg["version"] = 0
    elif case == "no-tables" and is_bulk:
        return None
    elif case == "extra-varbinds" and is_bulk:
        p.apiPDU.set_varbinds(pdu, [("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("extra"))] + varbinds)
    elif case == "backwards" and is_bulk and len(varbinds) > 1:
        width = len(p.apiPDU.get_varbinds(p.apiMessage.get_pdu(bulk)))
        # from the second row on, every OID goes back to sysDescr.0, below every column asked for
        p.apiPDU.set_varbinds(pdu, varbinds[:width] + [("1.3.6.1.2.1.1.1.0", v) for _o, v in varbinds[width:]])
    else:
        return reply
    p.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


@contextmanager
def misbehaving_proxy(cases: dict[str, str], upstream: tuple[str, int], *,
                      lifetime: float = 300.0) -> Iterator[dict[str, tuple[str, int]]]:
    """A misbehaving SNMP agent on purpose: one UDP address per case (``{address: case}``, port 1161),
    each forwarding requests to the real agent ``upstream`` and mangling its replies by :func:`mangle`.

    Yields ``{case: (address, port)}``. One thread, bounded in time by ``lifetime``; every socket is
    on loopback.
    """
    listeners: dict[socket.socket, str] = {}
    for address, case in cases.items():
        if case not in MISBEHAVIOURS:
            raise ValueError(f"unknown misbehaviour {case!r}")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 1161))
        listeners[sock] = case
    stop = threading.Event()

    def serve() -> None:
        rng = random.Random(12)
        ends = time.monotonic() + lifetime
        while not stop.is_set() and time.monotonic() < ends:
            ready, _w, _x = select.select(list(listeners), [], [], 0.05)
            for sock in ready:
                request, peer = sock.recvfrom(65535)
                # a socket per request: a late reply of the agent never answers another request
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as relay:
                    relay.bind(("127.0.0.1", 0))
                    relay.settimeout(2.0)
                    relay.sendto(request, upstream)
                    try:
                        reply = relay.recv(65535)
                    except TimeoutError:
                        continue
                answer = mangle(listeners[sock], request, reply, rng)
                if answer is not None:
                    sock.sendto(answer, peer)

    thread = threading.Thread(target=serve, name="misbehaving-proxy", daemon=True)
    thread.start()
    try:
        yield {case: (sock.getsockname()[0], 1161) for sock, case in listeners.items()}
    finally:
        stop.set()
        thread.join(10)
        for sock in listeners:
            sock.close()

