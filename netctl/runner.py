"""One way to run per-AP work over many APs: a :class:`Task`, a :class:`Runner`, :class:`Event` progress.

Config work (push, fetch of the running config) and polls are the same shape: a list of jobs, one
per AP, each ending in one result for that AP. A :class:`Task` says how one kind of work runs a
batch of jobs in this process and how its jobs and results travel as JSON; a :class:`Runner` runs
a task over jobs (like nornir's ``RunnerPlugin``):

- :class:`InProcess` runs the batch here (threads for config work, one event loop for a poll);
- :class:`Processes` shards the jobs over worker processes (``python -m netctl.runner``), one
  wire protocol for every kind of work;
- :func:`runner_for` picks between them from :func:`shard_count`, the one place that decides how
  many worker processes a run gets (the per-kind figures are :data:`SHARD_MIN_APS`);
- within :func:`remote` (``netctl poll --queue``, ``push --queue``), every run of the context goes to a
  :class:`Remote` runner instead, sharded by the same :func:`shard_count` over its capacity: the
  queue's workers, which need no database (:mod:`netctl.devicework`).

Progress is one callback for every kind of work, ``progress(event)`` with an :class:`Event`:
``Event(ap, "start")`` when an AP's work begins (config work only: a poll of one AP takes
milliseconds) and ``Event(ap, "done", result)`` when it ends. "done" events arrive on the calling
thread, so a caller may write each AP's result to its database there, as it arrives.

Worker protocol: the parent writes ``{"kind": name, "jobs": [job dicts], "options": {...}}`` as
JSON on the worker's stdin (credentials and secrets travel over the pipe only, never on the
command line or in the environment) and reads JSON lines from its stdout, one per event and AP as
it happens: ``{"event": "start", "ap": name}`` and ``{"event": "done", "result": {result fields}}``.
A plain subprocess (not multiprocessing), so the parent may be a script, a thread of the TUI or
the scheduler, without re-importing its main module or forking a process that has threads.

A worker that dies, hangs or writes garbage never raises here: its APs without a result become
results made by :attr:`Task.lost` that say what happened. A worker whose controller is gone (its
pipe broke, it was re-parented, or SIGTERM came) starts no further AP; those under way finish.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

J = TypeVar("J")
R = TypeVar("R")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Progress of one AP: ``stage`` "start" (its work begins) or "done" (``result`` is its result)."""

    ap: str
    stage: str
    result: Any = None


#: the one progress callback of every per-AP run: config work, polls, the CLI and the TUI
Progress = Callable[[Event], None]
#: asked before each AP starts; False: the AP is not started and has no result
Proceed = Callable[[], bool]

#: A worker process per this many APs of a kind, at most one per core; fewer than twice as many
#: stay in this process. Config work ("push", "fetch") is seconds of SSH/NETCONF per AP, mostly
#: waiting, but every session also costs CPU under one interpreter lock (paramiko's MACs and
#: transport threads, netmiko's reads): from 50 APs on two processes beat one, and starting a worker (about
#: 0.5 s of imports) is small beside the run. A poll is milliseconds of CPU per AP on the pysnmp
#: engine ("poll": SNMPv1, SHA-2, DES, AES-192/256) and a tenth of a millisecond on the fast path
#: ("poll-fast": SNMPv2c, SNMPv3 MD5/SHA + AES-128): one process polls 10,000 fast-path APs in about
#: a second, faster than starting workers and shipping their results. A mixed poll adds its shares.
SHARD_MIN_APS: dict[str, int] = {"push": 25, "fetch": 25, "poll": 500, "poll-fast": 10_000}


def shard_count(counts: Mapping[str, int], workers: int | None = None, *, sessions: int | None = None) -> int:
    """Worker processes for a run of ``counts`` APs per kind (1: run in this process).

    ``workers`` as asked, else one per :data:`SHARD_MIN_APS` of each kind, at most one per core;
    never more than APs, nor than ``sessions`` when that is the run's total concurrency.
    """
    total = sum(counts.values())
    if workers is None:
        load = sum(count / SHARD_MIN_APS[kind] for kind, count in counts.items())
        elsewhere = _REMOTE.get()
        cores = elsewhere.capacity() if elsewhere is not None else os.cpu_count() or 1
        workers = min(cores, int(load + 1e-9))
    return max(1, min(workers, total, sessions if sessions is not None else total))


@dataclass(frozen=True)
class Task(Generic[J, R]):
    """One kind of per-AP work, as a runner sees it.

    ``run(jobs, options, progress, proceed)`` runs a batch in this process and returns one result
    per job started, in input order; it never raises for one AP's failure. ``lost(job, why,
    seconds)`` is the result of an AP whose worker process failed before reporting it. ``bound``
    (shard size, options) → seconds a worker may take in all, None for no bound but silence.
    ``kind`` names the task in :data:`TASK_MODULES`, so a worker process finds it. ``settle(job)``: seconds
    to wait before trying a job again whose worker died under way (a push: until a confirmed commit it
    may have left has rolled back by its own timer); used by the queue's workers (:mod:`netctl.devicework`).
    """

    kind: str
    run: Callable[[Sequence[J], Mapping[str, Any], Progress | None, Proceed | None], list[R]]
    ap: Callable[[J], str]
    job_to_dict: Callable[[J], dict[str, Any]]
    job_from_dict: Callable[[dict[str, Any]], J]
    result_from_dict: Callable[[dict[str, Any]], R]
    lost: Callable[[J, str, float], R]
    bound: Callable[[int, Mapping[str, Any]], float | None] = field(default=lambda _count, _options: None)
    options: Mapping[str, Any] = field(default_factory=dict)
    settle: Callable[[J], float] = field(default=lambda _job: 0.0)

    def with_options(self, **options: Any) -> Task[J, R]:
        """This task with ``options`` (e.g. concurrency) for every batch it runs."""
        return replace(self, options={**self.options, **options})


class Runner(Protocol):
    """Runs a task over jobs: one result per job, in input order, progress as :class:`Event` s."""

    def run(self, task: Task[J, R], jobs: Sequence[J], progress: Progress | None = None) -> list[R]: ...


class InProcess:
    """The whole batch in this process (threads or an event loop, as the task does it)."""

    def run(self, task: Task[J, R], jobs: Sequence[J], progress: Progress | None = None) -> list[R]:
        return task.run(jobs, task.options, progress, None) if jobs else []


class Remote(Protocol):
    """Runners elsewhere (a task queue's workers): every run within :func:`remote` goes to them."""

    def capacity(self) -> int:
        """How many shards it runs at once (its workers' slots): :func:`shard_count` uses it for the cores."""
        ...

    def sharded(self, shards: int) -> Runner:
        """A runner that sends a run's jobs in ``shards`` shards."""
        ...


_REMOTE: ContextVar[Remote | None] = ContextVar("netctl_remote_runner", default=None)


@contextmanager
def remote(elsewhere: Remote) -> Iterator[Remote]:
    """Within this context (this thread), :func:`runner_for` gives ``elsewhere``'s runner for every run, one
    AP or many: config work and polls run on its workers, and results come back here to be recorded."""
    token = _REMOTE.set(elsewhere)
    try:
        yield elsewhere
    finally:
        _REMOTE.reset(token)


def runner_for(workers: int) -> Runner:
    """:class:`InProcess` for one worker, else :class:`Processes` of ``workers``; within :func:`remote`,
    the remote runner in ``workers`` shards (one or more)."""
    elsewhere = _REMOTE.get()
    if elsewhere is not None:
        return elsewhere.sharded(max(1, workers))
    return InProcess() if workers <= 1 else Processes(workers)


def run_threads(
    items: Sequence[J],
    work: Callable[[J], R],
    *,
    key: Callable[[J], str],
    concurrency: int = 20,
    progress: Progress | None = None,
    proceed: Proceed | None = None,
) -> list[R]:
    """``work(item)`` for every item, at most ``concurrency`` at a time on threads; results in input order.

    ``work`` must not raise (it returns a failure result). The "done" events come on this thread as
    each item ends, "start" on the item's thread. Items ``proceed`` refuses are left out.
    """
    if not items:
        return []
    results: dict[int, R] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items)))) as pool:

        def started(item: J) -> list[R]:
            if proceed is not None and not proceed():
                return []
            if progress:
                progress(Event(key(item), "start"))
            return [work(item)]

        futures = {pool.submit(started, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            index = futures[future]
            for result in future.result():
                results[index] = result
                if progress:
                    progress(Event(key(items[index]), "done", result))
    return [results[i] for i in range(len(items)) if i in results]


# -- worker processes -------------------------------------------------------------------------------

#: no line from any worker for this long means they are stuck (each AP's own work is bounded by
#: connect and RPC timeouts far below it): the workers are stopped and their APs reported
SILENCE_LIMIT_S = 600.0
#: after an interrupt, how long workers get to finish the APs under way (connect + a few RPCs)
STOP_GRACE_S = 45.0
#: how a worker starts (the parent's own interpreter)
WORKER_ARGV = [sys.executable, "-m", "netctl.runner"]


class Processes:
    """Jobs sharded round-robin over ``workers`` worker processes (a site's APs, adjacent in a
    selection, spread over all of them); each AP's result is handed on the moment it arrives."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, task: Task[J, R], jobs: Sequence[J], progress: Progress | None = None) -> list[R]:
        shards = [list(jobs[i :: self.workers]) for i in range(self.workers)]
        shards = [shard for shard in shards if shard]
        if not shards:
            return []
        bound = task.bound(max(len(s) for s in shards), task.options)
        ends_at = None if bound is None else time.monotonic() + bound
        events: queue.Queue[tuple[int, bytes | None]] = queue.Queue()
        results: dict[str, R] = {}
        started: dict[str, float] = {}
        procs: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

        def done(result: R, ap: str) -> None:
            results[ap] = result
            if progress:
                progress(Event(ap, "done", result))

        try:
            for index, shard in enumerate(shards):
                stderr: IO[bytes] = tempfile.TemporaryFile()
                request = {"kind": task.kind, "jobs": [task.job_to_dict(job) for job in shard],
                           "options": dict(task.options)}
                proc = _spawn(request, stderr)
                procs.append((proc, stderr))
                assert proc.stdout is not None
                threading.Thread(target=_reader, args=(index, proc.stdout, events),
                                 name=f"netctl-{task.kind}-shard{index}", daemon=True).start()
            problems: dict[int, str] = {}
            open_streams = len(procs)
            # bounded: each worker sends at most two lines per AP, then EOF; silence or the bound ends it
            for _ in range(2 * len(jobs) + len(procs) + 1):
                if not open_streams:
                    break
                left = None if ends_at is None else ends_at - time.monotonic()
                try:
                    index, line = events.get(timeout=SILENCE_LIMIT_S if left is None else
                                             max(0.0, min(SILENCE_LIMIT_S, left)))
                except queue.Empty:
                    for proc, _stderr in procs:
                        proc.kill()
                    why = (f"no result within {bound:.0f} s; stopped"
                           if left is not None and left <= SILENCE_LIMIT_S
                           else f"no word from it for {SILENCE_LIMIT_S:.0f} s; stopped")
                    problems = dict.fromkeys(range(len(procs)), why)
                    break
                if line is None:
                    open_streams -= 1
                    continue
                try:
                    event = json.loads(line)
                    if event.get("event") == "start":
                        started[event["ap"]] = time.monotonic()
                        if progress:
                            progress(Event(event["ap"], "start"))
                    elif event.get("event") == "done":
                        done(received(task, event["result"]), event["result"]["ap"])
                except (ValueError, TypeError, KeyError, AttributeError):
                    problems[index] = f"unreadable output: {line[:120]!r}"
            for index, (proc, stderr) in enumerate(procs):
                try:
                    code = proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    code = proc.wait(timeout=30)
                if code != 0 and index not in problems:
                    tail = _tail(stderr)
                    problems[index] = f"exit code {code}" + (f": {tail}" if tail else "")
            for index, shard in enumerate(shards):
                for job in shard:
                    ap = task.ap(job)
                    if ap not in results:
                        why = problems.get(index, "it ended without a result for this AP")
                        done(task.lost(job, why, time.monotonic() - started.get(ap, time.monotonic())), ap)
        finally:
            # normally every worker has ended here; after an interrupt they start no further AP and
            # finish the ones under way on their safe path (bounded), then they are killed
            _stop(procs)
        return [results[task.ap(job)] for job in jobs]


def received(task: Task[J, R], raw: dict[str, Any], where: str = "worker process") -> R:
    """The result ``raw`` (its fields as :func:`wire` sent them) as ``task`` makes it; a traceback it
    carries (a bug in the worker, not an answer of the AP) is logged here."""
    result = task.result_from_dict(raw)
    if raw.get("traceback"):
        logger.error("%s: %s (in a %s %s)\n%s", raw["ap"], getattr(result, "reason", None), task.kind, where,
                     str(raw["traceback"]).rstrip())
    return result


def _spawn(request: dict[str, Any], stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(WORKER_ARGV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env)
    assert proc.stdin is not None
    try:
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
    except OSError:  # the worker died at once; its APs are reported by the caller
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


def _stop(procs: list[tuple[subprocess.Popen[bytes], IO[bytes]]]) -> None:
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


#: where each kind of task is defined, as the module's upper-case name (imported only by a worker
#: process that runs it, so a push worker never loads pysnmp, nor a poll worker paramiko)
TASK_MODULES = {"push": "netctl.push.worker", "fetch": "netctl.push.worker", "poll": "netctl.poll.worker"}


def load_task(kind: str) -> Task[Any, Any]:
    """The task ``kind`` (:data:`TASK_MODULES`), for a worker process; LookupError if there is none."""
    if kind not in TASK_MODULES:
        raise LookupError(f"no task {kind!r}; known: {', '.join(sorted(TASK_MODULES))}")
    task = getattr(importlib.import_module(TASK_MODULES[kind]), kind.upper())
    if not isinstance(task, Task) or task.kind != kind:
        raise LookupError(f"{TASK_MODULES[kind]} defines no task {kind!r}")
    return task


def wire(result: Any) -> dict[str, Any]:
    """A result's fields for the pipe: all but the exception object (its traceback travels as text)."""
    return {f.name: getattr(result, f.name) for f in fields(result) if f.name != "exception"}


def main() -> int:
    """Worker side: read the shard from stdin, run it, stream events as JSON lines."""
    import signal

    request: dict[str, Any] = json.load(sys.stdin)
    task = load_task(str(request.get("kind", "push")))
    # libraries that print (paramiko's "Socket exception" lines) must not corrupt the event stream
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    lock = threading.Lock()
    parent = os.getppid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
    begun = [0]

    def emit(event: dict[str, Any]) -> None:
        with lock:
            if stop.is_set():
                return
            try:
                out.write(json.dumps(event, default=str) + "\n")
            except (BrokenPipeError, ValueError):
                stop.set()

    def relay(event: Event) -> None:
        if event.stage == "start":
            emit({"event": "start", "ap": event.ap})
        else:
            emit({"event": "done", "result": wire(event.result)})

    def proceed() -> bool:
        if stop.is_set() or os.getppid() != parent:
            stop.set()
            return False
        with lock:
            begun[0] += 1
        return True

    jobs = [task.job_from_dict(raw) for raw in request["jobs"]]
    task.run(jobs, request.get("options") or {}, relay, proceed)
    if begun[0] < len(jobs):
        sys.stderr.write(f"netctl worker: the controller stopped; {len(jobs) - begun[0]} of {len(jobs)} "
                         "APs not started\n")
        return 4
    try:
        out.close()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    # run as ``-m``, this file is ``__main__``; the tasks are built on the imported netctl.runner
    from netctl.runner import main as worker_main

    sys.exit(worker_main())
