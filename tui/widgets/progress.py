"""A job's progress over APs (a push, a poll, an SSID switch): the bar, ``done/total`` and how many failed.

Moved by the runner's events (``progress(Event(ap, stage, result))``, :mod:`netctl.runner`) that a job's
worker relays to its screen as messages; an AP counts once, when its result is in.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, ProgressBar

from netctl.api import Event
from netctl.i18n import ngettext


class JobProgress(ProgressBar):
    """``━━━━━━━━━╸━━━━━  60%  3/5 · 1 failed``: a ProgressBar that counts APs and their failures."""

    DEFAULT_CSS = """
    JobProgress { height: 1; padding: 0 1; width: 1fr; }
    JobProgress #job-counts { width: auto; margin-left: 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(show_eta=False, id=id, classes=classes)
        #: AP → whether its result failed (an AP counts once)
        self.seen: dict[str, bool] = {}
        self.failed = 0
        self.text = ""

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Label(self.text, id="job-counts")

    def begin(self, total: int) -> None:
        """A new job over ``total`` APs: nothing done yet."""
        self.seen = {}
        self.set_counts(0, total, 0)

    def track(self, event: Event) -> None:
        """Count ``event``'s AP as done once its result is in (a "start" event moves nothing)."""
        if event.result is None:
            return
        self.seen[event.ap] = bool(getattr(event.result, "failed", False))
        self.set_counts(len(self.seen), int(self.total or 0), sum(self.seen.values()))

    def set_counts(self, done: int, total: int, failed: int) -> None:
        """Show ``done`` of ``total`` APs, ``failed`` of them failed (a total below done grows to it)."""
        total = max(total, done)
        self.failed = failed
        self.update(total=total or 1, progress=done if total else 1)
        self.text = f"{done}/{total}"
        if failed:
            self.text += " · " + ngettext("{n} failed", "{n} failed", failed).format(n=failed)
        for label in self.query("#job-counts").results(Label):
            label.update(self.text)

    @property
    def done(self) -> int:
        return int(self.progress)


__all__ = ["JobProgress"]
