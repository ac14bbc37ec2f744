"""What every netctl screen shares: data loaded in thread workers, reported back with messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from netctl.errors import NetctlError

if TYPE_CHECKING:
    from tui.app import NetctlApp
    from tui.backend import Backend


class Loaded(Message):
    """A worker finished: ``what`` names the request, ``data`` is its answer."""

    def __init__(self, what: str, data: Any) -> None:
        super().__init__()
        self.what = what
        self.data = data


class Failed(Message):
    """A worker failed with a NetctlError (shown to the user with its hint)."""

    def __init__(self, what: str, error: NetctlError) -> None:
        super().__init__()
        self.what = what
        self.error = error


class NetctlScreen(Screen[Any]):
    """A screen with ``self.backend`` and :meth:`fetch` (run in a thread, post Loaded/Failed)."""

    @property
    def netctl(self) -> NetctlApp:
        return cast("NetctlApp", self.app)

    @property
    def backend(self) -> Backend:
        return self.netctl.backend

    def fetch_in_thread(self, what: str, job: Callable[[], Any]) -> None:
        """Body of a thread worker: run ``job`` and post its answer unless the worker was cancelled."""
        worker = get_current_worker()
        try:
            data = job()
        except NetctlError as exc:
            if not worker.is_cancelled:
                self.post_message(Failed(what, exc))
            return
        except Exception as exc:  # a bug below the facade: show it instead of losing it in a thread
            if not worker.is_cancelled:
                self.post_message(
                    Failed(
                        what,
                        NetctlError(f"unexpected error: {exc!r}", hint="please report it with the steps that led here"),
                    )
                )
            return
        if not worker.is_cancelled:
            self.post_message(Loaded(what, data))

    def fetch(self, what: str, job: Callable[[], Any], *, exclusive: bool = True) -> None:
        """Run ``job`` in a thread worker of group ``what`` (a newer fetch of it cancels the older)."""
        self.run_worker(
            lambda: self.fetch_in_thread(what, job),
            thread=True,
            group=what,
            exclusive=exclusive,
            exit_on_error=False,
            name=what,
        )

    def on_failed(self, message: Failed) -> None:
        err = message.error
        self.notify(
            err.message + (f"\n{err.hint}" if err.hint else ""),
            title=f"{message.what} failed",
            severity="error",
            timeout=8,
        )
