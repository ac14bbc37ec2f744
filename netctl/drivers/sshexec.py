"""Commands over SSH exec channels (paramiko), with bytes on stdin: what a firmware upgrade needs.

netmiko's interactive shell cannot carry a binary file; an exec channel can (``cat > /tmp/firmware.bin``
with the image on its stdin), and it can speak SCP's source side to a device whose SCP server writes to its
flash (:func:`scp_send`: ``scp -t bootflash:FILE`` on a Catalyst 9800). A command that asks before it acts
(VRP's ``reboot``: ``[Y/N]``) runs in an interactive shell on the same connection instead
(:meth:`ExecSession.converse`), whose questions are answered by the platform's table. Host keys are
checked as for every SSH session of netctl (:class:`netctl.drivers.sshkeys.HostKeyCheck`, after the key
exchange and before authentication), and paramiko and socket exceptions become netctl errors by one table
(:data:`EXCEPTIONS`).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, Any

import paramiko

from netctl.drivers import Target, Transcript
from netctl.drivers.exceptions import Rule, mapped
from netctl.drivers.sshkeys import HostKeyCheck, PinnedKeyPolicy
from netctl.errors import ConnectError, DeviceError

#: paramiko and socket exceptions -> netctl errors: opening the connection, and a command on it
EXCEPTIONS: dict[str, tuple[Rule, ...]] = {
    "connect": (
        Rule((paramiko.AuthenticationException,), DeviceError, "authentication failed for {user}",
             hint="check the AP's credentials reference", note="authentication failed"),
        Rule((TimeoutError, ConnectionError, paramiko.SSHException, OSError, EOFError), ConnectError,
             "unreachable at {host}:{port}: {why}", hint="check that the AP is up and answers SSH",
             note="unreachable: {why}"),
    ),
    "session": (
        Rule((socket.timeout, paramiko.SSHException, OSError, EOFError), message="{what}: {why}",
             note="session lost: {why}"),
    ),
}

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What one command gave back. ``exit_status`` is None when the session dropped before it ended."""

    exit_status: int | None
    output: str
    errors: str
    #: sha256 of the bytes sent on stdin (None when nothing was sent)
    sent_sha256: str | None = None
    sent_bytes: int = 0
    #: a shell conversation (:meth:`ExecSession.converse`): the device ended the session instead of
    #: showing its prompt again (a reboot)
    ended: bool = False


#: the end of a prompt when the platform names none: ``<AC>``, ``[AC]``, ``router#``, ``$``
PROMPT = r"[>\]#$]\s*$"
#: at most this many questions are answered in one conversation
MAX_ANSWERS = 5


def next_answer(output: str, answers: Sequence[tuple[str, str]]) -> str | None:
    """The answer to the question ``output`` ends with: the first ``(pattern, answer)`` whose pattern
    matches its end (None: it asks nothing netctl answers)."""
    tail = output[-300:]
    return next((answer for pattern, answer in answers if re.search(pattern, tail)), None)


class ExecSession:
    """One SSH connection to an AP; each :meth:`run` is a command on a new exec channel."""

    def __init__(self, client: paramiko.SSHClient, target: Target, transcript: Transcript) -> None:
        self.client = client
        self.target = target
        self.transcript = transcript

    def run(self, command: str, *, stdin: IO[bytes] | None = None, timeout: float = 60.0,
            scp: bool = False) -> Answer:
        """Run ``command``; ``stdin`` (a binary file) is sent to it and closed, as its raw bytes or, with
        ``scp``, as one file of the SCP protocol (``command`` is the sink, ``scp -t PATH``: :func:`scp_send`).
        Raises DeviceError when the session fails, a read stalls for ``timeout`` seconds or the SCP sink
        refuses the file."""
        self.transcript.add("->", command + (" < (file)" if stdin is not None else ""))
        with mapped(EXCEPTIONS["session"], self.target, self.transcript, command):
            transport = self.client.get_transport()
            if transport is None or not transport.is_active():
                raise DeviceError(f"{command}: the SSH session is gone", ap=self.target.ap)
            channel = transport.open_session(timeout=timeout)
            try:
                channel.settimeout(timeout)
                channel.exec_command(command)
                digest, sent = None, 0
                if stdin is not None and scp:
                    digest, sent = scp_send(channel, stdin, command, self.target.ap)
                elif stdin is not None:
                    digest, sent = _stream(channel, stdin)
                    channel.shutdown_write()
                output = channel.makefile("rb").read().decode("utf-8", "replace")
                errors = channel.makefile_stderr("rb").read().decode("utf-8", "replace")
                status = channel.recv_exit_status() if channel.status_event.wait(timeout) else -1
            finally:
                channel.close()
        answer = Answer(None if status == -1 else status, output, errors, digest, sent)
        self.transcript.add("<-", (output + errors).rstrip() + f" [exit {answer.exit_status}]")
        return answer

    def converse(self, command: str, *, prompt: str = PROMPT, answers: Sequence[tuple[str, str]] = (),
                 timeout: float = 60.0) -> Answer:
        """Run ``command`` in an interactive shell (with a pty) on a new channel, for a command that asks
        before it acts: wait for the ``prompt``, send the command, answer each question by ``answers``
        (:func:`next_answer`) until the prompt is back or the device ends the session (``ended``: a
        reboot). Raises DeviceError when the session fails, or nothing settles within ``timeout``."""
        self.transcript.add("->", f"{command} (shell)")
        deadline = time.monotonic() + timeout
        with mapped(EXCEPTIONS["session"], self.target, self.transcript, command):
            transport = self.client.get_transport()
            if transport is None or not transport.is_active():
                raise DeviceError(f"{command}: the SSH session is gone", ap=self.target.ap)
            channel = transport.open_session(timeout=timeout)
            try:
                channel.get_pty(width=200)
                channel.invoke_shell()
                said, ended, asked = self._read_until(channel, prompt, (), deadline, command)
                if ended:
                    raise DeviceError(f"{command}: the device ended the session before its prompt: "
                                      f"{said.strip()[-200:]}", ap=self.target.ap)
                channel.sendall((command + "\n").encode())
                output, ended, asked = self._read_until(channel, prompt, answers, deadline, command)
                status = channel.recv_exit_status() if ended and channel.exit_status_ready() else None
            finally:
                channel.close()
        text = output.replace("\r\n", "\n").replace("\r", "")
        self.transcript.add("<-", text.rstrip() + (" [session ended]" if ended else "")
                            + (f" [answered {', '.join(asked)}]" if asked else ""))
        return Answer(status, text, "", ended=ended)

    def _read_until(self, channel: paramiko.Channel, prompt: str, answers: Sequence[tuple[str, str]],
                    deadline: float, command: str) -> tuple[str, bool, list[str]]:
        """Read until the prompt ends the output (False) or the channel closes (True), answering questions.
        Returns the output read, whether the session ended, and the answers given."""
        output, asked = "", list[str]()
        decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character may span two reads
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceError(f"{command}: no prompt and no end of the session in time; last said: "
                                  f"{output.strip()[-200:]!r}", ap=self.target.ap)
            channel.settimeout(min(left, 1.0))
            try:
                chunk = channel.recv(CHUNK)
            except TimeoutError:
                continue
            if not chunk:
                return output, True, asked
            output += decoder.decode(chunk)
            answer = next_answer(output, answers)
            if answer is not None and len(asked) < MAX_ANSWERS:
                asked.append(answer)
                channel.sendall((answer + "\n").encode())
                output += "\n"  # the question is answered: its text no longer ends the output
            elif re.search(prompt, output[-300:]):
                return output, False, asked


def _stream(channel: paramiko.Channel, stdin: IO[bytes]) -> tuple[str, int]:
    """Send the file's bytes; their sha256 and count."""
    hasher, sent = hashlib.sha256(), 0
    for chunk in iter(lambda: stdin.read(CHUNK), b""):
        hasher.update(chunk)
        channel.sendall(chunk)
        sent += len(chunk)
    return hasher.hexdigest(), sent


def scp_send(channel: paramiko.Channel, stdin: IO[bytes], command: str, ap: str) -> tuple[str, int]:
    """The source side of SCP for one file, on a channel whose command is the sink (``scp -t PATH``): wait
    for the sink's go, send ``C0644 SIZE NAME``, the bytes and a NUL, each acknowledged by a NUL. The name
    is the last part of the command's path (after ``device:`` and the last ``/``). Returns the sha256 and
    count of the bytes sent. Raises DeviceError when the sink refuses (its message) or closes early."""
    size = os.fstat(stdin.fileno()).st_size
    name = command.split()[-1].rsplit(":", 1)[-1].rsplit("/", 1)[-1] or "image.bin"
    _scp_ack(channel, "the upload", ap)
    channel.sendall(f"C0644 {size} {name}\n".encode())
    _scp_ack(channel, f"the file {name} ({size} bytes)", ap)
    digest, sent = _stream(channel, stdin)
    if sent != size:
        raise DeviceError(f"the image changed while it was sent ({sent} bytes, not {size})", ap=ap)
    channel.sendall(b"\0")
    _scp_ack(channel, f"the bytes of {name}", ap)
    channel.shutdown_write()
    return digest, sent


def _scp_ack(channel: paramiko.Channel, what: str, ap: str) -> None:
    """One acknowledgement of an SCP sink: NUL, or 1/2 and a message line (a refusal)."""
    reply = channel.recv(1)
    if reply == b"\0":
        return
    if not reply:
        raise DeviceError(f"the SCP server closed the session before it took {what}", ap=ap)
    message = b""
    for _ in range(1024):  # a message line, bounded
        byte = channel.recv(1)
        if byte in (b"", b"\n"):
            break
        message += byte
    said = message.decode("utf-8", "replace").strip() or repr(reply)
    raise DeviceError(f"the SCP server refused {what}: {said}", ap=ap)


@contextmanager
def session(target: Target, transcript: Transcript) -> Iterator[ExecSession]:
    """An SSH connection to ``target`` for exec commands; the host key is checked before logging in.

    Raises ConnectError (unreachable), HostKeyError (not the pinned key) or DeviceError (login refused).
    """
    transcript.add("--", f"connect {target.host}:{target.port} as {target.username} (exec)")
    client = paramiko.SSHClient()
    # no known_hosts file is read: every host key goes to the check
    client.set_missing_host_key_policy(PinnedKeyPolicy(HostKeyCheck(target, transcript)))
    params: dict[str, Any] = {
        "port": target.port, "username": target.username, "password": target.password,
        "key_filename": target.key_file, "timeout": target.timeout, "banner_timeout": target.timeout,
        "auth_timeout": target.timeout, "allow_agent": False, "look_for_keys": False,
    }
    try:
        with mapped(EXCEPTIONS["connect"], target, transcript):
            client.connect(target.host, **params)
        yield ExecSession(client, target, transcript)
    finally:
        with suppress(Exception):  # the connection is gone either way
            client.close()
