"""Real local peers for notifications: an SMTP server (aiosmtpd) and an HTTP receiver, both on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
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


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (valid one hour) and its key, as PEM files in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "receiver-cert.pem", directory / "receiver-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@contextmanager
def http_receiver(status: int = 200, tls: Path | None = None) -> Iterator[HttpReceiver]:
    """Records each POST as ``{path, headers, json}``; answers ``status``. With ``tls`` (a directory)
    it speaks HTTPS with a self-signed certificate written there (clients must not verify it)."""
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
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self_signed(tls))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpReceiver(server.server_port, posts)
    finally:
        server.shutdown()
        server.server_close()
