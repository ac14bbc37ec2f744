"""The lab's one error: a peer that cannot be installed, started or reached."""

from __future__ import annotations

from netctl.errors import NetctlError


class LabError(NetctlError):
    """The lab could not be installed, started or stopped (the message says which peer and why)."""
