"""Overview: tenants → sites (school / zoo / transit) with health counts, open alerts, last poll."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static, Tree

from netctl.api import Netctl
from netctl.selection import Selection
from tui.model import ApRow, SiteHealth, ago, alert_counts, build_rows, counts_text, site_health, state_counts
from tui.screens.base import Failed, NetctlScreen, Polled
from tui.widgets.navbar import NavBar

KIND_MARK = {"school": "school", "zoo": "zoo", "transit": "transit"}


class OverviewLoaded(Message):
    """What the overview shows: site health, AP rows, the number of open alerts nobody acknowledged yet
    and of acknowledged ones, whether any poll ran."""

    def __init__(self, sites: list[SiteHealth], rows: list[ApRow], alerts: int, polled: bool,
                 acked: int = 0) -> None:
        super().__init__()
        self.sites = sites
        self.rows = rows
        self.alerts = alerts
        self.acked = acked
        self.polled = polled


class OverviewFailed(Failed):
    """Loading the overview failed (the summary line says so)."""


def load_overview(api: Netctl) -> OverviewLoaded:
    """Everything the overview shows, from one facade (runs in a worker thread)."""
    sites = api.session.visible_sites()
    aps = api.session.select()
    status = api.monitor.status(Selection())
    alerts = api.monitor.alerts(open_only=True)
    rows = build_rows(aps, status)
    counts = alert_counts(alerts)
    return OverviewLoaded(site_health(sites, rows, alerts, status), rows, counts["open"], status is not None,
                          counts["acked"])


class OverviewScreen(NetctlScreen):
    """The tree of tenants and sites; Enter on a site shows its access points."""

    BINDINGS = [
        Binding("enter", "open_site", "Show APs", show=False),
        Binding("n", "poll_now", "Poll"),
        Binding("w", "wlans", "WLANs"),
        Binding("r", "reload", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static("loading…", id="summary")
        tree: Tree[str] = Tree("sites", id="sites")
        tree.show_root = False
        yield tree
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sites: list[SiteHealth] = []
        self.rows: list[ApRow] = []
        self.action_reload()
        if self.netctl.refresh_seconds:
            self.set_interval(self.netctl.refresh_seconds, self.action_reload)

    def action_reload(self) -> None:
        self.fetch("overview", lambda: self.backend.run(load_overview), failed=OverviewFailed)

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        self.show(message)

    def on_polled(self, message: Polled) -> None:
        results = message.results or []
        failed = [r for r in results if r.failed]
        self.notify(
            f"polled {len(results)} AP(s): {len(results) - len(failed)} ok, {len(failed)} failed",
            title="poll",
            severity="warning" if failed else "information",
        )
        self.action_reload()

    def on_overview_failed(self, message: OverviewFailed) -> None:
        self.query_one("#summary", Static).update(f"cannot load: {message.error.message}")

    # -- drawing --------------------------------------------------------------------------------
    def show(self, overview: OverviewLoaded) -> None:
        self.sites, self.rows = overview.sites, overview.rows
        now = self.netctl.clock()
        totals = state_counts(r.state for r in self.rows)
        polled = "" if overview.polled else "  (no poll data yet)"
        acked = f" ({overview.acked} acknowledged)" if overview.acked else ""
        self.query_one("#summary", Static).update(
            Text.assemble(
                (f"{len(self.rows)} APs  ", "bold"),
                counts_text(totals),
                f"  open alerts {overview.alerts}{acked}{polled}",
            )
        )
        tree: Tree[str] = self.query_one("#sites", Tree)
        by_tenant: dict[str, list[SiteHealth]] = {}
        for site in self.sites:
            by_tenant.setdefault(site.tenant, []).append(site)
        wanted = [(t, [s.name for s in sites]) for t, sites in by_tenant.items()]
        current = [(str(n.data), [str(c.data) for c in n.children]) for n in tree.root.children]
        if wanted != current:
            tree.clear()
            for tenant, sites in by_tenant.items():
                node = tree.root.add(self._tenant_label(tenant, sites), data=tenant, expand=True)
                for site in sites:
                    node.add_leaf(self._site_label(site, now), data=site.name)
            tree.cursor_line = 0
            return
        for node, (tenant, sites) in zip(tree.root.children, by_tenant.items(), strict=True):
            node.set_label(self._tenant_label(tenant, sites))
            for child, site in zip(node.children, sites, strict=True):
                child.set_label(self._site_label(site, now))

    def _tenant_label(self, tenant: str, sites: list[SiteHealth]) -> Text:
        counts: dict[str, int] = {}
        for site in sites:
            for key, value in site.counts.items():
                counts[key] = counts.get(key, 0) + value
        alerts = sum(s.open_alerts for s in sites)
        acked = sum(s.acked_alerts for s in sites)
        return Text.assemble(
            (tenant, "bold"),
            f"  {len(sites)} site{'s' if len(sites) != 1 else ''}  ",
            _colored(counts),
            (f"  ⚠{alerts}" if alerts else "", "yellow"),
            (f"  ✓{acked}" if acked else "", "dim"),
        )

    def _site_label(self, site: SiteHealth, now: Any) -> Text:
        name = site.name[:22].ljust(22)
        kind = KIND_MARK.get(site.kind, site.kind)[:7].ljust(8)
        seen = "polled " + ago(site.last_poll, now) if site.last_poll else "not polled"
        return Text.assemble(
            name,
            " ",
            (kind, "dim"),
            _colored(site.counts),
            (f" ⚠{site.open_alerts}" if site.open_alerts else "", "yellow"),
            (f" ✓{site.acked_alerts}" if site.acked_alerts else "", "dim"),
            ("  " + seen, "dim"),
        )

    # -- actions --------------------------------------------------------------------------------
    def _selected_site(self) -> tuple[str | None, str | None]:
        node = self.query_one("#sites", Tree).cursor_node
        if node is None or node.data is None:
            return None, None
        if node.parent is not None and node.parent.is_root:
            return str(node.data), None
        return None, str(node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        tenant, site = self._selected_site()
        if site:
            self.netctl.open_aps(f"site:{site}")

    def action_open_site(self) -> None:
        tenant, site = self._selected_site()
        self.netctl.open_aps(f"site:{site}" if site else f"tenant:{tenant}" if tenant else "")

    def action_wlans(self) -> None:
        """The SSIDs of the site under the cursor (switch those the user may switch)."""
        from tui.screens.ssids import SsidScreen

        _, site = self._selected_site()
        if site is None:
            self.notify("put the cursor on a site first", severity="warning")
            return
        self.app.push_screen(SsidScreen(site))

    def action_poll_now(self) -> None:
        if not self.backend.can("poll"):
            self.notify("your role may not poll", severity="warning")
            return
        tenant, site = self._selected_site()
        selection = Selection(site=site) if site else Selection(tenant=tenant)
        self.notify(f"polling {selection.describe()} …", title="poll")
        self.start_poll(selection)


def _colored(counts: dict[str, int]) -> Text:
    text = Text()
    text.append(f"▲{counts.get('up', 0)} ", "green")
    text.append(f"◆{counts.get('degraded', 0)} ", "yellow")
    text.append(f"▼{counts.get('down', 0)}", "red")
    if counts.get("unknown"):
        text.append(f" ?{counts['unknown']}", "dim")
    return text
