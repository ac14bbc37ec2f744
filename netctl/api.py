"""The one headless facade that the CLI, the TUI and the scheduler share.

    from netctl.api import Netctl
    nc = Netctl("city.db", user="admin")
    nc.select(Selection(site="gs-meiderich"))

Each area lives in its own mixin module; none of them imports Textual.
"""

from __future__ import annotations

from netctl.access import AccessOps
from netctl.hostkeys import HostKeyOps
from netctl.inventory.ops import InventoryOps
from netctl.poll.ops import PollOps
from netctl.push.ops import ConfigOps
from netctl.schedule.ops import JobOps
from netctl.selection import Scope, Selection

__all__ = ["Netctl", "Selection", "Scope"]


class Netctl(InventoryOps, ConfigOps, PollOps, JobOps, AccessOps, HostKeyOps):
    """Facade over the netctl core. See the mixins for the operations."""
