"""One bad datagram fails one request of one AP, with a precise error kind, never the poll.

The agents here are small UDP responders on 127.0.0.1 that misbehave on purpose (``HostileResponder``):
they answer every datagram, the SNMPv3 discovery probe included, with what the case says. Their
replies are built with pysnmp's own codec, independent of the code under test. The lab test
``tests/lab/test_poll_hostile_lab.py`` puts the same cases in front of real agents in one ``netctl poll``.
"""

from __future__ import annotations

import asyncio
import random
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from netctl.poll.fast import Failure, FastSession
from netctl.poll.health import Observation, Rules, evaluate, wanted_alerts
from netctl.poll.model import ERROR_KINDS, PollResult, Target
from netctl.poll.snmp import poll_async, probe_verdict

P = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
Handler = Callable[[bytes], list[bytes]]


class HostileResponder:
    """A UDP responder on 127.0.0.1 that answers each datagram with ``handler(datagram)`` (a misbehaving
    agent on purpose; ``delay`` seconds before each answer). Bounded: stops after ``lifetime`` s."""

    def __init__(self, handler: Handler, *, delay: float = 0.0, lifetime: float = 60.0) -> None:
        self.handler = handler
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HostileResponder:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            ready, _w, _x = select.select([self.sock], [], [], 0.05)
            if not ready:
                continue
            data, peer = self.sock.recvfrom(65535)
            self.requests += 1
            if self.delay:
                time.sleep(self.delay)
            for answer in self.handler(data):
                self.sock.sendto(answer, peer)

    def target(self, name: str = "hostile-ap", profile: str = "scalar") -> Target:
        return Target(name, "127.0.0.1", self.port, "2c", community="public", profile=profile)


def is_v3(data: bytes) -> bool:
    return data[2:5] == b"\x02\x01\x03" or data[4:7] == b"\x02\x01\x03"


def response(data: bytes, varbinds: list[tuple[str, Any]] | None = None, *, rid_delta: int = 0) -> bytes:
    """A v2c Response to the request ``data`` (pysnmp's codec): ``varbinds`` or sysUpTime = 42."""
    msg, _rest = decoder.decode(data, asn1Spec=P.Message())
    request = P.apiMessage.get_pdu(msg)
    answer = P.apiPDU.get_response(request)
    P.apiPDU.set_request_id(answer, int(P.apiPDU.get_request_id(request)) + rid_delta)
    P.apiPDU.set_varbinds(answer, varbinds or [(SYS_UPTIME, rfc1902.TimeTicks(42))])
    P.apiMessage.set_pdu(msg, answer)
    return bytes(encoder.encode(msg))


def scalar_reply(data: bytes) -> bytes:
    """What the ``scalar``-less ``system-only`` profile asks for, answered plausibly."""
    msg, _rest = decoder.decode(data, asn1Spec=P.Message())
    oids = [str(oid) for oid, _v in P.apiPDU.get_varbinds(P.apiMessage.get_pdu(msg))]
    values = {"1.3.6.1.2.1.1.1.0": rfc1902.OctetString("hostile"), "1.3.6.1.2.1.1.2.0": rfc1902.ObjectName("1.3.6.1"),
              SYS_UPTIME: rfc1902.TimeTicks(42), "1.3.6.1.2.1.1.5.0": rfc1902.OctetString("hostile")}
    return response(data, [(oid, values.get(oid, rfc1902.Integer(1))) for oid in oids])


def poll(targets: list[Target], *, fast: bool = True, bound: float = 20.0, **options: Any) -> dict[str, PollResult]:
    options = {"timeout": 0.3, "retries": 0, "fast": fast, **options}
    results = asyncio.run(asyncio.wait_for(poll_async(targets, **options), bound))
    return {r.ap: r for r in results}


# -- a decoder that breaks must not leave its request hanging ---------------------------------------
def test_a_reply_whose_decoding_crashes_fails_that_request_and_nothing_else() -> None:
    async def scenario(port: int) -> tuple[Any, Any]:
        session = FastSession(timeout=1.0, retries=0)
        await session.open([Target("ap", "127.0.0.1", port, "2c", community="public", profile="scalar")])
        try:
            def broken_decoder(_data: bytes) -> Any:
                raise RuntimeError("a decoder fault")

            crashing = session.request(("127.0.0.1", port), lambda rid: _get(rid), broken_decoder)
            healthy = session.request(("127.0.0.1", port), lambda rid: _get(rid))
            return await asyncio.wait_for(asyncio.gather(crashing, healthy), 5)
        finally:
            session.close()

    with HostileResponder(lambda data: [response(data)]) as agent:
        crashed, answered = asyncio.run(scenario(agent.port))
    assert isinstance(crashed, Failure) and crashed.kind == "malformed"
    assert "RuntimeError" in str(crashed)
    assert not isinstance(answered, Failure) and answered.varbinds[0][1] == ("TimeTicks", 42)


def _get(rid: int) -> bytes:
    from netctl.poll.ber import PDU_GET, Template, oid_of

    return Template(b"public", PDU_GET, [oid_of(SYS_UPTIME)]).build(rid)


# -- what an agent answering nonsense is --------------------------------------------------------------
def truncated(data: bytes) -> list[bytes]:
    return [(response(data) if not is_v3(data) else bytes.fromhex("3081ff020103"))[:25]]


def outer_2_31(data: bytes) -> list[bytes]:
    body = response(data)[2:] if not is_v3(data) else bytes(40)
    return [b"\x30\x84\x80\x00\x00\x00" + body]


def random_garbage(data: bytes) -> list[bytes]:
    rng = random.Random(len(data))
    return [bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))]


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "pysnmp"])
@pytest.mark.parametrize("handler", [truncated, outer_2_31, random_garbage], ids=lambda h: h.__name__)
def test_undecodable_answers_are_malformed_not_auth(handler: Handler, fast: bool) -> None:
    with HostileResponder(handler) as agent:
        result = poll([agent.target()], fast=fast)["hostile-ap"]
    assert (result.ok, result.error_kind) == (False, "malformed"), result.error
    assert "decode" in (result.error or "")
    assert "engine_answers" not in result.values


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "pysnmp"])
def test_a_wrong_request_id_is_a_timeout_not_auth(fast: bool) -> None:
    def wrong_ids(data: bytes) -> list[bytes]:
        if is_v3(data):  # the probe: a well-formed Report, but to another msgID
            return [_report_for_other_msgid()]
        return [response(data, rid_delta=1)]

    with HostileResponder(wrong_ids) as agent:
        result = poll([agent.target()], fast=fast)["hostile-ap"]
    assert (result.ok, result.error_kind) == (False, "timeout"), result.error
    if fast:
        assert "request-ids" in (result.error or "")


def report_to_probe(probe: bytes) -> bytes:
    """The recorded discovery Report of the lab's snmpd, re-addressed to ``probe``'s msgID (pysnmp's codec)."""
    from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message

    request, _rest = decoder.decode(probe, asn1Spec=SNMPv3Message())
    report, _rest = decoder.decode(_report_for_other_msgid(), asn1Spec=SNMPv3Message())
    report["msgGlobalData"]["msgID"] = int(request["msgGlobalData"]["msgID"])
    return bytes(encoder.encode(report))


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "pysnmp"])
def test_a_live_engine_whose_replies_carry_wrong_request_ids_is_a_timeout_not_auth(fast: bool) -> None:
    def alive_but_wrong(data: bytes) -> list[bytes]:
        return [report_to_probe(data)] if is_v3(data) else [response(data, rid_delta=7)]

    with HostileResponder(alive_but_wrong) as agent:
        result = poll([agent.target()], fast=fast)["hostile-ap"]
    assert (result.ok, result.error_kind) == (False, "timeout"), result.error
    assert "request-ids" in (result.error or "")
    assert "engine_answers" not in result.values


def test_a_live_engine_ignoring_the_community_is_still_auth() -> None:
    def ignores_v2c(data: bytes) -> list[bytes]:
        return [report_to_probe(data)] if is_v3(data) else []

    with HostileResponder(ignores_v2c) as agent:
        for fast in (True, False):
            result = poll([agent.target()], fast=fast)["hostile-ap"]
            assert (result.ok, result.error_kind) == (False, "auth"), result.error


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "pysnmp"])
def test_a_reply_with_another_community_is_no_answer_on_both_paths(fast: bool) -> None:
    def other_community(data: bytes) -> list[bytes]:
        if is_v3(data):
            return [report_to_probe(data)]
        msg, _rest = decoder.decode(scalar_reply(data), asn1Spec=P.Message())
        P.apiMessage.set_community(msg, b"not-the-one")
        return [bytes(encoder.encode(msg))]

    with HostileResponder(other_community) as agent:
        result = poll([agent.target(profile="system-only")], fast=fast)["hostile-ap"]
    assert (result.ok, result.error_kind) == (False, "timeout"), result.error
    assert "community" in (result.error or "")


def _report_for_other_msgid() -> bytes:
    """A real SNMPv3 Report (recorded from the lab's snmpd) whose msgID answers some other probe."""
    import json
    from pathlib import Path

    corpus = json.loads((Path(__file__).parent / "snmp_corpus" / "replies.json").read_text())
    [entry] = [e for e in corpus["replies"] if e["request"] == "SNMPv3 engine discovery"]
    return bytes.fromhex(entry["hex"])


def test_probe_counts_only_a_wellformed_report_to_that_probe() -> None:
    report = _report_for_other_msgid()
    from netctl.poll import usm

    msg_id = usm.decode(report, None).msg_id
    assert probe_verdict(report, msg_id) == ("engine", usm.decode(report, None).engine_id.hex())
    assert probe_verdict(report, msg_id + 1) is None
    assert probe_verdict(report[:30], msg_id)[0] == "garbage"  # type: ignore[index]
    assert probe_verdict(b"\x30\x84\x80\x00\x00\x00" + report[2:], msg_id)[0] == "garbage"  # type: ignore[index]
    assert probe_verdict(bytes(range(50)), msg_id)[0] == "garbage"  # type: ignore[index]


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes((n,)) if n < 0x80 else bytes((0x82,)) + n.to_bytes(2, "big")
    return bytes((tag,)) + length + body


def huge_counter(data: bytes) -> list[bytes]:
    """The reproducer of issue 12: a GetResponse whose first value is a Counter32 of 1,800 octets."""
    if is_v3(data):
        return []
    msg, _rest = decoder.decode(data, asn1Spec=P.Message())
    request = P.apiMessage.get_pdu(msg)
    rid = encoder.encode(rfc1902.Integer32(int(P.apiPDU.get_request_id(request))))
    first_oid = encoder.encode(P.apiPDU.get_varbinds(request)[0][0])
    varbind = _tlv(0x30, first_oid + b"\x41\x82\x07\x08\x01" + bytes(1799))
    pdu = _tlv(0xA2, rid + b"\x02\x01\x00\x02\x01\x00" + _tlv(0x30, varbind))
    return [_tlv(0x30, b"\x02\x01\x01" + _tlv(0x04, b"public") + pdu)]


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "pysnmp"])
def test_the_issue_reproducer_is_malformed_and_the_healthy_ap_is_polled(fast: bool) -> None:
    with HostileResponder(huge_counter) as bad, HostileResponder(lambda d: [scalar_reply(d)] if not is_v3(d)
                                                                 else []) as good:
        results = poll([bad.target("bad-ap", "system-only"), good.target("good-ap", "system-only")], fast=fast)
    # pysnmp's codec drops the datagram inside its engine, so that path can only see no answer
    expected = "malformed" if fast else "timeout"
    assert (results["bad-ap"].ok, results["bad-ap"].error_kind) == (False, expected), results["bad-ap"].error
    assert results["good-ap"].ok, results["good-ap"].error


# -- deadlines ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "pysnmp"])
def test_an_agent_walking_forever_slowly_is_cut_off_by_the_poll_deadline(fast: bool) -> None:
    def endless(data: bytes) -> list[bytes]:
        if is_v3(data):
            return []
        msg, _rest = decoder.decode(data, asn1Spec=P.Message())
        pdu = P.apiMessage.get_pdu(msg)
        if pdu.tagSet != P.GetBulkRequestPDU.tagSet:
            return [scalar_reply(data)]
        # each column answered with the next OID inside it, forever increasing
        return [response(data, [(str(oid) + ".1", rfc1902.Integer(1)) for oid, _v in P.apiPDU.get_varbinds(pdu)])]

    with HostileResponder(endless, delay=0.02) as agent:
        started = time.monotonic()
        results = poll([agent.target("slow-ap", "wlan-ap")], fast=fast, deadline=1.5, timeout=0.5)
        elapsed = time.monotonic() - started
    result = results["slow-ap"]
    assert (result.ok, result.error_kind) == (False, "timeout"), result.error
    assert "deadline" in (result.error or "")
    assert elapsed < 5


# -- kinds as the health rules see them -----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["partial", "unsupported", "malformed", "auth"])
def test_answered_but_unusable_kinds_make_an_ap_unknown_with_an_alert(kind: str) -> None:
    assert kind in ERROR_KINDS
    verdict = evaluate(None, Observation(ok=False, error_kind=kind, error=f"a {kind} poll"), Rules(), 1000.0)
    assert verdict.state == "unknown"
    assert wanted_alerts(verdict) == {f"poll-{kind}": f"a {kind} poll"}


def test_error_kinds_are_the_documented_ones() -> None:
    assert ERROR_KINDS == ("timeout", "auth", "malformed", "partial", "unsupported", "error")

