"""Real local peers for notifications: an SMTP server (aiosmtpd) and an HTTP receiver, both on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    subject: str
    body: str


@dataclass
class SmtpReceiver:
    port: int
    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), str(message["Subject"]),
                               part.get_content() if part is not None else ""))
        return "250 OK"

    def url(self, to: str = "noc@schule.example") -> str:
        """An Apprise URL that sends plain SMTP (no TLS, no login) to this server."""
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from=netctl@schule.example&to={to}"

    def wait(self, count: int, timeout: float = 5.0) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while len(self.mails) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.mails)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[SmtpReceiver]:
    from aiosmtpd.controller import Controller

    receiver = SmtpReceiver(_free_port())
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


@dataclass
class HttpReceiver:
    port: int
    posts: list[dict[str, Any]] = field(default_factory=list)

    def base(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def http_receiver(status: int = 200) -> Iterator[HttpReceiver]:
    """Records each POST as ``{path, headers, json}``; answers ``status``."""
    posts: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            posts.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(raw or b"null")})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpReceiver(server.server_port, posts)
    finally:
        server.shutdown()
        server.server_close()
