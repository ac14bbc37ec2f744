"""A real Prometheus server (Debian's ``prometheus``) for one test, and ``netctl exporter`` as a real process.

Prometheus runs with its own configuration and storage under the test's temporary folder, listens on
loopback only, and is stopped (then killed if it lingers) when the test ends. Every wait is bounded
in time and count.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROMETHEUS = "/usr/bin/prometheus"
INSTALL_HINT = ("Debian's prometheus is missing: run `make install` (it installs the system packages), or "
                "apt-get install -y prometheus with a /usr/sbin/policy-rc.d that exits 101 (no service starts)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return int(reply.status), reply.read()
    except OSError:
        return 0, b""


class Prometheus:
    """A running Prometheus: its base URL and an instant-query helper."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The result vector of an instant query (``/api/v1/query``); raises on an API error."""
        status, body = _get(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
        assert status == 200, f"Prometheus answered {status} to {promql!r}: {body[:300]!r}"
        reply = json.loads(body)
        assert reply["status"] == "success", reply
        return list(reply["data"]["result"])

    def wait_for(self, promql: str, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Query until at least ``count`` series answer (at most ``timeout`` s, every 0.5 s)."""
        result: list[dict[str, Any]] = []
        for _attempt in range(int(timeout / 0.5) + 1):
            result = self.query(promql)
            if len(result) >= count:
                return result
            time.sleep(0.5)
        targets = _get(f"{self.url}/api/v1/targets")[1][:1000]
        raise AssertionError(f"Prometheus has no {count} series for {promql!r} after {timeout:.0f} s "
                             f"(got {len(result)}); targets: {targets!r}; log: {self.log}")


@contextmanager
def prometheus(tmp_path: Path, target: str, *, interval_s: float = 1.0, timeout: float = 30.0) -> Iterator[Prometheus]:
    """Run Prometheus scraping ``target`` (host:port) every ``interval_s``, until the block ends.

    Fails (never skips) with an install hint when the binary is missing.
    """
    if not os.access(PROMETHEUS, os.X_OK):
        raise AssertionError(f"{PROMETHEUS} not found: {INSTALL_HINT}")
    folder = tmp_path / "prometheus"
    (folder / "data").mkdir(parents=True)
    config = folder / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {interval_s:g}s\n  scrape_timeout: {interval_s:g}s\n"
        f"  evaluation_interval: {interval_s:g}s\n"
        f"scrape_configs:\n  - job_name: netctl\n    static_configs:\n      - targets: ['{target}']\n")
    port = free_port()
    log = folder / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    server = Prometheus(f"http://127.0.0.1:{port}", log)
    try:
        for _attempt in range(int(timeout / 0.2) + 1):
            if process.poll() is not None:
                raise AssertionError(f"prometheus exited with {process.returncode}: {log.read_text()[-2000:]}")
            if _get(f"{server.url}/-/ready", timeout=1.0)[0] == 200:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"prometheus not ready within {timeout:.0f} s: {log.read_text()[-2000:]}")
        yield server
    finally:
        _stop(process)
        shutil.rmtree(folder / "data", ignore_errors=True)


@contextmanager
def exporter_process(db_path: str, *, user: str | None = None, timeout: float = 30.0) -> Iterator[str]:
    """``netctl exporter --listen 127.0.0.1:0`` as a process of its own; yields the host:port it serves on."""
    command = [sys.executable, "-c", "from netctl.cli import main; main()", "--db", db_path]
    if user is not None:
        command += ["--user", user]
    process = subprocess.Popen([*command, "exporter", "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL)
    try:
        assert process.stderr is not None
        stderr = process.stderr.fileno()
        seen = ""
        for _attempt in range(int(timeout / 0.1) + 1):
            if select.select([stderr], [], [], 0.1)[0]:
                seen += os.read(stderr, 65536).decode(errors="replace")
            match = re.search(r"serving http://(127\.0\.0\.1:\d+)/metrics", seen)
            if match:
                break
            if process.poll() is not None:
                raise AssertionError(f"netctl exporter exited with {process.returncode}: {seen}")
        else:
            raise AssertionError(f"netctl exporter did not say where it serves within {timeout:.0f} s: {seen!r}")
        yield match.group(1)
    finally:
        _stop(process)
