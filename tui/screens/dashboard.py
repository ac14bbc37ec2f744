"""Dashboard: a school's day at a glance — the first screen a school admin sees (``d`` for everyone else).

For each site of the user (at most :data:`MAX_SITES`; from the overview, the site under the cursor): its
title, devices online per SSID, the APs with a problem and why, today's curve of devices online, and what
is switched off until when. The facts come from the core (``nc.dashboard``, :mod:`netctl.dashboard`),
loaded in a worker like every screen's; ``r`` reloads, and the app's refresh reloads it too; ``w`` opens the
WLANs window of the site shown first (switch the guest WLAN from here), ``n`` polls it now.
"""

from __future__ import annotations

import datetime as dt

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from netctl import status_words
from netctl.api import Netctl, SiteDashboard
from netctl.i18n import N_, _, ngettext
from netctl.selection import Selection
from tui.model import STATE_MARK, local_time, parse_time, zone_info
from tui.screens.base import Failed, NetctlScreen, Polled
from tui.widgets.chart import TimeChart
from tui.widgets.navbar import NavBar

#: how many sites one dashboard shows (a school admin has a few; the overview lists every site)
MAX_SITES = 4
STATE_STYLE = {"down": "red", "degraded": "yellow", "unknown": "dim"}


class DashboardLoaded(Message):
    """The dashboards of the shown sites, and how many sites of the user are not shown."""

    def __init__(self, boards: list[SiteDashboard], more: int) -> None:
        super().__init__()
        self.boards = boards
        self.more = more


class DashboardFailed(Failed):
    """Loading the dashboard failed (the summary line says so)."""


def load_dashboard(api: Netctl, site: str | None, now: dt.datetime) -> DashboardLoaded:
    """The dashboard of ``site``, or of the user's first :data:`MAX_SITES` sites (runs in a worker thread)."""
    sites = [site] if site else api.dashboard.home_sites()
    return DashboardLoaded([api.dashboard.site(name, now=now) for name in sites[:MAX_SITES]],
                           max(0, len(sites) - MAX_SITES))


def site_text(board: SiteDashboard, now: dt.datetime) -> Group:
    """Everything of one site above its curve: title, devices per SSID, problems, what is switched off."""
    counts = board.counts
    head = Text.assemble(
        (board.title, "bold"), f" ({board.site})  ",
        (ngettext("{n} device online", "{n} devices online", board.devices).format(n=board.devices), "bold"),
        "  ", _("APs"), " ",
        (f"▲{counts.get('up', 0)} ", "green"), (f"◆{counts.get('degraded', 0)} ", "yellow"),
        (f"▼{counts.get('down', 0)}", "red"),
    )
    parts: list[Text | Table] = [head]
    wlans = Table(title=_("Devices online per WLAN"), title_justify="left", box=None, show_header=False,
                  padding=(0, 1))
    for row in board.ssids:
        note = "" if row.enabled is not False else "  " + _("(switched off)")
        wlans.add_row(row.ssid, ngettext("{n} device", "{n} devices", row.devices).format(n=row.devices) + note)
    if not board.ssids:
        wlans.add_row(_("no devices reported by the last polls"), "")
    parts.append(wlans)
    if board.problems:
        problems = Table(title=_("Access points with a problem"), title_justify="left", box=None, show_header=False,
                         padding=(0, 1))
        for problem in board.problems:
            since = local_time(parse_time(problem.since), board.timezone, now) if problem.since else "-"
            problems.add_row(
                Text(f"{STATE_MARK.get(problem.state, '?')} {problem.ap}", STATE_STYLE.get(problem.state, "")),
                Text(_("{state} since {since}: {why}").format(state=status_words.word(problem.state), since=since,
                                                              why=problem.reason)))
        parts.append(problems)
    else:
        parts.append(Text(_("All access points are up."), "green"))
    if board.switched_off:
        off = Table(title=_("Switched off for a while"), title_justify="left", box=None, show_header=False,
                    padding=(0, 1))
        for item in board.switched_off:
            until = _("until {time}").format(time=item.until_local) if item.until_local else _("no end set")
            off.add_row(item.what, until, Text(item.why, "dim"))
        parts.append(off)
    parts.append(Text(_("Devices online today ({zone})").format(zone=board.timezone), "bold"))
    return Group(*parts)


class DashboardScreen(NetctlScreen):
    """The school dashboard of the user's sites (or of one site chosen in the overview)."""

    BINDINGS = [Binding("w", "wlans", N_("WLANs")), Binding("n", "poll_now", N_("Poll")),
                Binding("r", "reload", N_("Refresh"))]

    def __init__(self) -> None:
        super().__init__()
        #: the site to show (None: the user's sites)
        self.site: str | None = None
        self.boards: list[SiteDashboard] = []

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static(_("loading…"), id="summary")
        yield VerticalScroll(id="dashboard")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()
        if self.netctl.refresh_seconds:
            self.set_interval(self.netctl.refresh_seconds, self.action_reload)

    def show_site(self, site: str | None) -> None:
        """Show ``site`` (None: the user's sites) and load it."""
        self.site = site
        if self.is_mounted:
            self.action_reload()

    def action_reload(self) -> None:
        site, now = self.site, self.netctl.clock()
        self.fetch("dashboard", lambda: self.backend.run(lambda api: load_dashboard(api, site, now)),
                   failed=DashboardFailed)

    def action_wlans(self) -> None:
        """The WLANs window of the site shown first: which SSIDs are on, and switching those the user may."""
        from tui.screens.ssids import SsidScreen

        if self.boards:
            self.app.push_screen(SsidScreen(self.boards[0].site))

    def action_poll_now(self) -> None:
        """Poll the site shown first now (its bar moves as the APs answer); the dashboard reloads after."""
        if not self.boards:
            return
        if not self.backend.can("poll"):
            self.notify(_("your role may not poll"), severity="warning")
            return
        self.start_poll(Selection(site=self.boards[0].site))

    def on_polled(self, message: Polled) -> None:
        self.action_reload()

    def on_dashboard_failed(self, message: DashboardFailed) -> None:
        self.query_one("#summary", Static).update(_("cannot load: {error}").format(error=message.error.message))

    async def on_dashboard_loaded(self, message: DashboardLoaded) -> None:
        now = self.netctl.clock()
        self.boards = message.boards
        body = self.query_one("#dashboard", VerticalScroll)
        wanted = [f"site-{board.site}" for board in message.boards]
        if [child.id for child in body.children] != wanted:
            await body.remove_children()
            await body.mount_all(
                Vertical(Static(id="site-text"), TimeChart(id="site-curve", classes="graph"), id=ident,
                         classes="dashboard-site")
                for ident in wanted)
        for board, box in zip(message.boards, body.children, strict=True):
            box.query_one("#site-text", Static).update(site_text(board, now))
            box.query_one("#site-curve", TimeChart).show(board.curve, board.start, board.end,
                                                         zone_info(board.timezone))
        summary = (_("no site in your scope") if not message.boards
                   else _("Dashboard of {sites}").format(sites=", ".join(b.title for b in message.boards)))
        if message.more:
            summary += "  " + ngettext("(and {n} more site: see the overview)",
                                       "(and {n} more sites: see the overview)", message.more).format(n=message.more)
        self.query_one("#summary", Static).update(summary)
