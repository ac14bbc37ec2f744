"""Command-hook notifier: run a program per alert event, the event as JSON on its stdin.

The command line is split like a shell would (no shell is started). The environment gets
``NETCTL_ALERT_ID``, ``NETCTL_ALERT_AP``, ``NETCTL_ALERT_KIND``, ``NETCTL_ALERT_STATE``,
``NETCTL_ALERT_EVENT`` and ``NETCTL_ALERT_MESSAGE`` for scripts that do not read JSON.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from typing import Any

from netctl.errors import ConfigError, NetctlError


class CommandNotifier:
    """Run ``target`` (a command line) with the event on stdin; a non-zero exit is a failure."""

    def __init__(self, target: str, *, timeout: float = 10.0) -> None:
        self.argv = shlex.split(target)
        if not self.argv:
            raise ConfigError("empty notifier command", hint="give the program to run, e.g. /usr/local/bin/page-noc")
        self.timeout = float(timeout)

    def send(self, event: dict[str, Any]) -> None:
        env = dict(os.environ)
        for key in ("id", "ap", "kind", "state", "event", "message"):
            env[f"NETCTL_ALERT_{key.upper()}"] = str(event.get(key, ""))
        try:
            done = subprocess.run(self.argv, input=json.dumps(event, default=str), text=True, env=env,
                                  capture_output=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NetctlError(f"notifier command {self.argv[0]} failed: {exc}",
                              hint="check the path and that it finishes quickly") from exc
        if done.returncode != 0:
            raise NetctlError(f"notifier command {self.argv[0]} exited {done.returncode}: "
                              f"{(done.stderr or '').strip()[:200]}")
