"""The tests' own SSH sessions to the lab's CLI devices (paramiko and netmiko, not netctl's driver), to
read back what a push really left on them, or to change them as a person at the console would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def ssh_run(api: Any, ap_name: str, command: str, port: int | None = None) -> str:
    """One command over a new paramiko session (exec channel) to the AP (at ``port``, else the AP's own): the
    test's own, not netctl's."""
    import paramiko

    target = api.config._target(api.session.get_ap(ap_name))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        target.host,
        port=port or target.port,
        username=target.username,
        password=target.password,
        key_filename=target.key_file,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )
    try:
        _, stdout, _ = client.exec_command(command, timeout=10)
        return str(stdout.read().decode("utf-8", "surrogateescape"))
    finally:
        client.close()


def uci_show(api: Any, ap_name: str, path: str = "wireless") -> dict[str, str]:
    """``uci show PATH`` on the AP over a new SSH session, as ``key -> value``."""
    from netctl.drivers.plan import uci_options

    return uci_options(ssh_run(api, ap_name, f"uci show {path}"))


@contextmanager
def ios_session(api: Any, ap_name: str) -> Iterator[Any]:
    """An enabled netmiko session to the switch: the test's own, not netctl's."""
    from netmiko import ConnectHandler

    target = api.config._target(api.session.get_ap(ap_name))
    conn = ConnectHandler(device_type="cisco_ios", host=target.host, port=target.port, username=target.username,
                          password=target.password or "", secret=target.secret or "", allow_agent=False,
                          fast_cli=True, conn_timeout=10)
    try:
        conn.enable()
        yield conn
    finally:
        conn.disconnect()


@contextmanager
def typed_shell(api: Any, ap_name: str, prompt: bytes, enter: str, leave: str) -> Iterator[Callable[[list[str]], str]]:
    """Lines typed in configuration mode over a paramiko shell of the test's own (a person at the device's
    console): ``enter`` first, ``leave`` last, each line waiting for the device's next prompt (``prompt``:
    a regular expression for the end of one). Yields ``typed(lines)``, which returns what the device said."""
    import paramiko

    target = api.config._target(api.session.get_ap(ap_name))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(target.host, port=target.port, username=target.username, password=target.password,
                   allow_agent=False, look_for_keys=False, timeout=10)
    try:
        shell = client.invoke_shell()
        shell.settimeout(10)

        def until_prompt() -> str:
            seen = b""
            for _ in range(200):  # bounded: a prompt comes within a few reads
                seen += shell.recv(65536)
                if re.search(prompt, seen):
                    break
            return seen.decode()

        def typed(lines: list[str]) -> str:
            out = ""
            for line in [enter, *lines, leave]:
                shell.send((line + "\n").encode())
                out += until_prompt()
            return out

        until_prompt()
        yield typed
    finally:
        client.close()


def show_run(api: Any, ap_name: str) -> dict[str, list[str]]:
    """``show running-config`` over a separate netmiko session, as IOS blocks."""
    from netctl.drivers.plan import ios_blocks

    with ios_session(api, ap_name) as conn:
        return ios_blocks(str(conn.send_command("show running-config")))


def ios_config(api: Any, ap_name: str, commands: list[str]) -> None:
    """Configuration lines on the switch over the test's own netmiko session (as a person would)."""
    with ios_session(api, ap_name) as conn:
        conn.send_config_set(commands, exit_config_mode=False)
        conn.exit_config_mode(exit_config="exit")
