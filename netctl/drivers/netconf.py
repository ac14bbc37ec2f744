"""NETCONF driver: lock → edit candidate → confirmed commit → post-check → confirm → unlock.

The session is netctl's own NETCONF over SSH on paramiko (:mod:`netctl.drivers.netconf_ssh`: one
RPC at a time, replies matched by message-id, ncclient's exception types). Every exception of it,
paramiko and the socket layer is translated here, by one table (:data:`EXCEPTIONS`) and
:func:`netctl.drivers.exceptions.mapped` around the I/O; nothing above this module sees one. The
post-check opens a second, separate NETCONF session: it proves the AP still accepts new management
sessions after the change and reads the running config back through it. Where the platform table
says ``post_check_session: channel`` that session runs on the push's own SSH connection (a new
channel and ``netconf`` subsystem: a new session-id, a new server process behind sshd), otherwise
on a new SSH connection. The channel session is a minimal NETCONF 1.0 exchange of its own
(:class:`ChannelSession`: hello, get-config, close-session). Any failure after the confirmed commit
cancels it (``cancel-commit``); if even that fails, the AP's own timer rolls the change back after
``confirm_timeout`` seconds.

Where the AP has ``:confirmed-commit:1.1`` the confirmed commit carries a ``persist`` token and the
confirm (or cancel) names it with ``persist-id``: a confirm that arrives after the AP's timer fired
then fails instead of committing whatever the candidate holds. After confirming, the running config
is read back once more; a push is ``applied`` only when the AP runs what was pushed, otherwise it is
:class:`~netctl.errors.RolledBack` (``rolled-back``), never taken for success.
"""

from __future__ import annotations

import secrets as _secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any

import paramiko
from lxml import etree
from ncclient.operations.errors import MissingCapabilityError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError, SessionCloseError, SSHError, TransportError

from netctl.drivers import Outcome, PushOptions, Target, Transcript, refuse_missing
from netctl.drivers.exceptions import Rule, mapped, types_of
from netctl.drivers.netconf_ssh import (
    BASE_NS,
    EOM,
    MAX_MESSAGE_BYTES,
    NUDGE_AFTER_S,
    RPC_TIMEOUT_S,
    NetconfSession,
    connect,
)
from netctl.drivers.plan import ConfigDiff, compare, dialect, partial_compare
from netctl.drivers.sshkeys import HostKeyCheck
from netctl.errors import (
    ConnectError,
    DeviceError,
    LockError,
    NetctlError,
    RolledBack,
    RpcError,
    Unsettled,
)
from netctl.platforms import get_platform
from netctl.render.schema import canonical_xml, flatten, parse_fragment


def _rpc_error(exc: BaseException, target: Target, what: str) -> RpcError | LockError:
    """An rpc-error reply: LockError for a lock held elsewhere, else RpcError with its tag."""
    tag = getattr(exc, "tag", None) or "operation-failed"
    message = (getattr(exc, "message", None) or str(exc) or "").strip()
    path = (getattr(exc, "path", None) or "").strip()
    detail = f"{what.split(' ')[0]}: rpc-error {tag}: {message}" + (f" (at {path})" if path else "")
    if tag in ("lock-denied", "in-use"):
        return LockError(detail, ap=target.ap, hint="another session holds the configuration lock; try again later")
    return RpcError(detail, ap=target.ap, tag=tag, hint="the AP rejected the change and kept its previous config")


#: how the session's exceptions (ncclient's types, see netctl.drivers.netconf_ssh), paramiko's and the
#: socket layer's become netctl errors, by stage of the conversation: opening a session, an RPC on it,
#: and the post-check's own NETCONF session on a new SSH channel
EXCEPTIONS: dict[str, tuple[Rule, ...]] = {
    "connect": (
        Rule((AuthenticationError,), DeviceError, "authentication failed for {user}",
             hint="check the AP's credentials reference", note="authentication failed: {exc}"),
        Rule((TimeoutError, SSHError, SessionCloseError, TransportError, OSError, EOFError), ConnectError,
             "unreachable at {host}:{port}: {why}", hint="the AP is marked pending; netctl converge pushes it later",
             note="unreachable: {exc}"),
    ),
    "rpc": (
        Rule((RPCError,), build=_rpc_error),
        Rule((MissingCapabilityError,), message="{what}: not sent, the AP lacks a capability it needs: {exc}",
             note="refused before sending: {exc}"),
        Rule((TimeoutExpiredError,), message=f"{{what}}: no reply within {RPC_TIMEOUT_S} s", note="timeout"),
        Rule((SessionCloseError, TransportError, OSError), message="{what}: session lost: {exc}",
             note="session lost: {exc}"),
    ),
    "channel": (
        Rule((OSError, EOFError, TimeoutError, paramiko.SSHException, etree.XMLSyntaxError),
             message="{what}: {typed}", note="{what} failed: {typed}"),
    ),
}


#: a connect that failed after the TCP connection was accepted (SSH or NETCONF hello dropped, e.g.
#: sshd's MaxStartups under load) is tried once more after this pause; a refused port is not
CONNECT_RETRY_PAUSE_S = 0.5


def _connect(target: Target, check: HostKeyCheck) -> NetconfSession:
    """A NETCONF session on a new SSH connection to ``target`` (:mod:`netctl.drivers.netconf_ssh`): the
    AP's host key goes to :meth:`HostKeyCheck.check` (it pins a first contact or raises HostKeyError)
    after the key exchange and before authentication."""
    return connect(
        target.host,
        target.port,
        target.username,
        password=target.password,
        key_file=target.key_file,
        timeout=target.timeout,
        check_host_key=check.check,
        note=lambda line: check.transcript.add("--", line),
    )


@contextmanager
def session(target: Target, transcript: Transcript, label: str = "session") -> Iterator[NetconfSession]:
    """A NETCONF session; ConnectError when the AP cannot be reached, DeviceError on bad login."""
    transcript.add("--", f"{label}: connect {target.host}:{target.port} as {target.username}")
    m: Any = None
    check = HostKeyCheck(target, transcript)
    for attempt in (1, 2):
        try:
            with mapped(EXCEPTIONS["connect"], target, transcript):
                m = _connect(target, check)
            break
        except ConnectError as exc:
            cause = exc.__cause__
            if attempt == 2 or isinstance(cause, ConnectionRefusedError) or "Could not open socket" in str(cause):
                raise
            transcript.add("--", "trying again")
            time.sleep(CONNECT_RETRY_PAUSE_S)
    transcript.add("<-", f"{label}: hello, session-id {m.session_id}")
    try:
        yield m
    finally:
        with suppress(Exception):  # the session is gone either way
            m.close_session()


def _call(dev: Target, transcript: Transcript, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """One RPC with its errors translated and logged."""
    transcript.add("->", what)
    with mapped(EXCEPTIONS["rpc"], dev, transcript, what):
        reply = fn(*args, **kwargs)
    transcript.add("<-", "ok")
    return reply


def _filter_xml(platform: str) -> str:
    return f'<filter xmlns="{BASE_NS}" type="subtree">{get_platform(platform).running_filter}</filter>'


def _managed(data: Any) -> str:
    """The children of a reply's ``<data>`` as canonical XML."""
    return canonical_xml("".join(etree.tostring(child).decode() for child in data if isinstance(child.tag, str)))


def running_config(m: Any, target: Target, transcript: Transcript) -> str:
    """The managed part of the running datastore as pretty XML (top elements only, no <data>)."""
    data = _call(target, transcript, "get-config running", m.get_config, source="running",
                 filter=_filter_xml(target.platform))
    if data is None:
        raise DeviceError("get-config: the reply has no <data>", ap=target.ap)
    return _managed(data)


CLIENT_HELLO = (
    f'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="{BASE_NS}"><capabilities>'
    "<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>"
)


class ChannelSession:
    """A NETCONF 1.0 session (end-of-message framing) on a new channel of an open SSH connection.

    Only what a read-back needs: hello, get-config, close-session. Advertising base:1.0 alone makes
    the server frame with ``]]>]]>`` (RFC 6242 section 4.1).

    yuma123's netconfd leaves an RPC that reaches it in the same read as the client hello
    unprocessed until more input comes (40 of 40 sessions hung when both went in one write; about
    4 in 100 under load when written one after the other). So a get-config unanswered after
    :data:`NUDGE_AFTER_S` is sent once more with a new message-id; the first answer is used (a read
    is harmless to repeat, and NETCONF allows pipelined RPCs).
    """

    def __init__(self, transport: paramiko.Transport, timeout: float) -> None:
        self.timeout = timeout
        self.buffer = bytearray()
        self.channel = transport.open_session(timeout=timeout)
        self.channel.invoke_subsystem("netconf")

    def read(self, timeout: float | None = None) -> bytes:
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while (end := self.buffer.find(EOM)) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete message within {limit:.0f} s")
            if len(self.buffer) > MAX_MESSAGE_BYTES:
                raise EOFError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
            self.channel.settimeout(remaining)
            chunk = self.channel.recv(65536)
            if not chunk:
                raise EOFError("the AP closed the session")
            self.buffer += chunk
        message = bytes(self.buffer[:end])
        del self.buffer[: end + len(EOM)]
        return message

    def send(self, text: str) -> None:
        self.channel.settimeout(self.timeout)
        self.channel.sendall(text.encode() + EOM)

    def rpc(self, message_id: int, body: str, nudge: bool = False) -> tuple[Any, bool]:
        """Send one RPC; (its reply, whether it was sent twice). With ``nudge`` a silent server
        gets it once more after :data:`NUDGE_AFTER_S`."""
        self.send(f'<rpc xmlns="{BASE_NS}" message-id="{message_id}">{body}</rpc>')
        if nudge:
            try:
                return etree.fromstring(self.read(NUDGE_AFTER_S)), False
            except TimeoutError:
                self.send(f'<rpc xmlns="{BASE_NS}" message-id="{message_id}-again">{body}</rpc>')
                return etree.fromstring(self.read()), True
        return etree.fromstring(self.read()), False

    def close(self) -> None:
        self.channel.close()


def _transport_of(m: Any) -> paramiko.Transport | None:
    """The SSH connection under a session, while it is up."""
    transport = getattr(m, "transport", None)
    return transport if isinstance(transport, paramiko.Transport) and transport.is_active() else None


def running_over_channel(transport: paramiko.Transport, target: Target, transcript: Transcript) -> str:
    """The managed running config read through a new NETCONF session on ``transport``."""
    transcript.add("--", "post-check: new NETCONF session on the push's SSH connection")
    with mapped(EXCEPTIONS["channel"], target, transcript, "post-check session"):
        nc = ChannelSession(transport, RPC_TIMEOUT_S)
        try:
            # both hellos go out at once (RFC 6241 8.1): sent before the AP's arrives, netctl's hello reaches
            # netconfd on its own far more often than when it follows the AP's closely with the get-config
            # right behind it (about 1 in 100 sessions then needs the repeat below instead of 1 in 10)
            nc.send(CLIENT_HELLO)
            hello = etree.fromstring(nc.read())
            session_id = hello.findtext(f"{{{BASE_NS}}}session-id")
            transcript.add("<-", f"post-check: hello, session-id {session_id}")
            transcript.add("->", "get-config running")
            reply, twice = nc.rpc(
                1, f"<get-config><source><running/></source>{_filter_xml(target.platform)}</get-config>", nudge=True
            )
            if twice:
                transcript.add("--", f"no answer within {NUDGE_AFTER_S:g} s: get-config sent once more")
            error = reply.find(f"{{{BASE_NS}}}rpc-error")
            if error is not None:
                tag = error.findtext(f"{{{BASE_NS}}}error-tag") or "operation-failed"
                message = (error.findtext(f"{{{BASE_NS}}}error-message") or "").strip()
                transcript.add("<-", f"rpc-error {tag}: {message}")
                raise RpcError(f"get-config: rpc-error {tag}: {message}", ap=target.ap, tag=tag)
            data = reply.find(f"{{{BASE_NS}}}data")
            if data is None:
                raise DeviceError("get-config: the reply has no <data>", ap=target.ap)
            transcript.add("<-", "ok")
            # the read-back is done; a session that ends untidily is the AP's to clean up
            with suppress(*types_of(EXCEPTIONS["channel"])):
                nc.rpc(2, "<close-session/>")
            return _managed(data)
        finally:
            nc.close()


CONFIRMED_COMMIT_1_1 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"


def wrap_replace(intended: str, merge: bool = False) -> Any:
    """``<config>`` with each rendered top element marked ``operation="replace"`` (left to the
    default operation, merge, for a targeted change: only the leaves it names change)."""
    config = etree.Element(f"{{{BASE_NS}}}config", nsmap={"nc": BASE_NS})
    for top in parse_fragment(intended):
        if isinstance(top.tag, str):
            if not merge:
                top.set(f"{{{BASE_NS}}}operation", "replace")
            config.append(top)
    return config


def _comparer(options: PushOptions) -> Any:
    """How intended and running are compared: the whole config, or what a targeted change names."""
    return partial_compare if options.merge else compare


class _Intended:
    """The config one push sends, as every read-back of that push is compared with it.

    A push reads the AP back two or three times (post-check, after confirming, after a failed
    confirm); the intended config is flattened once for all of them (:func:`netctl.render.schema.flatten`,
    the canonical form :func:`netctl.drivers.plan.compare` compares), and a read-back that holds it costs
    one flatten of the running config. Only a difference, or what the fast path cannot judge (a targeted
    change, a running config that is not XML), goes through the full comparison for its masked diff
    and its errors: the verdict is the one :func:`_comparer` gives, always.
    """

    def __init__(self, intended: str, platform: str, secrets: Sequence[str], merge: bool = False) -> None:
        self.text, self.platform, self.secrets, self.merge = intended, platform, secrets, merge
        self.fast = not merge and dialect(platform) == "xml"
        self._want: dict[str, str] | None = None

    def diff(self, running: str) -> ConfigDiff:
        if self.fast:
            try:
                if self._want is None:
                    self._want = flatten(self.text, self.platform) if self.text.strip() else {}
                have = flatten(running, self.platform) if running.strip() else {}
            except etree.XMLSyntaxError:
                pass  # the full comparison raises what it says about XML that is not well-formed
            else:
                if have == self._want:
                    return ConfigDiff(False, "", "structural")
        result: ConfigDiff = _comparer(PushOptions(merge=self.merge))(self.text, running, self.platform, self.secrets)
        return result


class NetconfDriver:
    """The ``netconf`` driver (platforms netconf-wlan and openconfig-wlan)."""

    def fetch_running(self, target: Target, transcript: Transcript) -> str:
        with session(target, transcript) as m:
            return running_config(m, target, transcript)

    def push(
        self,
        target: Target,
        intended: str,
        secrets: Sequence[str],
        options: PushOptions,
        transcript: Transcript,
    ) -> Outcome:
        with session(target, transcript) as m:
            before = running_config(m, target, transcript)
            if options.merge:
                refuse_missing(target, intended, before, transcript)
            diff = _comparer(options)(intended, before, target.platform, secrets)
            if not diff.changed:
                return Outcome("unchanged", False, "", before, before)
            if options.dry_run:
                transcript.add("--", "dry run: nothing sent")
                return Outcome("dry-run", True, diff.text, before)
            _call(target, transcript, "lock candidate", m.lock, target="candidate")
            try:
                after = self._change(m, target, intended, secrets, options, transcript)
            finally:
                try:
                    _call(target, transcript, "unlock candidate", m.unlock, target="candidate")
                except NetctlError:
                    pass
            return Outcome("applied", True, diff.text, before, after)

    def _change(
        self,
        m: Any,
        target: Target,
        intended: str,
        secrets: Sequence[str],
        options: PushOptions,
        transcript: Transcript,
    ) -> str:
        expected = _Intended(intended, target.platform, secrets, options.merge)
        _call(target, transcript, "discard-changes", m.discard_changes)
        config = wrap_replace(intended, merge=options.merge)
        transcript.add("--", "edit-config body:\n" + etree.tostring(config, pretty_print=True).decode())
        try:
            _call(
                target,
                transcript,
                "edit-config candidate (rollback-on-error)",
                m.edit_config,
                config,
                target="candidate",
                error_option="rollback-on-error",
            )
        except NetctlError:
            self._quietly(target, transcript, "discard-changes", m.discard_changes)
            raise
        timeout = max(1, int(options.confirm_timeout))
        # with :confirmed-commit:1.1 the commit carries a token: the confirm (and a cancel) must name it,
        # so a confirm that comes after the AP's timer fired fails instead of committing the candidate
        persist = _secrets.token_hex(8) if CONFIRMED_COMMIT_1_1 in m.server_capabilities else None
        token = {"persist": persist} if persist else {}
        try:
            _call(
                target,
                transcript,
                f"commit confirmed timeout {timeout}" + (" persist" if persist else ""),
                m.commit,
                confirmed=True,
                timeout=str(timeout),
                **token,
            )
        except NetctlError:
            self._quietly(target, transcript, "discard-changes", m.discard_changes)
            raise
        cancel = partial(m.cancel_commit, persist_id=persist) if persist else m.cancel_commit
        try:
            self._post_check(target, intended, secrets, transcript, m, options.merge, expected)
        except NetctlError as exc:
            self._cancel(m, target, transcript, cancel, timeout, exc.message, exc)
            raise DeviceError(
                f"{getattr(exc, 'reason', exc.message)}; the change was cancelled "
                "(cancel-commit), the AP is on its previous config",
                ap=target.ap,
            ) from exc
        if options.health_gate:
            from netctl.poll.gate import Gate, wait

            verdict = wait(Gate.from_dict(options.health_gate))
            transcript.add("--", f"health gate: {verdict.reason} ({verdict.polls} SNMP poll(s))")
            if not verdict.ok:
                self._cancel(m, target, transcript, cancel, timeout, verdict.reason)
                raise RolledBack(
                    f"{verdict.reason}; the change was cancelled (cancel-commit), the AP is on its previous "
                    "config", ap=target.ap)
        try:
            if persist:
                _call(target, transcript, "commit (confirming) persist-id", m.commit, persist_id=persist)
            else:
                _call(target, transcript, "commit (confirming)", m.commit)
        except NetctlError as exc:
            if self._still_intended(m, target, intended, secrets, transcript, options.merge, expected) is False:
                raise RolledBack(
                    f"rolled back: the AP's confirm timer ({timeout} s) restored the previous config before "
                    f"netctl confirmed ({exc.message}); it runs its previous config, push again",
                    ap=target.ap,
                ) from exc
            raise Unsettled(
                f"confirming commit failed ({exc.message}); the AP should roll back by itself within "
                f"{timeout} s; the next config command reads it back and records what it runs",
                ap=target.ap,
            ) from exc
        try:
            confirmed = running_config(m, target, transcript)
        except NetctlError as exc:
            raise Unsettled(
                f"confirmed, but the AP did not answer the read-back ({exc.message}); the next config "
                "command reads it back and records what it runs",
                ap=target.ap,
            ) from exc
        verify = expected.diff(confirmed)
        if verify.changed:
            raise RolledBack(
                f"rolled back: after confirming, the AP does not run the pushed config (its confirm timer of "
                f"{timeout} s fired first, or something else changed it); push again:\n{verify.text}",
                ap=target.ap,
            )
        return confirmed

    def _cancel(self, m: Any, target: Target, transcript: Transcript, cancel: Any, timeout: int, why: str,
                cause: BaseException | None = None) -> None:
        """Cancel the unconfirmed commit (the AP goes back to its previous config) and drop the candidate;
        Unsettled (naming ``why``) when even the cancel fails: then the AP's own timer rolls it back."""
        if not self._quietly(target, transcript, "cancel-commit", cancel):
            raise Unsettled(
                f"{why}; cancel-commit failed too: the AP should roll back by itself within {timeout} s; "
                "the next config command reads it back and records what it runs",
                ap=target.ap,
            ) from cause
        self._quietly(target, transcript, "discard-changes", m.discard_changes)

    @staticmethod
    def _still_intended(
        m: Any, target: Target, intended: str, secrets: Sequence[str], transcript: Transcript, merge: bool = False,
        expected: _Intended | None = None,
    ) -> bool | None:
        """Whether the AP runs ``intended`` now (read over ``m``); None when it cannot be read."""
        try:
            running = running_config(m, target, transcript)
        except NetctlError:
            return None
        return not (expected or _Intended(intended, target.platform, secrets, merge)).diff(running).changed

    def _post_check(
        self,
        target: Target,
        intended: str,
        secrets: Sequence[str],
        transcript: Transcript,
        m: Any = None,
        merge: bool = False,
        expected: _Intended | None = None,
    ) -> str:
        """A new session must open, and the running config must read back as intended.

        The session runs on the push's SSH connection ``m`` where the platform allows it (see
        :mod:`netctl.platforms`, ``post_check_session``), otherwise on a new connection. ``expected``:
        the push's intended config already flattened (built here when not given).
        """
        transport = _transport_of(m) if get_platform(target.platform).post_check_session == "channel" else None
        try:
            if transport is not None:
                after = running_over_channel(transport, target, transcript)
            else:
                with session(target, transcript, label="post-check") as check:
                    after = running_config(check, target, transcript)
        except NetctlError as exc:
            raise DeviceError(
                f"post-check: the AP did not answer a new session after the commit "
                f"({getattr(exc, 'reason', exc.message)})",
                ap=target.ap,
            ) from exc
        verify = (expected or _Intended(intended, target.platform, secrets, merge)).diff(after)
        if verify.changed:
            raise DeviceError(
                "post-check: the running config does not read back as intended:\n" + verify.text, ap=target.ap
            )
        return after

    @staticmethod
    def _quietly(target: Target, transcript: Transcript, what: str, fn: Any) -> bool:
        try:
            _call(target, transcript, what, fn)
        except NetctlError:
            return False
        return True
