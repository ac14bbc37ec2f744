"""Host keys are pinned: an impostor SSH server at a pinned AP's address gets no password, no command.

The impostor is a real SSH server (paramiko, in this process) on 127.0.0.1 with a host key of its
own. It accepts every login and records what reaches it: authentication attempts (with the password
offered), channel, subsystem, exec and shell requests, and any bytes sent on a channel. The AP's real
key is pinned first by talking to the lab peer (a backup: nothing is changed on the AP); then the AP's
address is pointed at the impostor, as a DNS or ARP spoof on a transit network would do.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from tests.helpers.lab import with_psks

pytestmark = pytest.mark.lab

#: a read-only first contact pins these APs' real keys (one per driver and platform)
NETCONF_AP = "gym-rheinhausen-ap03"
OPENWRT_AP = "bus-1209-ap01"
IOS_SWITCH = "gym-rheinhausen-sw01"


class _Recorder(paramiko.ServerInterface):
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey,keyboard-interactive"

    def check_auth_none(self, username: str) -> int:
        self.seen.append(f"auth none {username}")
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        self.seen.append(f"auth password {username} {password}")
        return paramiko.AUTH_SUCCESSFUL

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self.seen.append(f"auth publickey {username}")
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind: str, chanid: int) -> int:
        self.seen.append(f"channel {kind}")
        return paramiko.OPEN_SUCCEEDED

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        self.seen.append(f"subsystem {name}")
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.seen.append(f"exec {command!r}")
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.seen.append("shell")
        channel.send(b"impostor# ")
        return True

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True


class Impostor:
    """A real SSH server on 127.0.0.1 that records everything a client gives it (see module doc)."""

    def __init__(self, key_file: Path) -> None:
        self.key = paramiko.Ed25519Key.from_private_key_file(str(key_file))
        self.seen: list[str] = []
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.transports: list[paramiko.Transport] = []
        self.accept_thread = threading.Thread(target=self._accept, daemon=True)
        self.accept_thread.start()

    def fingerprint(self) -> str:
        return str(self.key.fingerprint)

    def _accept(self) -> None:
        deadline = time.monotonic() + 300
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        self.transports.append(transport)
        transport.add_server_key(self.key)
        try:
            transport.start_server(server=_Recorder(self.seen))
        except (paramiko.SSHException, EOFError, OSError):
            return
        deadline = time.monotonic() + 15
        while not self.stop.is_set() and transport.is_active() and time.monotonic() < deadline:
            channel = transport.accept(timeout=0.2)
            if channel is None:
                continue
            channel.settimeout(0.3)
            for _ in range(20):
                try:
                    data = channel.recv(65536)
                except (TimeoutError, OSError):
                    continue
                if not data:
                    break
                self.seen.append(f"data {data[:200]!r}")

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for transport in self.transports:
            transport.close()
        self.accept_thread.join(timeout=5)
        for thread in self.threads:
            thread.join(timeout=20)


@pytest.fixture
def impostor(tmp_path: Path) -> Iterator[Impostor]:
    key_file = tmp_path / "impostor_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True, timeout=30)
    server = Impostor(key_file)
    yield server
    server.close()


def real_fingerprint(api: Any, ap: str) -> str:
    """The AP's host key fingerprint as the lab peer serves it, read over an independent connection."""
    target = api.config._target(api.session.get_ap(ap))
    with socket.create_connection((target.host, target.port), timeout=10) as sock:
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=10)
            return str(transport.get_remote_server_key().fingerprint)
        finally:
            transport.close()


def spoof(api: Any, ap: str, impostor: Impostor) -> None:
    """Point the AP's management address at the impostor (what a spoofed address does)."""
    api.inventory.set_ap(ap, {"address": "127.0.0.1", "port": impostor.port})


@pytest.mark.parametrize("ap", [NETCONF_AP, OPENWRT_AP, IOS_SWITCH])
def test_an_impostor_at_a_pinned_ap_gets_no_password_and_no_command(city: Any, impostor: Impostor, ap: str) -> None:
    api = with_psks(city)
    first = api.config.backup(ap)[0]  # first contact with the real AP: its key is pinned
    assert first.ok, first
    real = real_fingerprint(api, ap)
    spoof(api, ap, impostor)
    result = api.config.push(ap, confirm_timeout=20)[0]
    assert impostor.connections >= 1  # the push did reach the impostor ...
    assert impostor.seen == []  # ... and gave it nothing: no login, no password, no command
    assert (result.ok, result.status) == (False, "failed")
    assert real in (result.reason or "") and impostor.fingerprint() in (result.reason or "")
    audit = [row for row in api.config.audit(ap=ap) if row["action"] == "host-key"]
    assert audit and audit[0]["outcome"] == "refused" and impostor.fingerprint() in audit[0]["reason"]
    alerts = [a for a in api.monitor.alerts(selection=ap) if a["kind"] == "host-key-changed"]
    assert alerts and real in alerts[0]["message"] and impostor.fingerprint() in alerts[0]["message"]
    # backup and drift go through the same check
    assert api.config.backup(ap)[0].status == "failed"
    assert api.config.drift(ap)[0].status == "failed"
    assert impostor.seen == []


def test_worker_processes_pin_on_first_contact_and_refuse_a_changed_key(city: Any, impostor: Impostor) -> None:
    """Keys first seen in worker processes come back with their results and are pinned by the parent."""
    api = with_psks(city)
    aps = ["gym-rheinhausen-ap01", "gym-rheinhausen-ap02"]
    drifted = api.config.drift(aps, workers=2)
    assert all(r.status in ("in-sync", "drifted") for r in drifted), drifted
    pinned = {r["ap"]: r for r in api.hostkeys.host_keys(aps)}
    assert {pinned[ap]["fingerprint"] for ap in aps} == {real_fingerprint(api, aps[0])}
    assert all(pinned[ap]["source"] == "first contact (drift)" for ap in aps)
    spoof(api, aps[1], impostor)
    results = {r.ap: r for r in api.config.push(aps, dry_run=True, workers=2, confirm_timeout=20)}
    assert results[aps[0]].ok and results[aps[0]].status in ("dry-run", "unchanged")
    assert (results[aps[1]].status, results[aps[1]].rpc_error_tag) == ("failed", "host-key-changed")
    assert impostor.connections >= 1 and impostor.seen == []
    assert [a["outcome"] for a in api.config.audit(ap=aps[1]) if a["action"] == "host-key"][0] == "refused"


def test_strict_policy_refuses_an_unknown_key_and_trust_pins_it(city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    api = with_psks(city)
    ap = "gym-rheinhausen-ap01"
    monkeypatch.setenv("NETCTL_HOST_KEYS", "strict")
    refused = api.config.backup(ap)[0]
    assert refused.status == "failed" and "policy is strict" in (refused.reason or "")
    assert api.hostkeys.host_keys(ap)[0]["fingerprint"] is None
    offered = api.hostkeys.probe_host_key(ap)
    assert offered["fingerprint"] == real_fingerprint(api, ap) and not offered["already_pinned"]
    api.hostkeys.trust_host_key(ap, offered["key"])
    assert api.config.backup(ap)[0].ok
