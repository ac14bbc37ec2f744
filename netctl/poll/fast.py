"""The fast path: pre-encoded requests over one asyncio datagram socket per address family.

pysnmp spends most of a poll's CPU in pyasn1 (building, encoding and decoding message objects). A
poller needs none of that: a request is a constant message with a request-id patched in
(:class:`netctl.poll.ber.Template`), and a reply is decoded by the strict decoder in
:mod:`netctl.poll.ber` into the very ``(type, value)`` pairs :func:`netctl.poll.snmp.typed` makes of
pysnmp's objects. SNMPv3 (USM: HMAC-MD5/SHA-96, no privacy or AES-128) wraps the same PDUs with
:mod:`netctl.poll.usm`: the agent's engine is discovered once per address, keys are localised once
per engine, time-window and unknown-engine Reports re-synchronise and re-send (bounded).

:class:`FastSession` has the interface of :class:`netctl.poll.snmp.SnmpSession` (``open``,
``poll_one``, ``answers_small_get``, ``close``) and the same semantics:

- each request waits ``timeout`` seconds and is sent again ``retries`` times (the same message), then
  fails as ``timeout``; every request has its own timer, so a dead AP never delays another one;
- a reply is matched by request-id (msgID for SNMPv3), must come from the address the request went
  to and (SNMPv2c) carry the request's community, as on the pysnmp path; replies nobody waits for
  (late answers to a retry, strangers) are counted and dropped. What an agent sent that matched
  nothing is remembered per address, so a request that times out says what was seen: datagrams that
  cannot be decoded make it ``malformed``; replies with request-ids nobody asked for, or with another
  community, leave it a ``timeout`` that says so;
- an agent's error-status is ``auth`` (noAccess, authorizationError) or ``error``; a USM Report of a
  wrong digest, unknown user, unsupported level or decryption error, and a reply failing
  authentication, are ``auth``; a reply that cannot be decoded, or answers for other OIDs, is
  ``malformed`` naming the OID; a reply in another SNMP version is ``unsupported``;
- one bad datagram fails at most the one request it answers: whatever a decoder raises, the request
  gets a result (nothing is left waiting on a cancelled timer);
- tables are walked by GETBULK over all wanted columns at once by the rule of
  :mod:`netctl.poll.walk` (the engine path uses the same): a refused reply is asked for once more,
  a walk cut short after rows were read is ``partial``, never a short table reported as complete.

SNMPv1 and the other SNMPv3 protocols (SHA-2, DES, AES-192/256) stay on the pysnmp engine
(:mod:`netctl.poll.snmp`), which remains the reference implementation the lab tests compare this path
against.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from netctl.errors import PollError
from netctl.poll import usm
from netctl.poll.ber import (
    PDU_GET,
    PDU_GETBULK,
    REQUEST_ID_MAX,
    REQUEST_ID_MIN,
    BerError,
    Oid,
    PduTemplate,
    Response,
    Template,
    decode_response,
    encode_getbulk,
    oid_of,
    peek_community,
    peek_request_id,
)
from netctl.poll.decode import RawScalars, RawTables, decode, fill_tables
from netctl.poll.model import PollResult, Target
from netctl.poll.oids import PROFILES
from netctl.poll.walk import Walk, WalkError
from netctl.results import caught

logger = logging.getLogger(__name__)

FAST_VERSIONS = frozenset({"2c", "2"})
#: bound of re-sends after an agent's time-window or unknown-engine Report (SNMPv3)
V3_RESYNCS = 2
#: a GETBULK round whose reply breaks the walk rule is sent this many times in all
WALK_ROUND_ATTEMPTS = 2


def fast_capable(target: Target) -> bool:
    """True for targets this path polls: SNMPv2c, and SNMPv3 with HMAC-MD5/SHA-96 and no privacy or AES-128."""
    if target.version in FAST_VERSIONS:
        return True
    if target.version != "3" or not target.auth_key or (target.auth_protocol or "SHA").upper() not in usm.AUTH_HASHES:
        return False
    return not target.priv_key or (target.priv_protocol or "AES").upper() in usm.PRIV_CIPHERS
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)


class Failure(PollError):
    """A failed request or poll, with its error kind (see :data:`netctl.poll.model.ERROR_KINDS`)."""

    def __init__(self, kind: str, message: str, seen: dict[str, Any] | None = None) -> None:
        super().__init__(message, kind=kind)
        #: what the agent sent that matched no request (e.g. ``replies_unmatched``), for the caller
        self.seen = seen or {}


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, received: Callable[[bytes, Any], None]) -> None:
        self.received = received

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP errors: the request's own timer decides
        pass


class _Profile:
    """What one profile sends, encoded once: scalar names/OIDs, the GET PDU and table columns."""

    __slots__ = ("names", "oids", "columns", "get_pdu")

    def __init__(self, name: str) -> None:
        profile = PROFILES[name]
        self.names = list(profile.scalars)
        self.oids = [oid_of(profile.scalars[n]) for n in self.names]
        self.columns = [(table, column, oid_of(spec.column_oid(column)))
                        for table, spec in profile.tables.items() for column in spec.columns]
        self.get_pdu = PduTemplate(PDU_GET, self.oids)


class _User:
    """An SNMPv3 user of some targets (secrets: never printed)."""

    __slots__ = ("name", "auth_protocol", "auth_key", "priv_key")

    def __init__(self, target: Target) -> None:
        self.name = (target.user or "").encode()
        self.auth_protocol = (target.auth_protocol or "SHA").upper()
        self.auth_key = target.auth_key or ""
        self.priv_key = target.priv_key or None


class FastSession:
    """Polls of many SNMPv2c/v3 targets over one socket per address family (see the module docstring)."""

    def __init__(self, *, timeout: float = 2.0, retries: int = 1, max_repetitions: int = 10,
                 rcvbuf: int = 8 * 1024 * 1024, max_walk_rounds: int = 2000) -> None:
        self.timeout = timeout
        self.retries = retries
        self.max_repetitions = max_repetitions
        self.rcvbuf = rcvbuf
        self.max_walk_rounds = max_walk_rounds
        self.stray = 0
        #: per agent address: [undecodable datagrams, why the last one was refused, unmatched replies,
        #: the last unmatched request-id, replies with another community]; only addresses of registered
        #: targets are kept
        self._seen: dict[tuple[str, int], list[Any]] = {}
        self._pending: dict[int, list[Any]] = {}
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._addr: dict[str, tuple[str, int]] = {}
        self._community: dict[str, bytes] = {}
        self._profiles: dict[str, _Profile] = {}
        self._gets: dict[tuple[bytes, str], Template] = {}
        self._uptime: dict[bytes, Template] = {}
        self._uptime_pdu = PduTemplate(PDU_GET, [SYS_UPTIME])
        self._users: dict[str, _User] = {}
        self._unresolved: dict[str, str] = {}
        self._engines: dict[tuple[str, int], asyncio.Future[Any]] = {}
        self._keys: dict[tuple[Any, ...], usm.Keys] = {}
        self._ku: dict[Any, bytes] = {}
        self._salt = random.getrandbits(64)
        self._next_id = random.randint(REQUEST_ID_MIN, REQUEST_ID_MAX)
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- set-up ---------------------------------------------------------------------------------
    async def open(self, targets: Sequence[Target]) -> None:
        """Resolve every target once, encode each (community, profile) request once, open the sockets."""
        self._loop = loop = asyncio.get_running_loop()
        for target in targets:
            try:
                host = await self._address(target.host, target.port)
            except (OSError, IndexError) as exc:
                self._unresolved[target.ap] = f"cannot resolve {target.host!r}: {exc}"
                continue
            self._addr[target.ap] = (host, target.port)
            self._seen.setdefault((host, target.port), [0, "", 0, 0, 0])
            community = (target.community or "").encode()
            self._community[target.ap] = community
            if target.profile not in self._profiles:
                self._profiles[target.profile] = _Profile(target.profile)
            if target.version == "3":
                self._users[target.ap] = _User(target)
                continue
            key = (community, target.profile)
            if key not in self._gets:
                self._gets[key] = Template(community, PDU_GET, self._profiles[target.profile].oids)
        families = {socket.AF_INET6 if ":" in host else socket.AF_INET for host, _port in self._addr.values()}
        for family in sorted(families):
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _Protocol(self._received), family=family)
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.rcvbuf // 4)
            self._transports[family] = transport

    @staticmethod
    async def _address(host: str, port: int) -> str:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        return str(infos[0][4][0])

    def close(self) -> None:
        for entry in self._pending.values():
            if entry[4] is not None:
                entry[4].cancel()
            if not entry[0].done():
                entry[0].set_result(Failure("error", "session closed"))
        self._pending.clear()
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()

    # -- requests -------------------------------------------------------------------------------
    def request(self, addr: tuple[str, int], build: Callable[[int], bytes],
                decoder: Callable[[bytes], Any] = decode_response,
                community: bytes | None = None) -> asyncio.Future[Any]:
        """Send ``build(request_id)`` to ``addr``; the future gets ``decoder(reply)`` or a :class:`Failure`.

        With ``community``, a reply carrying another community is no answer (it is counted, and named
        if the request times out)."""
        assert self._loop is not None, "open() first"
        rid = self._next_id
        self._next_id = rid + 1 if rid < REQUEST_ID_MAX else REQUEST_ID_MIN
        future = self._loop.create_future()
        seen = self._seen.get(addr)
        entry = [future, addr, build(rid), self.retries, None, decoder,
                 (seen[0], seen[2], seen[4]) if seen is not None else (0, 0, 0), community]
        self._pending[rid] = entry
        self._send(rid, entry)
        return future

    def _send(self, rid: int, entry: list[Any]) -> None:
        transport = self._transports[socket.AF_INET6 if ":" in entry[1][0] else socket.AF_INET]
        transport.sendto(entry[2], entry[1])
        entry[4] = self._loop.call_later(self.timeout, self._expire, rid)  # type: ignore[union-attr]

    def _expire(self, rid: int) -> None:
        entry = self._pending.get(rid)
        if entry is None:
            return
        if entry[3] > 0 and self._transports:
            entry[3] -= 1
            self._send(rid, entry)
            return
        del self._pending[rid]
        if not entry[0].done():
            entry[0].set_result(self._no_answer(entry))

    def _no_answer(self, entry: list[Any]) -> Failure:
        """The failure of a request that got no reply it could use, saying what the agent did send."""
        seen = self._seen.get(entry[1]) or [0, "", 0, 0, 0]
        garbage, unmatched, foreign = seen[0] - entry[6][0], seen[2] - entry[6][1], seen[4] - entry[6][2]
        if foreign:
            return Failure("timeout", f"no answer with this community; {foreign} reply(ies) to it carried another "
                                      "community (something between rewrites it, or the replies are spoofed)",
                           {"replies_unmatched": foreign})
        if garbage:
            return Failure("malformed", f"no valid reply: {garbage} datagram(s) from the agent could not be "
                                        f"decoded (last: {seen[1]})")
        if unmatched:
            return Failure("timeout", f"no answer to this request; {unmatched} reply(ies) carried request-ids "
                                      f"nothing was waiting for (last: {seen[3]})", {"replies_unmatched": unmatched})
        return Failure("timeout", "no answer (request timed out)")

    def _received(self, data: bytes, addr: Any) -> None:
        rid = peek_request_id(data)
        entry = self._pending.get(rid)
        foreign = entry is not None and entry[7] is not None and peek_community(data) != entry[7]
        if entry is None or entry[1][1] != addr[1] or entry[1][0] != addr[0] or foreign:
            self.stray += 1
            seen = self._seen.get((addr[0], addr[1]))
            if seen is not None:
                if foreign:
                    seen[4] += 1
                elif rid < 0:
                    seen[0] += 1
                    seen[1] = why_undecodable(data)
                else:
                    seen[2] += 1
                    seen[3] = rid
            return
        del self._pending[rid]
        entry[4].cancel()
        result: Any
        try:
            result = entry[5](data)
        except BerError as exc:
            if exc.version is not None:
                result = Failure("unsupported", f"the agent answered in {_version_name(exc.version)}: {exc}")
            else:
                result = Failure("malformed", f"malformed reply: {exc}")
        except usm.UsmError as exc:
            result = Failure("auth", f"authentication failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - the decoders raise only the above; never leave a request hanging
            result = Failure("malformed", f"malformed reply ({type(exc).__name__}: {str(exc)[:200]})")
        if not entry[0].done():
            entry[0].set_result(result)

    # -- SNMPv3 ---------------------------------------------------------------------------------
    async def _engine(self, addr: tuple[str, int]) -> usm.Engine | Failure:
        """The agent's engine (ID, boots, time), discovered once per address and shared."""
        known = self._engines.get(addr)
        if known is None:
            known = self._engines[addr] = asyncio.ensure_future(self._discover(addr))
        result: usm.Engine | Failure = await known
        return result

    async def _discover(self, addr: tuple[str, int]) -> usm.Engine | Failure:
        reply = await self.request(addr, usm.discovery, lambda data: usm.decode(data, None))
        if isinstance(reply, Failure) or not reply.engine_id:
            self._engines.pop(addr, None)
            return reply if isinstance(reply, Failure) else Failure("malformed", "discovery answered without an "
                                                                                 "engine ID")
        return usm.Engine(reply.engine_id, reply.boots, reply.time, time.monotonic())

    async def _v3(self, target: Target, pdu: Callable[[int], bytes]) -> Response | Failure:
        """One authenticated request; re-sent (bounded) after a time-window or unknown-engine Report."""
        user = self._users[target.ap]
        addr = self._addr[target.ap]
        for _attempt in range(V3_RESYNCS + 1):
            engine = await self._engine(addr)
            if isinstance(engine, Failure):
                return engine
            cache_key = (engine.engine_id, user.auth_protocol, user.auth_key, user.priv_key)
            keys = self._keys.get(cache_key)
            if keys is None:
                keys = self._keys[cache_key] = usm.Keys.derive(engine.engine_id, user.auth_protocol, user.auth_key,
                                                               user.priv_key, self._ku)
            engine_time = engine.now(time.monotonic())
            self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
            salt = self._salt

            def build(rid: int, e: usm.Engine = engine, t: int = engine_time, k: usm.Keys = keys,
                      s: int = salt) -> bytes:
                return usm.encode(rid, e, t, user.name, k, pdu(rid), s)

            def verify(data: bytes, k: usm.Keys = keys) -> usm.Reply:
                return usm.decode(data, k)

            reply = await self.request(addr, build, verify)
            if isinstance(reply, Failure):
                return reply
            report = reply.report()
            if report is None:
                return reply.response  # type: ignore[no-any-return]
            kind, message = report
            if kind == "time":
                engine.boots, engine.time, engine.seen = reply.boots, reply.time, time.monotonic()
                continue
            if kind == "engine":
                self._engines.pop(addr, None)
                continue
            return Failure(kind, f"authentication failed: {message}" if kind == "auth" else message)
        return Failure("error", "the agent kept answering with time-window or engine-ID reports")

    # -- polls ----------------------------------------------------------------------------------
    def _get(self, target: Target, profile: _Profile) -> Any:
        if target.version == "3":
            return self._v3(target, profile.get_pdu.build)
        community = self._community[target.ap]
        return self.request(self._addr[target.ap], self._gets[(community, target.profile)].build,
                            community=community)

    def _bulk(self, target: Target, oids: list[Oid], reps: int) -> Any:
        if target.version == "3":
            return self._v3(target, PduTemplate(PDU_GETBULK, oids, max_repetitions=reps).build)
        community = self._community[target.ap]
        return self.request(self._addr[target.ap], lambda rid: encode_getbulk(community, rid, oids, reps),
                            community=community)

    async def _scalars(self, target: Target, profile: _Profile) -> tuple[RawScalars, float]:
        started = time.perf_counter()
        reply = await self._get(target, profile)
        rtt_ms = (time.perf_counter() - started) * 1000
        varbinds = _checked(reply)
        names = profile.names
        if len(varbinds) != len(names):
            raise Failure("malformed", f"GET of {len(names)} OIDs answered with {len(varbinds)} values")
        out: RawScalars = {}
        for name, wanted, (oid, typed) in zip(names, profile.oids, varbinds, strict=True):
            if oid != wanted:
                raise Failure("malformed", f"GET of {_dotted(wanted)} answered for {_dotted(oid)}")
            out[name] = typed
        return out, rtt_ms

    async def _tables(self, target: Target, profile: _Profile) -> RawTables:
        columns = profile.columns
        out: RawTables = {}
        fill_tables(out, columns, await self.walk(target, [prefix for _t, _c, prefix in columns]))
        fallback = [(t, c, oid_of(o)) for t, c, o in PROFILES[target.profile].fallback_columns(out)]
        if fallback:  # e.g. 32-bit octets of an agent without ifXTable
            fill_tables(out, fallback, await self.walk(target, [prefix for _t, _c, prefix in fallback]))
        return out

    async def walk(self, target: Target, prefixes: Sequence[Oid]) -> list[dict[str, tuple[str, Any]]]:
        """Walk the columns ``prefixes`` together by GETBULK: per column ``{index: (type, value)}``.

        Follows :class:`netctl.poll.walk.Walk`: a reply breaking the rule is asked for again (up to
        :data:`WALK_ROUND_ATTEMPTS` times); at most ``max_walk_rounds`` rounds. Raises
        :class:`Failure` (timeout, auth, malformed, partial, unsupported, error).
        """
        state = Walk(prefixes, max_repetitions=self.max_repetitions, max_rounds=self.max_walk_rounds)
        while not state.done:
            try:
                keys, oids = state.next_request()
            except WalkError as exc:
                raise Failure(exc.kind, str(exc)) from None
            problem: Failure | WalkError | None = None
            for _attempt in range(WALK_ROUND_ATTEMPTS):
                try:
                    state.absorb(keys, _checked(await self._bulk(target, oids, self.max_repetitions)))
                    problem = None
                    break
                except WalkError as exc:
                    problem = exc
                except Failure as exc:
                    problem = exc
                    break  # timeouts were already re-sent; an agent's error-status stays what it said
            if problem is not None:
                if problem.kind == "malformed":
                    raise Failure("malformed", str(problem))
                failed = state.failed(problem.kind, str(problem))
                raise Failure(failed.kind, str(failed))
        return state.rows

    async def answers_small_get(self, target: Target) -> bool:
        """True when the agent answers a one-OID GET (sysUpTime) with these credentials."""
        community = self._community.get(target.ap)
        if community is None or target.ap not in self._addr:
            return False
        if target.version == "3":
            answer = await self._v3(target, self._uptime_pdu.build)
            return isinstance(answer, Response) and not answer.error_status
        template = self._uptime.get(community)
        if template is None:
            template = self._uptime[community] = Template(community, PDU_GET, [SYS_UPTIME])
        reply = await self.request(self._addr[target.ap], template.build, community=community)
        return isinstance(reply, Response) and not reply.error_status

    async def poll_one(self, target: Target) -> PollResult:
        """Poll one AP: scalars by GET and tables by GETBULK at the same time. Never raises."""
        ts = time.time()
        if target.ap not in self._addr:
            return PollResult(target.ap, False, error_kind="error",
                              error=self._unresolved.get(target.ap, "target not registered"), ts=ts)
        profile = self._profiles[target.profile]
        try:
            if profile.columns:
                got = await asyncio.gather(self._scalars(target, profile), self._tables(target, profile),
                                           return_exceptions=True)
                scalars, rtt_ms = _first_of(got)
                tables = got[1]
                if isinstance(tables, BaseException):
                    raise _tables_failed(tables)
            else:
                scalars, rtt_ms = await self._scalars(target, profile)
                tables = {}
            values = decode(PROFILES[target.profile], scalars, tables)
        except Failure as exc:
            return PollResult(target.ap, False, error_kind=exc.kind, error=str(exc), values=dict(exc.seen), ts=ts)
        except Exception as exc:  # noqa: BLE001 - a poll failure is data, never an abort
            from netctl.errors import PollError

            if isinstance(exc, PollError):
                return PollResult(target.ap, False, error_kind=exc.kind, error=exc.message, ts=ts)
            logger.exception("%s: unexpected %s polling it (a bug, not an answer of the agent)",
                             target.ap, type(exc).__name__)
            return PollResult(target.ap, False, error_kind="error", error=f"{type(exc).__name__}: {exc}", ts=ts,
                              **caught(exc))
        return PollResult(target.ap, True, latency_ms=round(rtt_ms, 2), values=values, ts=ts)


#: SNMP error-status values that mean "you may not read this"
AUTH_STATUS = frozenset({6, 16})
STATUS_NAMES = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess",
                16: "authorizationError"}


def _first_of(got: Sequence[Any]) -> Any:
    """The scalars' result of a gather(..., return_exceptions=True); their failure decides first."""
    if isinstance(got[0], BaseException):
        raise got[0]
    return got[0]


def _tables_failed(exc: BaseException) -> BaseException:
    """A table walk's failure when the scalars were answered: a walk that timed out is ``partial``."""
    if isinstance(exc, Failure) and exc.kind == "timeout":
        return Failure("partial", f"the agent answered the GET, but its tables did not arrive ({exc})")
    return exc


def _version_name(version: int) -> str:
    return {0: "SNMPv1", 1: "SNMPv2c", 3: "SNMPv3"}.get(version, f"SNMP version {version}")


def why_undecodable(data: bytes) -> str:
    """Why a datagram that matched no request could not be read (bounded: the decoders are)."""
    from netctl.poll.ber import decode_response

    try:
        if data[:1] == b"\x30" and b"\x02\x01\x03" in data[:8]:
            usm.decode(data, None)
        else:
            decode_response(data)
    except (BerError, usm.UsmError) as exc:
        return f"{exc} in {len(data)} octets"
    except Exception as exc:  # noqa: BLE001 - a description only
        return f"{type(exc).__name__} in {len(data)} octets"
    return f"a message without a readable request-id, {len(data)} octets"


def _checked(reply: Response | Failure) -> list[tuple[Oid, tuple[str, Any]]]:
    if isinstance(reply, Failure):
        raise reply
    code = reply.error_status
    if code:
        where = ""
        index = reply.error_index
        if 0 < index <= len(reply.varbinds):
            where = " at " + _dotted(reply.varbinds[index - 1][0])
        raise Failure("auth" if code in AUTH_STATUS else "error",
                      f"agent answered {STATUS_NAMES.get(code, code)}{where}")
    return reply.varbinds


def _dotted(oid: Sequence[int]) -> str:
    return ".".join(map(str, oid))
