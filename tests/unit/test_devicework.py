"""Workers without the database (netctl.devicework): what a device worker may import, the worker key, and
the shard protocol against a real, private redis-server (no Celery: the "worker" is work_shard on a
thread). Pushes go to port 1 of loopback addresses (each a real, refused connection), as in
test_runner.py, so the real push path runs without a lab."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from netctl import runner
from netctl.devicework import KEY_ENV, MAX_TRIES, QueueRunner, QueueSettings, RunKeys, WorkerKey, work_shard
from netctl.drivers import DRIVERS, PushOptions
from netctl.drivers import Target as SshTarget
from netctl.push.run import PushJob
from netctl.push.worker import PUSH, SETTLE_GRACE_S
from tests.helpers.queue import redis_server

ROOT = Path(__file__).resolve().parents[2]
#: what a device worker must never load: the database layer, and what opens SQLite files
FORBIDDEN = ("netctl.store", "netctl.core", "netctl.inventory", "sqlite3", "sqlite_utils", "netctl.schedule",
             "netctl.queue")


def _module_file(name: str) -> Path | None:
    path = ROOT / Path(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (absolute imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def import_graph(*roots: str) -> dict[str, str | None]:
    """Module -> the module that imports it, for everything ``roots`` may import (netctl's own modules
    followed, with their packages' ``__init__``; other modules as leaves)."""
    seen: dict[str, str | None] = {}
    todo: list[tuple[str, str | None]] = [(root, None) for root in roots]
    while todo:
        name, parent = todo.pop()
        if name in seen:
            continue
        seen[name] = parent
        if not name.startswith("netctl"):
            continue
        path = _module_file(name)
        if path is None:
            continue
        parts = name.split(".")
        todo += [(".".join(parts[:i]), name) for i in range(1, len(parts))]
        todo += [(imported, name) for imported in _imports(path)]
    return seen


def chain(graph: dict[str, str | None], name: str) -> str:
    links = [name]
    while graph[links[-1]] is not None:
        links.append(str(graph[links[-1]]))
    return " <- ".join(links)


def test_a_device_worker_imports_nothing_that_opens_the_database() -> None:
    """The device task module, every task it runs and every built-in driver: no path of imports (lazy
    ones inside functions included) reaches the store, the secret store or SQLite."""
    roots = ["netctl.devicework", *runner.TASK_MODULES.values(),
             *(str(DRIVERS.get(name)).split(":")[0] for name in DRIVERS)]
    graph = import_graph(*roots)
    assert "netctl.drivers.netconf" in graph and "netctl.poll.snmp" in graph and "netctl.push.run" in graph
    bad = sorted(chain(graph, m) for m in graph if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert bad == []


def test_a_device_worker_loads_no_sqlite_when_it_runs() -> None:
    code = ("import sys, netctl.devicework as d; from netctl import runner; from netctl.drivers import get_driver\n"
            "[runner.load_task(k) for k in ('push', 'fetch', 'poll')]; get_driver('netconf'); get_driver('cli')\n"
            "import netctl.poll.snmp, netctl.poll.fast, netctl.poll.gate, netctl.push.run\n"
            f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# -- the worker key ---------------------------------------------------------------------------------
def test_the_worker_key_seals_and_only_it_opens(tmp_path: Path) -> None:
    from cryptography.fernet import InvalidToken

    one, other = WorkerKey.new(tmp_path / "one.key"), WorkerKey.new(tmp_path / "other.key")
    assert oct(one.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(FileExistsError):
        WorkerKey.new(one)
    key = WorkerKey.from_file(one)
    token = key.seal({"password": "Hunter-22-secret"})
    assert "Hunter-22-secret" not in token
    assert key.open(token) == {"password": "Hunter-22-secret"}
    with pytest.raises(InvalidToken):
        WorkerKey.from_file(other).open(token)


def test_the_worker_key_is_never_the_secret_store_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netctl.errors import SecretError

    path = WorkerKey.new(tmp_path / "w.key")
    monkeypatch.setenv("NETCTL_SECRET_KEY", path.read_text().strip())
    with pytest.raises(SecretError, match="secret store's key"):
        WorkerKey.from_file(path)
    monkeypatch.delenv("NETCTL_SECRET_KEY")
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(SecretError, match=KEY_ENV):
        WorkerKey.from_file()


# -- the shard protocol on a real Redis -------------------------------------------------------------
@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path, password="unit-broker-pw") as url:
        yield url


@pytest.fixture
def key(tmp_path: Path) -> WorkerKey:
    return WorkerKey.from_file(WorkerKey.new(tmp_path / "worker.key"))


def jobs(count: int) -> list[PushJob]:
    return [PushJob(f"ap{i:02d}", "openwrt", "cli", SshTarget(f"ap{i:02d}", "openwrt", f"127.0.0.{i + 1}", 1, "admin",
                                                                password=f"pw-{i}-Secret", timeout=2), "uci\n",
                    [f"pw-{i}-Secret"], options=PushOptions(confirm_timeout=1))
            for i in range(count)]


SETTINGS = QueueSettings(visibility_s=2, lease_s=1, alive_s=5, pickup_s=2)


def client_for(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def request(items: list[PushJob]) -> dict[str, Any]:
    return {"kind": "push", "jobs": [j.to_dict() for j in items], "options": {"concurrency": 1}}


def events(client: Any, key: WorkerKey, run: str) -> list[dict[str, Any]]:
    return [key.open(raw) for raw in client.lrange(RunKeys(run).events, 0, -1)]


def test_a_redelivered_shard_resends_what_is_done_tries_the_ap_under_way_once_and_no_more(
        redis_url: str, key: WorkerKey) -> None:
    client, run, shard = client_for(redis_url), "r1", 0
    keys = RunKeys(run)
    client.set(keys.alive, key.seal({"run": run}))
    items = jobs(3)
    first = work_shard(client, SETTINGS, run, shard, key.seal(request(items)), key=key)
    assert first == {"shard": 0, "ran": 3, "resent": 0, "refused": 0}
    told = events(client, key, run)
    assert [e["event"] for e in told][::7] == ["begin", "end"]
    assert sorted((e["event"], e.get("ap") or e["result"]["ap"]) for e in told[1:-1]) == sorted(
        (stage, f"ap{i:02d}") for i in range(3) for stage in ("start", "done"))
    stored = {e["result"]["ap"]: e for e in told if e["event"] == "done"}
    assert all(r["result"]["status"] == "pending" for r in stored.values())
    # as if a worker died: ap01 was under way (started once, no result), ap02 had died under two workers
    client.hdel(keys.shard(shard), "done:ap01", "done:ap02")
    client.hset(keys.shard(shard), mapping={"try:ap01": 1, "try:ap02": MAX_TRIES})
    client.delete(keys.events)
    client.set(keys.alive, key.seal({"run": run}))
    started = time.monotonic()
    again = work_shard(client, SETTINGS, run, shard, key.seal(request(items)), key=key)
    # the AP under way is tried again only once a confirmed commit it may have left has rolled back
    assert time.monotonic() - started >= PUSH.settle(items[1]) == 1 + SETTLE_GRACE_S
    assert again == {"shard": 0, "ran": 1, "resent": 1, "refused": 0}
    told = events(client, key, run)
    assert [(e["event"], e.get("ap") or e.get("result", {}).get("ap")) for e in told] == [
        ("begin", None), ("done", "ap00"), ("done", "ap02"), ("start", "ap01"), ("done", "ap01"), ("end", None)]
    assert told[1] == stored["ap00"]  # the stored result itself: ap00 was not tried again
    assert "2 queue workers ended while working on this AP" in told[2]["result"]["reason"]
    assert told[2]["result"]["status"] == "failed"
    assert int(client.hget(keys.shard(shard), "try:ap01")) == 2


def test_a_worker_starts_nothing_once_the_controller_is_gone(redis_url: str, key: WorkerKey) -> None:
    client, run = client_for(redis_url), "r2"
    result = work_shard(client, SETTINGS, run, 0, key.seal(request(jobs(2))), key=key)
    assert result == {"shard": 0, "ran": 0, "resent": 0, "refused": 2}
    # a heartbeat sealed long ago (replayed) counts as gone too
    old = key._fernet.encrypt_at_time(json.dumps({"run": run}).encode(), int(time.time()) - 60).decode()
    client.set(RunKeys(run).alive, old)
    assert work_shard(client, SETTINGS, run, 1, key.seal(request(jobs(1))), key=key)["refused"] == 1


def test_a_task_sealed_with_another_key_is_refused_in_words_the_controller_reads(
        redis_url: str, key: WorkerKey, tmp_path: Path) -> None:
    client, run = client_for(redis_url), "r3"
    stranger = WorkerKey.from_file(WorkerKey.new(tmp_path / "stranger.key"))
    out = work_shard(client, SETTINGS, run, 0, stranger.seal(request(jobs(1))), key=key)
    assert "differs from the controller's" in out["error"]
    raw = client.lrange(RunKeys(run).events, 0, -1)
    assert [json.loads(r)["event"] for r in raw] == ["error"]


@dataclass
class ThreadApp:
    """Stands in for the Celery app: each task sent runs work_shard on a thread (or nowhere)."""

    url: str
    key: WorkerKey
    deliver: bool = True
    threads: list[threading.Thread] = field(default_factory=list)
    sent: list[list[Any]] = field(default_factory=list)

    def send_task(self, name: str, args: list[Any], queue: str) -> None:
        self.sent.append(args)
        if self.deliver:
            thread = threading.Thread(target=work_shard, args=(client_for(self.url), SETTINGS, *args),
                                      kwargs={"key": self.key})
            thread.start()
            self.threads.append(thread)


def test_the_queue_runner_shards_and_hands_each_result_on_as_it_arrives(redis_url: str, key: WorkerKey) -> None:
    app = ThreadApp(redis_url, key)
    queue = QueueRunner(replace(SETTINGS, broker=redis_url), key, app=app)
    seen: list[tuple[str, str]] = []
    with runner.remote(queue.sharded(2)):
        results = runner.runner_for(2).run(PUSH.with_options(concurrency=1), jobs(4),
                                           lambda e: seen.append((e.ap, e.stage)))
    assert [r.ap for r in results] == ["ap00", "ap01", "ap02", "ap03"]
    assert [r.status for r in results] == ["pending"] * 4, [r.reason for r in results]
    assert len(app.sent) == 2 and sorted(len(key.open(a[2])["jobs"]) for a in app.sent) == [2, 2]
    assert sorted(seen) == sorted([(f"ap{i:02d}", s) for i in range(4) for s in ("start", "done")])
    for thread in app.threads:
        thread.join(timeout=30)
    assert client_for(redis_url).keys("netctl:run:*") == []  # the controller and the workers left nothing


def test_a_run_no_worker_takes_is_given_up_and_nothing_starts_later(redis_url: str, key: WorkerKey) -> None:
    app = ThreadApp(redis_url, key, deliver=False)
    queue = QueueRunner(QueueSettings(redis_url, 2, 1, 5, pickup_s=1), key, shards=1, app=app)
    started = time.monotonic()
    results = queue.run(PUSH.with_options(concurrency=1), jobs(2))
    assert time.monotonic() - started < 10
    assert all(r.status == "failed" and "no queue worker took the run within 1 s" in (r.reason or "")
               for r in results)
    # the task turns up after all: its worker sees no controller and starts nothing
    late = work_shard(client_for(redis_url), SETTINGS, *app.sent[0], key=key)
    assert late["refused"] == 2 and late["ran"] == 0


def test_shard_count_uses_the_queue_capacity_not_the_controllers_cores(redis_url: str, key: WorkerKey,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 1)
    queue = QueueRunner(SETTINGS, key, capacity_hint=6)
    with runner.remote(queue):
        assert runner.shard_count({"push": 200}) == 6
        assert isinstance(runner.runner_for(1), QueueRunner)  # even one AP goes to the queue
    assert runner.shard_count({"push": 200}) == 1 and isinstance(runner.runner_for(1), runner.InProcess)


def test_the_redis_reader_finds_a_secret_in_a_celery_message_body(redis_url: str) -> None:
    """The lab test's check is only as good as this reader: kombu sends bodies base64-encoded."""
    from netctl.devicework import make_app
    from tests.helpers.queue import redis_contents

    app = make_app(replace(SETTINGS, broker=redis_url))
    app.send_task("netctl.devices.shard", args=["run", 0, "Clear-Text-Secret-7"], queue="netctl-devices")
    from tests.helpers.queue import decoded_bodies

    (message,) = client_for(redis_url).lrange("netctl-devices", 0, -1)
    assert any(b"Clear-Text-Secret-7" in body for body in decoded_bodies(message))  # the body is base64
    assert b"Clear-Text-Secret-7" in redis_contents(redis_url)
