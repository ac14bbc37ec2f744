"""Config jobs in worker processes: ``python -m netctl.push.worker`` pushes (or reads) one shard of APs.

Why processes: a push is mostly waiting on devices, but every SSH session also costs the
controller CPU under one interpreter lock (packet MACs and framing in paramiko, netmiko's reads,
ncclient's session threads). With 50 sessions in one process the threads spend more time handing
that lock around than working; two processes of 25 sessions each pushed 100 SSH switches in 6 s
instead of 10 s on a 2-core machine. Database writes stay in the parent: workers only talk to
devices, and each AP's result is recorded the moment it arrives, as with threads.

Two kinds of work: ``push`` (:class:`PushJob` → :class:`PushResult`) and ``fetch`` (reading the
running config for backup, diff and drift: :class:`FetchJob` → :class:`Fetched`).

Protocol: the parent writes ``{"kind": "push"|"fetch", "jobs": [job dicts], "concurrency": n}`` as
JSON on the worker's stdin (credentials and secrets travel over the pipe only, never on the command
line or in the environment) and reads JSON lines from its stdout: ``{"event": "start", "ap": name}``
when an AP begins and ``{"event": "done", "result": {result fields}}`` when it ends. A plain
subprocess (not multiprocessing), so the parent may be a script, a thread of the TUI or the
scheduler.

A worker that dies, hangs or writes garbage never raises here: its APs without a result become
failed results that say their state is unknown.
"""

from __future__ import annotations

import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from netctl.push.run import (
    Fetched,
    FetchJob,
    Progress,
    PushJob,
    PushResult,
    fetch_one,
    push_one,
    run_parallel,
)

#: kind -> (job from its dict, the work, the result class)
KINDS: dict[str, tuple[Callable[[dict[str, Any]], Any], Callable[[Any], Any], type]] = {
    "push": (PushJob.from_dict, push_one, PushResult),
    "fetch": (FetchJob.from_dict, fetch_one, Fetched),
}

#: a worker per this many APs (at most one per core); fewer APs are pushed on threads in-process,
#: where starting a worker (about 0.5 s of imports) would cost more than it saves
SHARD_MIN_APS = 25
#: no line from any worker for this long means they are stuck (each AP's own work is bounded by
#: connect and RPC timeouts far below it): the workers are stopped and their APs reported
SILENCE_LIMIT_S = 600.0
#: after an interrupt, how long workers get to finish the APs under way (connect + a few RPCs)
STOP_GRACE_S = 45.0
#: how a worker starts (the parent's own interpreter)
WORKER_ARGV = [sys.executable, "-m", "netctl.push.worker"]


def default_workers(count: int) -> int:
    return max(1, min(os.cpu_count() or 1, count // SHARD_MIN_APS))


def _worker_count(asked: int | None, jobs: int, concurrency: int) -> int:
    """Workers to use: as asked (None: :func:`default_workers`), never more than jobs or sessions."""
    return max(1, min(default_workers(jobs) if asked is None else asked, jobs, max(1, concurrency)))


def run_jobs(
    jobs: Sequence[PushJob],
    *,
    concurrency: int,
    workers: int | None = None,
    progress: Progress | None = None,
    on_result: Callable[[PushResult], None] | None = None,
) -> list[PushResult]:
    """Push every job, ``concurrency`` APs at a time in all; results in input order.

    ``workers`` None picks :func:`default_workers`; 0 or 1 runs on threads in this process.
    ``on_result`` and the "done" progress call run on this thread as each AP finishes.
    """
    workers = _worker_count(workers, len(jobs), concurrency)
    if workers <= 1:
        return run_parallel(
            jobs,
            push_one,
            key=lambda job: job.ap,
            concurrency=concurrency,
            progress=progress,
            on_result=(lambda _job, result: on_result(result)) if on_result else None,
        )

    def lost(job: PushJob, why: str, seconds: float) -> PushResult:
        return PushResult(
            job.ap,
            False,
            "failed",
            reason=(
                f"the push worker process failed ({why}); this AP's config state is unknown: "
                f"check it with netctl drift {job.ap}"
            ),
            duration_s=round(seconds, 3),
            template=job.template,
            rendered_hash=job.rendered_hash,
        )

    return _run_sharded("push", jobs, concurrency, workers, progress, on_result, lost)


def run_fetches(
    jobs: Sequence[FetchJob],
    *,
    concurrency: int,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[Fetched]:
    """Read the running config of every job's AP, ``concurrency`` at a time in all; input order."""
    workers = _worker_count(workers, len(jobs), concurrency)
    if workers <= 1:
        return run_parallel(jobs, fetch_one, key=lambda job: job.ap, concurrency=concurrency, progress=progress)

    def lost(job: FetchJob, why: str, _seconds: float) -> Fetched:
        return Fetched(job.ap, False, "failed", reason=f"the worker process failed ({why})")

    return _run_sharded("fetch", jobs, concurrency, workers, progress, None, lost)


def _shards(jobs: Sequence[Any], workers: int) -> list[list[Any]]:
    """Round-robin, so a site's APs (adjacent in the selection) spread over all workers."""
    return [list(jobs[i::workers]) for i in range(workers)]


def _spawn(kind: str, shard: list[Any], concurrency: int, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        WORKER_ARGV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
    )
    request = json.dumps({"kind": kind, "jobs": [job.to_dict() for job in shard], "concurrency": concurrency})
    assert proc.stdin is not None
    try:
        proc.stdin.write(request.encode())
        proc.stdin.close()
    except OSError:  # the worker died at once; its APs are reported below
        pass
    return proc


def _reader(index: int, stream: IO[bytes], events: queue.Queue[tuple[int, bytes | None]]) -> None:
    try:
        for line in stream:
            events.put((index, line))
    finally:
        events.put((index, None))


def _tail(stderr: IO[bytes]) -> str:
    try:
        stderr.seek(0)
        lines = [ln for ln in stderr.read().decode(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][-300:] if lines else ""


def _run_sharded(
    kind: str,
    jobs: Sequence[Any],
    concurrency: int,
    workers: int,
    progress: Progress | None,
    on_result: Callable[[Any], None] | None,
    lost: Callable[[Any, str, float], Any],
) -> list[Any]:
    """Run ``jobs`` of ``kind`` in ``workers`` processes; ``lost`` makes the result of an AP whose
    worker failed before reporting it."""
    result_class = KINDS[kind][2]
    shards = _shards(jobs, workers)
    per_worker = max(1, math.ceil(concurrency / workers))
    events: queue.Queue[tuple[int, bytes | None]] = queue.Queue()
    results: dict[str, Any] = {}
    started: dict[str, float] = {}
    procs: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    try:
        for index, shard in enumerate(shards):
            stderr: IO[bytes] = tempfile.TemporaryFile()
            proc = _spawn(kind, shard, per_worker, stderr)
            procs.append((proc, stderr))
            assert proc.stdout is not None
            threading.Thread(
                target=_reader, args=(index, proc.stdout, events), name=f"netctl-push-shard{index}", daemon=True
            ).start()
        problems: dict[int, str] = {}
        open_streams = len(procs)
        # bounded: each worker sends at most two lines per AP, then EOF; silence ends it too
        for _ in range(2 * len(jobs) + len(procs) + 1):
            if not open_streams:
                break
            try:
                index, line = events.get(timeout=SILENCE_LIMIT_S)
            except queue.Empty:
                for proc, _stderr in procs:
                    proc.kill()
                problems = {i: f"no word from it for {SILENCE_LIMIT_S:.0f} s; stopped" for i in range(len(procs))}
                break
            if line is None:
                open_streams -= 1
                continue
            try:
                event = json.loads(line)
            except ValueError:
                problems[index] = f"unreadable output: {line[:120]!r}"
                continue
            if event.get("event") == "start":
                started[event["ap"]] = time.monotonic()
                if progress:
                    progress(event["ap"], "start", None)
            elif event.get("event") == "done":
                result = result_class(**event["result"])
                results[result.ap] = result
                if on_result:
                    on_result(result)
                if progress:
                    progress(result.ap, "done", result)
        for index, (proc, stderr) in enumerate(procs):
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait(timeout=30)
            if code != 0 and index not in problems:
                problems[index] = f"exit code {code}" + (f": {_tail(stderr)}" if _tail(stderr) else "")
        for index, shard in enumerate(shards):
            for job in shard:
                if job.ap in results:
                    continue
                why = problems.get(index, "it ended without a result for this AP")
                result = lost(job, why, time.monotonic() - started.get(job.ap, time.monotonic()))
                results[job.ap] = result
                if on_result:
                    on_result(result)
                if progress:
                    progress(job.ap, "done", result)
    finally:
        # normally every worker has ended here; after an interrupt they start no further AP and
        # finish the ones under way on their safe path (bounded), then they are killed
        for proc, _stderr in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc, stderr in procs:
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()
            stderr.close()
    return [results[job.ap] for job in jobs]


def main() -> int:
    """Worker side: read the shard from stdin, push it, stream events as JSON lines.

    When the controller is gone (its pipe broke, this process was re-parented, or SIGTERM came)
    no further AP is started: changes nobody would record are not made. APs already under way
    finish on their safe path, so none is left half-changed.
    """
    import signal

    request: dict[str, Any] = json.load(sys.stdin)
    # libraries that print (paramiko's "Socket exception" lines) must not corrupt the event stream
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    lock = threading.Lock()
    parent = os.getppid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
    skipped: list[str] = []

    def emit(event: dict[str, Any]) -> None:
        with lock:
            if stop.is_set():
                return
            try:
                out.write(json.dumps(event) + "\n")
                out.flush()
            except (BrokenPipeError, ValueError):
                stop.set()

    decode, one, _result_class = KINDS[request.get("kind", "push")]

    def work(job: Any) -> Any:
        if stop.is_set() or os.getppid() != parent:
            stop.set()
            skipped.append(job.ap)
            return None
        emit({"event": "start", "ap": job.ap})
        return one(job)

    def done(_job: Any, result: Any) -> None:
        if result is not None:
            emit({"event": "done", "result": asdict(result)})

    jobs = [decode(raw) for raw in request["jobs"]]
    run_parallel(jobs, work, key=lambda job: job.ap, concurrency=int(request.get("concurrency") or 1), on_result=done)
    if skipped:
        sys.stderr.write(f"netctl worker: the controller stopped; {len(skipped)} of {len(jobs)} APs not started\n")
        return 4
    try:
        out.close()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
