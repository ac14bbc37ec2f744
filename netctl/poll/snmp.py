"""SNMP I/O only: every AP polled concurrently under a cap, on the fast path or one pysnmp engine.

SNMPv2c targets, and SNMPv3 targets with HMAC-MD5/SHA-96 and no privacy or AES-128, go through the
fast path (:mod:`netctl.poll.fast`: requests encoded once, one datagram socket, a small strict BER
decoder, USM with ``cryptography``), about ten times cheaper in CPU per AP. Everything else (SNMPv1,
SHA-2, DES, AES-192/256), and every target when ``fast=False``, goes through pysnmp, which stays the
reference implementation; the lab tests compare both paths value for value.

What makes the pysnmp path fast (measured figures in docs/polling.md):

- one :class:`SnmpEngine` per process, its UDP socket opened once with a large receive buffer, so a
  burst of replies is not dropped by the kernel;
- every target (address, community or USM user) registered before the first request is sent: adding
  targets while traffic flows makes pysnmp rebuild its maps per target;
- requests go through pysnmp's command generators with ready-made ``(ObjectName, Null)`` varbinds
  built once per profile, and replies are never resolved against a MIB;
- tables are fetched by GETBULK over all wanted columns at once, bounded in rounds, stopping per
  column at the end of its table.

Failures are data: each AP gets a :class:`PollResult` whose ``error_kind`` is one of
:data:`netctl.poll.model.ERROR_KINDS`. A v2c agent ignores a wrong community silently, so after a
timeout the poller sends one SNMPv3 engine-discovery probe: an agent whose engine answers it with a
well-formed Report to that very probe is alive and refused the community (``auth``); datagrams that
cannot be decoded make the AP ``malformed``; anything else, or nothing, leaves it a ``timeout``.

Every AP has a deadline (:func:`ap_deadline`) and the whole poll one too (:func:`poll_deadline`): an
AP still unfinished then is a ``timeout`` result saying so, and the others are returned as usual.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Sequence
from typing import Any

from netctl.errors import PollError
from netctl.poll.decode import RawScalars, RawTables, decode, fill_tables
from netctl.poll.model import PollResult, Target
from netctl.poll.oids import PROFILES, Profile
from netctl.poll.walk import Walk, WalkError
from netctl.results import caught
from netctl.runner import Event, Proceed, Progress

logger = logging.getLogger(__name__)

RCVBUF_BYTES = 8 * 1024 * 1024
MAX_REPETITIONS = 10
#: bound of GETBULK rounds per table walk: MAX_REPETITIONS x this many rows per column (20,000)
MAX_WALK_ROUNDS = 2000
#: GETBULK rounds whose reply breaks the walk rule are sent this many times in all
WALK_ROUND_ATTEMPTS = 2
#: requests an AP's poll makes at most in sequence, in timeouts (GET and the walk run side by side;
#: a healthy walk of a few hundred rows takes a few rounds of milliseconds each)
AP_DEADLINE_TIMEOUTS = 18

AUTH_PROTOCOLS = {"MD5": "USM_AUTH_HMAC96_MD5", "SHA": "USM_AUTH_HMAC96_SHA", "SHA1": "USM_AUTH_HMAC96_SHA",
                  "SHA224": "USM_AUTH_HMAC128_SHA224", "SHA256": "USM_AUTH_HMAC192_SHA256",
                  "SHA384": "USM_AUTH_HMAC256_SHA384", "SHA512": "USM_AUTH_HMAC384_SHA512"}
PRIV_PROTOCOLS = {"DES": "USM_PRIV_CBC56_DES", "3DES": "USM_PRIV_CBC168_3DES", "AES": "USM_PRIV_CFB128_AES",
                  "AES128": "USM_PRIV_CFB128_AES", "AES192": "USM_PRIV_CFB192_AES",
                  "AES256": "USM_PRIV_CFB256_AES"}
AUTH_INDICATIONS = frozenset({"UnknownUserName", "WrongDigest", "AuthenticationError", "AuthenticationFailure",
                              "DecryptionError", "UnsupportedSecurityLevel", "UnknownSecurityName",
                              "NoAuthentication", "UnknownCommunityName", "NoAccessEntry", "NotInView",
                              "NoSuchView", "NoGroupName", "UnsupportedAuthProtocol",
                              "UnsupportedPrivProtocol"})
MALFORMED_INDICATIONS = frozenset({"ParseError", "DeserializationError", "OidNotIncreasing", "DataMismatch",
                                   "EmptyResponse", "InvalidMsg"})
#: SNMP error-status values that mean "you may not read this"
AUTH_STATUS = frozenset({6, 16})  # noAccess, authorizationError
STATUS_NAMES = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess",
                16: "authorizationError"}
MISSING_TYPES = {"NoSuchObject": "noSuchObject", "NoSuchInstance": "noSuchInstance",
                 "EndOfMibView": "endOfMibView"}


class _Failure(PollError):
    """A failed request of the pysnmp path, with its error kind (see :data:`netctl.poll.model.ERROR_KINDS`)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message, kind=kind)


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.strip(".").split("."))


def typed(value: Any) -> tuple[str, Any]:
    """A pyasn1 SNMP value as ``(SMI type name, plain Python value)``."""
    name = type(value).__name__
    if name in MISSING_TYPES:
        return MISSING_TYPES[name], None
    if name in ("Integer", "Integer32", "Counter32", "Counter64", "Gauge32", "Unsigned32", "TimeTicks"):
        return name, int(value)
    if name == "ObjectIdentifier":
        return name, ".".join(str(p) for p in value)
    if name == "IpAddress":
        return name, value.prettyPrint()
    if name in ("OctetString", "Opaque", "Bits"):
        raw = bytes(value)
        try:
            text = raw.decode("utf-8")
            if text.isprintable() or not raw:
                return "OctetString", text
        except UnicodeDecodeError:
            pass
        return "OctetString", "0x" + raw.hex()
    if name == "Null":
        return "noSuchObject", None
    return name, value.prettyPrint()


class SnmpSession:
    """One pysnmp engine with every target registered, ready to poll them concurrently."""

    def __init__(self, *, timeout: float = 2.0, retries: int = 1, max_repetitions: int = MAX_REPETITIONS,
                 rcvbuf: int = RCVBUF_BYTES) -> None:
        self.timeout = timeout
        self.retries = retries
        self.max_repetitions = max_repetitions
        self.rcvbuf = rcvbuf
        self._addr: dict[str, str] = {}
        self._scalar_binds: dict[str, tuple[list[str], list[Any]]] = {}
        self._columns: dict[str, list[tuple[str, str, tuple[int, ...]]]] = {}
        self._first_walk: dict[str, list[Any]] = {}
        self.engine: Any = None

    # -- set-up ---------------------------------------------------------------------------------
    async def open(self, targets: Sequence[Target]) -> None:
        """Create the engine, open its sockets (big receive buffer) and register every target."""
        from pysnmp.carrier.asyncio.dgram import udp, udp6
        from pysnmp.entity import config as engine_config
        from pysnmp.entity.rfc3413 import cmdgen, config
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine
        from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD

        self.engine = SnmpEngine()
        self._get = cmdgen.GetCommandGenerator()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()
        families = {":" in t.host for t in targets}
        for ipv6 in sorted(families):
            module = udp6 if ipv6 else udp
            cls = module.Udp6AsyncioTransport if ipv6 else module.UdpAsyncioTransport
            transport = cls().open_client_mode()
            await transport._lport
            sock = transport.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            engine_config.add_transport(self.engine, module.DOMAIN_NAME, transport)
        # pysnmp keeps targets as SNMP-TARGET-MIB rows; writing one costs ~2 ms of MIB instrumentation,
        # so 10,000 APs would take 20 s to register. Only one target per credential set goes through
        # the MIB (it creates the community/user and the parameters row); the others are kept in a
        # plain table of this engine that the target lookup consults first (see _install_target_lookup).
        auth_cache: dict[tuple[Any, ...], Any] = {}
        templates: dict[tuple[Any, ...], str] = {}
        keys = []
        for target in targets:
            self._prepare_profile(target.profile)
            auth = self._auth(target, auth_cache)
            key = (id(auth), ":" in target.host)
            keys.append(key)
            if key not in templates:  # first pass: the MIB rows, all written before any cache entry
                transport_target = await self._transport_target(target)
                templates[key], _params = LCD.configure(self.engine, auth, transport_target, b"")
                self._addr[target.ap] = templates[key]
        _install_target_lookup()
        entries = {key: config.get_target_info(self.engine, name) for key, name in templates.items()}
        table: dict[str, tuple[Any, ...]] = {}
        for number, (target, key) in enumerate(zip(targets, keys, strict=True)):
            if target.ap in self._addr:
                continue
            domain, template_addr, *rest = entries[key]
            address = type(template_addr)((target.host, target.port))
            address.set_local_address(template_addr.get_local_address())
            addr_name = f"netctl{number}"
            table[addr_name] = (domain, address, *rest)
            self._addr[target.ap] = addr_name
        self.engine.set_user_context(netctlTargets=table)

    def _auth(self, target: Target, cache: dict[tuple[Any, ...], Any]) -> Any:
        from pysnmp.hlapi.v3arch import asyncio as hlapi

        if target.version in ("1", "2c", "2"):
            key: tuple[Any, ...] = ("c", target.version, target.community)
            if key not in cache:
                cache[key] = hlapi.CommunityData(target.community or "", mpModel=0 if target.version == "1" else 1)
            return cache[key]
        key = ("u", target.user, target.auth_protocol, target.auth_key, target.priv_protocol, target.priv_key)
        if key not in cache:
            auth_proto = getattr(hlapi, AUTH_PROTOCOLS.get((target.auth_protocol or "SHA").upper(),
                                                           "USM_AUTH_HMAC96_SHA"))
            priv_proto = getattr(hlapi, PRIV_PROTOCOLS.get((target.priv_protocol or "AES").upper(),
                                                           "USM_PRIV_CFB128_AES"))
            cache[key] = hlapi.UsmUserData(
                target.user or "", authKey=target.auth_key,
                privKey=target.priv_key,
                authProtocol=auth_proto if target.auth_key else hlapi.USM_AUTH_NONE,
                privProtocol=priv_proto if target.priv_key else hlapi.USM_PRIV_NONE,
            )
        return cache[key]

    async def _transport_target(self, target: Target) -> Any:
        from pysnmp.hlapi.v3arch.asyncio import Udp6TransportTarget, UdpTransportTarget

        cls = Udp6TransportTarget if ":" in target.host else UdpTransportTarget
        try:
            ipaddress.ip_address(target.host)
        except ValueError:
            return await cls.create((target.host, target.port), timeout=self.timeout, retries=self.retries)
        # an address literal needs no resolver round trip (10,000 of them would cost seconds)
        transport_target = cls.__new__(cls)
        transport_target.transport_address = (target.host, target.port)
        transport_target.__init__(timeout=self.timeout, retries=self.retries)
        return transport_target

    def _prepare_profile(self, name: str) -> None:
        if name in self._scalar_binds:
            return
        from pysnmp.proto.rfc1902 import Null, ObjectName

        profile = PROFILES[name]
        names = list(profile.scalars)
        self._scalar_binds[name] = (names, [(ObjectName(profile.scalars[n]), Null()) for n in names])
        self._columns[name] = [(table, column, _oid(spec.column_oid(column)))
                               for table, spec in profile.tables.items() for column in spec.columns]
        self._first_walk[name] = [(ObjectName(prefix), Null()) for _t, _c, prefix in self._columns[name]]

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close_dispatcher()
            self.engine = None

    # -- requests -------------------------------------------------------------------------------
    def _send_get(self, addr: str, varbinds: list[Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._get.send_varbinds(self.engine, addr, None, b"", varbinds, _resolve, future)
        return future

    def _send_bulk(self, addr: str, varbinds: list[Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._bulk.send_varbinds(self.engine, addr, None, b"", 0, self.max_repetitions, varbinds, _resolve, future)
        return future

    async def _scalars(self, target: Target) -> tuple[RawScalars, float]:
        names, varbinds = self._scalar_binds[target.profile]
        started = time.perf_counter()
        indication, status, index, reply = await self._send_get(self._addr[target.ap], varbinds)
        rtt_ms = (time.perf_counter() - started) * 1000
        _check(indication, status, index, reply)
        if len(reply) != len(names):
            raise _Failure("malformed", f"GET of {len(names)} OIDs answered with {len(reply)} values")
        out: RawScalars = {}
        for name, (oid, value) in zip(names, reply, strict=True):
            if tuple(oid) != _oid(PROFILES[target.profile].scalars[name]):
                raise _Failure("malformed", f"GET of {PROFILES[target.profile].scalars[name]} answered for {oid}")
            out[name] = typed(value)
        return out, rtt_ms

    async def _tables(self, target: Target) -> RawTables:
        """The profile's columns by GETBULK (and its fallback tables when needed), by the walk rule."""
        columns = self._columns[target.profile]
        out: RawTables = {}
        fill_tables(out, columns, await self._walk(target, [prefix for _t, _c, prefix in columns],
                                                   self._first_walk[target.profile]))
        fallback = [(t, c, _oid(o)) for t, c, o in PROFILES[target.profile].fallback_columns(out)]
        if fallback:  # e.g. 32-bit octets of an agent without ifXTable
            fill_tables(out, fallback, await self._walk(target, [prefix for _t, _c, prefix in fallback]))
        return out

    async def _walk(self, target: Target, prefixes: list[tuple[int, ...]],
                    first: list[Any] | None = None) -> list[dict[str, tuple[str, Any]]]:
        """Walk ``prefixes`` by :class:`netctl.poll.walk.Walk` (``first``: ready-made varbinds of round 1)."""
        from pysnmp.proto.rfc1902 import Null, ObjectName

        state = Walk(prefixes, max_repetitions=self.max_repetitions, max_rounds=MAX_WALK_ROUNDS)
        addr = self._addr[target.ap]
        while not state.done:
            try:
                keys, oids = state.next_request()
            except WalkError as exc:
                raise _Failure(exc.kind, str(exc)) from None
            varbinds = (first if state.rounds == 0 and first is not None
                        else [(ObjectName(oid), Null()) for oid in oids])
            problem: _Failure | WalkError | None = None
            for _attempt in range(WALK_ROUND_ATTEMPTS):
                try:
                    indication, status, index, reply = await self._send_bulk(addr, varbinds)
                    _check(indication, status, index, reply)
                    state.absorb(keys, [(tuple(name), typed(value)) for name, value in reply or ()])
                    problem = None
                    break
                except WalkError as exc:
                    problem = exc
                except _Failure as exc:
                    problem = exc
                    break
            if problem is not None:
                if problem.kind == "malformed":
                    raise _Failure("malformed", str(problem))
                failed = state.failed(problem.kind, str(problem))
                raise _Failure(failed.kind, str(failed))
        return state.rows

    async def answers_small_get(self, target: Target) -> bool:
        """True when the agent answers a one-OID GET (sysUpTime) with these credentials."""
        from pysnmp.proto.rfc1902 import Null, ObjectName

        try:
            indication, status, _index, _reply = await self._send_get(
                self._addr[target.ap], [(ObjectName("1.3.6.1.2.1.1.3.0"), Null())])
        except Exception:  # noqa: BLE001 - any failure means "no"
            return False
        return not indication and not int(status or 0)

    async def poll_one(self, target: Target) -> PollResult:
        """Poll one AP: scalars by GET and tables by GETBULK at the same time. Never raises."""
        ts = time.time()
        if target.ap not in self._addr:
            return PollResult(target.ap, False, error_kind="error", error="target not registered", ts=ts)
        profile: Profile = PROFILES[target.profile]
        bound = ap_deadline(self.timeout, self.retries)
        try:
            got = await asyncio.wait_for(
                asyncio.gather(self._scalars(target), self._tables(target), return_exceptions=True), bound)
            if isinstance(got[0], BaseException):
                raise got[0]
            scalars, rtt_ms = got[0]
            tables = got[1]
            if isinstance(tables, BaseException):
                if isinstance(tables, _Failure) and tables.kind == "timeout":
                    raise _Failure("partial", f"the agent answered the GET, but its tables did not arrive ({tables})")
                raise tables
            values = decode(profile, scalars, tables)
        except _Failure as exc:
            return PollResult(target.ap, False, error_kind=exc.kind, error=str(exc), ts=ts)
        except TimeoutError:
            return PollResult(target.ap, False, error_kind="timeout", error=f"no complete answer within {bound:.0f} s",
                              ts=ts)
        except Exception as exc:  # noqa: BLE001 - a poll failure is data, never an abort
            from netctl.errors import PollError

            if isinstance(exc, PollError):
                return PollResult(target.ap, False, error_kind=exc.kind, error=exc.message, ts=ts)
            logger.exception("%s: unexpected %s polling it (a bug, not an answer of the agent)",
                             target.ap, type(exc).__name__)
            return PollResult(target.ap, False, error_kind="error", error=f"{type(exc).__name__}: {exc}", ts=ts,
                              **caught(exc))
        return PollResult(target.ap, True, latency_ms=round(rtt_ms, 2), values=values, ts=ts)


def _install_target_lookup() -> None:
    """Let pysnmp's command generators find targets in the engine's ``netctlTargets`` table first.

    The entries have exactly the shape pysnmp's own ``get_target_info`` returns for a MIB row
    (domain, address, timeout, retries, mp model, security model, name, level); targets not in the
    table fall through to pysnmp. Installed once per process; other engines are unaffected.
    """
    from pysnmp.entity.rfc3413 import config

    if getattr(config.get_target_info, "netctl_lookup", False):
        return
    original = config.get_target_info

    def get_target_info(engine: Any, name: Any) -> Any:
        table = engine.get_user_context("netctlTargets")
        if table is not None and name in table:
            return table[name]
        return original(engine, name)

    get_target_info.netctl_lookup = True  # type: ignore[attr-defined]
    config.get_target_info = get_target_info


def _resolve(engine: Any, handle: Any, indication: Any, status: Any, index: Any, varbinds: Any,
             future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result((indication, status, index, varbinds))


def _check(indication: Any, status: Any, index: Any, reply: Any) -> None:
    if indication:
        name = type(indication).__name__
        if name == "RequestTimedOut":
            raise _Failure("timeout", "no answer (request timed out)")
        if name in AUTH_INDICATIONS:
            raise _Failure("auth", f"authentication failed: {indication}")
        if name in MALFORMED_INDICATIONS:
            raise _Failure("malformed", f"malformed reply: {indication}")
        raise _Failure("error", str(indication))
    if status and int(status):
        code = int(status)
        where = ""
        if index and reply and 0 < int(index) <= len(reply):
            where = " at " + ".".join(str(p) for p in reply[int(index) - 1][0])
        kind = "auth" if code in AUTH_STATUS else "error"
        raise _Failure(kind, f"agent answered {STATUS_NAMES.get(code, code)}{where}")


class _Probe(asyncio.DatagramProtocol):
    def __init__(self, msg_id: int) -> None:
        self.msg_id = msg_id
        self.answered: asyncio.Event = asyncio.Event()
        self.verdict: tuple[str, str] | None = None

    def datagram_received(self, data: bytes, addr: Any) -> None:
        verdict = probe_verdict(data, self.msg_id)
        if verdict is None:
            return
        if self.verdict is None or verdict[0] == "engine":
            self.verdict = verdict
        if verdict[0] == "engine":
            self.answered.set()


def probe_verdict(data: bytes, msg_id: int) -> tuple[str, str] | None:
    """What one datagram answering the discovery probe ``msg_id`` tells (pure).

    ``("engine", engine ID)`` for a well-formed SNMPv3 Report or Response to this very probe with an
    engine ID; ``("garbage", why)`` for a datagram that cannot be decoded; None for a well-formed
    message that does not answer this probe (another msgID, no engine ID): it proves nothing.
    """
    from netctl.poll import usm
    from netctl.poll.ber import BerError

    try:
        reply = usm.decode(data, None)
    except BerError as exc:
        if exc.version is not None:
            return None
        return "garbage", f"{exc} in {len(data)} octets"
    except usm.UsmError:
        return None
    if reply.msg_id != msg_id or not reply.engine_id:
        return None
    return "engine", reply.engine_id.hex()


async def probe_agent(host: str, port: int, timeout: float) -> tuple[str, str] | None:
    """Send one SNMPv3 engine-discovery probe to ``host:port``; see :func:`probe_verdict`.

    Waits up to ``timeout`` for an engine's answer; returns it, else the first undecodable datagram
    seen (``garbage``), else None.
    """
    import random

    from netctl.poll import usm

    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    msg_id = random.randint(1 << 16, (1 << 31) - 1)
    try:
        transport, protocol = await loop.create_datagram_endpoint(lambda: _Probe(msg_id), remote_addr=(host, port),
                                                                  family=family)
    except OSError:
        return None
    try:
        transport.sendto(usm.discovery(msg_id))
        try:
            await asyncio.wait_for(protocol.answered.wait(), timeout)
        except TimeoutError:
            pass
        return protocol.verdict
    finally:
        transport.close()


async def agent_alive(host: str, port: int, timeout: float) -> bool:
    """True when an SNMP engine answers a v3 discovery probe at ``host:port`` within ``timeout``."""
    verdict = await probe_agent(host, port, timeout)
    return verdict is not None and verdict[0] == "engine"


class _SmallGet(asyncio.DatagramProtocol):
    def __init__(self, request_id: int, community: bytes) -> None:
        self.request_id = request_id
        self.community = community
        self.verdict: str | None = None
        self.done: asyncio.Event = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        from netctl.poll.ber import BerError, decode_response

        try:
            reply = decode_response(data)
        except BerError:
            return
        if reply.request_id == self.request_id and reply.community == self.community:
            self.verdict = "answered" if not reply.error_status else None
            self.done.set()
        elif self.verdict is None:
            self.verdict = "unmatched" if reply.community == self.community else "community"


async def small_get(target: Target, timeout: float) -> str | None:
    """Send one SNMPv2c GET of sysUpTime with the target's community from a socket of its own.

    ``"answered"`` when the reply to it arrives (without an error-status), ``"unmatched"`` when only
    well-formed replies to other request-ids came back (the agent is alive but broken: not ``auth``),
    ``"community"`` when the replies carried another community, None for nothing.
    """
    import random

    from netctl.poll.ber import PDU_GET, REQUEST_ID_MAX, REQUEST_ID_MIN, Template

    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in target.host else socket.AF_INET
    request_id = random.randint(REQUEST_ID_MIN, REQUEST_ID_MAX)
    community = (target.community or "").encode()
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _SmallGet(request_id, community), remote_addr=(target.host, target.port), family=family)
    except OSError:
        return None
    try:
        template = Template(community, PDU_GET, [(1, 3, 6, 1, 2, 1, 1, 3, 0)])
        transport.sendto(template.build(request_id))
        try:
            await asyncio.wait_for(protocol.done.wait(), timeout)
        except TimeoutError:
            pass
        return protocol.verdict
    finally:
        transport.close()


def ap_deadline(timeout: float, retries: int) -> float:
    """Seconds one AP's poll may take at most, however its agent answers."""
    return timeout * (retries + 1) * AP_DEADLINE_TIMEOUTS + 5


def poll_deadline(count: int, concurrency: int, timeout: float, retries: int) -> float:
    """Seconds a whole poll of ``count`` APs may take at most: every lane's APs at their deadline."""
    lanes = max(1, min(concurrency, count))
    return ap_deadline(timeout, retries) * -(-count // lanes) + 10


def engine_groups(targets: Sequence[Target]) -> list[list[Target]]:
    """Split targets so that no engine holds two different key sets for one SNMPv3 user name.

    pysnmp keeps one USM entry per user name until the agent's engine ID is known, so APs that share a
    user name with different keys (per-site keys, or a wrong key being reported) need their own engine.
    Usually this is one group.
    """
    groups: list[tuple[dict[str, tuple[Any, ...]], list[Target]]] = []
    for target in targets:
        creds = (target.auth_protocol, target.auth_key, target.priv_protocol, target.priv_key)
        for users, members in groups:
            if target.version != "3" or users.get(target.user or "", creds) == creds:
                if target.version == "3":
                    users[target.user or ""] = creds
                members.append(target)
                break
        else:
            groups.append(({target.user or "": creds} if target.version == "3" else {}, [target]))
    return [members for _users, members in groups]


async def poll_async(targets: Sequence[Target], *, concurrency: int = 200, timeout: float = 2.0,
                     retries: int = 1, max_repetitions: int = MAX_REPETITIONS,
                     progress: Progress | None = None, fast: bool = True, deadline: float | None = None,
                     proceed: Proceed | None = None) -> list[PollResult]:
    """Poll ``targets``, at most ``concurrency`` in flight; one result per target, in order.

    SNMPv2c targets go through the fast path (:mod:`netctl.poll.fast`) unless ``fast`` is false; the
    others (SNMPv1, SNMPv3) through one pysnmp engine per group of compatible credentials.

    Each AP ends within :func:`ap_deadline` and the poll within ``deadline`` seconds (default
    :func:`poll_deadline`); an AP cut off by either is a ``timeout`` result naming the deadline.

    ``progress`` gets ``Event(ap, "done", result)`` as each AP ends. Once ``proceed`` (asked before
    each AP) says no, no further AP is polled and those not polled have no result.
    """
    from netctl.poll.fast import FastSession, fast_capable

    loop = asyncio.get_running_loop()
    default_handler = loop.get_exception_handler()

    def quiet_late_replies(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # a reply to an abandoned retry can arrive after its engine closed: nothing waits for it
        if "Unregistered transport" in str(context.get("exception", "")):
            return
        if default_handler is not None:
            default_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    fast_targets = [t for t in targets if fast and fast_capable(t)]
    engine_targets = [t for t in targets if not (fast and fast_capable(t))]
    sessions: list[Any] = []
    session_of: dict[str, Any] = {}
    if engine_targets:
        loop.set_exception_handler(quiet_late_replies)
    try:
        if fast_targets:
            fast_session = FastSession(timeout=timeout, retries=retries, max_repetitions=max_repetitions,
                                       max_walk_rounds=MAX_WALK_ROUNDS)
            sessions.append(fast_session)
            await fast_session.open(fast_targets)
            session_of.update((t.ap, fast_session) for t in fast_targets)
        for group in engine_groups(engine_targets):
            session = SnmpSession(timeout=timeout, retries=retries, max_repetitions=max_repetitions)
            sessions.append(session)
            await session.open(group)
            session_of.update((t.ap, session) for t in group)

        ends_at = loop.time() + (deadline if deadline is not None
                                 else poll_deadline(len(targets), concurrency, timeout, retries))
        per_ap = ap_deadline(timeout, retries)

        async def one(target: Target) -> PollResult:
            left = min(per_ap, ends_at - loop.time())
            started = time.time()
            try:
                if left <= 0:
                    raise TimeoutError
                return await asyncio.wait_for(checked(target), left)
            except TimeoutError:
                which = "this AP's" if left >= per_ap else "the poll's"
                result = PollResult(target.ap, False, error_kind="timeout", ts=started,
                                    error=(f"no complete answer within {left:.1f} s ({which} deadline)" if left > 0
                                           else "not polled: the poll's deadline had passed"))
                if progress is not None:
                    progress(Event(result.ap, "done", result))
                return result

        async def checked(target: Target) -> PollResult:
            session = session_of[target.ap]
            result: PollResult = await session.poll_one(target)
            # an agent that answered with request-ids nobody sent is alive but broken: no probe makes it "auth"
            probe = result.error_kind == "timeout" and not result.values.get("replies_unmatched")
            seen = await probe_agent(target.host, target.port, min(timeout, 1.0)) if probe else None
            if seen is not None and seen[0] == "garbage":
                result.error_kind = "malformed"
                result.error = f"no valid reply: the agent answers with datagrams that cannot be decoded ({seen[1]})"
            elif seen is not None:
                small = (await small_get(target, min(timeout, 1.0)) if target.version in ("2c", "2")
                         else "answered" if await session.answers_small_get(target) else None)
                if small == "answered":
                    result.error = "the agent answers small requests but not a whole poll in time (overloaded?)"
                elif small == "unmatched":
                    result.error = ("no answer to these requests: the agent's replies carry request-ids nothing "
                                    "was waiting for (a broken agent, or replies spoofed)")
                elif small == "community":
                    result.error = ("no answer with this community: the agent's replies carry another community "
                                    "(something between rewrites it, or the replies are spoofed)")
                else:
                    result.error_kind = "auth"
                    result.values = {"engine_answers": True}
                    result.error = ("the agent answers SNMP but not to these credentials: "
                                    + ("wrong community, or this manager is not allowed" if target.version != "3"
                                       else "wrong privacy key?"))
            if progress is not None:
                progress(Event(result.ap, "done", result))
            return result

        results: list[PollResult | None] = [None] * len(targets)
        queue = iter(enumerate(targets))

        async def lane() -> None:
            # a fixed number of lanes pulling from one queue: ``concurrency`` polls in flight, no more
            for i, target in queue:
                if proceed is not None and not proceed():
                    return
                results[i] = await one(target)

        await asyncio.gather(*(lane() for _ in range(max(1, min(concurrency, len(targets))))))
        return [r for r in results if r is not None]
    finally:
        for session in sessions:
            session.close()


def poll_targets(targets: Sequence[Target], **options: Any) -> list[PollResult]:
    """Blocking wrapper of :func:`poll_async` (its own event loop; for a worker process or thread)."""
    if not targets:
        return []
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(poll_async(targets, **options))
    # called from inside an event loop (an async front end): poll on a thread of our own
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="netctl-poll") as pool:
        return pool.submit(asyncio.run, poll_async(targets, **options)).result()
