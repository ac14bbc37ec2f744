"""Monthly site reports of the facade: ``nc.reports``.

Reads through the acting user's scope (a school admin reports only on their schools; another site does
not exist for them) and only through the store's public reading functions
(:func:`netctl.poll.store.series`, the alerts of :meth:`netctl.poll.ops.MonitorService.alerts`); the
report itself is built by the pure :mod:`netctl.reports`.

Raises: PermissionDenied (the role may not view), NotFound (no such site in scope, with close names),
ConfigError (a month that is no ``YYYY-MM`` or has not begun).
"""

from __future__ import annotations

import difflib
import time

from netctl.core import Session
from netctl.errors import NotFound
from netctl.poll.ops import MonitorService
from netctl.reports import Report, build_report, parse_month
from netctl.selection import Selection


class ReportService:
    """Monthly reports per site (uptime, devices per SSID, incidents); given the session and the monitor."""

    def __init__(self, session: Session, *, monitor: MonitorService) -> None:
        self.session = session
        self.monitor = monitor

    def report(self, site: str, month: str, *, now: float | None = None) -> Report:
        """The report of ``site`` for ``month`` (``YYYY-MM``, in the site's time zone)."""
        from netctl.poll.store import retention_settings, series

        self.session.require("view")
        now = time.time() if now is None else now
        sites = {row["name"]: row for row in self.session.visible_sites()}
        if site not in sites:
            close = difflib.get_close_matches(site, sorted(sites), n=3, cutoff=0.6)
            raise NotFound(f"no site {site!r}" + (f" (did you mean {' or '.join(close)}?)" if close else ""),
                           hint="list the sites you may see with: netctl inventory sites")
        zone = self.session.site_timezone(site)
        start, end = parse_month(month, now, zone)
        rows_by_ap = {}
        for ap in self.session.select(Selection(site=site)):
            rows = series(self.session.db, ap["name"], "up", start, now=now)
            rows += series(self.session.db, ap["name"], "clients:*", start, now=now)
            rows_by_ap[ap["name"]] = [r for r in rows if r["epoch"] < end]
        alerts = self.monitor.alerts(open_only=False, selection=Selection(site=site), limit=10**9)
        kept_from = now - float(retention_settings(self.session.db)["hourly_s"])
        return build_report(sites[site], month.strip(), zone, start, end, now, rows_by_ap, alerts, kept_from=kept_from)


__all__ = ["ReportService"]
