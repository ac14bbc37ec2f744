"""Inventory operations of the facade (import, export, list, show, add, set, remove, vars, secrets)."""

from __future__ import annotations

from netctl.core import CoreBase


class InventoryOps(CoreBase):
    """Inventory part of :class:`netctl.api.Netctl`."""
