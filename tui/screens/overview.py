"""Overview: tenants → sites (school / zoo / transit) with health counts, open alerts, last poll; above them
the WLAN controllers the user may see, each with its platform, its own state and the states of the APs
behind it (as the polls recorded them: ``status()["controllers"]``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static, Tree

from netctl.api import Netctl
from netctl.i18n import N_, _, ngettext
from netctl.selection import Selection
from tui.model import (
    STATE_MARK,
    ApRow,
    SiteHealth,
    ago,
    alert_counts,
    build_rows,
    counts_text,
    site_health,
    state_counts,
)
from tui.screens.base import Failed, NetctlScreen, Polled
from tui.widgets.navbar import NavBar

KIND_MARK = {"school": N_("school"), "zoo": N_("zoo"), "transit": N_("transit")}
#: the data of the overview's controllers section (no tenant can be named so: names have no colon)
CONTROLLERS = ":controllers"
#: the colour of a controller's own state
STATE_STYLE = {"up": "green", "degraded": "yellow", "down": "red"}


class OverviewLoaded(Message):
    """What the overview shows: site health, AP rows, the number of open alerts nobody acknowledged yet
    and of acknowledged ones, whether any poll ran, and the controllers (``status()["controllers"]``)."""

    def __init__(self, sites: list[SiteHealth], rows: list[ApRow], alerts: int, polled: bool,
                 acked: int = 0, controllers: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.sites = sites
        self.rows = rows
        self.alerts = alerts
        self.acked = acked
        self.polled = polled
        self.controllers = controllers or []


class OverviewFailed(Failed):
    """Loading the overview failed (the summary line says so)."""


def load_overview(api: Netctl) -> OverviewLoaded:
    """Everything the overview shows, from one facade (runs in a worker thread)."""
    sites = api.session.visible_sites()
    status = api.monitor.status(Selection())
    alerts = api.monitor.alerts(open_only=True)
    # status lists the same APs (the user's scope, by name) with all the overview counts: site, state,
    # clients; the inventory rows are not read again (100,000 APs)
    rows = build_rows(status["aps"], status)
    counts = alert_counts(alerts)
    return OverviewLoaded(site_health(sites, rows, alerts, status), rows, counts["open"], status is not None,
                          counts["acked"], status.get("controllers") or [])


class OverviewScreen(NetctlScreen):
    """The tree of controllers, tenants and sites; Enter on a site shows its access points, on a controller
    the APs behind it."""

    BINDINGS = [
        Binding("enter", "open_site", N_("Show APs"), show=False),
        Binding("n", "poll_now", N_("Poll")),
        Binding("w", "wlans", N_("WLANs")),
        Binding("d", "dashboard", N_("Dashboard")),
        Binding("r", "reload", N_("Refresh")),
    ]

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static(_("loading…"), id="summary")
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
            _("polled {n} AP(s): {ok} ok, {failed} failed").format(
                n=len(results), ok=len(results) - len(failed), failed=len(failed)),
            title=_("poll"),
            severity="warning" if failed else "information",
        )
        self.action_reload()

    def on_overview_failed(self, message: OverviewFailed) -> None:
        self.query_one("#summary", Static).update(_("cannot load: {error}").format(error=message.error.message))

    # -- drawing --------------------------------------------------------------------------------
    def show(self, overview: OverviewLoaded) -> None:
        self.sites, self.rows = overview.sites, overview.rows
        now = self.netctl.clock()
        totals = state_counts(r.state for r in self.rows)
        polled = "" if overview.polled else "  " + _("(no poll data yet)")
        acked = " " + _("({n} acknowledged)").format(n=overview.acked) if overview.acked else ""
        self.query_one("#summary", Static).update(
            Text.assemble(
                _devices_line(self.sites),
                (_("{n} APs").format(n=len(self.rows)) + "  ", "bold"),
                counts_text(totals),
                "  " + _("open alerts {n}").format(n=overview.alerts) + f"{acked}{polled}",
            )
        )
        by_tenant: dict[str, list[SiteHealth]] = {}
        for site in self.sites:
            by_tenant.setdefault(site.tenant, []).append(site)
        # (node data, label, [(leaf data, label)]): the controllers' section first, then each tenant
        sections: list[tuple[str, Text, list[tuple[str, Text]]]] = []
        if overview.controllers:
            sections.append((CONTROLLERS, _controllers_label(overview.controllers),
                             [(c["name"], _controller_label(c)) for c in overview.controllers]))
        sections += [(tenant, self._tenant_label(tenant, sites), [(s.name, self._site_label(s, now)) for s in sites])
                     for tenant, sites in by_tenant.items()]
        tree: Tree[str] = self.query_one("#sites", Tree)
        wanted = [(data, [leaf for leaf, _label in leaves]) for data, _label, leaves in sections]
        current = [(str(n.data), [str(c.data) for c in n.children]) for n in tree.root.children]
        if wanted != current:
            tree.clear()
            for data, label, leaves in sections:
                node = tree.root.add(label, data=data, expand=True)
                for leaf, leaf_label in leaves:
                    node.add_leaf(leaf_label, data=leaf)
            tree.cursor_line = 0
            return
        for node, (_data, label, leaves) in zip(tree.root.children, sections, strict=True):
            node.set_label(label)
            for child, (_leaf, leaf_label) in zip(node.children, leaves, strict=True):
                child.set_label(leaf_label)

    def _tenant_label(self, tenant: str, sites: list[SiteHealth]) -> Text:
        counts: dict[str, int] = {}
        for site in sites:
            for key, value in site.counts.items():
                counts[key] = counts.get(key, 0) + value
        alerts = sum(s.open_alerts for s in sites)
        acked = sum(s.acked_alerts for s in sites)
        return Text.assemble(
            (tenant, "bold"),
            "  " + ngettext("{n} site", "{n} sites", len(sites)).format(n=len(sites)) + "  ",
            _colored(counts),
            (f"  ⚠{alerts}" if alerts else "", "yellow"),
            (f"  ✓{acked}" if acked else "", "dim"),
        )

    def _site_label(self, site: SiteHealth, now: Any) -> Text:
        name = (site.title or site.name)[:24].ljust(24)
        kind = _(KIND_MARK.get(site.kind, site.kind))[:7].ljust(8)
        seen = _("polled {ago}").format(ago=ago(site.last_poll, now)) if site.last_poll else _("not polled")
        return Text.assemble(
            name,
            " ",
            (kind, "dim"),
            _colored(site.counts),
            (f" ⚠{site.open_alerts}" if site.open_alerts else "", "yellow"),
            (f" ✓{site.acked_alerts}" if site.acked_alerts else "", "dim"),
            ("  " + _("{n} online").format(n=site.devices) if site.devices is not None else "", "cyan"),
            ("  " + seen, "dim"),
        )

    # -- actions --------------------------------------------------------------------------------
    def _selected(self) -> tuple[str, str] | None:
        """What the cursor is on: ``(kind, name)``, kind ``tenant``, ``site``, ``controllers`` (the section)
        or ``controller``; None for nothing."""
        node = self.query_one("#sites", Tree).cursor_node
        if node is None or node.data is None or node.parent is None:
            return None
        if node.parent.is_root:
            return ("controllers", "") if node.data == CONTROLLERS else ("tenant", str(node.data))
        return ("controller" if node.parent.data == CONTROLLERS else "site", str(node.data))

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        selected = self._selected()
        if selected and selected[0] in ("site", "controller"):
            self.netctl.open_aps(_filter(*selected))

    def action_open_site(self) -> None:
        selected = self._selected()
        self.netctl.open_aps(_filter(*selected) if selected else "")

    def action_wlans(self) -> None:
        """The SSIDs of the site under the cursor (switch those the user may switch); a user with one site
        gets that site's wherever the cursor is."""
        from tui.screens.ssids import SsidScreen

        selected = self._selected()
        if selected is not None and selected[0] == "site":
            self.app.push_screen(SsidScreen(selected[1]))
        elif len(self.sites) == 1:
            self.app.push_screen(SsidScreen(self.sites[0].name))
        else:
            self.notify(_("put the cursor on a site first"), severity="warning")

    def action_dashboard(self) -> None:
        """The dashboard of the site under the cursor (of the user's sites elsewhere)."""
        selected = self._selected()
        self.netctl.open_dashboard(selected[1] if selected and selected[0] == "site" else None)

    def action_poll_now(self) -> None:
        if not self.backend.can("poll"):
            self.notify(_("your role may not poll"), severity="warning")
            return
        kind, name = self._selected() or ("tenant", "")
        selection = {"site": Selection(site=name), "controllers": Selection(role="controller"),
                     "controller": Selection(names=(name,))}.get(kind) or Selection(tenant=name or None)
        self.notify(_("polling {what} …").format(what=selection.describe()), title=_("poll"))
        self.start_poll(selection)


def _filter(kind: str, name: str) -> str:
    """The AP window's filter for what the cursor is on (a controller: the APs behind it)."""
    return {"controllers": "role:controller"}.get(kind) or f"{kind}:{name}"


def _controllers_label(controllers: list[dict[str, Any]]) -> Text:
    """The section's line: how many controllers, their own states, and the states of all their APs."""
    aps: dict[str, int] = {}
    for controller in controllers:
        for key, value in controller["aps"].items():
            aps[key] = aps.get(key, 0) + value
    return Text.assemble(
        (_("Controllers"), "bold"), f"  {len(controllers)}  ",
        _colored(state_counts(c["state"] for c in controllers)),
        "  " + _("APs") + " ", _colored(aps), _missing(aps),
    )


def _controller_label(controller: dict[str, Any]) -> Text:
    """One controller: name, its own state (from its own poll), platform, the states of the APs behind it."""
    state = str(controller["state"])
    return Text.assemble(
        str(controller["name"])[:16].ljust(16), " ",
        (f"{STATE_MARK.get(state, '?')} {state}".ljust(9), STATE_STYLE.get(state, "dim")),
        (str(controller["platform"] or "-")[:11].ljust(12), "dim"),
        _("APs") + " ", _colored(controller["aps"]), _missing(controller["aps"]),
    )


def _missing(counts: dict[str, int]) -> Text:
    """`` ✗2 missing``: APs their controller's AP table did not list ("" for none)."""
    return Text(" " + _("✗{n} missing").format(n=counts["missing"]) if counts.get("missing") else "", "magenta")


def _devices_line(sites: list[SiteHealth]) -> Text:
    """The number a school admin looks for first: devices online now, at their one school by its title
    (``Grundschule Meiderich: 87 devices online``), or over all the sites they see; "" before any poll
    reported clients."""
    known = [s.devices for s in sites if s.devices is not None]
    if not known:
        return Text("")
    total = sum(known)
    text = ngettext("{n} device online", "{n} devices online", total).format(n=total)
    where = f"{sites[0].title or sites[0].name}: " if len(sites) == 1 else ""
    return Text(where + text + "   ", "bold cyan")


def _colored(counts: dict[str, int]) -> Text:
    text = Text()
    text.append(f"▲{counts.get('up', 0)} ", "green")
    text.append(f"◆{counts.get('degraded', 0)} ", "yellow")
    text.append(f"▼{counts.get('down', 0)}", "red")
    if counts.get("unknown"):
        text.append(f" ?{counts['unknown']}", "dim")
    return text
