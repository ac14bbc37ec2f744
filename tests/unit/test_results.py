"""One result model: per-AP results with the common fields, the run's Results, failures kept as data.

A driver bug (an unexpected exception inside a per-AP task) must end as that AP's failed result with
the exception and its traceback kept, and leave the traceback in the log; no real device can play
a driver bug, so a fake driver raises it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import netctl.drivers
from netctl.drivers import PushOptions, Target
from netctl.errors import ConnectError, NetctlError, RunFailed
from netctl.poll.model import PollResult
from netctl.push.model import BackupResult, DiffResult
from netctl.push.run import Fetched, FetchJob, PushJob, PushResult, fetch_one, push_one
from netctl.render.engine import RenderResult
from netctl.results import Result, Results


class FakeBuggyDriver:
    """A fake driver with a bug: every call raises TypeError deep inside it."""

    def _parse(self, answer: Any) -> str:
        return answer + 1  # type: ignore[no-any-return]  # the bug: str + int

    def push(self, *_args: Any) -> Any:
        return self._parse("<ok/>")

    def fetch_running(self, *_args: Any) -> str:
        return self._parse("uci show")


@pytest.fixture
def buggy_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netctl.drivers, "get_driver", lambda _name: FakeBuggyDriver())


def target(ap: str = "ap01") -> Target:
    return Target(ap, "openwrt", "127.0.0.1", 1, "admin", password="pw", timeout=1)


def test_a_driver_bug_in_a_push_is_a_failed_result_with_its_traceback_and_logged(
    buggy_driver: None, caplog: pytest.LogCaptureFixture
) -> None:
    job = PushJob("ap01", "openwrt", "cli", target(), "uci set x='1'\n", ["pw"], "t.j2", "h1", PushOptions())
    with caplog.at_level(logging.WARNING, logger="netctl"):
        result = push_one(job)
    assert (result.ok, result.status, result.failed) == (False, "failed", True)
    assert result.reason is not None and result.reason.startswith("TypeError: ")
    assert isinstance(result.exception, TypeError)
    assert result.traceback is not None
    assert "Traceback (most recent call last)" in result.traceback and "in _parse" in result.traceback
    assert "return answer + 1" in result.traceback
    logged = [r for r in caplog.records if r.name == "netctl.push.run" and r.levelno >= logging.ERROR]
    assert len(logged) == 1 and "ap01" in logged[0].getMessage()
    assert logged[0].exc_info is not None and logged[0].exc_info[1] is result.exception
    assert "in _parse" in caplog.text and "TypeError" in caplog.text  # the formatted traceback, frames and all


def test_a_driver_bug_reading_a_config_is_a_failed_result_with_its_traceback_and_logged(
    buggy_driver: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="netctl"):
        got = fetch_one(FetchJob("ap02", "cli", target("ap02")))
    assert (got.ok, got.status, got.failed) == (False, "failed", True)
    assert isinstance(got.exception, TypeError)
    assert got.traceback is not None and "in fetch_running" in got.traceback
    assert "in _parse" in caplog.text and "ap02" in caplog.text


def test_a_device_error_keeps_its_exception_but_is_no_bug(caplog: pytest.LogCaptureFixture) -> None:
    """A NetctlError says what went wrong in its message: kept, not logged as a bug, no traceback text."""
    from netctl.push.run import failure

    exc = ConnectError("unreachable: connection refused", ap="ap03")
    with caplog.at_level(logging.INFO, logger="netctl"):
        result = failure("ap03", exc, 0.0)
    assert (result.status, result.failed, result.exception, result.traceback) == ("pending", False, exc, None)
    assert [r.levelno for r in caplog.records] == [logging.INFO]


def test_a_result_survives_the_worker_pipe_with_its_traceback(buggy_driver: None) -> None:
    job = PushJob("ap01", "openwrt", "cli", target(), "uci set x='1'\n", [], None, None, PushOptions())
    sent = push_one(job)
    wire = json.loads(json.dumps(sent.to_dict(full=True)))
    assert "exception" not in wire
    got = PushResult.from_dict(wire)
    assert (got.ap, got.status, got.reason, got.traceback) == (sent.ap, sent.status, sent.reason, sent.traceback)
    assert got.exception is None  # the exception object stays in the worker; its traceback travelled
    assert PollResult.from_dict(json.loads(json.dumps(PollResult("ap", True, ts=1.0).to_dict(full=True)))) == \
        PollResult("ap", True, ts=1.0)


def test_every_result_answers_the_common_fields() -> None:
    results: list[Result] = [
        PushResult("a", True, "applied", changed=True),
        PollResult("b", False, error_kind="timeout", error="no answer"),
        RenderResult("c", "openwrt", "t.j2", "uci", False, error="missing variable"),
        DiffResult("d", "openwrt", "t.j2", "h", True, "changed", changed=True, diff="+x", kind="unified"),
        BackupResult("e", True, "stored", 3),
        Fetched("f", False, "unreachable", reason="refused"),
    ]
    assert [(r.ap, r.ok, r.status, r.changed, r.reason, r.failed) for r in results] == [
        ("a", True, "applied", True, None, False),
        ("b", False, "timeout", False, "no answer", True),
        ("c", False, "failed", False, "missing variable", True),
        ("d", True, "changed", True, None, False),
        ("e", True, "stored", False, None, False),
        ("f", False, "unreachable", False, "refused", True),
    ]


def test_the_public_shapes_are_the_documented_json_keys_in_order() -> None:
    """What ``--json`` printed before results were typed, key for key (docs/config.md, docs/polling.md)."""
    push = PushResult("a", False, "failed", reason="x", running_after="secret text", host_key="ssh-ed25519 AAAA")
    assert list(push.to_dict()) == ["ap", "ok", "status", "changed", "reason", "rpc_error_tag", "diff", "duration_s",
                                    "template", "rendered_hash", "version", "transcript", "host_key_refused"]
    assert list(PollResult("a", True).to_dict()) == ["ap", "ok", "state", "latency_ms", "error_kind", "error",
                                                    "values", "ts"]
    assert list(RenderResult("a", "p", "t", "uci", True).to_dict()) == ["ap", "platform", "template", "format", "ok",
                                                                        "text", "error", "hash"]
    compared = DiffResult("a", "p", "t", "h", True, "in-sync", changed=False, diff="", kind="structural")
    assert compared.to_dict() == {"ap": "a", "platform": "p", "template": "t", "rendered_hash": "h", "ok": True,
                                  "status": "in-sync", "changed": False, "diff": "", "kind": "structural",
                                  "reason": None}
    assert list(compared.to_dict()) == ["ap", "platform", "template", "rendered_hash", "ok", "status", "changed",
                                        "diff", "kind", "reason"]
    unread = DiffResult("a", "p", "t", None, False, "unreachable", reason="refused")
    assert list(unread.to_dict()) == ["ap", "platform", "template", "rendered_hash", "ok", "status", "changed",
                                      "diff", "reason"]
    assert (unread.to_dict()["changed"], unread.to_dict()["diff"]) == (None, "")
    assert BackupResult("a", True, "stored", 4).to_dict() == {"ap": "a", "ok": True, "status": "stored",
                                                              "version": 4, "reason": None}
    assert BackupResult("a", False, "failed", reason="r").to_dict() == {"ap": "a", "ok": False, "status": "failed",
                                                                        "reason": "r"}


def run() -> Results[PushResult]:
    return Results([
        PushResult("ap1", True, "applied", changed=True),
        PushResult("ap2", False, "pending", reason="unreachable"),  # not a failure: it converges later
        PushResult("ap3", False, "failed", reason="rpc-error: invalid-value\nmore"),
        PushResult("ap4", False, "busy", reason="held by run 3f"),
    ])


def test_results_say_which_aps_failed() -> None:
    results = run()
    assert results.failed and results.failed_aps == ["ap3", "ap4"]
    assert results.counts() == {"applied": 1, "pending": 1, "failed": 1, "busy": 1}
    assert results[0].ap == "ap1" and [r.ap for r in results[1:3]] == ["ap2", "ap3"]  # still a list
    assert not Results(results[:2]).failed and Results(results[:2]).failed_aps == []
    assert not Results().failed
    assert results.to_dict() == [r.to_dict() for r in results]


def test_raise_on_error_names_the_failed_aps_and_only_when_asked() -> None:
    Results(run()[:2]).raise_on_error()  # nothing failed: nothing raised
    with pytest.raises(RunFailed) as raised:
        run().raise_on_error()
    assert isinstance(raised.value, NetctlError)
    assert raised.value.aps == ["ap3", "ap4"] and [r.ap for r in raised.value.results] == ["ap3", "ap4"]
    message = str(raised.value)
    assert "2 AP(s) failed: ap3, ap4" in message and "ap3: failed: rpc-error: invalid-value" in message
    assert "more" not in message and "ap2" not in message


def test_netctl_log_puts_the_log_on_stderr_from_the_level_it_names(capsys: pytest.CaptureFixture[str]) -> None:
    from netctl.cli import log_to_stderr

    logger = logging.getLogger("netctl")
    try:
        log_to_stderr("info")
        logging.getLogger("netctl.push.run").info("ap9: pending: unreachable")
        logging.getLogger("netctl.push.run").debug("ap9: not shown at info")
        err = capsys.readouterr().err
        assert "INFO netctl.push.run: ap9: pending: unreachable" in err and "not shown" not in err
        log_to_stderr(None)  # the default: warnings and errors (bugs) only
        logging.getLogger("netctl.push.run").info("ap9: not shown at warning")
        assert capsys.readouterr().err == ""
        with pytest.raises(NetctlError, match="NETCTL_LOG='loud' is not a log level"):
            log_to_stderr("loud")
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
