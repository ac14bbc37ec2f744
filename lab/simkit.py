"""What the lab's CLI simulators served by OpenSSH share: the device a session is for, its state file
locked per command, and the seconds of a lab knob file.

sshd runs each simulator as ``python3 -I <state-dir>/<script>``; the lab copies this module beside the
script (:meth:`lab.lab.Lab._start_simulator`), and the simulator puts its own folder on ``sys.path`` to
import it (``-I`` leaves it out). Standard library only, like the simulators.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def locked_state(state_dir: Path, name: str, initial: Callable[[str], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Device ``name``'s state (``initial(name)`` when it has none yet), locked for one command; written back
    when it changed."""
    path = state_dir / f"{name}.json"
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(path.read_text()) if path.exists() else initial(name)
            before = json.dumps(state, sort_keys=True)
            yield state
            if json.dumps(state, sort_keys=True) != before or not path.exists():
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(state, indent=1))
                os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def knob_seconds(path: Path, default: float, bounds: tuple[float, float]) -> float:
    """The seconds a lab knob file says (bounded by ``bounds``), else ``default`` (no file, not a number)."""
    try:
        wanted = float(path.read_text().strip())
    except (OSError, ValueError):
        return default
    low, high = bounds
    return min(max(wanted, low), high) if wanted == wanted else default  # NaN: the default


def which_device(state_dir: Path, kind: str) -> str:
    """The device this session is for: the local address of the connection (third field of SSH_CONNECTION)
    in ``<state-dir>/aps.json``. Exits the session (status 1) when the address is not there."""
    local = (os.environ.get("SSH_CONNECTION") or "").split()
    try:
        devices = json.loads((state_dir / "aps.json").read_text())
    except (OSError, ValueError):
        devices = {}
    if len(local) < 3 or local[2] not in devices:
        print(f"netctl lab simulator: no {kind} configured for this address", file=sys.stderr)
        raise SystemExit(1)
    return str(devices[local[2]])


def run_lines(lines: str, command: Callable[[str], list[str]], closed: Callable[[], bool], most: int) -> None:
    """The command lines of an exec channel (at most ``most``), each answered, until the device closes."""
    for line in lines.splitlines()[:most]:
        for text in command(line):
            print(text)
        if closed():
            return


def shell(command: Callable[[str], list[str]], prompt: Callable[[], str], closed: Callable[[], bool],
          most: int) -> None:
    """An interactive session: the prompt, a line read, its answer; until the end of input, the device
    closes the session, or ``most`` lines."""
    for _ in range(most):
        sys.stdout.write(prompt())
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            break
        for text in command(line.rstrip("\r\n")):
            print(text)
        if closed():
            break
