"""Each driver translates its libraries' exceptions in one table: the netctl error, its message, the
transcript line, and the library exception kept as ``__cause__``."""

from __future__ import annotations

import socket

import paramiko
import pytest
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError, SessionCloseError, SSHError
from ncclient.xml_ import to_ele
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

from netctl.drivers import Target, Transcript, cli, netconf
from netctl.drivers.exceptions import Rule, mapped
from netctl.errors import ConnectError, DeviceError, LockError, RpcError


def target(port: int = 830) -> Target:
    return Target("ap1", "netconf-wlan", "127.0.0.1", port, "admin", password="pw", timeout=2.0)


def translated(rules: tuple[Rule, ...], exc: BaseException, what: str = "") -> tuple[DeviceError, str]:
    """The netctl error ``exc`` becomes inside ``mapped(rules)`` (every rule maps to a DeviceError), and
    the transcript it leaves."""
    transcript = Transcript()
    with pytest.raises(DeviceError) as caught:
        with mapped(rules, target(), transcript, what):
            raise exc
    assert caught.value.__cause__ is exc
    return caught.value, transcript.text()


def rpc_error(tag: str, message: str) -> RPCError:
    return RPCError(to_ele(
        '<rpc-error xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><error-type>protocol</error-type>'
        f"<error-tag>{tag}</error-tag><error-severity>error</error-severity>"
        f"<error-message>{message}</error-message></rpc-error>"))


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_netconf_rpc_exceptions_become_netctl_errors() -> None:
    rules = netconf.EXCEPTIONS["rpc"]
    error, transcript = translated(rules, rpc_error("lock-denied", "locked by session 7"), "lock candidate")
    assert isinstance(error, LockError) and error.reason == "lock: rpc-error lock-denied: locked by session 7"
    assert transcript.endswith("<- lock: rpc-error lock-denied: locked by session 7")
    error, _ = translated(rules, rpc_error("invalid-value", "bad channel"), "edit-config candidate (rollback-on-error)")
    assert isinstance(error, RpcError) and error.tag == "invalid-value"
    assert error.reason == "edit-config: rpc-error invalid-value: bad channel"
    error, transcript = translated(rules, TimeoutExpiredError("no reply"), "get-config running")
    assert type(error) is DeviceError and error.reason == "get-config running: no reply within 30 s"
    assert transcript.endswith("<- timeout")
    error, transcript = translated(rules, SessionCloseError(b""), "commit (confirming)")
    assert error.reason == "commit (confirming): session lost: Unexpected session close"
    assert transcript.endswith("<- session lost: Unexpected session close")


def test_netconf_connect_and_channel_exceptions_become_netctl_errors() -> None:
    error, transcript = translated(netconf.EXCEPTIONS["connect"], AuthenticationError("denied"))
    assert type(error) is DeviceError and error.reason == "authentication failed for admin"
    assert error.hint == "check the AP's credentials reference" and transcript.endswith("authentication failed: denied")
    error, _ = translated(netconf.EXCEPTIONS["connect"], SSHError("Could not open socket"))
    assert isinstance(error, ConnectError) and error.reason == "unreachable at 127.0.0.1:830: Could not open socket"
    error, transcript = translated(netconf.EXCEPTIONS["channel"], EOFError(), "post-check session")
    assert error.reason == "post-check session: EOFError" and transcript.endswith("post-check session failed: EOFError")


def test_netconf_session_to_a_closed_port_is_unreachable_at_once() -> None:
    transcript = Transcript()
    with pytest.raises(ConnectError) as caught:
        with netconf.session(target(closed_port()), transcript):
            pass
    assert isinstance(caught.value.__cause__, (SSHError, ConnectionRefusedError))
    assert caught.value.hint == "the AP is marked pending; netctl converge pushes it later"
    assert "trying again" not in transcript.text()  # a refused port is not tried twice


def test_cli_exceptions_become_netctl_errors() -> None:
    error, transcript = translated(cli.EXCEPTIONS["connect"], NetmikoAuthenticationException("denied"))
    assert type(error) is DeviceError and error.reason == "authentication failed for admin"
    assert transcript.endswith("<- authentication failed")
    error, _ = translated(cli.EXCEPTIONS["connect"], paramiko.SSHException("Error reading SSH protocol banner\nmore"))
    assert isinstance(error, ConnectError)
    assert error.reason == "unreachable at 127.0.0.1:830: Error reading SSH protocol banner"
    error, transcript = translated(cli.EXCEPTIONS["session"], ReadTimeout("pattern not found"), "uci show")
    assert type(error) is DeviceError and error.reason == "uci show: pattern not found"
    assert transcript.endswith("<- session lost: pattern not found")
    # netmiko reports a prompt or mode it waited for in vain with ValueError
    error, _ = translated(cli.EXCEPTIONS["session"], ValueError("Failed to enter configuration mode."), "configuration")
    assert error.reason == "configuration: Failed to enter configuration mode."


def test_cli_connection_to_a_closed_port_is_unreachable() -> None:
    transcript = Transcript()
    ap = Target("sw1", "cli-ios", "127.0.0.1", closed_port(), "admin", password="pw", timeout=2.0)
    with pytest.raises(ConnectError) as caught:
        with cli.connection(ap, transcript):
            pass
    assert isinstance(caught.value.__cause__, (OSError, paramiko.SSHException))
    assert caught.value.reason.startswith(f"unreachable at 127.0.0.1:{ap.port}: ")


def test_what_no_rule_names_passes_unchanged() -> None:
    for rules in (*netconf.EXCEPTIONS.values(), *cli.EXCEPTIONS.values()):
        with pytest.raises(KeyError):
            with mapped(rules, target(), Transcript()):
                raise KeyError("a bug")
        already = RpcError("edit-config: rpc-error", ap="ap1", tag="invalid-value")
        with pytest.raises(RpcError) as caught:
            with mapped(rules, target(), Transcript()):
                raise already
        assert caught.value is already
