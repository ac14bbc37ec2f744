"""A poll worker process: ``python -m netctl.poll.worker`` polls one shard with its own engine.

Input on stdin (JSON): ``{"targets": [Target fields…], "options": {concurrency, timeout, retries}}``;
output on stdout (JSON): one PollResult dict per target. Secrets travel over the pipe only, never
on the command line or in the environment. A plain subprocess (not multiprocessing) so the parent
may be a script, a thread of the TUI or the scheduler, without re-importing its main module or
forking a process that has threads.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any


def main() -> int:
    from netctl.poll.model import Target
    from netctl.poll.snmp import poll_targets

    request: dict[str, Any] = json.load(sys.stdin)
    targets = [Target(**raw) for raw in request["targets"]]
    results = poll_targets(targets, **request.get("options", {}))
    json.dump([asdict(r) for r in results], sys.stdout, default=str)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
