"""Configuration operations of the facade (render, diff, push, backup, drift, restore, audit)."""

from __future__ import annotations

from netctl.core import CoreBase


class ConfigOps(CoreBase):
    """Configuration part of :class:`netctl.api.Netctl`."""
