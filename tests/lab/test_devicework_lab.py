"""Workers without the database, in the lab: real redis-server (with a password, on 127.0.0.1), real Celery
worker processes of netctl.devicework, the lab's NETCONF, OpenWrt-style and SNMP peers.

Every check reads back on its own: the database with a separate sqlite connection, the devices over the
test's own sessions (ncclient; paramiko for the OpenWrt simulator), Redis with its own client, and the
NETCONF APs' own notifications (RFC 6470 netconf-confirmed-commit) to count the commits each AP took.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netctl import runner
from netctl.devicework import QueueRunner, QueueSettings, WorkerKey
from netctl.selection import Selection
from tests.helpers.lab import PSK, set_tx, with_psks
from tests.helpers.netconf import TX_5G, nc_connect, read_leaf
from tests.helpers.queue import device_workers, lab_secret_values, redis_contents, redis_server
from tests.helpers.ssh import uci_show

pytestmark = pytest.mark.lab

#: short timers for the tests (the defaults are a minute and more): a dead worker's shard is free after
#: 2 s and its task handed to another worker after 2 s
FAST = {"NETCTL_QUEUE_VISIBILITY_S": "2", "NETCTL_QUEUE_LEASE_S": "2", "NETCTL_QUEUE_PICKUP_S": "30"}
BROKER_PASSWORD = "broker-Pw-only-for-this-test"
MAXASSOC = "wireless.ssid0_radio0.maxassoc"


@pytest.fixture
def queue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Redis's directory, the worker key and the workers' logs: apart from the database's directory."""
    return tmp_path_factory.mktemp("devicework")


@pytest.fixture
def broker(queue_dir: Path) -> Iterator[str]:
    with redis_server(queue_dir, password=BROKER_PASSWORD) as url:
        yield url


@pytest.fixture
def worker_key(queue_dir: Path) -> Path:
    return WorkerKey.new(queue_dir / "worker.key")


def db_file(api: Any) -> Path:
    return Path(api.session.db_path)


def rows(path: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path, timeout=10)
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def next_tx(api: Any, ap: str) -> int:
    """A 5 GHz transmit power the AP does not run now (a freshly started lab AP has none yet)."""
    now = read_leaf(api, ap, TX_5G)
    return 11 if now != ["11"] else 12


def test_workers_that_cannot_read_the_database_poll_and_push_the_lab(
        city: Any, broker: str, worker_key: Path, queue_dir: Path, lab: Any) -> None:
    import redis

    with_psks(city)
    db = db_file(city)
    with pytest.raises(redis.AuthenticationError):  # the broker wants its password (the URL carries it)
        redis.Redis.from_url(broker.replace(f":{BROKER_PASSWORD}@", "")).ping()
    netconf_aps = ["gym-adolfinum-ap01", "gym-adolfinum-ap02"]
    wrt = "bus-1205-ap01"
    wanted = {ap: next_tx(city, ap) for ap in netconf_aps}
    for ap, tx in wanted.items():
        set_tx(city, ap, tx)
    maxassoc = "57" if uci_show(city, wrt).get(MAXASSOC) != "57" else "58"
    city.inventory.set_ap(wrt, {"vars.max_clients": int(maxassoc)})
    # the controller keeps its secret store key; the workers never get it (device_workers)
    env = {**os.environ, "NETCTL_BROKER": broker, "NETCTL_WORKER_KEY_FILE": str(worker_key), **FAST}

    def netctl(*argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "netctl.cli", "--db", str(db), *argv], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    secrets = lab_secret_values(lab.secrets, *PSK.values())
    with device_workers(broker, worker_key, queue_dir, 2, concurrency=1, hide_db=db, settings=FAST) as workers:
        for w in workers:  # each worker checked, in its own mount namespace, that the file is not there
            assert f"database unreadable here: {db}" in w.text()
        polled = netctl("poll", "--queue", "--workers", "2", "--site", "gym-adolfinum", "--json")
        out, err = polled.communicate(timeout=120)
        assert polled.returncode == 0, err
        answers = {r["ap"]: r for r in json.loads(out)}
        assert set(answers) >= set(netconf_aps) and all(r["ok"] for r in answers.values()), answers
        # recorded by the controller: health and samples, read with a separate connection
        health = dict(rows(db, "select ap, state from health"))
        assert all(health[ap] == "up" for ap in answers), health

        seen: list[bytes] = []
        stop = threading.Event()

        def watch() -> None:  # what Redis holds while the push runs, every 50 ms (bounded by the push)
            while not stop.is_set():
                seen.append(redis_contents(broker))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        pushed = netctl("push", "--queue", "--workers", "2", *netconf_aps, wrt, "--json")
        try:
            out, err = pushed.communicate(timeout=180)
        finally:
            stop.set()
            watcher.join(timeout=30)
        seen.append(redis_contents(broker))  # and after it
        assert pushed.returncode == 0, err
        results = {r["ap"]: r for r in json.loads(out)}
        assert {ap: r["status"] for ap, r in results.items()} == dict.fromkeys([*netconf_aps, wrt], "applied"), results
        logs = [w.text() for w in workers]
        assert all("Task netctl.devices.shard[" in log for log in logs), "both workers took a shard"

    # no password, PSK, community or key of the lab's secrets in anything Redis held, during or after
    during = [dump for dump in seen[:-1] if b"netctl:run:" in dump]
    assert during, "the watcher saw the run's keys while the push ran"
    assert any(b"netctl-devices" in dump or b"unacked" in dump for dump in seen)
    leaked = sorted({s for dump in seen for s in secrets if s.encode() in dump})
    assert leaked == []
    # the push went through the controller's journal, verification and audit, and the devices run it
    audit = rows(db, "select ap, outcome from audit where action = 'push' order by ap")
    assert sorted(audit) == sorted((ap, "applied") for ap in [*netconf_aps, wrt])
    assert rows(db, "select count(*) from push_intents") == [(0,)]
    assert {ap: int(read_leaf(city, ap, TX_5G)[0]) for ap in netconf_aps} == wanted
    versions = dict(rows(db, "select ap, max(version) from config_versions group by ap"))
    assert all(versions.get(ap) for ap in [*netconf_aps, wrt])
    assert uci_show(city, wrt)[MAXASSOC] == maxassoc


class Commits:
    """The AP's own account of its commits: a NETCONF session of the test's own, subscribed to the
    AP's notifications (``netconf-confirmed-commit``: start, complete, cancel, timeout …)."""

    def __init__(self, lab: Any, ap: str) -> None:
        self.events: list[str] = []
        self._m = nc_connect(lab, ap)
        self._m.create_subscription()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            note = self._m.take_notification(block=True, timeout=0.3)
            if note is not None and "netconf-confirmed-commit" in note.notification_xml:
                text = note.notification_xml
                self.events.append(text.split("<confirm-event>")[1].split("</confirm-event>")[0])

    def close(self) -> list[str]:
        time.sleep(0.5)  # the last notification on its way
        self._stop.set()
        self._thread.join(timeout=10)
        self._m.close_session()
        return self.events


def test_a_worker_killed_mid_shard_loses_no_ap_and_pushes_none_twice(
        city: Any, broker: str, worker_key: Path, queue_dir: Path, lab: Any) -> None:
    import redis

    with_psks(city)
    aps = ["gym-mercator-ap01", "gym-mercator-ap02", "gym-mercator-ap03"]
    wanted = {ap: next_tx(city, ap) for ap in aps}
    for ap, tx in wanted.items():
        set_tx(city, ap, tx)
    client: Any = redis.Redis.from_url(broker)
    killed: dict[str, Any] = {}

    with device_workers(broker, worker_key, queue_dir, 2, concurrency=1, settings=FAST) as workers:
        by_pid = {w.proc.pid: w for w in workers}

        def kill_mid_shard() -> None:
            """Kill -9 the shard's worker the moment it starts an AP after finishing another (bounded)."""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not killed:
                for shard in client.scan_iter("netctl:run:*:shard:0"):
                    fields = {k.decode() for k in client.hkeys(shard)}
                    under_way = sorted(f[4:] for f in fields if f.startswith("try:") and f"done:{f[4:]}" not in fields)
                    if under_way and any(f.startswith("done:") for f in fields):
                        holder = client.get(shard + b":lease")
                        pid = int(holder.decode().split("/")[1]) if holder else 0
                        if pid in by_pid:
                            os.kill(pid, signal.SIGKILL)
                            killed.update(pid=pid, ap=under_way[0], at=time.monotonic())
                            return
                time.sleep(0.01)

        listeners = {ap: Commits(lab, ap) for ap in aps}
        killer = threading.Thread(target=kill_mid_shard, daemon=True)
        killer.start()
        queue = QueueRunner(QueueSettings.from_env(broker), WorkerKey.from_file(worker_key), capacity_hint=1)
        with runner.remote(queue):
            results = city.config.push(Selection(names=tuple(aps)), concurrency=1, workers=1, confirm_timeout=3)
        killer.join(timeout=60)
        assert killed, "the worker was killed while an AP was under way"
        assert by_pid[killed["pid"]].proc.wait(timeout=10) == -signal.SIGKILL
        commits = {ap: listener.close() for ap, listener in listeners.items()}
        survivor = next(w for w in workers if w.proc.pid != killed.get("pid"))
        survivor_log = survivor.text()

    # every AP ends with one result, applied, recorded once
    assert [(r.ap, r.status) for r in results] == [(ap, "applied") for ap in aps], [r.reason for r in results]
    db = db_file(city)
    audit = rows(db, "select ap, outcome from audit where action = 'push' order by ap")
    assert audit == [(ap, "applied") for ap in aps]
    assert rows(db, "select count(*) from push_intents") == [(0,)]
    # the task went to the second worker, which tried the AP under way once more and nothing else again
    assert "Task netctl.devices.shard[" in survivor_log
    assert f"{killed['ap']}: under way when a queue worker ended; trying it once more" in survivor_log
    # the APs themselves: one confirmed commit completed on each (the killed one's first try, if it got so
    # far, was cancelled or timed out), and each runs what was pushed
    assert {ap: events.count("complete") for ap, events in commits.items()} == dict.fromkeys(aps, 1), commits
    assert {ap: int(read_leaf(city, ap, TX_5G)[0]) for ap in aps} == wanted
