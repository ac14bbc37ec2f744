"""The NETCONF session under the netconf driver (netctl.drivers.netconf_ssh): framing, replies matched
by message-id, rpc-errors, capabilities, the one repeat of an unanswered first get-config.

The lab's netconfd answers every push of tests/lab (whole sessions, both framings' normal case); what
it cannot be made to do on demand (a message cut at every byte, a late duplicate reply, a server
without :candidate) is played here by :class:`FakeChannel`, a scripted stand-in for a paramiko channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import paramiko
import pytest
from ncclient.operations.errors import MissingCapabilityError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import NetconfFramingError, SessionCloseError

from netctl.drivers import netconf_ssh
from netctl.drivers.netconf_ssh import BASE_1_1, BASE_NS, EOM, NetconfSession, prefer_aead

CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
CONFIRMED = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
ROLLBACK = "urn:ietf:params:netconf:capability:rollback-on-error:1.0"


def hello(*capabilities: str, session_id: int = 7) -> bytes:
    caps = "".join(f"<capability>{c}</capability>" for c in ("urn:ietf:params:netconf:base:1.0", *capabilities))
    return (f'<hello xmlns="{BASE_NS}"><capabilities>{caps}</capabilities>'
            f"<session-id>{session_id}</session-id></hello>").encode() + EOM


def reply(message_id: str, body: str = "<ok/>") -> bytes:
    return f'<rpc-reply xmlns="{BASE_NS}" message-id="{message_id}">{body}</rpc-reply>'.encode()


def chunked(message: bytes, sizes: tuple[int, ...] = ()) -> bytes:
    """``message`` in chunked framing, cut into chunks of ``sizes`` (the rest in one)."""
    out, rest = b"", message
    for size in sizes:
        out += b"\n#%d\n%s" % (size, rest[:size])
        rest = rest[size:]
    if rest:
        out += b"\n#%d\n%s" % (len(rest), rest)
    return out + b"\n##\n"


class FakeChannel:
    """A scripted paramiko channel (a fake: the lab cannot cut messages where a test wants).

    ``answer(sent)`` returns the bytes the server sends back for what the client just sent; ``recv``
    hands them out ``piece`` bytes at a time and raises a timeout when it has nothing.
    """

    def __init__(self, first: bytes, answer: Callable[[bytes], bytes], piece: int = 65536) -> None:
        self.pending = bytearray(first)
        self.answer = answer
        self.piece = piece
        self.sent: list[bytes] = []
        self.active = True

    def settimeout(self, _timeout: float | None) -> None:
        pass

    def recv(self, size: int) -> bytes:
        if not self.pending:
            raise TimeoutError("nothing to read")
        data = bytes(self.pending[: min(size, self.piece)])
        del self.pending[: len(data)]
        return data

    def sendall(self, data: bytes) -> None:
        self.sent.append(data)
        self.pending += self.answer(data)

    def close(self) -> None:
        self.active = False


class FakeTransport:
    def close(self) -> None:
        pass

    def is_active(self) -> bool:
        return True


def session(channel: FakeChannel, **kwargs: Any) -> NetconfSession:
    return NetconfSession(FakeTransport(), channel, hello_timeout=1, **kwargs)  # type: ignore[arg-type]


def message_id(sent: bytes) -> str:
    text = sent.decode()
    return text.split('message-id="', 1)[1].split('"', 1)[0]


def body_of(sent: bytes) -> bytes:
    """The message in a chunked frame written by the session (one chunk)."""
    assert sent.startswith(b"\n#") and sent.endswith(b"\n##\n")
    return sent.split(b"\n", 2)[2][: -len(b"\n##\n")]


@pytest.mark.parametrize("piece", [1, 2, 5, 64, 65536])
def test_chunked_replies_cut_anywhere_read_as_one_message(piece: int) -> None:
    data = f'<data><ap xmlns="urn:x"><name>{"x" * 300}</name></ap></data>'

    def answer(sent: bytes) -> bytes:
        if b"<hello" in sent:
            return b""
        return chunked(reply(message_id(body_of(sent)), data), sizes=(1, 9, 100))

    channel = FakeChannel(hello(BASE_1_1, CANDIDATE), answer, piece=piece)
    nc = session(channel)
    assert nc.session_id == "7" and nc.supports(":candidate") and not nc.supports(":confirmed-commit")
    got = nc.get_config("running")
    assert got.tag == f"{{{BASE_NS}}}data" and got[0][0].text == "x" * 300
    assert channel.sent[0].endswith(EOM)  # the hello always ends with ]]>]]>, then chunks
    assert channel.sent[1].startswith(b"\n#") and b"<get-config>" in body_of(channel.sent[1])


@pytest.mark.parametrize("piece", [1, 3, 7, 65536])
def test_end_of_message_framing_when_the_server_has_no_base_1_1(piece: int) -> None:
    channel = FakeChannel(hello(CANDIDATE), lambda sent: b"" if b"<hello" in sent else
                          reply(message_id(sent[: -len(EOM)])) + EOM, piece=piece)
    nc = session(channel)
    nc.lock()
    nc.unlock()
    assert [s.endswith(EOM) for s in channel.sent] == [True, True, True]
    assert b"<lock><target><candidate/></target></lock>" in channel.sent[1]


@pytest.mark.parametrize("frame", [b"\n#0\n\n##\n", b"\n#x\n", b"#5\nhello\n##\n", b"\n#12345678901234\n"])
def test_broken_chunk_framing_is_a_transport_error(frame: bytes) -> None:
    channel = FakeChannel(hello(BASE_1_1), lambda sent: b"" if b"<hello" in sent else frame)
    nc = session(channel)
    with pytest.raises(NetconfFramingError):
        nc.get_config("running")


def test_a_message_beyond_the_limit_drops_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netconf_ssh, "MAX_MESSAGE_BYTES", 1000)
    channel = FakeChannel(hello(), lambda sent: b"" if b"<hello" in sent else b"<" * 5000)
    with pytest.raises(NetconfFramingError):
        session(channel).get_config("running")


def test_the_server_closing_the_channel_is_a_session_close() -> None:
    class Closing(FakeChannel):
        def recv(self, size: int) -> bytes:
            return super().recv(size) if self.pending else b""

    nc = session(Closing(hello(CANDIDATE), lambda sent: b""))
    with pytest.raises(SessionCloseError):
        nc.lock()


def test_rpc_errors_raise_as_ncclient_raises_them() -> None:
    one = ('<rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag>'
           "<error-severity>error</error-severity><error-message>held by 12</error-message></rpc-error>")
    two = one + one.replace("lock-denied", "in-use").replace("error</error-severity>", "warning</error-severity>")
    bodies = iter([one, two])
    channel = FakeChannel(hello(BASE_1_1, CANDIDATE), lambda sent: b"" if b"<hello" in sent else
                          chunked(reply(message_id(body_of(sent)), next(bodies))))
    nc = session(channel)
    with pytest.raises(RPCError) as single:
        nc.lock()
    assert (single.value.tag, single.value.message, single.value.severity) == ("lock-denied", "held by 12", "error")
    with pytest.raises(RPCError) as several:
        nc.lock()
    assert several.value.errlist is not None and len(several.value.errlist) == 2
    assert several.value.severity == "error" and "warning: held by 12" in several.value.message


def test_operations_needing_a_capability_the_ap_lacks_send_nothing() -> None:
    channel = FakeChannel(hello(BASE_1_1), lambda sent: b"")
    nc = session(channel)
    for call in (nc.lock, nc.discard_changes, lambda: nc.commit(confirmed=True, timeout="60"),
                 lambda: nc.edit_config("<config/>", error_option="rollback-on-error")):
        with pytest.raises(MissingCapabilityError):
            call()
    assert len(channel.sent) == 1  # the hello only
    with_candidate = session(FakeChannel(hello(BASE_1_1, CANDIDATE), lambda sent: b""))
    with pytest.raises(MissingCapabilityError, match="confirmed-commit"):
        with_candidate.commit(confirmed=True, timeout="60")
    with pytest.raises(MissingCapabilityError, match="rollback-on-error"):
        with_candidate.edit_config("<config/>", error_option="rollback-on-error")


def test_commit_and_cancel_say_what_ncclient_would() -> None:
    sent_bodies: list[bytes] = []

    def answer(sent: bytes) -> bytes:
        if b"<hello" in sent:
            return b""
        sent_bodies.append(body_of(sent))
        return chunked(reply(message_id(body_of(sent))))

    nc = session(FakeChannel(hello(BASE_1_1, CANDIDATE, CONFIRMED, ROLLBACK), answer))
    nc.commit(confirmed=True, timeout="60", persist="a<b")
    nc.commit(persist_id="a<b")
    nc.cancel_commit(persist_id="tok")
    nc.edit_config(f'<nc:config xmlns:nc="{BASE_NS}"><x/></nc:config>', error_option="rollback-on-error")
    texts = [b.decode() for b in sent_bodies]
    assert "<commit><confirmed/><confirm-timeout>60</confirm-timeout><persist>a&lt;b</persist></commit>" in texts[0]
    assert "<commit><persist-id>a&lt;b</persist-id></commit>" in texts[1]
    assert "<cancel-commit><persist-id>tok</persist-id></cancel-commit>" in texts[2]
    assert ("<edit-config><target><candidate/></target><error-option>rollback-on-error</error-option>"
            f'<nc:config xmlns:nc="{BASE_NS}"><x/></nc:config></edit-config>') in texts[3]


def test_an_unanswered_first_get_config_is_sent_once_more_and_the_late_answer_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """netconfd can leave the first RPC unprocessed until more input comes: then both answers come at
    once after the repeat. The first is used; the second is dropped before the next RPC's reply."""
    monkeypatch.setattr(netconf_ssh, "NUDGE_AFTER_S", 0.0)
    gets: list[str] = []

    def answer(sent: bytes) -> bytes:
        if b"<hello" in sent:
            return b""
        mid = message_id(body_of(sent))
        if b"<get-config>" in sent:
            gets.append(mid)
            if len(gets) == 1:
                return b""  # stuck until more input comes
            if len(gets) == 2:
                return (chunked(reply(gets[0], "<data><a>first</a></data>"))
                        + chunked(reply(mid, "<data><a>repeat</a></data>")))
            return chunked(reply(mid, "<data><a>later</a></data>"))
        return chunked(reply(mid))

    notes: list[str] = []
    nc = session(FakeChannel(hello(BASE_1_1, CANDIDATE), answer), note=notes.append)
    assert nc.get_config("running")[0].text == "first"
    assert notes == ["no answer within 0 s: get-config sent once more"]
    assert nc.lock().find(f"{{{BASE_NS}}}ok") is not None  # the repeat's late answer was dropped first
    assert nc.get_config("running")[0].text == "later"
    assert len(gets) == 3 and len(notes) == 1  # only the session's first RPC is ever repeated


def test_a_timed_out_rpc_does_not_take_the_next_rpcs_reply() -> None:
    replies: list[bytes] = []

    def answer(sent: bytes) -> bytes:
        if b"<hello" in sent:
            return b""
        mid = message_id(body_of(sent))
        if b"<lock>" in sent:
            replies.append(chunked(reply(mid, "<ok/>")))  # answered too late
            return b""
        return b"".join(replies) + chunked(reply(mid, "<data><b>unlock</b></data>"))

    nc = session(FakeChannel(hello(BASE_1_1, CANDIDATE), answer), timeout=0.0)
    with pytest.raises(TimeoutExpiredError):
        nc.lock()
    nc.timeout = 5
    assert nc.unlock().find(f"{{{BASE_NS}}}data") is not None  # not the lock's late <ok/>


def test_aead_ciphers_go_first_and_nothing_is_dropped() -> None:
    def options() -> tuple[tuple[str, ...], tuple[str, ...]]:
        opts = transport.get_security_options()
        return tuple(opts.ciphers), tuple(opts.digests)

    transport = paramiko.Transport(_Sock())  # type: ignore[arg-type]
    before = options()
    prefer_aead(transport)
    ciphers, digests = options()
    assert ciphers[:2] == ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
    assert digests[:2] == ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com")
    assert sorted(ciphers) == sorted(before[0]) and sorted(digests) == sorted(before[1])
    transport = paramiko.Transport(_Sock())  # type: ignore[arg-type]
    assert options() == before  # the preference is this transport's own, not paramiko's


class _Sock:
    """Enough of a socket for paramiko.Transport's constructor (nothing is sent)."""

    def settimeout(self, _timeout: float) -> None:
        pass


def test_a_missing_capability_is_the_aps_failure_not_a_bug() -> None:
    from netctl.drivers import Target, Transcript
    from netctl.drivers.exceptions import mapped
    from netctl.drivers.netconf import EXCEPTIONS
    from netctl.errors import DeviceError

    transcript = Transcript()
    with pytest.raises(DeviceError) as caught:
        with mapped(EXCEPTIONS["rpc"], Target("ap1", "netconf-wlan", "127.0.0.1", 830, "admin"), transcript,
                    "lock candidate"):
            raise MissingCapabilityError("Server does not support [:candidate]")
    assert caught.value.reason == ("lock candidate: not sent, the AP lacks a capability it needs: "
                                   "Server does not support [:candidate]")
    assert transcript.text().endswith("<- refused before sending: Server does not support [:candidate]")
