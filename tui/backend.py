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
        self._shared = api.session.db_path == ":memory:"

    @property
    def user(self) -> str:
        return str(self.api.session.user_name)

    @property
    def role(self) -> str:
        return str(self.api.session.role)

    def has(self, method: str) -> bool:
        """Whether the facade offers ``method`` (``service.method``)."""
        return callable(_resolve(self.api, method, None))

    def can(self, action: str, target: str | None = None) -> bool:
        return bool(self.api.session.can(action, target))

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``api.method(*args, **kwargs)``; blocking — call it from a worker thread only."""
        if self._shared:
            with self._lock:
                return _resolve(self.api, method)(*args, **kwargs)
        api = type(self.api)(self.api.session.db_path, user=self.api.session.user_name)
        try:
            return _resolve(api, method)(*args, **kwargs)
        finally:
            api.close()

    def run(self, fn: Callable[[Netctl], Any]) -> Any:
        """Run ``fn(api)`` with a facade of the acting user (several calls on one connection)."""
        if self._shared:
            with self._lock:
                return fn(self.api)
        api = type(self.api)(self.api.session.db_path, user=self.api.session.user_name)
        try:
            return fn(api)
        finally:
            api.close()


def _resolve(api: Netctl, path: str, *default: Any) -> Any:
    """``api.service.method`` named by ``"service.method"``."""
    target: Any = api
    for name in path.split("."):
        target = getattr(target, name, *default)
    return target
