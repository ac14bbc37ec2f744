"""What every netctl screen shares: data loaded in thread workers, reported back with messages.

A worker's job returns the typed message that carries its answer (``OverviewLoaded``, ``Polled``, …,
one class per event, defined next to the screen that handles it); :meth:`NetctlScreen.fetch` posts
it, or :class:`Failed` when the job raised. Screens handle each with ``on_<message_name>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from netctl.api import Event, Netctl
from netctl.errors import NetctlError
from netctl.i18n import _
from netctl.selection import Selection
from tui.widgets.progress import JobProgress

if TYPE_CHECKING:
    from tui.app import NetctlApp
    from tui.backend import Backend


def translate_bindings(node: DOMNode) -> None:
    """Show ``node``'s key descriptions (footer, help) in the language in use.

    BINDINGS are class attributes written in English (marked with ``N_``); each instance gets its own
    copy of the bindings from Textual, so translating that copy touches no other screen or language.
    """
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [replace(b, description=_(b.description)) if b.description else b for b in bindings]


class Failed(Message):
    """A worker failed with a NetctlError (shown to the user with its hint).

    ``what`` names the request in the notification's title. A screen that reacts to one request's
    failure passes its own subclass to :meth:`NetctlScreen.fetch` and handles that.
    """

    def __init__(self, what: str, error: NetctlError) -> None:
        super().__init__()
        self.what = what
        self.error = error


class Polled(Message):
    """A poll started from a screen finished: one result per AP."""

    def __init__(self, results: list[Any]) -> None:
        super().__init__()
        self.results = results


class JobProgressed(Message):
    """A job started from a screen (a poll, an SSID switch) reported progress: ``total`` APs when it starts,
    then each runner event (``Event(ap, stage, result)``), posted from the worker thread."""

    def __init__(self, job: str, event: Event | None = None, total: int | None = None) -> None:
        super().__init__()
        self.job = job
        self.event = event
        self.total = total


class NetctlScreen(Screen[Any]):
    """A screen with ``self.backend`` and :meth:`fetch` (run in a thread, post its message or Failed)."""

    #: where a navigation key puts the focus each time it shows this screen (a CSS selector), whatever had
    #: it when the user left; None leaves the focus as it was
    FOCUS_ON_ENTRY: str | None = None
    #: the widget a job's progress bar goes in front of (a CSS selector)
    PROGRESS_BEFORE = "Footer"
    #: how long a finished job's bar stays (seconds)
    PROGRESS_KEEP_S = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def entered(self) -> None:
        """A navigation key (or the palette) showed this screen: focus :attr:`FOCUS_ON_ENTRY`.

        Called by the app right after the switch; the focus is set once the screen's widgets exist (the
        first time, they are composed after the switch), so the same key always lands in the same place.
        """
        if self.FOCUS_ON_ENTRY is not None:
            self.call_later(self._focus_on_entry)

    def _focus_on_entry(self) -> None:
        if self.FOCUS_ON_ENTRY is None:
            return
        for widget in self.query(self.FOCUS_ON_ENTRY):
            if widget.focusable:
                self.set_focus(widget)
                return

    @property
    def netctl(self) -> NetctlApp:
        return cast("NetctlApp", self.app)

    @property
    def backend(self) -> Backend:
        return self.netctl.backend

    def fetch_in_thread(self, what: str, job: Callable[[], Message], failed: type[Failed] = Failed) -> None:
        """Body of a thread worker: run ``job`` and post the message it returns unless the worker was cancelled."""
        worker = get_current_worker()
        try:
            answer = job()
        except NetctlError as exc:
            if not worker.is_cancelled:
                self.post_message(failed(what, exc))
            return
        except Exception as exc:  # a bug below the facade: show it instead of losing it in a thread
            if not worker.is_cancelled:
                self.post_message(
                    failed(
                        what,
                        NetctlError(f"unexpected error: {exc!r}", hint="please report it with the steps that led here"),
                    )
                )
            return
        if not worker.is_cancelled:
            self.post_message(answer)

    def fetch(
        self, what: str, job: Callable[[], Message], *, exclusive: bool = True, failed: type[Failed] = Failed
    ) -> None:
        """Run ``job`` in a thread worker of group ``what`` and post the message it returns (a newer
        fetch of ``what`` cancels the older); if it raises, post ``failed(what, error)`` instead."""
        self.run_worker(
            lambda: self.fetch_in_thread(what, job, failed),
            thread=True,
            group=what,
            exclusive=exclusive,
            exit_on_error=False,
            name=what,
        )

    def start_poll(self, selection: Selection) -> None:
        """Poll ``selection`` in a worker (several may run at once); the screen gets :class:`Polled`, and a
        progress bar moves as the APs answer (:meth:`relay`)."""
        relay = self.relay("poll")

        def poll(api: Netctl) -> Polled:
            self.post_message(JobProgressed("poll", total=len(api.session.select(selection))))
            return Polled(api.monitor.poll(selection, progress=relay))

        self.fetch("poll", lambda: self.backend.run(poll), exclusive=False)

    # -- a job's progress bar ---------------------------------------------------------------------
    def relay(self, job: str) -> Callable[[Event], None]:
        """The ``progress`` callback for a job run in a worker: each event reaches the screen as a message."""

        def post(event: Event) -> None:
            self.post_message(JobProgressed(job, event))

        return post

    def job_bar(self, job: str) -> JobProgress:
        """The progress bar of ``job`` (``#job-<job>``), mounted in front of :attr:`PROGRESS_BEFORE` if new."""
        for bar in self.query(f"#job-{job}").results(JobProgress):
            return bar
        bar = JobProgress(id=f"job-{job}", classes="job-progress")
        anchor = next(iter(self.query(self.PROGRESS_BEFORE)), None)
        if anchor is not None:
            self.mount(bar, before=anchor)
        else:
            self.mount(bar)  # a screen without the anchor: at its end
        return bar

    @on(JobProgressed)
    def show_job_progress(self, message: JobProgressed) -> None:
        bar = self.job_bar(message.job)
        if message.total is not None:
            bar.begin(message.total)
        if message.event is not None:
            bar.track(message.event)

    def job_finished(self, job: str) -> None:
        """``job`` ended: its bar keeps its final state for :attr:`PROGRESS_KEEP_S` seconds, then goes."""
        for bar in self.query(f"#job-{job}"):
            self.set_timer(self.PROGRESS_KEEP_S, bar.remove)

    @on(Polled)
    def poll_finished(self, message: Polled) -> None:
        self.job_finished("poll")

    @on(Failed)
    def notify_failed(self, message: Failed) -> None:
        """Every failure (subclasses too) as one notification; screens add their own handlers."""
        err = message.error
        self.notify(
            err.message + (f"\n{err.hint}" if err.hint else ""),
            title=f"{message.what} failed",
            severity="error",
            timeout=8,
        )
