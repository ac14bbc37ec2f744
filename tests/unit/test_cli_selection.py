"""A selection that names nothing the user may see fails clearly (exit 3) with close names suggested;
a mistyped command suggests the right one; ``status`` shows a down AP's reason whole."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from netctl.cli import main
from tests.helpers.poll import T0, add_city, dead, good, record


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """Run the console entry point (as the admin unless ``--user`` comes first); return (exit code,
    stdout, stderr)."""
    user = [] if args[0] == "--user" else ["--user", "ada"]
    try:
        main(["--db", str(db), *user, *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def db(api: Any) -> Path:
    add_city(api)
    api.session.db["tenants"].insert({"name": "other", "vars": "{}"})
    api.session.db["sites"].insert({"name": "elsewhere", "tenant": "other", "kind": "school", "vars": "{}"})
    api.session.db["aps"].insert({"name": "other-ap01", "tenant": "other", "site": "elsewhere",
                                  "platform": "openwrt", "address": "127.0.0.9"})
    api.access.add_user("ada", "admin", os_login="nobody-maps-here")
    api.access.add_user("schooladmin", "school-admin", sites=["school1"])
    return Path(api.session.db_path)


@pytest.mark.parametrize(("args", "message"), [
    (("status", "ap11"), "no access point named 'ap11' (did you mean ap1"),
    (("status", "--site", "schooll"), "no site 'schooll' (did you mean school1?)"),
    (("status", "--tenant", "dux"), "no tenant 'dux' (did you mean du?)"),
    (("status", "--group", "teachers"), "no group 'teachers'"),
    (("status", "--tag", "nope"), "no tag 'nope'"),
    (("push", "--dry-run", "bas*"), "no AP matches 'bas*'"),
    (("inventory", "list", "--site", "school1", "--platform", "openwrt"),
     "no AP matches site=school1 platform=openwrt"),
])
def test_a_selection_that_matches_nothing_fails_with_exit_3(capsys: pytest.CaptureFixture[str], db: Path,
                                                             args: tuple[str, ...], message: str) -> None:
    code, out, err = run(capsys, db, *args)
    assert code == 3, (out, err)
    assert message in err
    assert out == ""


def test_out_of_scope_names_look_missing_and_are_never_suggested(capsys: pytest.CaptureFixture[str],
                                                                 db: Path) -> None:
    missing = run(capsys, db, "--user", "schooladmin", "status", "nosuch-ap01")
    hidden = run(capsys, db, "--user", "schooladmin", "status", "other-ap01")
    assert missing[0] == hidden[0] == 3
    assert hidden[2] == missing[2].replace("nosuch-ap01", "other-ap01")
    near = run(capsys, db, "--user", "schooladmin", "status", "other-ap1")
    assert near[0] == 3 and "did you mean" not in near[2]
    assert "bus1" not in run(capsys, db, "--user", "schooladmin", "status", "bus2")[2]
    site = run(capsys, db, "--user", "schooladmin", "status", "--site", "fleet")
    assert site[0] == 3 and "no site 'fleet'" in site[2] and "did you mean" not in site[2]


def test_a_selection_that_matches_runs(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = run(capsys, db, "status", "ap1", "--site", "school1")
    assert code == 0 and "ap1" in out
    assert run(capsys, db, "status")[0] == 0


def test_a_mistyped_command_suggests_the_right_one(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, _, err = run(capsys, db, "stauts")
    assert code == 2
    assert "No such command 'stauts'" in err and "did you mean status?" in err
    code, _, err = run(capsys, db, "zzzzzz")
    assert code == 2 and "did you mean" not in err


def test_status_shows_the_reason_of_a_down_ap_whole(capsys: pytest.CaptureFixture[str], api: Any,
                                                    db: Path) -> None:
    api.monitor.set_health_rules(down_after_misses=1)
    record(api, [good("ap1", T0), dead("ap2", T0)], T0)
    code, out, _ = run(capsys, db, "status")
    row = next(line for line in out.splitlines() if line.startswith("ap2 "))
    assert code == 0 and row.endswith("(no answer (request timed out))")


@pytest.mark.parametrize(("statuses", "code"), [
    (("pending", "pending"), 5),
    (("pending", "unchanged"), 0),  # an AP was reached: it runs the config already
    (("pending", "dry-run"), 0),
    (("pending", "applied"), 0),
    (("pending", "failed"), 1),
    (("applied", "unchanged"), 0),
])
def test_push_exits_5_when_aps_are_only_pending(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                db: Path, statuses: tuple[str, ...], code: int) -> None:
    from netctl.push.ops import ConfigService
    from netctl.push.run import PushResult
    from netctl.results import Results

    def push(self: Any, selection: Any, **_: Any) -> Results[PushResult]:
        reached = ("applied", "unchanged", "dry-run")  # as the push reports them: pending and failed are not ok
        return Results(PushResult(ap, status in reached, status, reason="unreachable" if status == "pending" else None)
                       for ap, status in zip(("ap1", "ap2"), statuses, strict=True))

    monkeypatch.setattr(ConfigService, "push", push)
    got, out, err = run(capsys, db, "push", "--site", "school1")
    assert got == code, (out, err)
    assert "pending" in out or "pending" not in statuses


def test_poll_shows_progress_on_a_terminal_at_once_and_per_ap(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    from netctl.poll.model import PollResult
    from netctl.poll.ops import MonitorService
    from netctl.results import Results
    from netctl.runner import Event

    seen_before_first_answer: list[str] = []

    def poll(self: Any, selection: Any, *, progress: Any = None, **_: Any) -> Results[PollResult]:
        seen_before_first_answer.append(capsys.readouterr().err)
        results = Results([dead(ap, T0) for ap in ("ap1", "ap2", "bus1", "other-ap01")])
        for result in results:
            if progress is not None:
                progress(Event(result.ap, "start"))
                progress(Event(result.ap, "done", result))
        return results

    monkeypatch.setattr(MonitorService, "poll", poll)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, db, "poll")
    assert code == 5
    assert "0/4 · 0 failed" in plain(seen_before_first_answer[0])  # the bar is there before any AP answers
    assert plain(err).rstrip().endswith("4/4 · 4 failed 0:00:00\n4 AP(s) polled, 0 answered, 4 failed")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    code, piped, err = run(capsys, db, "poll")
    assert code == 5 and "4/4" not in err and "━" not in err and "\x1b[" not in err
    assert piped == out  # stdout is the same with or without the bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsys, db, "poll", "--json")
    assert code == 5 and "━" not in err and "\x1b[" not in err  # --json: for a program, no bar


def plain(text: str) -> str:
    """What a terminal shows of ``text``: escape sequences removed, carriage returns as new lines."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "\n")


def test_the_progress_bar_counts_each_ap_once_and_its_failures(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from netctl.cli.common import TerminalProgress, progress_line
    from netctl.runner import Event

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    show = progress_line(3)
    assert show is not None
    show(Event("ap0", "start"))
    show(Event("ap0", "done", dead("ap0", T0)))
    show(Event("ap0", "done", dead("ap0", T0)))  # twice: counts once
    assert isinstance(show, TerminalProgress) and show.done == {"ap0"} and show.failed == {"ap0"}
    for n in (1, 2):
        show(Event(f"ap{n}", "done", dead(f"ap{n}", T0)))
    assert plain(capsys.readouterr().err).rstrip().endswith("3/3 · 3 failed 0:00:00")
    assert progress_line(1) is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert progress_line(100) is None
