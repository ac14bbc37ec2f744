"""SSH CLI driver (netmiko): back up → apply → verify by reading back → save; undo on any failure.

Per-platform facts (the command that shows the running config, how to enter configuration mode,
the save/commit commands, the revert commands, the regexes of lines the device prints on errors)
come from :mod:`netctl.platforms`; this module only sequences them. Errors printed by the device
are never ignored: a matching line fails the push and the backup taken first is put back.
netmiko, paramiko and socket exceptions become netctl errors by one table (:data:`EXCEPTIONS`) and
:func:`netctl.drivers.exceptions.mapped` around the I/O; nothing above this module sees one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import paramiko
from netmiko import ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from netctl.drivers import Outcome, PushOptions, Target, Transcript, error_lines, refuse_missing
from netctl.drivers.exceptions import Rule, mapped
from netctl.drivers.plan import (
    compare,
    dialect,
    is_restored,
    prepare_commands,
    replace_commands,
    uci_delete_commands,
    undo_commands,
)
from netctl.drivers.sshkeys import HostKeyCheck, PinnedKeyPolicy
from netctl.errors import ConfigError, ConnectError, DeviceError, NetctlError, RpcError
from netctl.platforms import Platform, get_platform

END_MARKER = "NETCTL-CONFIG-END"
#: the end of a configuration line's answer: the next prompt, or an error message and blank line
PROMPT_OR_ERROR = r"(?:#\s*$)|(?:\n%[^\n]*\n\s*$)"

#: how netmiko, paramiko and socket exceptions become netctl errors: opening the connection, and the
#: session after it (netmiko says with ValueError that a prompt or mode it waited for did not come)
EXCEPTIONS: dict[str, tuple[Rule, ...]] = {
    "connect": (
        Rule((NetmikoAuthenticationException,), DeviceError, "authentication failed for {user}",
             hint="check the AP's credentials reference", note="authentication failed"),
        Rule((TimeoutError, NetmikoTimeoutException, ConnectionError, paramiko.SSHException, OSError, EOFError),
             ConnectError, "unreachable at {host}:{port}: {line}",
             hint="the AP is marked pending; netctl converge pushes it later", note="unreachable: {exc}"),
    ),
    "session": (
        Rule((NetmikoBaseException, ReadTimeout, ReadException, paramiko.SSHException, OSError, EOFError, ValueError),
             message="{what}: {exc}", note="session lost: {exc}"),
    ),
}


@contextmanager
def connection(target: Target, transcript: Transcript) -> Iterator[Any]:
    """A netmiko connection (in enable mode where the platform has one)."""
    platform = get_platform(target.platform)
    transcript.add("--", f"connect {target.host}:{target.port} as {target.username} ({platform.device_type})")
    params: dict[str, Any] = {
        "device_type": platform.device_type,
        "host": target.host,
        "port": target.port,
        "username": target.username,
        "password": target.password or "",
        "secret": target.secret or "",
        "conn_timeout": target.timeout,
        "auth_timeout": target.timeout,
        "banner_timeout": target.timeout,
        "allow_agent": False,
        "fast_cli": True,
        "read_timeout_override": 30,
    }
    if target.key_file:
        params.update(use_keys=True, key_file=target.key_file)
    check = HostKeyCheck(target, transcript)
    params.update(auto_connect=False)
    with mapped(EXCEPTIONS["connect"], target, transcript):
        conn = ConnectHandler(**params)
        # no known_hosts file is read: every host key goes to the check, after the key exchange
        # and before authentication
        conn.key_policy = PinnedKeyPolicy(check)
        _open(conn)
        if platform.enter_config and target.secret:
            conn.enable()
        prompt = conn.find_prompt()
    transcript.add("<-", f"connected, prompt {prompt!r}")
    try:
        yield conn
    finally:
        with suppress(Exception):  # the session is gone either way
            if platform.enter_config and not platform.logout_command:
                conn.disconnect()
            else:
                # netmiko's linux cleanup takes a root prompt ("#") for config mode and waits ~10 s
                # trying to leave it, its VRP cleanup waits 2 s of silence to learn the view: a shell
                # without config mode only needs "exit", a platform with a logout command that one
                conn.write_channel((platform.logout_command or "exit") + conn.RETURN)
                if conn.remote_conn_pre is not None:
                    conn.remote_conn_pre.close()


def _open(conn: Any) -> None:
    """Connect a netmiko connection made with ``auto_connect=False`` (netmiko's own clean-up on failure)."""
    try:
        conn._open()
    except BaseException:
        from netmiko.base_connection import log

        log.removeFilter(conn._secrets_filter)
        with suppress(Exception):  # the connection is gone either way
            conn.paramiko_cleanup()
        raise


def _send(conn: Any, target: Target, transcript: Transcript, command: str) -> str:
    transcript.add("->", command)
    with mapped(EXCEPTIONS["session"], target, transcript, command):
        output = str(conn.send_command(command, read_timeout=30))
    transcript.add("<-", output)
    return output


def _commit(conn: Any, target: Target, transcript: Transcript, command: str) -> str:
    """Send a save/commit command; a platform whose command asks first (VRP ``save``: ``[Y/N]``) gets
    its answer before the prompt comes back."""
    platform = get_platform(target.platform)
    if platform.confirm is None:
        return _send(conn, target, transcript, command)
    question, answer = platform.confirm
    transcript.add("->", command)
    with mapped(EXCEPTIONS["session"], target, transcript, command):
        prompt = re.escape(str(conn.base_prompt)) + r"[^\n]*?" + (platform.config_prompt or r"#\s*$")
        output = str(conn.send_command(command, expect_string=f"(?:{question})|(?:{prompt})", read_timeout=30))
        if re.search(question, output):
            transcript.add("->", answer)
            output += str(conn.send_command(answer, expect_string=prompt, read_timeout=30))
    transcript.add("<-", output)
    return output


def _check(output: str, target: Target, what: str) -> None:
    bad = error_lines(output, get_platform(target.platform).error_patterns)
    if bad:
        raise RpcError(
            f"{what}: the device said: {bad[0]}",
            ap=target.ap,
            tag="cli-error",
            hint="fix the template or variables; the previous config was put back",
        )


def _configure(conn: Any, target: Target, transcript: Transcript, commands: Sequence[str]) -> str:
    """Send configuration lines; in config mode for platforms that have one."""
    platform = get_platform(target.platform)
    transcript.add("->", "\n".join(commands))
    with mapped(EXCEPTIONS["session"], target, transcript, "configuration"):
        if platform.enter_config:
            # One line at a time, each answered by the next prompt (or by an error message: some
            # devices print no prompt after one), so no fixed quiet period is waited (netmiko's
            # send_config_set waits 2 s). The first error stops the batch: later lines would land
            # in the wrong mode.
            output = _enter_config_mode(conn, target)
            for command in commands:
                conn.write_channel(command + conn.RETURN)
                answer = str(conn.read_until_pattern(pattern=platform.config_prompt or PROMPT_OR_ERROR,
                                                     read_timeout=30))
                output += answer
                if error_lines(answer, platform.error_patterns):
                    break
            _leave_config_mode(conn, target, output)
        else:
            # a shell: write every line, then wait for a marker instead of netmiko's 2 s of quiet
            for command in commands:
                conn.write_channel(command + conn.RETURN)
            conn.write_channel(f"echo {END_MARKER}" + conn.RETURN)
            output = conn.read_until_pattern(pattern=rf"(?<!echo ){END_MARKER}\r?\n", read_timeout=30)
            output += conn.read_until_prompt(read_timeout=10)
    transcript.add("<-", str(output))
    return str(output)


def _enter_config_mode(conn: Any, target: Target) -> str:
    """Into configuration mode; read up to the prompt where the platform says what that prompt looks
    like (netmiko's VRP check waits for two seconds of silence before and after)."""
    platform = get_platform(target.platform)
    if platform.config_mode_prompt is None:
        return str(conn.config_mode(config_command=platform.enter_config))
    conn.write_channel(f"{platform.enter_config}{conn.RETURN}")
    output = str(conn.read_until_pattern(pattern=platform.config_prompt or r"#\s*$", read_timeout=30))
    if not _in_config_mode(conn, platform, output):
        raise DeviceError(f"configuration: {platform.enter_config!r} did not enter configuration mode "
                          f"(the device answered {_last_line(output)!r})", ap=target.ap)
    return output


def _in_config_mode(conn: Any, platform: Platform, answer: str) -> bool:
    """Whether ``answer``'s last prompt is one of configuration mode (netmiko's check without the platform's
    prompt: it sends a return and reads)."""
    if platform.config_mode_prompt is None:
        return bool(conn.check_config_mode())
    return re.search(platform.config_mode_prompt, _last_line(answer)) is not None


def _last_line(text: str) -> str:
    lines = text.rstrip().splitlines()
    return lines[-1].strip() if lines else ""


def _leave_config_mode(conn: Any, target: Target, output: str, levels: int = 4) -> None:
    """Back to exec mode one ``exit`` at a time (some CLIs know no ``end``; blocks nest).

    How deep we are is read from the last prompt the device printed (``(config-if)#`` → 2 exits).
    A platform with a ``leave_config`` command (VRP ``return``) leaves every view with it at once.
    """
    platform = get_platform(target.platform)
    if platform.leave_config:
        conn.write_channel(platform.leave_config + conn.RETURN)
        answer = str(conn.read_until_pattern(pattern=platform.config_prompt or r"#\s*$", read_timeout=10))
        if _in_config_mode(conn, platform, answer):
            raise DeviceError(f"configuration: still in configuration mode ({_last_line(answer)!r}) after "
                              f"{platform.leave_config!r}", ap=target.ap)
        return
    prompts = re.findall(r"\((config[^)]*)\)#", output)
    depth = 0 if not prompts else (1 if prompts[-1] == "config" else 2)
    for _ in range(min(depth, levels)):
        conn.write_channel("exit" + conn.RETURN)
        conn.read_until_pattern(pattern=r"#\s*$", read_timeout=10)
    prompt = str(conn.find_prompt())
    if "(config" in prompt:
        raise DeviceError(f"configuration: still in configuration mode ({prompt!r}) after leaving it", ap=target.ap)


#: a configuration package name as ``uci changes`` prints it (device output: checked before reuse)
_PACKAGE = re.compile(r"[a-z0-9_][a-z0-9_-]{0,63}")


def _staged(conn: Any, target: Target, transcript: Transcript) -> list[str]:
    """Changes staged on the AP that nobody committed (platforms with a ``staged_command``)."""
    command = get_platform(target.platform).staged_command
    return config_lines(_send(conn, target, transcript, command)) if command else []


def _refuse_staged(conn: Any, target: Target, transcript: Transcript) -> None:
    """Raise when the AP holds staged, uncommitted changes: its shown config is not what it runs."""
    staged = _staged(conn, target, transcript)
    if staged:
        raise DeviceError(
            f"{len(staged)} change(s) are staged on the AP and were never committed (first: {staged[0]}); "
            "the config it shows is not the one it runs, and anyone's next commit would apply them. "
            "netctl push discards them and applies the intended config",
            ap=target.ap,
        )


def _discard_staged(conn: Any, target: Target, transcript: Transcript) -> list[str]:
    """Discard changes staged on the AP that nobody committed; returns them.

    Done before a push reads its backup, so they are neither taken for the running config nor
    committed together with netctl's change.
    """
    staged = _staged(conn, target, transcript)
    if not staged:
        return []
    packages = sorted({line.lstrip("+-").split(".", 1)[0] for line in staged})
    bad = [p for p in packages if not _PACKAGE.fullmatch(p)]
    if bad:
        raise DeviceError(f"staged changes name an unexpected config package {bad[0]!r}; check the AP", ap=target.ap)
    discard = _command(target, "discard_staged_command")
    for package in packages:
        _check(_send(conn, target, transcript, discard.format(package=package)), target, "discard staged changes")
    left = _staged(conn, target, transcript)
    if left:
        raise DeviceError(f"staged changes could not be discarded (still staged: {left[0]})", ap=target.ap)
    transcript.add("--", f"discarded {len(staged)} staged change(s) nobody had committed: " + "; ".join(staged))
    return staged


def _command(target: Target, fact: str) -> str:
    """A command the cli driver needs from the platform's definition (``backup_command`` …)."""
    command = getattr(get_platform(target.platform), fact, None)
    if not isinstance(command, str) or not command:
        raise ConfigError(f"platform {target.platform!r} gives no {fact}; the cli driver needs one",
                          hint="add it to the platform's definition (netctl.platforms)")
    return command


def config_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


class CliDriver:
    """The ``cli`` driver (platforms openwrt, cli-ios, huawei-ac and zte-zxros)."""

    def fetch_running(self, target: Target, transcript: Transcript) -> str:
        with connection(target, transcript) as conn:
            _refuse_staged(conn, target, transcript)
            return _send(conn, target, transcript, _command(target, "backup_command"))

    def push(
        self,
        target: Target,
        intended: str,
        secrets: Sequence[str],
        options: PushOptions,
        transcript: Transcript,
    ) -> Outcome:
        platform = get_platform(target.platform)
        with connection(target, transcript) as conn:
            if options.dry_run:
                _refuse_staged(conn, target, transcript)
            else:
                _discard_staged(conn, target, transcript)
            backup = _send(conn, target, transcript, _command(target, "backup_command"))
            if options.merge:
                refuse_missing(target, intended, backup, transcript)
            diff = compare(intended, backup, target.platform, secrets, secrets_applied=target.secrets_applied)
            if not diff.changed:
                return Outcome("unchanged", False, "", backup, backup)
            if options.dry_run:
                transcript.add("--", "dry run: nothing sent")
                return Outcome("dry-run", True, diff.text, backup)
            committed = False
            try:
                if dialect(target.platform) == "uci":
                    deletes = uci_delete_commands(intended, backup)
                elif options.replace:
                    # a restore: first take away what the device has beyond the stored version
                    deletes = replace_commands(intended, backup, target.platform)
                else:
                    # what the dialect's lines only add to (zxros: a trunk's VLANs beyond the intended list)
                    deletes = prepare_commands(intended, backup, target.platform)
                output = _configure(conn, target, transcript, deletes + config_lines(intended))
                _check(output, target, "apply")
                readback = _send(conn, target, transcript, _command(target, "backup_command"))
                # the secrets were sent a moment ago: cipher text on the device is them
                verify = compare(intended, readback, target.platform, secrets, secrets_applied=True)
                if verify.changed:
                    raise DeviceError("read-back differs from the intended config:\n" + verify.text, ap=target.ap)
                for command in platform.commit_commands:
                    committed = True
                    _check(_commit(conn, target, transcript, command), target, command)
            except NetctlError as exc:
                restored = self._restore(conn, target, transcript, backup, intended, committed)
                note = (
                    "the backup taken before the push was put back"
                    if restored
                    else "restoring the backup FAILED: check the AP"
                )
                message = f"{getattr(exc, 'reason', exc.message)}; {note}"
                if isinstance(exc, RpcError):
                    raise RpcError(message, ap=target.ap, tag=exc.tag) from exc
                raise DeviceError(message, ap=target.ap) from exc
            return Outcome("applied", True, diff.text, backup, readback)

    def _restore(
        self, conn: Any, target: Target, transcript: Transcript, backup: str, intended: str, committed: bool
    ) -> bool:
        """Undo a failed push from the backup; True only when a read-back shows it worked."""
        platform = get_platform(target.platform)
        transcript.add("--", "restoring the backup taken before the push")
        try:
            if not committed and platform.revert_commands:
                for command in platform.revert_commands:
                    _send(conn, target, transcript, command)
            else:
                undo = undo_commands(backup, intended, target.platform)
                if undo:
                    # errors here are expected for lines that never applied; the read-back decides
                    _configure(conn, target, transcript, undo)
                for command in platform.commit_commands if committed else []:
                    _commit(conn, target, transcript, command)
            running = _send(conn, target, transcript, _command(target, "backup_command"))
        except NetctlError:
            return False
        return is_restored(backup, running, intended, target.platform)
