"""How the TUI calls the facade from worker threads without sharing one SQLite connection.

Every screen loads its data in ``@work(thread=True)`` workers. A file database gets a fresh
facade (own connection, same user) per call, so a long push never holds up a refresh; an
in-memory database (tests) is shared and calls are serialised with a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from netctl.api import Netctl


class Backend:
    """Thread-safe access to the facade methods of one acting user."""

    def __init__(self, api: Netctl) -> None:
        self.api = api
        self._lock = threading.RLock()
        self._shared = getattr(api, "db_path", ":memory:") == ":memory:"

    @property
    def user(self) -> str:
        return str(self.api.user_name)

    @property
    def role(self) -> str:
        return str(self.api.role)

    def has(self, method: str) -> bool:
        """Whether the facade offers ``method`` (areas of the core grow independently)."""
        return callable(getattr(self.api, method, None))

    def can(self, action: str, target: str | None = None) -> bool:
        return bool(self.api.can(action, target))

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``api.method(*args, **kwargs)``; blocking — call it from a worker thread only."""
        if self._shared:
            with self._lock:
                return getattr(self.api, method)(*args, **kwargs)
        api = type(self.api)(self.api.db_path, user=self.api.user_name)
        try:
            return getattr(api, method)(*args, **kwargs)
        finally:
            api.close()

    def run(self, fn: Callable[[Netctl], Any]) -> Any:
        """Run ``fn(api)`` with a facade of the acting user (several calls on one connection)."""
        if self._shared:
            with self._lock:
                return fn(self.api)
        api = type(self.api)(self.api.db_path, user=self.api.user_name)
        try:
            return fn(api)
        finally:
            api.close()
