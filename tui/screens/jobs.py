"""Jobs: scheduler runs (poll, push, backup, drift) and their outcome."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static

from netctl.i18n import N_, _
from tui.model import parse_time
from tui.screens.base import NetctlScreen
from tui.widgets.navbar import NavBar
from tui.widgets.table import VirtualTable

COLUMNS = (
    ("id", N_("Run"), 5),
    ("job", N_("Job"), 12),
    ("started", N_("Started"), 19),
    ("took", N_("Took"), 7),
    ("status", N_("Status"), 7),
    ("detail", N_("Detail"), 0),
)
OUTCOME_CLASS = {
    "failed": "vtable--bad",
    "abandoned": "vtable--bad",
    "running": "vtable--warn",
    "skipped": "vtable--warn",
    "ok": "vtable--good",
}


def job_cells(run: dict[str, Any]) -> tuple[str, ...]:
    """One job run as table text: id, job, start, duration, status, APs/failures and detail."""
    start, end = parse_time(run.get("started")), parse_time(run.get("ended"))
    took = f"{(end - start).total_seconds():.1f}s" if start and end else _("running")
    detail = str(run.get("detail") or "")
    if run.get("aps") is not None:
        detail = (_("{aps} APs, {failures} failed").format(aps=run["aps"], failures=run.get("failures") or 0)
                  + (f"; {detail}" if detail else ""))
    return (
        str(run.get("id", "")),
        str(run.get("job") or ""),
        str(run.get("started") or "")[:19].replace("T", " "),
        took,
        str(run.get("status") or ""),
        detail,
    )


class JobRunsLoaded(Message):
    """The latest scheduler runs, newest first."""

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        super().__init__()
        self.runs = runs


class JobsScreen(NetctlScreen):
    """The latest scheduler runs, newest first."""

    BINDINGS = [Binding("r", "reload", N_("Refresh"))]

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield VirtualTable(COLUMNS, styler=lambda c, t: OUTCOME_CLASS.get(t) if c == "status" else None, id="runs")
        yield Static(_("loading…"), id="count")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()
        if self.netctl.refresh_seconds:
            self.set_interval(self.netctl.refresh_seconds * 2, self.action_reload)

    def action_reload(self) -> None:
        self.fetch("jobs", lambda: JobRunsLoaded(self.backend.run(lambda api: api.jobs.runs(200))))

    def on_job_runs_loaded(self, message: JobRunsLoaded) -> None:
        runs = list(message.runs or [])
        self.query_one("#runs", VirtualTable).set_rows(
            [str(r.get("id", i)) for i, r in enumerate(runs)], [job_cells(r) for r in runs]
        )
        self.query_one("#count", Static).update(_("{n} run(s), newest first").format(n=len(runs)))
