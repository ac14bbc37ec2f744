"""Real queue processes for the tests: a private redis-server on 127.0.0.1 (optionally with a password),
netctl's device workers as Celery worker processes (optionally unable to see the database), and a reader
of everything Redis holds."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.procs import stop_pids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(directory: Path, password: str | None = None) -> Iterator[str]:
    """A private redis-server bound to 127.0.0.1 (no persistence), stopped afterwards; yields its URL
    (carrying the password when there is one)."""
    import redis

    server = shutil.which("redis-server")
    assert server, "redis-server is missing: `python -m lab install` installs it"
    port = free_port()
    argv = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
            "--dir", str(directory)]
    if password:
        argv += ["--requirepass", password]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://:{password}@127.0.0.1:{port}/0" if password else f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(url, socket_timeout=1).ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        stop_pids([proc.pid], timeout=20)
        proc.wait(timeout=20)


#: what runs first in a worker that must not see the database: it checks, in its own mount namespace,
#: that the file is not there to read, says so in its log, and only then becomes the Celery worker
_UNREADABLE_THEN_WORKER = textwrap.dedent("""\
    import os, sys
    db = os.environ.pop("NETCTL_TEST_DB_UNREADABLE")
    try:
        open(db, "rb").close()
    except OSError as exc:
        print(f"database unreadable here: {db}: {type(exc).__name__}", flush=True)
    else:
        print(f"database READABLE here: {db}", flush=True)
        sys.exit(97)
    os.execv(sys.executable, [sys.executable, "-m", "celery", *sys.argv[1:]])
""")


@dataclass
class DeviceWorker:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def device_workers(broker: str, key_file: Path, logs: Path, count: int = 2, *, concurrency: int = 2,
                   hide_db: Path | None = None, settings: dict[str, str] | None = None) -> Iterator[list[DeviceWorker]]:
    """``count`` Celery worker processes of :mod:`netctl.devicework` (threads pool), ready when yielded.

    ``hide_db``: each runs in a private mount namespace (``unshare --mount --propagation private``, as
    root) with an empty tmpfs over the database file's directory, and checks there that the file cannot
    be read before it starts (its log says so). No worker gets the secret store's key.
    """
    from netctl.devicework import QueueSettings, make_app

    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCTL_SECRET_KEY")}
    env.update({"NETCTL_BROKER": broker, "NETCTL_WORKER_KEY_FILE": str(key_file), **(settings or {})})
    workers: list[DeviceWorker] = []
    try:
        for index in range(count):
            name = f"netctl-dev{index}-{os.getpid()}@localhost"
            celery = ["-A", "netctl.devicework", "worker", "-Q", "netctl-devices", "--pool", "threads",
                      "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-mingle",
                      "--without-gossip", "--hostname", name]
            if hide_db is None:
                argv = [sys.executable, "-m", "celery", *celery]
                worker_env = env
            else:
                assert os.geteuid() == 0, "a private mount namespace needs root (the suite runs as root)"
                hidden = str(hide_db.parent)
                argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                        'mount -t tmpfs netctl-no-db "$0" && exec "$@"', hidden,
                        sys.executable, "-c", _UNREADABLE_THEN_WORKER, *celery]
                worker_env = {**env, "NETCTL_TEST_DB_UNREADABLE": str(hide_db)}
            log = logs / f"device-worker{index}.log"
            with log.open("w") as out:
                proc = subprocess.Popen(argv, env=worker_env, stdout=out, stderr=subprocess.STDOUT, cwd=str(logs))
            workers.append(DeviceWorker(name, proc, log))
        app = make_app(QueueSettings.from_env(broker))
        deadline = time.monotonic() + 60
        while True:
            answered = {name for reply in (app.control.ping(timeout=1) or []) for name in reply}
            if answered >= {w.name for w in workers}:
                break
            for w in workers:
                assert w.proc.poll() is None, f"{w.name} ended: {w.text()[-3000:]}"
            assert time.monotonic() < deadline, "\n".join(w.text()[-1500:] for w in workers)
        yield workers
    finally:
        stop_pids([w.proc.pid for w in workers], timeout=30)
        for w in workers:
            w.proc.wait(timeout=30)


def redis_contents(url: str) -> bytes:
    """Everything this Redis holds, every key and value of every type, with each Celery message's body
    decoded as well (kombu sends bodies base64-encoded), as one byte string to search."""
    import redis

    client: Any = redis.Redis.from_url(url)
    parts: list[bytes] = []
    for key in client.scan_iter(count=500):
        kind = client.type(key).decode()
        parts.append(key)
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = [b for pair in client.hgetall(key).items() for b in pair]
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [m for m, _score in client.zrange(key, 0, -1, withscores=True)]
        else:
            values = []
        for value in values:
            parts.append(value)
            parts.extend(decoded_bodies(value))
    client.close()
    return b"\n".join(parts)


def decoded_bodies(value: bytes) -> list[bytes]:
    """The base64 bodies of a kombu message (alone, or inside the [message, exchange, key] of 'unacked')."""
    try:
        data: Any = json.loads(value)
    except ValueError:
        return []
    found: list[bytes] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            encoding = item.get("body_encoding") or (item.get("properties") or {}).get("body_encoding")
            if encoding == "base64" and isinstance(item.get("body"), str):
                found.append(base64.b64decode(item["body"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def lab_secret_values(secrets: dict[str, str], *extra: str) -> list[str]:
    """Every password, PSK, community and key of the lab's secrets (JSON credentials: their password and
    enable secret), and ``extra``."""
    values = list(extra)
    for value in secrets.values():
        if value.startswith("{"):
            creds = json.loads(value)
            values += [str(creds[f]) for f in ("password", "secret") if creds.get(f)]
        else:
            values.append(value)
    return sorted({v for v in values if len(v) >= 6})
