"""Push jobs sharded over worker processes (:mod:`netctl.runner`): events stream back per AP, a dead
worker is reported.

The APs point at port 1 of loopback addresses, where nothing listens: each push is a real, refused
connection, so the workers run the real driver path without a lab.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from netctl import runner
from netctl.drivers import PushOptions, Target
from netctl.push import worker
from netctl.push.run import PushJob, PushResult


def jobs(count: int, platform: str = "openwrt", driver: str = "cli") -> list[PushJob]:
    return [
        PushJob(
            f"ap{i:02d}",
            platform,
            driver,
            Target(f"ap{i:02d}", platform, f"127.0.0.{i + 1}", 1, "admin", password="pw", timeout=2),
            "wireless.radio0.channel='36'\n",
            ["pw"],
            "vehicle.uci.j2",
            f"hash{i}",
            PushOptions(confirm_timeout=5),
        )
        for i in range(count)
    ]


def test_sharded_push_returns_one_result_per_ap_in_order_with_progress() -> None:
    given = jobs(6, "netconf-wlan", "netconf") + jobs(4)[::-1]
    given = [PushJob(**{**j.__dict__, "ap": f"{j.ap}-{n}"}) for n, j in enumerate(given)]
    seen: list[tuple[str, str]] = []
    recorded: list[str] = []
    results = worker.run_jobs(
        given,
        concurrency=4,
        workers=2,
        progress=lambda event: seen.append((event.ap, event.stage)),
        on_result=lambda r: recorded.append(r.ap),
    )
    assert [r.ap for r in results] == [j.ap for j in given]
    assert all(isinstance(r, PushResult) for r in results)
    assert {r.status for r in results} == {"pending"}, [(r.ap, r.status, r.reason) for r in results]
    assert all("unreachable" in (r.reason or "") for r in results)
    assert all(r.template and r.rendered_hash and r.transcript for r in results)
    assert sorted(recorded) == sorted(j.ap for j in given)
    assert sorted(ap for ap, stage in seen if stage == "start") == sorted(recorded)
    assert sorted(ap for ap, stage in seen if stage == "done") == sorted(recorded)


def test_worker_results_match_in_process_results() -> None:
    given = jobs(3)
    threaded = worker.run_jobs(given, concurrency=3, workers=1)
    sharded = worker.run_jobs(given, concurrency=3, workers=3)
    assert [(r.ap, r.ok, r.status, r.reason) for r in threaded] == [(r.ap, r.ok, r.status, r.reason) for r in sharded]


def test_a_worker_that_dies_turns_its_aps_into_failed_results(monkeypatch: pytest.MonkeyPatch) -> None:
    crash = (
        "import json, sys\n"
        "shard = json.load(sys.stdin)['jobs']\n"
        "print(json.dumps({'event': 'start', 'ap': shard[0]['ap']}), flush=True)\n"
        "sys.stderr.write('worker blew up\\n')\n"
        "sys.exit(3)\n"
    )
    monkeypatch.setattr(runner, "WORKER_ARGV", [sys.executable, "-c", crash])
    recorded: list[Any] = []
    results = worker.run_jobs(jobs(4), concurrency=4, workers=2, on_result=recorded.append)
    assert [r.ap for r in results] == ["ap00", "ap01", "ap02", "ap03"]
    for r in results:
        assert (r.ok, r.status) == (False, "failed")
        assert "exit code 3: worker blew up" in (r.reason or "") and f"netctl drift {r.ap}" in (r.reason or "")
    assert len(recorded) == 4


def test_garbage_from_a_worker_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "WORKER_ARGV", [sys.executable, "-c", "import sys; sys.stdin.read(); print('oops')"])
    results = worker.run_jobs(jobs(2), concurrency=2, workers=2)
    assert all(r.status == "failed" and "unreadable output" in (r.reason or "") for r in results)


def test_default_workers_stay_in_process_for_small_selections() -> None:
    assert runner.shard_count({"push": 1}) == 1
    assert runner.shard_count({"push": 2 * runner.SHARD_MIN_APS["push"] - 1}) == 1
    assert 1 <= runner.shard_count({"push": 10_000}) <= (__import__("os").cpu_count() or 1)


def test_jobs_survive_the_trip_through_json() -> None:
    import json

    job = jobs(1)[0]
    again = PushJob.from_dict(json.loads(json.dumps(job.to_dict())))
    assert again == job and again.target.password == "pw"
    assert "pw" not in repr(job)


def test_a_worker_starts_no_ap_once_the_controller_is_gone() -> None:
    """The result pipe breaks (the controller was killed): APs not yet begun are left alone."""
    import json
    import subprocess

    proc = subprocess.Popen(runner.WORKER_ARGV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdout.close()  # nobody reads the results any more
    request = {"kind": "push", "jobs": [j.to_dict() for j in jobs(12)], "options": {"concurrency": 1}}
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    assert proc.wait(timeout=60) == 4
    err = proc.stderr.read().decode()
    assert "the controller stopped;" in err and "of 12 APs not started" in err
    not_started = int(err.split("the controller stopped; ")[1].split(" of")[0])
    assert 10 <= not_started <= 12


def test_fetches_sharded_over_workers_report_each_ap() -> None:
    from netctl.push.run import FetchJob

    given = [FetchJob(j.ap, j.driver, j.target) for j in jobs(3) + jobs(3, "netconf-wlan", "netconf")]
    given = [FetchJob(f"{j.ap}-{n}", j.driver, j.target) for n, j in enumerate(given)]
    seen: list[str] = []
    got = worker.run_fetches(given, concurrency=6, workers=2, progress=lambda event: seen.append(event.stage))
    assert [f.ap for f in got] == [j.ap for j in given]
    assert all((f.ok, f.status, f.text) == (False, "unreachable", None) for f in got), got
    assert all("unreachable" in (f.reason or "") for f in got)
    assert seen.count("start") == seen.count("done") == 6
    assert [(f.ap, f.status) for f in worker.run_fetches(given, concurrency=6, workers=1)] == [
        (f.ap, f.status) for f in got
    ]
