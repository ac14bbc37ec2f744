"""NETCONF driver (ncclient): lock → edit candidate → confirmed commit → post-check → confirm → unlock.

Every ncclient/paramiko exception is translated here; nothing above this module sees one. The
post-check opens a second, separate session: it proves the AP still accepts new management sessions
after the change and reads the running config back through it. Any failure after the confirmed
commit cancels it (``cancel-commit``); if even that fails, the AP's own timer rolls the change back
after ``confirm_timeout`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lxml import etree
from ncclient import manager
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError, SessionCloseError, SSHError, TransportError

from netctl.drivers import Outcome, PushOptions, Target, Transcript
from netctl.errors import ConnectError, DeviceError, LockError, NetctlError, RpcError
from netctl.push.plan import compare
from netctl.render.schema import RUNNING_FILTERS, canonical_xml, parse_fragment

# ncclient's session loop waits in ticks of ncclient.transport.session.TICK (0.1 s). A shorter tick
# (0.01) makes a push of 46 lab APs ~25 % faster, but then about one push in 200 waited for a reply
# that never came (30 s timeout; netconfd on loopback); 0.1 gave none in 780 pushes. So
# netctl leaves ncclient's default alone: safe before fast.

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
RPC_TIMEOUT_S = 30


def _rpc_error(exc: RPCError, ap: str, what: str) -> RpcError | LockError:
    tag = getattr(exc, "tag", None) or "operation-failed"
    message = (getattr(exc, "message", None) or str(exc) or "").strip()
    path = (getattr(exc, "path", None) or "").strip()
    detail = f"{what}: rpc-error {tag}: {message}" + (f" (at {path})" if path else "")
    if tag in ("lock-denied", "in-use"):
        return LockError(detail, ap=ap, hint="another session holds the configuration lock; try again later")
    return RpcError(detail, ap=ap, tag=tag, hint="the AP rejected the change and kept its previous config")


#: a connect that failed after the TCP connection was accepted (SSH or NETCONF hello dropped, e.g.
#: sshd's MaxStartups under load) is tried once more after this pause; a refused port is not
CONNECT_RETRY_PAUSE_S = 0.5


def _connect(target: Target) -> Any:
    return manager.connect(
        host=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        key_filename=target.key_file,
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=target.timeout,
        manager_params={"timeout": RPC_TIMEOUT_S},
    )


@contextmanager
def session(target: Target, transcript: Transcript, label: str = "session") -> Iterator[Any]:
    """An ncclient session; ConnectError when the AP cannot be reached, DeviceError on bad login."""
    transcript.add("--", f"{label}: connect {target.host}:{target.port} as {target.username}")
    m: Any = None
    for attempt in (1, 2):
        try:
            m = _connect(target)
            break
        except AuthenticationError as exc:
            transcript.add("<-", f"authentication failed: {exc}")
            raise DeviceError(
                f"authentication failed for {target.username}",
                ap=target.ap,
                hint="check the AP's credentials reference",
            ) from exc
        except (TimeoutError, SSHError, SessionCloseError, TransportError, OSError, EOFError) as exc:
            refused = "Could not open socket" in str(exc) or isinstance(exc, ConnectionRefusedError)
            transcript.add("<-", f"unreachable: {exc}" + ("" if refused or attempt == 2 else "; trying again"))
            if refused or attempt == 2:
                raise ConnectError(
                    f"unreachable at {target.host}:{target.port}: {exc or type(exc).__name__}",
                    ap=target.ap,
                    hint="the AP is marked pending; netctl converge pushes it later",
                ) from exc
            time.sleep(CONNECT_RETRY_PAUSE_S)
    transcript.add("<-", f"{label}: hello, session-id {m.session_id}")
    try:
        yield m
    finally:
        try:
            m.close_session()
        except Exception:  # noqa: BLE001 - the session is gone either way
            pass


def _call(dev: Target, transcript: Transcript, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """One RPC with its errors translated and logged."""
    transcript.add("->", what)
    try:
        reply = fn(*args, **kwargs)
    except RPCError as exc:
        err = _rpc_error(exc, dev.ap, what.split(" ")[0])
        transcript.add("<-", err.reason)
        raise err from exc
    except TimeoutExpiredError as exc:
        transcript.add("<-", "timeout")
        raise DeviceError(f"{what}: no reply within {RPC_TIMEOUT_S} s", ap=dev.ap) from exc
    except (SessionCloseError, TransportError, OSError) as exc:
        transcript.add("<-", f"session lost: {exc}")
        raise DeviceError(f"{what}: session lost: {exc}", ap=dev.ap) from exc
    transcript.add("<-", "ok")
    return reply


def running_config(m: Any, target: Target, transcript: Transcript) -> str:
    """The managed part of the running datastore as pretty XML (top elements only, no <data>)."""
    flt = etree.fromstring(
        f'<filter xmlns="{BASE_NS}" type="subtree">{RUNNING_FILTERS[target.platform]}</filter>'
    )
    reply = _call(target, transcript, "get-config running", m.get_config, source="running", filter=flt)
    data = reply.data_ele
    return canonical_xml(
        "".join(etree.tostring(child).decode() for child in data if isinstance(child.tag, str))
    )


def wrap_replace(intended: str) -> Any:
    """``<config>`` with each rendered top element marked ``operation="replace"``."""
    config = etree.Element(f"{{{BASE_NS}}}config", nsmap={"nc": BASE_NS})
    for top in parse_fragment(intended):
        if isinstance(top.tag, str):
            top.set(f"{{{BASE_NS}}}operation", "replace")
            config.append(top)
    return config


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
            diff = compare(intended, before, target.platform, secrets)
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
        _call(target, transcript, "discard-changes", m.discard_changes)
        config = wrap_replace(intended)
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
        try:
            _call(
                target,
                transcript,
                f"commit confirmed timeout {timeout}",
                m.commit,
                confirmed=True,
                timeout=str(timeout),
            )
        except NetctlError:
            self._quietly(target, transcript, "discard-changes", m.discard_changes)
            raise
        try:
            after = self._post_check(target, intended, secrets, transcript)
        except NetctlError as exc:
            if not self._quietly(target, transcript, "cancel-commit", m.cancel_commit):
                raise DeviceError(
                    f"{exc.message}; cancel-commit failed too: the AP rolls back by itself "
                    f"within {timeout} s",
                    ap=target.ap,
                ) from exc
            self._quietly(target, transcript, "discard-changes", m.discard_changes)
            raise DeviceError(
                f"{getattr(exc, 'reason', exc.message)}; the change was cancelled "
                "(cancel-commit), the AP is on its previous config",
                ap=target.ap,
            ) from exc
        try:
            _call(target, transcript, "commit (confirming)", m.commit)
        except NetctlError as exc:
            raise DeviceError(
                f"confirming commit failed ({exc.message}); the AP rolls back by itself within {timeout} s",
                ap=target.ap,
            ) from exc
        return after

    def _post_check(
        self, target: Target, intended: str, secrets: Sequence[str], transcript: Transcript
    ) -> str:
        """A new session must open, and the running config must read back as intended."""
        try:
            with session(target, transcript, label="post-check") as check:
                after = running_config(check, target, transcript)
        except NetctlError as exc:
            raise DeviceError(
                f"post-check: the AP did not answer a new session after the commit "
                f"({getattr(exc, 'reason', exc.message)})",
                ap=target.ap,
            ) from exc
        verify = compare(intended, after, target.platform, secrets)
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
