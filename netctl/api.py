"""The one headless facade that the CLI, the TUI and the scheduler share.

    from netctl.api import Netctl
    nc = Netctl("city.db", user="admin")
    nc.inventory.list_aps(Selection(site="gs-meiderich"))
    nc.config.push(Selection(site="gs-meiderich"), confirm_timeout=60)

:class:`Netctl` opens one :class:`~netctl.core.Session` (the database, the acting user, their role
and scope) and composes the services over it, each given what it needs in its constructor:

===================  =================================================  ============================
``nc.inventory``     APs, sites, groups, variables, secrets             :mod:`netctl.inventory.ops`
``nc.config``        render, diff, push, backup, restore, drift, audit  :mod:`netctl.push.ops`
``nc.monitor``       poll, health, alerts, maintenance, notifiers       :mod:`netctl.poll.ops`
``nc.jobs``          scheduled jobs and their runs                      :mod:`netctl.schedule.ops`
``nc.access``        users, roles, scopes, allowed actions              :mod:`netctl.access`
``nc.ssids``         SSIDs switched on or off, now or timed             :mod:`netctl.ssids`
``nc.calendars``     school calendars that switch SSIDs                 :mod:`netctl.schedule.calendars`
``nc.overlays``      named, time-boxed variables ("exam mode")          :mod:`netctl.overlays`
``nc.hostkeys``      pinned SSH host keys                               :mod:`netctl.hostkeys`
``nc.routes``        alert routes: who gets which alerts (Apprise)      :mod:`netctl.notify.ops`
``nc.firmware``      firmware images, upgrade plans and upgrades        :mod:`netctl.firmware.ops`
``nc.controllers``   WLAN controllers, the APs behind them, adoption    :mod:`netctl.controllers.ops`
``nc.reports``       monthly site reports: uptime, devices, incidents   :mod:`netctl.report_ops`
``nc.dashboard``     a school's dashboard: devices per SSID, problems   :mod:`netctl.dashboard`
===================  =================================================  ============================

None of them imports Textual; heavy drivers are imported inside the methods that use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import sqlite_utils

from netctl.access import AccessService
from netctl.controllers.ops import ControllerService
from netctl.core import Session
from netctl.dashboard import DashboardService, SiteDashboard
from netctl.firmware.ops import FirmwareService
from netctl.hostkeys import HostKeyService
from netctl.inventory.ops import InventoryService
from netctl.notify.ops import RouteService
from netctl.overlays import OverlayService
from netctl.poll.ops import MonitorService
from netctl.push.ops import ConfigService
from netctl.report_ops import ReportService
from netctl.results import Result, Results
from netctl.runner import Event
from netctl.schedule.calendars import CalendarService
from netctl.schedule.ops import JobService
from netctl.selection import Scope, Selection
from netctl.ssids import SsidService

__all__ = ["Event", "Netctl", "Result", "Results", "Scope", "Selection", "Session", "SiteDashboard"]


class Netctl:
    """The facade: one session of one acting user and the services composed over it."""

    #: attribute name -> service class, in the order they are built
    SERVICES: ClassVar[dict[str, type]] = {
        "inventory": InventoryService, "config": ConfigService, "monitor": MonitorService, "jobs": JobService,
        "ssids": SsidService, "calendars": CalendarService, "overlays": OverlayService,
        "access": AccessService, "hostkeys": HostKeyService, "firmware": FirmwareService, "routes": RouteService,
        "controllers": ControllerService, "reports": ReportService, "dashboard": DashboardService,
    }

    def __init__(self, db: str | Path | sqlite_utils.Database | None = None, *,
                 user: str | None = None, create: bool = False) -> None:
        """Open the database (``create``: make it when missing) as ``user`` (default: the OS login's
        user). Raises NotFound (no database there, unknown user) or PermissionDenied (``user`` is
        not the login's own user and the login is no admin)."""
        self.session = Session(db, user=user, create=create)
        self.inventory = InventoryService(self.session)
        self.config = ConfigService(self.session, inventory=self.inventory)
        self.monitor = MonitorService(self.session, inventory=self.inventory)
        self.jobs = JobService(self.session)
        self.ssids = SsidService(self.session, config=self.config)
        self.calendars = CalendarService(self.session, ssids=self.ssids)
        self.overlays = OverlayService(self.session, config=self.config)
        self.access = AccessService(self.session, ssids=self.ssids)
        self.hostkeys = HostKeyService(self.session)
        self.firmware = FirmwareService(self.session, inventory=self.inventory, config=self.config, jobs=self.jobs)
        self.routes = RouteService(self.session)
        self.controllers = ControllerService(self.session, inventory=self.inventory, monitor=self.monitor)
        self.reports = ReportService(self.session, monitor=self.monitor)
        self.dashboard = DashboardService(self.session, monitor=self.monitor, ssids=self.ssids,
                                          calendars=self.calendars, overlays=self.overlays)

    def close(self) -> None:
        """Close the database connection."""
        self.session.close()

    def __enter__(self) -> Netctl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
