"""Progress bars of the long CLI commands, in a real pseudo-terminal against the lab: the bar on stderr
while the APs answer, its final state (done/total, failed, elapsed) left on the terminal; piped, no bar
and the same bytes on stdout."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from netctl.selection import Selection

NETCTL = str(Path(sys.executable).with_name("netctl"))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(argv: list[str], timeout: float = 60.0) -> tuple[int, bytes, str]:
    """Run ``argv`` with stderr on a pseudo-terminal (80 columns) and stdout on a pipe: (exit code, stdout,
    what the terminal got with its escape sequences removed)."""
    master, slave = os.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    terminal = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                terminal += chunk
            elif proc.poll() is not None:
                break
        assert proc.stdout is not None
        out = proc.stdout.read()
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, out, ANSI.sub("", terminal.decode("utf-8", "replace"))


def test_diff_shows_a_bar_on_a_terminal_and_nothing_when_piped(city: Any, lab: Any) -> None:
    db = city.session.db_path
    argv = [NETCTL, "--db", db, "diff", "--site", "gs-meiderich"]
    aps = len(city.session.select(Selection(site="gs-meiderich")))
    assert aps > 1
    code, out, terminal = run_on_a_terminal(argv)
    final = terminal.replace("\r", "\n").strip().splitlines()[-1]
    # the final state: the command, the bar, done/total, how many failed, the time it took
    assert re.fullmatch(rf"diff ━+ {aps}/{aps} · 0 failed \d:\d\d:\d\d", final.strip()), terminal
    piped = subprocess.run(argv, capture_output=True, timeout=60, check=False)
    assert piped.returncode == code and piped.stdout == out  # stdout: the same bytes, bar or not
    assert b"\xe2\x94\x81" not in piped.stderr and b"\x1b[" not in piped.stderr  # no bar, no escapes
