"""Workers without the database: device work (push, fetch, poll) as Celery tasks on Redis.

The controller plans (selection, rendered configs, targets with their credentials resolved) and is
the only one that writes the database; a worker talks to devices and nothing else. A run goes to the
queue as the same request a :class:`netctl.runner.Processes` worker reads on its stdin
(``{"kind", "jobs", "options"}``), one Celery task per shard (:func:`netctl.runner.shard_count`
decides how many), and each AP's result comes back to the controller the moment it ends, where it is
recorded by exactly the code that records an in-process run (push: intent journal, verification,
versions, audit; poll: samples, health, alerts). Nothing here imports :mod:`netctl.store`, sqlite3
or sqlite_utils, nor a module that does (a unit test reads the import graph): a worker needs no
database file, no secret store and no secret store key.

What travels, and how (``docs/architecture.md``, "Workers without the database"):

- **The worker key.** One Fernet key (``NETCTL_WORKER_KEY_FILE``, on the controller and on every
  worker; ``python -m netctl.devicework new-key FILE`` makes one, mode 0600), distinct from the secret
  store's key (:class:`WorkerKey` refuses that one). Everything netctl writes to Redis is sealed with
  it (AES-128-CBC + HMAC-SHA256): the task payload (targets with passwords, rendered configs with
  PSKs), every event and result coming back (running configs and backups in them included), the
  per-AP completion markers. Only AP names (in marker fields), run ids and shard numbers are in clear.
  The key also authenticates: a worker runs only tasks sealed with it, so whoever can write to Redis
  without the key cannot make the workers push anything.
- **The controller's heartbeat.** ``netctl:run:RUN:alive`` holds a token sealed by the controller,
  renewed every few seconds; a worker starts an AP only while it is younger than
  :attr:`QueueSettings.alive_s` (by the token's own sealed timestamp, so an old one replayed does not
  count: keep the clocks in sync). A controller that is interrupted, gives up or dies lets it lapse:
  no further AP starts anywhere, those under way finish (as with worker processes), and the intent
  journal reconciles them.
- **acks_late and idempotency.** A task is acknowledged when it ends (``task_acks_late``,
  ``task_reject_on_worker_lost``); a worker killed mid-task leaves it unacknowledged, and Redis gives
  it to another worker after ``visibility_timeout`` (:attr:`QueueSettings.visibility_s`; while its
  worker lives, the task's entry is kept fresh, so a long shard is not handed out twice). One worker at
  a time works on a shard (a lease, ``netctl:run:RUN:shard:N:lease``, renewed while it works). Each AP
  done leaves its sealed result in ``netctl:run:RUN:shard:N`` (field ``done:AP``): a redelivered task
  sends those again instead of acting again. An AP that had started (``try:AP``) but has no result was
  under way when its worker died: it is tried once more (a NETCONF confirmed commit rolls back the
  moment its session drops; every push computes its change from the running config), and an AP whose
  second try dies too is reported with its state unknown.

Run a worker (the queue is ``netctl-devices``; the jobs queue of :mod:`netctl.queue` is separate)::

    export NETCTL_BROKER=redis://:PASSWORD@10.0.0.5:6379/0  NETCTL_WORKER_KEY_FILE=/etc/netctl/worker.key
    celery -A netctl.devicework worker -Q netctl-devices --pool threads --concurrency 4

and on the controller ``netctl poll --queue`` / ``netctl push --queue`` (same two variables), or in
Python ``with netctl.runner.remote(QueueRunner.from_env()): api.config.push(...)``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from netctl import runner
from netctl.errors import ConfigError, SecretError
from netctl.runner import Event, Progress, Task

J = TypeVar("J")
R = TypeVar("R")

logger = logging.getLogger(__name__)

KEY_ENV = "NETCTL_WORKER_KEY_FILE"
BROKER_ENV = "NETCTL_BROKER"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
#: the Celery queue of device shards (workers of netctl.queue's whole jobs listen on "celery")
QUEUE = "netctl-devices"
TASK_NAME = "netctl.devices.shard"
PREFIX = "netctl:run:"
#: how many workers may die while working on one AP before it is reported instead of tried again
MAX_TRIES = 2
#: how long netctl's keys of a run stay in Redis at most (the controller deletes them when it is done)
KEYS_TTL_S = 6 * 3600


# -- the worker key -------------------------------------------------------------------------------
class WorkerKey:
    """The key the controller seals a run with and its workers open it with (Fernet)."""

    def __init__(self, key: bytes | str) -> None:
        from cryptography.fernet import Fernet

        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except ValueError as exc:
            raise SecretError("the worker key is not a valid Fernet key",
                              hint="make one with: python -m netctl.devicework new-key FILE") from exc

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> WorkerKey:
        """The key in ``path`` (default ``$NETCTL_WORKER_KEY_FILE``); never the secret store's key."""
        where = path or os.environ.get(KEY_ENV)
        if not where:
            raise SecretError(f"no worker key: set {KEY_ENV} to the worker key file (the same on the controller "
                              "and on every queue worker)",
                              hint="make one with: python -m netctl.devicework new-key FILE")
        try:
            text = Path(where).read_text().strip()
        except OSError as exc:
            raise SecretError(f"cannot read the worker key file {where}: {exc.strerror}",
                              hint=f"{KEY_ENV} names a file this user can read") from exc
        if text and text in _secret_store_keys():
            raise SecretError("the worker key is the secret store's key: a worker must never hold that one",
                              hint="make a separate key with: python -m netctl.devicework new-key FILE")
        return cls(text)

    @staticmethod
    def new(path: str | os.PathLike[str]) -> Path:
        """Write a new key to ``path`` (mode 0600; an existing file is never overwritten)."""
        from cryptography.fernet import Fernet

        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key() + b"\n")
        return target

    def seal(self, data: Any) -> str:
        return str(self._fernet.encrypt(json.dumps(data, default=str).encode()).decode())

    def open(self, token: str | bytes, ttl: float | None = None) -> Any:
        """The data sealed in ``token``; ``ttl``: sealed at most this many seconds ago. Raises
        cryptography's InvalidToken for another key, a damaged token or one too old."""
        raw = token.encode() if isinstance(token, str) else token
        if ttl is None:
            return json.loads(self._fernet.decrypt(raw))
        return json.loads(self._fernet.decrypt(raw, ttl=max(1, math.ceil(ttl))))


def _secret_store_keys() -> set[str]:
    """The secret store's key as this process would find it (:mod:`netctl.inventory.secrets`)."""
    keys = {os.environ.get("NETCTL_SECRET_KEY", "").strip()}
    path = Path(os.environ.get("NETCTL_SECRET_KEY_FILE") or Path.home() / ".config" / "netctl" / "secret.key")
    try:
        keys.add(path.read_text().strip())
    except OSError:
        pass
    return keys - {""}


# -- settings both sides read ---------------------------------------------------------------------
def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError as exc:
        raise ConfigError(f"${name} is not a number of seconds: {value!r}") from exc
    if number <= 0:
        raise ConfigError(f"${name} must be more than 0 seconds: {value!r}")
    return number


@dataclass(frozen=True)
class QueueSettings:
    """The queue's timing; the controller and the workers must use the same values (environment:
    ``NETCTL_BROKER``, ``NETCTL_QUEUE_VISIBILITY_S``, ``NETCTL_QUEUE_LEASE_S``, ``NETCTL_QUEUE_ALIVE_S``,
    ``NETCTL_QUEUE_PICKUP_S``)."""

    broker: str = DEFAULT_BROKER
    #: a task whose worker died goes to another worker after this long
    visibility_s: float = 60.0
    #: a shard's lease: a dead worker's shard is free again after this long
    lease_s: float = 15.0
    #: a worker starts an AP only while the controller's heartbeat is younger than this
    alive_s: float = 30.0
    #: a run no worker has taken after this long is given up (its APs: nothing was sent)
    pickup_s: float = 60.0

    @classmethod
    def from_env(cls, broker: str | None = None) -> QueueSettings:
        return cls(broker=broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER,
                   visibility_s=_env_float("NETCTL_QUEUE_VISIBILITY_S", cls.visibility_s),
                   lease_s=_env_float("NETCTL_QUEUE_LEASE_S", cls.lease_s),
                   alive_s=_env_float("NETCTL_QUEUE_ALIVE_S", cls.alive_s),
                   pickup_s=_env_float("NETCTL_QUEUE_PICKUP_S", cls.pickup_s))

    @property
    def silence_s(self) -> float:
        """No word from any worker for this long means the run is lost: longer than a redelivery takes."""
        return max(runner.SILENCE_LIMIT_S, self.visibility_s + self.lease_s + 60)


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one run."""

    run: str

    @property
    def alive(self) -> str:
        return f"{PREFIX}{self.run}:alive"

    @property
    def events(self) -> str:
        return f"{PREFIX}{self.run}:events"

    def shard(self, index: int) -> str:
        return f"{PREFIX}{self.run}:shard:{index}"

    def lease(self, index: int) -> str:
        return f"{PREFIX}{self.run}:shard:{index}:lease"


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=15)


# -- the Celery app the workers load --------------------------------------------------------------
def make_app(settings: QueueSettings | None = None) -> Any:
    """A Celery app with the one device task (:data:`TASK_NAME` on queue :data:`QUEUE`); no result
    backend: results come back sealed, per AP, over the run's own keys."""
    from celery import Celery

    settings = settings or QueueSettings.from_env()
    app = Celery("netctl-devices", broker=settings.broker)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=QUEUE,
        task_ignore_result=True,
        # a shard is acknowledged when it ends: a worker that dies leaves it to another (idempotent, above)
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.visibility_s,
            "unacked_restore_interval": max(1.0, settings.visibility_s / 4),
            "unacked_restore_throttle": 1,
        },
    )
    app.netctl_settings = settings

    # not shared with other apps of this process: each app's task runs with its own settings
    @app.task(name=TASK_NAME, bind=True, shared=False)
    def shard_task(self: Any, run: str, shard: int, sealed: str) -> dict[str, Any]:
        mine: QueueSettings = self.app.netctl_settings
        return work_shard(_redis(mine.broker), mine, run, int(shard), sealed, task_id=self.request.id)

    return app


# -- worker side ----------------------------------------------------------------------------------
_RENEW = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0"""
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""
#: kombu's unacknowledged messages (delivery tag -> message) and their index (score: when delivered);
#: the entry of a task under way is refreshed, so Redis hands it to another worker only once ours is gone
UNACKED = "unacked"
UNACKED_INDEX = "unacked_index"


def _delivery_tag(client: Any, task_id: str | None) -> str | None:
    """The delivery tag kombu gave the message of task ``task_id`` (None when it is not found: then a
    shard running longer than the visibility timeout is handed out once more, and waits on the lease)."""
    if not task_id:
        return None
    for tag, payload in client.hscan_iter(UNACKED, count=200):
        if task_id.encode() in payload:
            return str(tag.decode())
    return None


def worker_id() -> str:
    """``host/pid/random``: who holds a shard's lease (the tests read the pid)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def work_shard(client: Any, settings: QueueSettings, run: str, shard: int, sealed: str, *,
               key: WorkerKey | None = None, task_id: str | None = None) -> dict[str, Any]:
    """Run one shard of a run on this worker: the body of the Celery task (never raises).

    Opens the request with the worker key, waits for the shard's lease, sends the stored result of
    every AP already done, and runs the rest (an AP under way when an earlier worker died once more,
    twice never), each result sealed, stored as the AP's completion marker and sent to the
    controller. Starts no AP once the controller's heartbeat has lapsed. Returns counts (no secrets:
    Celery may log it).
    """
    keys = RunKeys(run)

    def plain_error(why: str) -> dict[str, Any]:
        # unsealed: only an "error" event may be; it makes the shard's APs lost, nothing more
        logger.error("netctl device shard %s/%s: %s", run, shard, why)
        client.rpush(keys.events, json.dumps({"shard": shard, "event": "error", "why": why}))
        client.expire(keys.events, KEYS_TTL_S)
        return {"shard": shard, "error": why}

    try:
        key = key or WorkerKey.from_file()
    except SecretError as exc:
        return plain_error(f"the worker has no usable key ({exc.message})")
    from cryptography.fernet import InvalidToken

    try:
        request = key.open(sealed)
    except (InvalidToken, ValueError):
        return plain_error(f"the worker cannot open the task with its key: its {KEY_ENV} differs from the "
                           "controller's")
    me = worker_id()

    def emit(event: dict[str, Any]) -> str:
        token = key.seal({**event, "shard": shard})
        client.rpush(keys.events, token)
        return token

    alive_checked = [0.0, False]

    def controller_alive() -> bool:
        now = time.monotonic()
        if now - alive_checked[0] < 1.0:
            return bool(alive_checked[1])
        token = client.get(keys.alive)
        ok = False
        if token:
            try:
                ok = key.open(token, ttl=settings.alive_s).get("run") == run
            except (InvalidToken, ValueError, AttributeError):
                ok = False
        alive_checked[:] = [now, ok]
        return ok

    try:
        emit({"event": "begin", "worker": me})
        lease_ms = int(settings.lease_s * 1000)
        while not client.set(keys.lease(shard), me, nx=True, px=lease_ms):
            if not controller_alive():
                emit({"event": "end", "worker": me, "ran": 0, "resent": 0, "refused": "the controller is gone"})
                return {"shard": shard, "ran": 0, "refused": "the controller is gone"}
            time.sleep(min(1.0, settings.lease_s / 4))
        stop = threading.Event()
        lost_lease = threading.Event()

        def keep() -> None:
            delivery_tag = _delivery_tag(client, task_id)
            while not stop.wait(settings.lease_s / 3):
                if not client.eval(_RENEW, 1, keys.lease(shard), me, lease_ms):
                    lost_lease.set()
                    return
                if delivery_tag:  # our task is not handed to another worker while we work on it
                    client.zadd(UNACKED_INDEX, {delivery_tag: time.time()}, xx=True)

        keeper = threading.Thread(target=keep, name=f"netctl-lease-{run}-{shard}", daemon=True)
        keeper.start()
        try:
            return _run_shard(client, key, keys, shard, request, emit, controller_alive, lost_lease, me)
        finally:
            stop.set()
            keeper.join(timeout=5)
            client.eval(_RELEASE, 1, keys.lease(shard), me)
    except Exception as exc:  # noqa: BLE001 - the controller hears of it, the task ends
        logger.exception("netctl device shard %s/%s failed", run, shard)
        try:
            emit({"event": "error", "why": f"the worker failed: {type(exc).__name__}: {exc}"})
        except Exception:  # noqa: BLE001 - Redis itself is gone: the controller's silence limit applies
            pass
        return {"shard": shard, "error": type(exc).__name__}


def _run_shard(client: Any, key: WorkerKey, keys: RunKeys, shard: int, request: dict[str, Any],
               emit: Callable[[dict[str, Any]], str], controller_alive: Callable[[], bool],
               lost_lease: threading.Event, me: str) -> dict[str, Any]:
    task: Task[Any, Any] = runner.load_task(str(request["kind"]))
    jobs = [task.job_from_dict(raw) for raw in request["jobs"]]
    marks = {k.decode(): v for k, v in client.hgetall(keys.shard(shard)).items()}
    found = time.monotonic()
    resent = 0
    todo = []
    again = []
    for job in jobs:
        ap = task.ap(job)
        done = marks.get(f"done:{ap}")
        if done is not None:
            client.rpush(keys.events, done)  # the stored result, as sent the first time
            resent += 1
        elif int(marks.get(f"try:{ap}", 0)) >= MAX_TRIES:
            result = task.lost(job, f"{MAX_TRIES} queue workers ended while working on this AP", 0.0)
            _done(client, key, keys, shard, ap, result)
        elif int(marks.get(f"try:{ap}", 0)):
            logger.warning("%s: under way when a queue worker ended; trying it once more", ap)
            again.append(job)
        else:
            todo.append(job)
    begun = [0]

    def proceed() -> bool:
        if lost_lease.is_set() or not controller_alive():
            return False
        begun[0] += 1
        return True

    def relay(event: Event) -> None:
        if event.stage == "start":  # before the AP's device work begins: a worker dying now leaves a try
            client.hincrby(keys.shard(shard), f"try:{event.ap}", 1)
            client.expire(keys.shard(shard), KEYS_TTL_S)
            emit({"event": "start", "ap": event.ap})
        else:
            _done(client, key, keys, shard, event.ap, event.result)

    options = request.get("options") or {}
    if todo:
        task.run(todo, options, relay, proceed)
    if again:
        # the APs under way when a worker died go last, once what that worker may have left has settled
        # (a confirmed commit with a persist token outlives its session until the AP's own timer fires)
        settled = found + max(task.settle(job) for job in again)
        while time.monotonic() < settled and controller_alive() and not lost_lease.is_set():
            time.sleep(min(0.5, max(0.0, settled - time.monotonic())))
        task.run(again, options, relay, proceed)
    todo += again
    refused = len(todo) - begun[0]
    summary = {"ran": begun[0], "resent": resent, "refused": refused}
    emit({"event": "end", "worker": me, **summary})
    if refused:
        logger.warning("netctl device shard %s/%s: %s of %s APs not started (the controller is gone or the lease "
                       "was lost)", keys.run, shard, refused, len(todo))
    return {"shard": shard, **summary}


def _done(client: Any, key: WorkerKey, keys: RunKeys, shard: int, ap: str, result: Any) -> None:
    """Seal the AP's result, keep it as its completion marker and send it, in one transaction."""
    token = key.seal({"event": "done", "shard": shard, "result": runner.wire(result)})
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.shard(shard), f"done:{ap}", token)
    pipe.expire(keys.shard(shard), KEYS_TTL_S)
    pipe.rpush(keys.events, token)
    pipe.expire(keys.events, KEYS_TTL_S)
    pipe.execute()


# -- controller side ------------------------------------------------------------------------------
@dataclass
class QueueRunner:
    """A :class:`netctl.runner.Remote`: runs go to the device workers of the queue, results come back here.

    ``shards`` None: as :func:`netctl.runner.shard_count` decides (:meth:`capacity`: the slots of the
    workers that answer, asked once; ``capacity_hint`` to skip asking).
    """

    settings: QueueSettings
    key: WorkerKey
    shards: int | None = None
    capacity_hint: int | None = None
    app: Any = field(default=None, repr=False)

    @classmethod
    def from_env(cls, broker: str | None = None, *, key_file: str | None = None) -> QueueRunner:
        return cls(QueueSettings.from_env(broker), WorkerKey.from_file(key_file))

    def _app(self) -> Any:
        if self.app is None:
            self.app = make_app(self.settings)
        return self.app

    def capacity(self) -> int:
        if self.capacity_hint is None:
            try:
                stats = self._app().control.inspect(timeout=1.0).stats() or {}
            except Exception:  # noqa: BLE001 - no answer: one shard at a time
                stats = {}
            slots = sum(int((s.get("pool") or {}).get("max-concurrency") or 1) for s in stats.values())
            self.capacity_hint = max(1, slots)
        return self.capacity_hint

    def sharded(self, shards: int) -> QueueRunner:
        return QueueRunner(self.settings, self.key, shards, self.capacity_hint, self._app())

    def run(self, task: Task[J, R], jobs: Sequence[J], progress: Progress | None = None) -> list[R]:
        if not jobs:
            return []
        count = max(1, min(self.shards or 1, len(jobs)))
        shards = [list(jobs[i::count]) for i in range(count)]
        client = _redis(self.settings.broker)
        keys = RunKeys(uuid.uuid4().hex)
        results: dict[str, R] = {}
        started: dict[str, float] = {}
        problems: dict[int, str] = {}
        begun: dict[int, float] = {}
        ended: set[int] = set()
        bound = task.bound(max(len(s) for s in shards), task.options)
        stop = threading.Event()

        def beat() -> None:
            client.set(keys.alive, self.key.seal({"run": keys.run}), ex=max(1, math.ceil(self.settings.alive_s)))

        def beating() -> None:
            while not stop.wait(max(0.5, self.settings.alive_s / 6)):
                try:
                    beat()
                except Exception:  # noqa: BLE001 - Redis away for a moment: the next beat tries again
                    logger.warning("the queue's heartbeat could not be written", exc_info=True)

        def done(ap: str, result: R) -> None:
            results[ap] = result
            if progress:
                progress(Event(ap, "done", result))

        from cryptography.fernet import InvalidToken

        beat()
        heart = threading.Thread(target=beating, name=f"netctl-queue-{keys.run[:8]}", daemon=True)
        heart.start()
        try:
            app = self._app()
            for index, shard in enumerate(shards):
                request = {"kind": task.kind, "jobs": [task.job_to_dict(job) for job in shard],
                           "options": dict(task.options)}
                app.send_task(TASK_NAME, args=[keys.run, index, self.key.seal(request)], queue=QUEUE)
            sent = last_word = time.monotonic()
            while len(ended) < len(shards):
                now = time.monotonic()
                if not begun and now - sent > self.settings.pickup_s:
                    why = (f"no queue worker took the run within {self.settings.pickup_s:.0f} s (is one running, "
                           f"on queue {QUEUE} of this broker?); nothing was sent")
                    problems.update(dict.fromkeys(set(range(len(shards))) - ended, why))
                    break
                if now - last_word > self.settings.silence_s:
                    why = f"no word from the queue workers for {self.settings.silence_s:.0f} s; stopped"
                    problems.update(dict.fromkeys(set(range(len(shards))) - ended, why))
                    break
                if bound is not None:
                    for index in set(begun) - ended:
                        if now - begun[index] > bound + self.settings.visibility_s + self.settings.lease_s:
                            problems[index] = f"no result within {bound:.0f} s; stopped"
                            ended.add(index)
                    if len(ended) == len(shards):
                        break
                item = client.blpop([keys.events], timeout=1)
                if item is None:
                    continue
                last_word = time.monotonic()
                event = self._event(item[1], InvalidToken)
                if event is None:
                    continue
                index = int(event.get("shard", -1))
                if not 0 <= index < len(shards):
                    continue
                kind = event.get("event")
                if kind == "begin":
                    begun.setdefault(index, time.monotonic())
                elif kind == "start":
                    started[str(event["ap"])] = time.monotonic()
                    if progress:
                        progress(Event(str(event["ap"]), "start"))
                elif kind == "done":
                    raw = event["result"]
                    if raw["ap"] not in results:  # a redelivered shard sends its APs again: the first counts
                        done(raw["ap"], runner.received(task, raw, "queue worker"))
                elif kind == "end":
                    ended.add(index)
                elif kind == "error":
                    problems[index] = str(event.get("why"))
                    ended.add(index)
            for index, shard in enumerate(shards):
                for job in shard:
                    ap = task.ap(job)
                    if ap not in results:
                        why = problems.get(index, "its queue worker ended without a result for this AP")
                        done(ap, task.lost(job, why, time.monotonic() - started.get(ap, time.monotonic())))
        finally:
            # first the heartbeat: from now on no worker starts an AP of this run (those under way finish)
            stop.set()
            heart.join(timeout=5)
            try:
                client.delete(keys.alive, keys.events, *(keys.shard(i) for i in range(len(shards))))
            except Exception:  # noqa: BLE001 - they expire by themselves
                logger.warning("the queue's keys of run %s could not be removed", keys.run, exc_info=True)
            client.close()
        return [results[task.ap(job)] for job in jobs]

    def _event(self, raw: bytes, invalid: type[Exception]) -> dict[str, Any] | None:
        """An event from a worker: sealed with the key, or an unsealed "error" (which can only fail a shard)."""
        try:
            event = self.key.open(raw)
        except (invalid, ValueError):
            try:
                event = json.loads(raw)
            except ValueError:
                logger.warning("an unreadable event on the queue was ignored")
                return None
            if not isinstance(event, dict) or event.get("event") != "error":
                logger.warning("an unsealed event on the queue was ignored")
                return None
        return event if isinstance(event, dict) else None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m netctl.devicework new-key FILE``: a new worker key (mode 0600)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "new-key":
        sys.stderr.write("usage: python -m netctl.devicework new-key FILE\n")
        return 2
    try:
        path = WorkerKey.new(args[1])
    except FileExistsError:
        sys.stderr.write(f"{args[1]} exists; not overwritten\n")
        return 1
    sys.stdout.write(f"worker key written to {path} (give it to the controller and every queue worker as "
                     f"{KEY_ENV})\n")
    return 0


#: the app ``celery -A netctl.devicework worker -Q netctl-devices`` loads
app = make_app()

if __name__ == "__main__":
    sys.exit(main())
