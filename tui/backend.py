"""How the TUI calls the facade from worker threads without sharing one SQLite connection.

Every screen loads its data in ``@work(thread=True)`` workers. A file database gets a fresh
facade (own connection, same user) per call, so a long push never holds up a refresh; an
in-memory database (tests) is shared and calls are serialised with a lock.

Screens call the facade through :meth:`Backend.run` with a lambda, ``backend.run(lambda api:
api.monitor.poll(selection))``, so mypy checks every call and its answer's type.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from netctl.api import Netctl

T = TypeVar("T")


class Backend:
    """Thread-safe access to the facade methods of one acting user."""

    def __init__(self, api: Netctl) -> None:
        self.api = api
        self._lock = threading.RLock()
        self._shared = api.session.db_path == ":memory:"

    @property
    def user(self) -> str:
        return str(self.api.session.user_name)

    @property
    def role(self) -> str:
        return str(self.api.session.role)

    def can(self, action: str, target: str | None = None) -> bool:
        return bool(self.api.session.can(action, target))

    def run(self, fn: Callable[[Netctl], T]) -> T:
        """Run ``fn(api)`` with a facade of the acting user (several calls on one connection) and
        return its answer; blocking — call it from a worker thread only."""
        if self._shared:
            with self._lock:
                return fn(self.api)
        api = type(self.api)(self.api.session.db_path, user=self.api.session.user_name)
        try:
            return fn(api)
        finally:
            api.close()
