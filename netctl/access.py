"""User and role operations of the facade (users add/list/remove, allowed actions)."""

from __future__ import annotations

from netctl.core import CoreBase


class AccessOps(CoreBase):
    """Users and roles part of :class:`netctl.api.Netctl`."""
