"""Polling operations of the facade (poll, status, metrics, alerts, maintenance, jobs)."""

from __future__ import annotations

from netctl.core import CoreBase


class PollOps(CoreBase):
    """Polling and health part of :class:`netctl.api.Netctl`."""
