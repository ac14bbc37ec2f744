"""NETCONF over SSH (RFC 6241, RFC 6242) on paramiko: the I/O under the ``netconf`` driver.

One :class:`NetconfSession` per AP conversation: a paramiko SSH connection, the ``netconf`` subsystem
on a channel of it, the hello exchange, then one RPC at a time with its reply matched by
``message-id``. Framing is end-of-message (``]]>]]>``) or, when both sides advertise base:1.1, chunked.

Why not ncclient's session: measured on a 200-AP push, ncclient cost about 1.1 ms of controller CPU
per RPC (its reader thread per session, listener dispatch, per-chunk parsing in Python, an RPC
object per request) where this costs about 0.15 ms, and its reader thread handles a request only
on its next 0.1 s tick, so each RPC took ~100 ms of wall time. What stays the same:

- **errors**: the exceptions raised are ncclient's own types (``RPCError`` built from the reply's
  ``rpc-error`` elements as ncclient builds it, ``TimeoutExpiredError``, ``SessionCloseError``,
  ``SSHError``, ``AuthenticationError``, ``MissingCapabilityError``), so the driver's one translation
  table (:data:`netctl.drivers.netconf.EXCEPTIONS`) reads as before; any rpc-error raises, warnings
  included (ncclient's default ``RaiseMode.ALL``).
- **capabilities**: an operation that needs a capability the AP did not announce (``:candidate``,
  ``:confirmed-commit``, ``:rollback-on-error``) raises before anything is sent, as ncclient does.
- **host keys**: the AP's key goes to the caller's check after the key exchange and before
  authentication (nothing is sent to an AP whose key is refused); no ``known_hosts`` file is read.
- **authentication**: exactly as ncclient with ``allow_agent=False, look_for_keys=False``: the key
  file (the password doubles as its passphrase), then the password (see :func:`authenticate`).

The SSH connection prefers AEAD ciphers (AES-GCM: one pass for encryption and integrity, no separate
HMAC) and encrypt-then-MAC for the fallback; every algorithm paramiko offers stays offered, only the
order changes, for this connection only.

yuma123's netconfd leaves an RPC that reaches it in the same read as the client hello unprocessed
until more input comes, so the first RPC of a session, always a ``get-config`` here, is sent once more
when it has no answer after :data:`NUDGE_AFTER_S` (a read is harmless to repeat); whichever reply
comes first is used and the other is dropped when it arrives.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

import paramiko
from lxml import etree
from ncclient.operations.errors import MissingCapabilityError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError, NetconfFramingError, SessionCloseError, SSHError

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
BASE_1_0 = "urn:ietf:params:netconf:base:1.0"
BASE_1_1 = "urn:ietf:params:netconf:base:1.1"
CAPABILITY = "urn:ietf:params:netconf:capability:"
EOM = b"]]>]]>"
#: a reply larger than this is not a WLAN AP's managed config: the session is dropped
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: seconds to wait for an RPC's reply
RPC_TIMEOUT_S = 30
#: the first get-config of a session without an answer after this long is sent once more
NUDGE_AFTER_S = 1.0
#: the hello netctl sends: base 1.0 and 1.1 (chunked framing when the AP has 1.1 too)
HELLO = (
    f'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="{BASE_NS}"><capabilities>'
    f"<capability>{BASE_1_0}</capability><capability>{BASE_1_1}</capability></capabilities></hello>"
)
#: ciphers and MACs moved to the front of paramiko's own lists (nothing is added or removed)
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
PREFERRED_MACS = ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com")

_RECV = 65536
_REPLY = f"{{{BASE_NS}}}rpc-reply"
_ERROR = f"{{{BASE_NS}}}rpc-error"
_OK = f"{{{BASE_NS}}}ok"


def _preferred_first(offered: Iterable[str], preferred: Iterable[str]) -> tuple[str, ...]:
    offered = tuple(offered)
    first = tuple(name for name in preferred if name in offered)
    return first + tuple(name for name in offered if name not in first)


def prefer_aead(transport: paramiko.Transport) -> None:
    """Offer AES-GCM first, then encrypt-then-MAC, on this transport only (its own security options)."""
    options = transport.get_security_options()
    options.ciphers = _preferred_first(options.ciphers, PREFERRED_CIPHERS)
    options.digests = _preferred_first(options.digests, PREFERRED_MACS)


def authenticate(transport: paramiko.Transport, username: str, password: str | None, key_file: str | None) -> None:
    """Log in as ncclient does with ``allow_agent=False, look_for_keys=False`` (``SSHSession._auth``):
    the key file, opened with the password as its passphrase, then the password. Raises
    AuthenticationError naming the last failure.

    So credentials with a password and a key file that is not encrypted log in with the password, as
    they did through ncclient (cryptography refuses a passphrase for a key that has none); a key file
    alone logs in with the key; a password alone with the password.
    """
    saved: Exception | None = None
    encoded = None if password is None else password.encode("utf-8")
    if key_file:
        try:
            transport.auth_publickey(username, paramiko.PKey.from_path(key_file, encoded))
            return
        except Exception as exc:  # noqa: BLE001 - as ncclient: remember it, try the password
            saved = exc
    if password is not None:
        try:
            transport.auth_password(username, password)
            return
        except Exception as exc:  # noqa: BLE001
            saved = exc
    if saved is not None:
        raise AuthenticationError(repr(saved)) from saved
    raise AuthenticationError("No authentication methods available")


def open_socket(host: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise SSHError(f"Could not open socket to {host}:{port}") from exc


def connect(
    host: str,
    port: int,
    username: str,
    *,
    password: str | None,
    key_file: str | None,
    timeout: float,
    check_host_key: Callable[[paramiko.PKey], None],
    note: Callable[[str], None] | None = None,
) -> NetconfSession:
    """A NETCONF session on a new SSH connection (closed again on any failure).

    ``check_host_key`` gets the AP's key after the key exchange, before authentication, and raises
    to refuse it. ``note`` receives lines for the transcript (a get-config sent once more).
    """
    sock = open_socket(host, port, timeout)
    try:
        transport = paramiko.Transport(sock)
    except BaseException:
        sock.close()
        raise
    try:
        prefer_aead(transport)
        try:
            transport.start_client()
        except paramiko.SSHException as exc:
            raise SSHError(f"Negotiation failed: {exc}") from exc
        check_host_key(transport.get_remote_server_key())
        authenticate(transport, username, password, key_file)
        channel = transport.open_session(timeout=timeout)
        channel.invoke_subsystem("netconf")
        return NetconfSession(transport, channel, hello_timeout=timeout, note=note)
    except BaseException:
        transport.close()
        raise


class NetconfSession:
    """One NETCONF session on ``channel`` of ``transport`` (it owns both: :meth:`close` ends them).

    Methods named as the NETCONF operations return the reply (``get_config``: its ``<data>``) or raise
    (see the module docstring). Not thread-safe: one conversation, one thread.
    """

    def __init__(
        self,
        transport: paramiko.Transport,
        channel: paramiko.Channel,
        *,
        timeout: float = RPC_TIMEOUT_S,
        hello_timeout: float = RPC_TIMEOUT_S,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.transport = transport
        self.channel = channel
        self.timeout = timeout
        self.note = note
        self._buffer = bytearray()
        self._chunked = False
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
        self._next_id = 0
        self._answered = False
        #: message-ids whose reply is no longer awaited (timed out, or answered by a repeat)
        self._abandoned: set[str] = set()
        self._send(HELLO.encode())  # as ncclient: our hello goes out without waiting for the AP's
        try:
            hello = etree.fromstring(self._read(time.monotonic() + hello_timeout), self._parser)
        except TimeoutExpiredError as exc:
            raise SSHError(f"no NETCONF hello within {hello_timeout:g} s") from exc
        except etree.XMLSyntaxError as exc:
            raise SSHError(f"the NETCONF hello is not XML: {exc}") from exc
        if hello.tag != f"{{{BASE_NS}}}hello":
            raise SSHError(f"expected a NETCONF hello, got <{etree.QName(hello).localname}>")
        self.session_id = (hello.findtext(f"{{{BASE_NS}}}session-id") or "").strip()
        self.server_capabilities = frozenset(
            (cap.text or "").strip() for cap in hello.iter(f"{{{BASE_NS}}}capability")
        )
        self._chunked = BASE_1_1 in self.server_capabilities

    # -- framing ---------------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        self.channel.settimeout(self.timeout)
        if self._chunked:
            self.channel.sendall(b"\n#%d\n%s\n##\n" % (len(data), data))
        else:
            self.channel.sendall(data + EOM)

    def _fill(self, deadline: float) -> None:
        """Read what the channel has into the buffer (at least one byte) before ``deadline``."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutExpiredError(f"no complete message within {self.timeout:.0f} s")
        if len(self._buffer) > MAX_MESSAGE_BYTES:
            raise NetconfFramingError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
        self.channel.settimeout(remaining)
        try:
            chunk = self.channel.recv(_RECV)
        except TimeoutError as exc:
            raise TimeoutExpiredError(f"no complete message within {self.timeout:.0f} s") from exc
        if not chunk:
            raise SessionCloseError(b"")
        self._buffer += chunk

    def _read(self, deadline: float) -> bytes:
        return self._read_chunked(deadline) if self._chunked else self._read_eom(deadline)

    def _read_eom(self, deadline: float) -> bytes:
        start = 0
        while (end := self._buffer.find(EOM, start)) < 0:
            start = max(0, len(self._buffer) - len(EOM) + 1)
            self._fill(deadline)
        message = bytes(self._buffer[:end])
        del self._buffer[: end + len(EOM)]
        return message

    def _read_chunked(self, deadline: float) -> bytes:
        """One message in chunked framing (RFC 6242 section 4.2): ``\\n#SIZE\\n`` data … ``\\n##\\n``."""
        parts: list[bytes] = []
        size_total = 0
        while True:
            while len(self._buffer) < 4:
                self._fill(deadline)
            if not self._buffer.startswith(b"\n#"):
                raise NetconfFramingError("bad chunk framing")
            if self._buffer[2:4] == b"#\n":
                del self._buffer[:4]
                return b"".join(parts)
            while (newline := self._buffer.find(b"\n", 2)) < 0:
                if len(self._buffer) > 13:  # "\n#" and at most 10 digits
                    raise NetconfFramingError("bad chunk header")
                self._fill(deadline)
            digits = bytes(self._buffer[2:newline])
            if not digits.isdigit() or digits.startswith(b"0") or int(digits) > 4294967295:
                raise NetconfFramingError("bad chunk size")
            size = int(digits)
            size_total += size
            if size_total > MAX_MESSAGE_BYTES:
                raise NetconfFramingError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
            while len(self._buffer) < newline + 1 + size:
                self._fill(deadline)
            parts.append(bytes(self._buffer[newline + 1 : newline + 1 + size]))
            del self._buffer[: newline + 1 + size]

    # -- RPCs ------------------------------------------------------------------------------------
    def _request(self, body: str) -> str:
        self._next_id += 1
        message_id = str(self._next_id)
        self._send(f'<rpc xmlns="{BASE_NS}" message-id="{message_id}">{body}</rpc>'.encode())
        return message_id

    def _await(self, wanted: set[str], deadline: float) -> Any:
        """The first rpc-reply to one of ``wanted``; replies to abandoned RPCs are dropped."""
        while True:
            try:
                message = self._read(deadline)
            except TimeoutExpiredError:
                self._abandoned |= wanted
                raise
            try:
                root = etree.fromstring(message, self._parser)
            except etree.XMLSyntaxError as exc:
                raise NetconfFramingError(f"a message that is not XML: {exc}") from exc
            if root.tag != _REPLY:
                continue  # a notification: nothing here subscribes, nothing to do with it
            message_id = root.get("message-id")
            if message_id in wanted:
                self._abandoned |= wanted - {message_id}
                self._answered = True
                return root
            self._abandoned.discard(str(message_id))

    def rpc(self, body: str, *, nudge: bool = False) -> Any:
        """Send one RPC and return its ``<rpc-reply>`` element; RPCError for any ``rpc-error``.

        With ``nudge`` (a read only) an RPC unanswered after :data:`NUDGE_AFTER_S` is sent once more.
        """
        first = self._request(body)
        if nudge:
            try:
                reply = self._await({first}, time.monotonic() + NUDGE_AFTER_S)
            except TimeoutExpiredError:
                if self.note:
                    operation = body[1:].split(">", 1)[0].split(" ", 1)[0].rstrip("/")
                    self.note(f"no answer within {NUDGE_AFTER_S:g} s: {operation} sent once more")
                again = self._request(body)
                reply = self._await({first, again}, time.monotonic() + self.timeout)
        else:
            reply = self._await({first}, time.monotonic() + self.timeout)
        # as ncclient reads a reply: with <ok/> there is nothing to raise, else every rpc-error in it
        errors = [] if reply.find(_OK) is not None else list(reply.iter(_ERROR))
        if len(errors) > 1:
            raise RPCError(reply, errs=[RPCError(error) for error in errors])
        if errors:
            raise RPCError(errors[0])
        return reply

    def supports(self, capability: str) -> bool:
        """Whether the AP announced ``capability`` (``:candidate``, any version, or a full URI)."""
        if not capability.startswith(":"):
            return capability in self.server_capabilities
        prefix = f"{CAPABILITY}{capability[1:]}:"
        return any(uri.startswith(prefix) for uri in self.server_capabilities)

    def _require(self, *capabilities: str) -> None:
        for capability in capabilities:
            if not self.supports(capability):
                raise MissingCapabilityError(f"Server does not support [{capability}]")

    def _datastore(self, name: str) -> str:
        if name in ("candidate", "startup"):
            self._require(f":{name}")
        return f"<{name}/>"

    def get_config(self, source: str = "running", filter: str | None = None) -> Any:  # noqa: A002 - NETCONF's word
        """The ``<data>`` element of the reply (None when the reply has none). The first RPC of a
        session is nudged (see the module docstring)."""
        reply = self.rpc(f"<get-config><source>{self._datastore(source)}</source>{filter or ''}</get-config>",
                         nudge=not self._answered)
        return reply.find(f"{{{BASE_NS}}}data")

    def lock(self, target: str = "candidate") -> Any:
        return self.rpc(f"<lock><target>{self._datastore(target)}</target></lock>")

    def unlock(self, target: str = "candidate") -> Any:
        return self.rpc(f"<unlock><target>{self._datastore(target)}</target></unlock>")

    def discard_changes(self) -> Any:
        self._require(":candidate")
        return self.rpc("<discard-changes/>")

    def edit_config(self, config: Any, target: str = "candidate", error_option: str | None = None) -> Any:
        """``config``: a ``<config>`` element (or its XML text)."""
        parts = [f"<target>{self._datastore(target)}</target>"]
        if error_option is not None:
            if error_option not in ("stop-on-error", "continue-on-error", "rollback-on-error"):
                raise ValueError(f"error_option {error_option!r}")
            if error_option == "rollback-on-error":
                self._require(":rollback-on-error")
            parts.append(f"<error-option>{error_option}</error-option>")
        parts.append(config if isinstance(config, str) else etree.tostring(config).decode())
        return self.rpc(f"<edit-config>{''.join(parts)}</edit-config>")

    def commit(self, confirmed: bool = False, timeout: str | None = None, persist: str | None = None,
               persist_id: str | None = None) -> Any:
        self._require(":candidate")
        if persist and persist_id:
            raise ValueError("persist and persist-id do not go together")
        parts = []
        if confirmed:
            self._require(":confirmed-commit")
            parts.append("<confirmed/>")
            if timeout is not None:
                parts.append(f"<confirm-timeout>{int(timeout)}</confirm-timeout>")
            if persist is not None:
                parts.append(f"<persist>{_text(persist)}</persist>")
        if persist_id:
            parts.append(f"<persist-id>{_text(persist_id)}</persist-id>")
        return self.rpc(f"<commit>{''.join(parts)}</commit>" if parts else "<commit/>")

    def cancel_commit(self, persist_id: str | None = None) -> Any:
        self._require(":candidate", ":confirmed-commit")
        body = f"<persist-id>{_text(persist_id)}</persist-id>" if persist_id is not None else ""
        return self.rpc(f"<cancel-commit>{body}</cancel-commit>")

    def close_session(self) -> None:
        """Say goodbye (``close-session``, its reply awaited) and close the channel and the connection,
        whatever happens."""
        try:
            if self.channel.active and self.transport.is_active():
                self.rpc("<close-session/>")
        finally:
            self.close()

    def close(self) -> None:
        try:
            self.channel.close()
        finally:
            self.transport.close()


def _text(value: str) -> str:
    """``value`` as XML character data."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
