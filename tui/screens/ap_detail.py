"""AP detail: facts, radios and clients per SSID, graphs, config history with diffs, alerts, audit.

An AP behind a WLAN controller names it with its state, its group on it and where its config lives (on
the controller, for a platform netctl does not log in to: ``P`` opens the push screen for the
controller, ``c`` the controller's page); a controller's page counts the APs behind it (``b`` lists them).

An AP that is not up says so under its name: since when (in the site's time zone) and why, the stored
reason whole. The graphs start at zero and have a time axis (:mod:`tui.chart`); numbers are formatted as
the CLI formats them (:mod:`netctl.units`). SSIDs carry the names the WLANs window shows (the site's
configured SSIDs); what the AP reports under another name is listed as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Label, Static, TabbedContent, TabPane

from netctl import i18n, status_words
from netctl.api import Netctl
from netctl.errors import NetctlError
from netctl.i18n import N_, _
from netctl.selection import Selection
from netctl.units import bitrate, si
from tui.model import STATE_MARK, ago, counts_text, duration, local_time, parse_time, unified_diff, zone_info
from tui.screens.base import Failed, NetctlScreen, Polled
from tui.widgets.chart import TimeChart
from tui.widgets.navbar import NavBar
from tui.widgets.table import VirtualTable


def _ms(value: float | None) -> str:
    return si(value, "ms")


#: (metric name in the store, label, how a value reads) for the graphs tab
GRAPHS: tuple[tuple[str, str, Callable[[float | None], str]], ...] = (
    ("clients", N_("Devices"), si),
    ("latency_ms", N_("Latency"), _ms),
    ("in_bps", N_("Traffic in"), bitrate),
    ("out_bps", N_("Traffic out"), bitrate),
)
#: what a poll error kind means, in plain words
POLL_ERRORS = {
    "timeout": N_("no answer"),
    "auth": N_("the AP refused netctl's SNMP credentials"),
    "malformed": N_("the AP's answer could not be read"),
    "partial": N_("the AP answered only in part"),
    "unsupported": N_("the AP does not serve what netctl asks for"),
    "error": N_("netctl could not poll it"),
}
HISTORY_COLUMNS = (
    ("version", N_("Ver"), 4),
    ("created", N_("Stored"), 20),
    ("source", N_("Source"), 10),
    ("hash", N_("Hash"), 0),
)
FACT_KEYS = (
    N_("name"),
    N_("tenant"),
    N_("site"),
    N_("site_title"),
    N_("role"),
    N_("platform"),
    N_("model"),
    N_("serial"),
    N_("vehicle_id"),
    N_("address"),
    N_("port"),
    N_("groups"),
    N_("tags"),
    N_("mac"),
    N_("ap_group"),
)


class DetailLoaded(Message):
    """Everything the AP page shows: the AP, its health, metric series as (epoch, value) points over
    ``start``–``end`` (with their interface labels and latest values), stored config versions, its
    alerts and audit entries, the overlays ("exam mode") that change its variables for a while, its
    config status, the site's SSIDs as the WLANs window lists them (None: not known) and time zone, and
    the controller the AP is behind or is (a row of ``status()["controllers"]``; None: neither)."""

    def __init__(
        self,
        ap: dict[str, Any],
        health: dict[str, Any],
        series: dict[str, list[tuple[float, float]]],
        labels: dict[str, str],
        history: list[dict[str, Any]],
        alerts: list[dict[str, Any]],
        audit: list[dict[str, Any]],
        overlays: list[dict[str, Any]],
        *,
        start: float = 0.0,
        end: float = 0.0,
        config: dict[str, Any] | None = None,
        ssids: list[dict[str, Any]] | None = None,
        zone: str = "UTC",
        controller: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.ap = ap
        self.health = health
        self.series = series
        self.labels = labels
        self.latest = {metric: points[-1][1] for metric, points in series.items() if points}
        self.history = history
        self.alerts = alerts
        self.audit = audit
        self.overlays = overlays
        self.start = start
        self.end = end
        self.config = config or {}
        self.ssids = ssids
        self.zone = zone
        self.controller = controller


class DetailFailed(Failed):
    """Loading the AP page failed (out of scope, gone): the Facts tab says why."""


class VersionDiffLoaded(Message):
    """The diff of one stored config version against the one before it."""

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title = title
        self.diff = diff


def load_detail(api: Netctl, name: str, since: dt.datetime, now: dt.datetime | None = None) -> DetailLoaded:
    """Everything the detail shows about one AP (runs in a worker thread; NotFound if out of scope)."""
    ap = api.inventory.show_ap(name)
    one = Selection(names=(name,))
    # with the controller it is behind (in scope whenever the AP is): its state and its APs' counts
    status = api.monitor.status(Selection(names=(name, str(ap["controller"]))) if ap.get("controller") else one)
    aps = [row for row in status.get("aps", []) if row["name"] == name]
    controller = next(iter(status.get("controllers") or []), None)
    series: dict[str, list[tuple[float, float]]] = {}
    labels: dict[str, str] = {}
    for point in api.monitor.metrics(name, None, since.timestamp()):
        if isinstance(point.get("value"), (int, float)):
            when = point.get("epoch")
            if not isinstance(when, (int, float)):
                parsed = parse_time(point.get("ts"))
                when = parsed.timestamp() if parsed else 0.0
            series.setdefault(str(point["metric"]), []).append((float(when), float(point["value"])))
        if point.get("label"):
            labels[str(point["metric"])] = str(point["label"])
    site = str(ap.get("site") or "")
    try:  # the names the WLANs window shows: rendered from the site's config, nothing sent
        ssids: list[dict[str, Any]] | None = api.ssids.site_ssids(site)
    except NetctlError:
        ssids = None
    config = api.config.config_status(one)
    return DetailLoaded(
        ap,
        aps[0] if aps else {},
        series,
        labels,
        api.config.history(name),
        api.monitor.alerts(open_only=False, selection=one),
        api.config.audit(ap=name, limit=200),
        [overlay for overlay in api.overlays.list_overlays() if name in overlay["aps"]],
        start=since.timestamp(),
        end=(now or dt.datetime.now(dt.UTC)).timestamp(),
        config=config[0] if config else None,
        ssids=ssids,
        zone=api.ssids.site_timezone(site),
        controller=controller,
    )


def load_version_diff(api: Netctl, name: str, versions: list[int], version: int) -> tuple[str, str]:
    """(title, unified diff of ``version`` against the version before it, or its text if it is the first)."""
    text = _config_text(api.config.show_config(name, version))
    older = [v for v in versions if v < version]
    if not older:
        return f"version {version} (first stored)", text
    previous = _config_text(api.config.show_config(name, max(older)))
    diff = unified_diff(previous, text, f"{name} v{max(older)}", f"{name} v{version}")
    return f"version {max(older)} → {version}", diff or "(no change)"


def _config_text(version: dict[str, Any]) -> str:
    return str(version.get("text") or version.get("config") or "")


class ApDetailScreen(NetctlScreen):
    """One access point; Escape goes back."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("n", "poll_now", N_("Poll")),
        Binding("t", "toggle_range", N_("24h/7d")),
        Binding("c", "open_controller", N_("Controller"), show=False),
        Binding("b", "open_behind", N_("Its APs")),
        Binding("P", "push_controller", N_("Push controller")),
        Binding("r", "reload", N_("Refresh"), show=False),
    ]

    def __init__(self, ap: str) -> None:
        super().__init__()
        self.ap_name = ap
        self.hours = 24
        self.versions: list[int] = []
        self.ap: dict[str, Any] = {}
        self.controller_visible = False  # the AP's controller is in the user's scope (its page exists)

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static(Text(self.ap_name, "bold"), id="title")
        yield Static("", id="status")
        with TabbedContent(id="tabs"):
            with TabPane(_("Facts"), id="tab-facts"):
                yield VerticalScroll(Static(_("loading…"), id="facts"))
            with TabPane(_("Radios"), id="tab-radios"):
                yield VerticalScroll(Static(_("loading…"), id="radios"))
            with TabPane(_("Graphs"), id="tab-graphs"):
                with VerticalScroll():
                    for metric, label, _fmt in GRAPHS:
                        yield Label(_(label), id=f"label-{metric}", classes="graph-label")
                        yield TimeChart(id=f"chart-{metric}", classes="graph")
            with TabPane(_("Config"), id="tab-config"):
                yield VirtualTable(HISTORY_COLUMNS, id="history")
                yield VerticalScroll(Static("", id="diff"), id="diff-box")
            with TabPane(_("Alerts"), id="tab-alerts"):
                yield VerticalScroll(Static(_("loading…"), id="alerts"))
            with TabPane(_("Audit"), id="tab-audit"):
                yield VerticalScroll(Static(_("loading…"), id="audit"))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#status", Static).display = False
        self.action_reload()

    def action_reload(self) -> None:
        now = self.netctl.clock()
        since = now - dt.timedelta(hours=self.hours)
        name = self.ap_name
        self.fetch(
            "detail",
            lambda: self.backend.run(lambda api: load_detail(api, name, since, now)),
            failed=DetailFailed,
        )

    def on_detail_failed(self, message: DetailFailed) -> None:
        self.query_one("#facts", Static).update(f"{message.error.message}")

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.ap = message.ap
        self.controller_visible = message.controller is not None
        self.show(message)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The controller keys only where they lead somewhere: ``c`` on an AP behind a controller, ``b`` on
        a controller, ``P`` where the config lives on the controller and the user may push."""
        if action == "open_controller":  # a controller outside the user's scope has no page for them
            return bool(self.ap.get("controller")) and self.controller_visible
        if action == "open_behind":
            return self.ap.get("role") == "controller"
        if action == "push_controller":
            return config_on_controller(self.ap) and self.backend.can("push")
        return True

    def on_version_diff_loaded(self, message: VersionDiffLoaded) -> None:
        title, text = message.title, message.diff
        self.query_one("#diff", Static).update(
            Text(title + "\n", "bold") + Syntax(text, "diff", theme="ansi_dark", word_wrap=True).highlight(text)
        )

    def on_polled(self, message: Polled) -> None:
        self.notify(f"polled {self.ap_name}", title="poll")
        self.action_reload()

    # -- drawing --------------------------------------------------------------------------------
    def show(self, detail: DetailLoaded) -> None:
        now = self.netctl.clock()
        ap, health = detail.ap, detail.health
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column()
        for key in FACT_KEYS:
            value = ap.get(key)
            if value not in (None, "", [], {}):
                facts.add_row(_(key), ", ".join(value) if isinstance(value, list) else str(value))
        for key, value in controller_facts(ap, detail.controller):
            facts.add_row(_(key), value)
        for key, value in health_facts(health, now, detail.zone):
            facts.add_row(_(key), value)
        for key, value in _more_reasons(detail.config, detail.alerts, health):
            facts.add_row(_(key), value)
        for overlay in detail.overlays:
            variables = ", ".join(f"{k}={v}" for k, v in sorted(overlay["vars"].items()))
            facts.add_row(_("temporary"), _("{name}: {variables} until {until} {timezone} (by {who})").format(
                name=overlay["name"], variables=variables, until=overlay["until_local"], timezone=overlay["timezone"],
                who=overlay["who"]))
        self.query_one("#facts", Static).update(facts)
        status = self.query_one("#status", Static)
        banner = state_banner(health, now, detail.zone)
        status.display = bool(banner)
        status.update(Text(banner))
        status.set_class(health.get("state") == "down", "-down")
        self.query_one("#radios", Static).update(_radios(detail.latest, health, detail.labels, detail.ssids))
        zone = zone_info(detail.zone)
        for metric, label, fmt in GRAPHS:
            points = detail.series.get(metric, [])
            self.query_one(f"#chart-{metric}", TimeChart).show(points, detail.start, detail.end, zone)
            values = [v for _, v in points]
            reading = f"{fmt(values[-1])}, max {fmt(max(values))}" if values else _("no samples")
            self.query_one(f"#label-{metric}", Label).update(f"{_(label)} ({self._range()}): {reading}")
        self._show_history(detail.history, ap)
        self.query_one("#alerts", Static).update(_alerts(detail.alerts, now))
        self.query_one("#audit", Static).update(_audit(detail.audit))

    def _show_history(self, history: list[dict[str, Any]], ap: dict[str, Any]) -> None:
        table = self.query_one("#history", VirtualTable)
        history = sorted(history, key=lambda h: int(h.get("version") or 0), reverse=True)
        self.versions = [int(h["version"]) for h in history]
        table.set_rows(
            [str(h["version"]) for h in history],
            [
                (
                    str(h.get("version")),
                    str(h.get("created") or "")[:19],
                    str(h.get("source") or ""),
                    str(h.get("hash") or "")[:12],
                )
                for h in history
            ],
        )
        if not history:
            self.query_one("#diff", Static).update(
                f"no configuration stored for this AP: it lives on its controller {ap['controller']} (push "
                f"{ap['controller']}: P)" if config_on_controller(ap)
                else "no configuration stored yet (backup or push first)")
            return
        self._load_diff(self.versions[0])

    def on_virtual_table_chosen(self, event: VirtualTable.Chosen) -> None:
        if event.table.id != "history":
            return
        self._load_diff(int(event.key))

    def _load_diff(self, version: int) -> None:
        name, versions = self.ap_name, list(self.versions)
        self.fetch(
            "diff",
            lambda: VersionDiffLoaded(*self.backend.run(lambda api: load_version_diff(api, name, versions, version))),
        )

    def _range(self) -> str:
        return f"{self.hours} h" if self.hours < 48 else f"{self.hours // 24} days"

    def action_toggle_range(self) -> None:
        """Graphs over the last 24 hours or the last 7 days."""
        self.hours = 24 * 7 if self.hours == 24 else 24
        self.action_reload()

    def action_poll_now(self) -> None:
        if not self.backend.can("poll"):
            self.notify("polling is not available to you here", severity="warning")
            return
        self.start_poll(Selection(names=(self.ap_name,)))

    def action_open_controller(self) -> None:
        """The page of the controller this AP is behind."""
        self.netctl.open_ap(str(self.ap["controller"]))

    def action_open_behind(self) -> None:
        """The AP window with the APs behind this controller."""
        self.netctl.open_aps(f"controller:{self.ap_name}")

    def action_push_controller(self) -> None:
        """The push screen with this AP's controller chosen: its config is the controller's to push."""
        self.netctl.open_push(str(self.ap["controller"]))


def config_on_controller(ap: dict[str, Any]) -> bool:
    """Whether the AP's config lives on its controller: it names one and its platform has no transport
    netctl could push over (``controller-ap``)."""
    return bool(ap.get("controller")) and not ap.get("transport")


def controller_facts(ap: dict[str, Any], controller: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The AP page's lines about controllers. An AP behind one: the controller with its own state and
    platform, where the AP's config lives and where its health comes from. A controller: the states of the
    APs behind it and whether its last poll read its AP table."""
    if controller is None:
        if not ap.get("controller"):
            return []
        # the AP is the user's (its site is in scope), the controller at another site is not
        name = str(ap["controller"])
        config = (_("lives on {name} (platform {platform}): its engineers push it") if config_on_controller(ap)
                  else _("on this AP (platform {platform}), pushed to it")
                  ).format(name=name, platform=ap.get("platform"))
        return [(N_("controller"), _("{name} (at a site outside your scope)").format(name=name)),
                (N_("config"), config),
                (N_("health"), _("from {name}'s AP table (this AP is not polled itself)").format(name=name))]
    counts = controller["aps"]
    if ap.get("controller"):
        name = str(controller["name"])
        state = str(controller["state"])
        config = (_("lives on {name} (platform {platform}): push the controller, not this AP")
                  if config_on_controller(ap) else _("on this AP (platform {platform}), pushed to it")
                  ).format(name=name, platform=ap.get("platform"))
        # English keeps the state's code (up, down); other languages show its plain word
        word = state if i18n.current() == "en" else status_words.word(state)
        return [(N_("controller"), _("{name}: {mark} {state} ({platform}); c opens it").format(
                    name=name, mark=STATE_MARK.get(state, "?"), state=word, platform=controller["platform"])),
                (N_("config"), config),
                (N_("health"), _("from {name}'s AP table (this AP is not polled itself)").format(name=name))]
    missing = " " + _("✗{n} missing").format(n=counts["missing"]) if counts["missing"] else ""
    rows = [(N_("APs behind it"), f"{counts['total']}: {counts_text(counts)}{missing} " + _("(b lists them)"))]
    listed = controller["listed"]
    if controller["error"]:
        table = _("not read at its last poll ({error})").format(error=controller["error"])
        table += "; " + _("{listed} listed when last read").format(listed=listed) if listed is not None else ""
    elif listed is not None:
        table = _("{listed} AP(s) listed at its last poll").format(listed=listed)
    else:
        table = _("not read yet (n polls it)")
    rows.append((N_("AP table"), table))
    return rows


def state_banner(health: dict[str, Any], now: dt.datetime, zone: str) -> str:
    """The line under the AP's name when it is not up, in plain words (:mod:`netctl.status_words`):
    ``▼ offline since 07:30 Europe/Berlin (3h ago): did not answer the last polls: … — why: …`` with the
    stored reason whole ("" for an AP that is up or was never polled)."""
    state = str(health.get("state") or "unknown")
    reasons = list(health.get("reasons") or [])
    if state == "up" or (state == "unknown" and not reasons):
        return ""
    since = local_time(parse_time(health.get("since")), zone, now)
    line = _("{mark} {word} since {since}: {explanation}").format(
        mark=STATE_MARK.get(state, "?"), word=status_words.word(state), since=since,
        explanation=status_words.explain(state))
    return line + (" — " + _("why: {reasons}").format(reasons="; ".join(reasons)) if reasons else "")


def health_facts(health: dict[str, Any], now: dt.datetime, zone: str = "UTC") -> list[tuple[str, str]]:
    """The poll facts of the AP page: state, since when (in the site's ``zone``), why (the stored reasons
    whole) and what the poll error means; a value the agent did not serve reads "not available (why)"."""
    state = str(health.get("state") or "unknown")
    rows = [(N_("state"), f"{status_words.word(state)}: {status_words.explain(state)}" if state in status_words.HEALTH
             else state),
            (N_("since"), local_time(parse_time(health.get("since")), zone, now, date=True))]
    if health.get("reasons"):
        rows.append((N_("why"), "; ".join(str(r) for r in health["reasons"])))
    kind = health.get("error_kind")
    if kind and health.get("state") != "up":
        rows.append((N_("poll error"), f"{kind}: {_(POLL_ERRORS.get(str(kind), N_('see why')))}"))
    last_poll = parse_time(health.get("last_poll"))
    rows.append((N_("last poll"), _("{ago} ago").format(ago=ago(last_poll, now)) if last_poll else _("never")))
    rows.append((N_("uptime"), duration(health.get("uptime"))))
    unavailable = dict(health.get("unavailable") or {})
    for key in ("clients", "latency_ms", "cpu", "mem"):
        if health.get(key) is not None:
            rows.append((key, si(health[key])))
        elif key in unavailable:
            rows.append((key, _("not available ({why})").format(why=unavailable.pop(key))))
    rows.extend((key, _("not available ({why})").format(why=why)) for key, why in unavailable.items())
    return rows


def _more_reasons(config: dict[str, Any], alerts: list[dict[str, Any]],
                  health: dict[str, Any]) -> list[tuple[str, str]]:
    """What else explains an AP's trouble: its config status with the reason (``pending: unreachable``)
    and its open alerts the poll's reasons do not already say (a refused SSH host key), each whole."""
    rows = []
    status = str(config.get("status") or "")
    if status and status not in ("unknown", "applied"):
        rows.append((N_("config"), f"{status_words.config_word(status)}: {status_words.config_explain(status)}"
                     + (" — " + _("why: {reasons}").format(reasons=config["reason"]) if config.get("reason") else "")))
    reasons = {str(r) for r in health.get("reasons") or []}
    for alert in alerts:
        kind = str(alert.get("kind") or "")
        if alert.get("state") != "open" or kind == "down" or kind.startswith("poll-"):
            continue
        message = str(alert.get("message") or "")
        if message not in reasons:
            rows.append((N_("open alert"), f"{kind}: {message}" if message else kind))
    return rows


def _radios(latest: dict[str, float], health: dict[str, Any] | None, labels: dict[str, str] | None = None,
            ssids: list[dict[str, Any]] | None = None) -> Any:
    """Clients per SSID and radio, traffic per interface: the latest polled values.

    With the site's configured SSIDs (``ssids``, as the WLANs window lists them) those names come first,
    in that order, with their on/off state; an SSID the AP reports under another name is listed after
    them and said to be not in the config.
    """
    from rich.console import Group

    parts: list[Any] = []
    polled: dict[str, list[tuple[str, float | None]]] = {}
    for metric, reading in sorted(latest.items()):
        if metric.startswith("clients:"):
            ssid, _at, radio = metric.split(":", 1)[1].partition("@")
            polled.setdefault(ssid, []).append((radio, reading))
    configured = {str(s["name"]): bool(s.get("enabled")) for s in ssids or []}
    if polled or configured:
        table = Table(title=_("Devices per SSID"), title_justify="left", expand=True, box=None)
        for column in (N_("SSID"), N_("State"), N_("Radio"), N_("Devices")):
            table.add_column(_(column))
        for name, enabled in configured.items():
            state = _("on") if enabled else _("off")
            for radio, clients in polled.get(name) or [("-", None)]:
                table.add_row(name, state, radio or "-", si(clients))
        strangers = [name for name in polled if name not in configured]
        for name in strangers:
            for radio, clients in polled[name]:
                table.add_row(name, "?" if configured else "-", radio or "-", si(clients))
        parts.append(table)
        if configured and strangers:
            parts.append(Text(", ".join(strangers) + ": " + _("reported by the AP, not in the config of its site "
                                                              "(the WLANs window lists the configured SSIDs)"),
                              "yellow"))
    labels = labels or {}
    interfaces = sorted({m.split(":", 1)[1] for m in latest if m.startswith(("in_bps:", "out_bps:"))},
                        key=_ifindex_order)
    if interfaces:
        table = Table(title=_("Interfaces"), title_justify="left", expand=True, box=None)
        for column in (N_("Interface"), "ifIndex", N_("In"), N_("Out")):
            table.add_column(_(column))
        for ident in interfaces:
            label = labels.get(f"in_bps:{ident}") or labels.get(f"out_bps:{ident}")
            index = ident[2:] if ident.startswith("if") and ident[2:].isdigit() else ""
            table.add_row(label or ident, index, bitrate(latest.get(f"in_bps:{ident}")),
                          bitrate(latest.get(f"out_bps:{ident}")))
        parts.append(table)
    unavailable = (health or {}).get("unavailable") or {}
    for what in ("interfaces", "traffic", "clients"):
        if what in unavailable:
            parts.append(Text(f"{what}: " + _("not available ({why})").format(why=unavailable[what])))
    if health and health.get("radios_down") is not None:
        parts.append(Text(_("radios down: {n}").format(n=health["radios_down"])))
    if not parts:
        return _("no SSID, radio or interface data polled for this AP yet")
    return Group(*parts)


def _ifindex_order(ident: str) -> tuple[int, str]:
    """``if2`` before ``if10``; series named by an interface (stored before ifIndex keys) after them."""
    digits = ident[2:] if ident.startswith("if") else ""
    return (int(digits), "") if digits.isdigit() else (1 << 62, ident)


def _alerts(alerts: list[dict[str, Any]], now: dt.datetime) -> Any:
    if not alerts:
        return _("no alerts for this AP")
    table = Table(expand=True, box=None)
    for column in (N_("Id"), N_("Sev"), N_("What"), N_("Age"), N_("State")):
        table.add_column(_(column))
    for a in alerts:
        state = str(a.get("state") or "")
        if state == "open" and a.get("acked_by"):
            state = f"acked ({a['acked_by']}" + (f": {a['ack_note']})" if a.get("ack_note") else ")")
        table.add_row(
            str(a.get("id")),
            str(a.get("severity") or ""),
            str(a.get("message") or a.get("kind") or ""),
            ago(parse_time(a.get("first_seen")), now),
            state,
        )
    return table


def _audit(entries: list[dict[str, Any]]) -> Any:
    if not entries:
        return _("no audit entries for this AP")
    table = Table(expand=True, box=None)
    for column in (N_("when"), N_("who"), N_("action"), N_("outcome"), N_("reason")):
        table.add_column(_(column))
    for e in entries[:200]:
        table.add_row(
            str(e.get("ts") or "")[:19],
            str(e.get("who") or ""),
            str(e.get("action") or ""),
            str(e.get("outcome") or ""),
            str(e.get("reason") or ""),
        )
    return table
