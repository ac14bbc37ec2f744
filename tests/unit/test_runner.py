"""One runner for config work and polls: one sharding decision, one worker protocol, one progress event.

Polls go to closed UDP ports on loopback (nothing answers: each AP is a real timeout), pushes to
port 1 of loopback addresses (each a real, refused connection), so the workers run the real paths
without a lab.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Any

import pytest

from netctl import runner
from netctl.drivers import Target as SshTarget
from netctl.poll.model import Target
from netctl.poll.ops import poll_targets_sharded
from netctl.push import worker
from netctl.push.run import PushJob


def closed_udp_ports(count: int) -> list[int]:
    """Loopback UDP ports nothing listens on (bound, then released)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def jobs(count: int) -> list[PushJob]:
    """Pushes to port 1 of loopback addresses: each a real, refused connection."""
    return [PushJob(f"ap{i:02d}", "openwrt", "cli", SshTarget(f"ap{i:02d}", "openwrt", f"127.0.0.{i + 1}", 1, "admin",
                                                                password="pw", timeout=2), "uci\n", ["pw"])
            for i in range(count)]


def silent_targets(count: int) -> list[Target]:
    return [Target(f"ap{i:02d}", "127.0.0.1", port, "2c", community="public", profile="scalar")
            for i, port in enumerate(closed_udp_ports(count))]


def test_sharding_is_one_table_with_a_row_per_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 8)
    # config work: seconds per AP, a worker per 25 APs
    assert [runner.shard_count({"push": n}) for n in (1, 49, 50, 75, 1000)] == [1, 1, 2, 3, 8]
    assert runner.shard_count({"fetch": 50}) == 2
    # polls: milliseconds per AP, a tenth of that on the fast path
    assert [runner.shard_count({"poll": n}) for n in (999, 1000, 1500)] == [1, 2, 3]
    assert [runner.shard_count({"poll-fast": n}) for n in (19_999, 20_000)] == [1, 2]
    assert runner.shard_count({"poll": 500, "poll-fast": 10_000}) == 2
    # as asked, but never more workers than APs, nor than sessions in all
    assert runner.shard_count({"poll": 2}, 3) == 2
    assert runner.shard_count({"push": 100}, 4, sessions=3) == 3
    assert runner.shard_count({"push": 0}) == runner.shard_count({"push": 5}, 0) == 1


def test_config_work_and_polls_ask_the_same_function_how_many_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, int]] = []
    decide = runner.shard_count

    def spy(counts: Any, workers: int | None = None, **kwargs: Any) -> int:
        asked.append(dict(counts))
        return decide(counts, workers, **kwargs)

    monkeypatch.setattr(runner, "shard_count", spy)
    pushed = worker.run_jobs(jobs(2), concurrency=2)
    polled = poll_targets_sharded(silent_targets(2), workers=None, concurrency=2, timeout=0.2, retries=0)
    assert [r.status for r in pushed] == ["pending", "pending"]
    assert [r.error_kind for r in polled] == ["timeout", "timeout"]
    assert asked == [{"push": 2}, {"poll": 0, "poll-fast": 2}]


def _worker(request: dict[str, Any]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(runner.WORKER_ARGV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    return proc


@pytest.mark.parametrize("kind", ["push", "poll"])
def test_both_kinds_of_worker_stream_each_ap_the_moment_it_ends(kind: str) -> None:
    if kind == "poll":
        given = [asdict(t) for t in silent_targets(3)]
        options: dict[str, Any] = {"concurrency": 1, "timeout": 0.3, "retries": 0}
    else:
        given = [j.to_dict() for j in jobs(3)]
        options = {"concurrency": 1}
    proc = _worker({"kind": kind, "jobs": given, "options": options})
    assert proc.stdout is not None and proc.stderr is not None
    done: list[tuple[str, bool]] = []
    for raw in proc.stdout:  # bounded: the worker ends after its three APs
        event = json.loads(raw)
        if event["event"] == "done":
            done.append((event["result"]["ap"], proc.poll() is None))
    assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    assert [ap for ap, _running in done] == ["ap00", "ap01", "ap02"]
    if kind == "poll":  # each poll is a timeout of 0.3 s at least: the first line came long before the end
        assert done[0][1]


def test_a_poll_worker_starts_no_ap_once_the_controller_is_gone() -> None:
    request = {"kind": "poll", "jobs": [asdict(t) for t in silent_targets(12)],
               "options": {"concurrency": 1, "timeout": 0.3, "retries": 0}}
    proc = subprocess.Popen(runner.WORKER_ARGV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdout.close()  # nobody reads the results any more
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    started = time.monotonic()
    assert proc.wait(timeout=60) == 4
    assert time.monotonic() - started < 12 * 0.3  # it did not poll them all
    err = proc.stderr.read().decode()
    assert "the controller stopped;" in err and "of 12 APs not started" in err
    assert 10 <= int(err.split("the controller stopped; ")[1].split(" of")[0]) <= 12


def test_a_poll_worker_that_dies_leaves_its_aps_failed_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    crash = ("import json, sys\nshard = json.load(sys.stdin)['jobs']\n"
             "sys.stderr.write('worker blew up\\n')\nsys.exit(3)\n")
    monkeypatch.setattr(runner, "WORKER_ARGV", [sys.executable, "-c", crash])
    seen: list[runner.Event] = []
    targets = silent_targets(4)
    results = poll_targets_sharded(targets, workers=2, concurrency=2, timeout=0.2, retries=0, progress=seen.append)
    assert [r.ap for r in results] == [t.ap for t in targets]
    for r in results:
        assert (r.ok, r.error_kind) == (False, "error")
        assert r.error == "poll worker failed (exit code 3: worker blew up)"
    assert sorted((e.ap, e.stage) for e in seen) == [(t.ap, "done") for t in targets]
    assert all(e.result.ap == e.ap for e in seen)


def test_a_poll_worker_writing_garbage_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "WORKER_ARGV", [sys.executable, "-c", "import sys; sys.stdin.read(); print('oops')"])
    results = poll_targets_sharded(silent_targets(2), workers=2, concurrency=2, timeout=0.2, retries=0)
    assert all(r.error_kind == "error" and "unreadable output" in (r.error or "") for r in results)
