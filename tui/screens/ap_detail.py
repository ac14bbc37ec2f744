"""AP detail: facts, radios and clients per SSID, graphs, config history with diffs, alerts, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Label, Sparkline, Static, TabbedContent, TabPane

from netctl.api import Netctl
from netctl.selection import Selection
from tui.model import ago, duration, parse_time, unified_diff
from tui.screens.base import Failed, NetctlScreen, Polled
from tui.widgets.navbar import NavBar
from tui.widgets.table import VirtualTable

#: (metric name in the store, label) for the graphs tab
GRAPHS = (
    ("clients", "Clients"),
    ("latency_ms", "Latency ms"),
    ("in_bps", "Traffic in bit/s"),
    ("out_bps", "Traffic out bit/s"),
)
HISTORY_COLUMNS = (
    ("version", "Ver", 4),
    ("created", "Stored", 20),
    ("source", "Source", 10),
    ("hash", "Hash", 0),
)
FACT_KEYS = (
    "name",
    "tenant",
    "site",
    "site_title",
    "role",
    "platform",
    "model",
    "serial",
    "vehicle_id",
    "address",
    "port",
    "groups",
    "tags",
)


class DetailLoaded(Message):
    """Everything the AP page shows: the AP, its health, metric series (with their interface labels
    and latest values), stored config versions, its alerts and audit entries, and the overlays
    ("exam mode") that change its variables for a while."""

    def __init__(
        self,
        ap: dict[str, Any],
        health: dict[str, Any],
        series: dict[str, list[float]],
        labels: dict[str, str],
        history: list[dict[str, Any]],
        alerts: list[dict[str, Any]],
        audit: list[dict[str, Any]],
        overlays: list[dict[str, Any]],
    ) -> None:
        super().__init__()
        self.ap = ap
        self.health = health
        self.series = series
        self.labels = labels
        self.latest = {metric: values[-1] for metric, values in series.items() if values}
        self.history = history
        self.alerts = alerts
        self.audit = audit
        self.overlays = overlays


class DetailFailed(Failed):
    """Loading the AP page failed (out of scope, gone): the Facts tab says why."""


class VersionDiffLoaded(Message):
    """The diff of one stored config version against the one before it."""

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title = title
        self.diff = diff


def load_detail(api: Netctl, name: str, since: dt.datetime) -> DetailLoaded:
    """Everything the detail shows about one AP (runs in a worker thread; NotFound if out of scope)."""
    ap = api.inventory.show_ap(name)
    one = Selection(names=(name,))
    aps = api.monitor.status(one).get("aps", [])
    series: dict[str, list[float]] = {}
    labels: dict[str, str] = {}
    for point in api.monitor.metrics(name, None, since.timestamp()):
        if isinstance(point.get("value"), (int, float)):
            series.setdefault(str(point["metric"]), []).append(float(point["value"]))
        if point.get("label"):
            labels[str(point["metric"])] = str(point["label"])
    return DetailLoaded(
        ap,
        aps[0] if aps else {},
        series,
        labels,
        api.config.history(name),
        api.monitor.alerts(open_only=False, selection=one),
        api.config.audit(ap=name, limit=200),
        [overlay for overlay in api.overlays.list_overlays() if name in overlay["aps"]],
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
        Binding("escape", "app.pop_screen", "Back"),
        Binding("n", "poll_now", "Poll"),
        Binding("t", "toggle_range", "24h/7d"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self, ap: str) -> None:
        super().__init__()
        self.ap_name = ap
        self.hours = 24
        self.versions: list[int] = []

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static(Text(self.ap_name, "bold"), id="title")
        with TabbedContent(id="tabs"):
            with TabPane("Facts", id="tab-facts"):
                yield VerticalScroll(Static("loading…", id="facts"))
            with TabPane("Radios", id="tab-radios"):
                yield VerticalScroll(Static("loading…", id="radios"))
            with TabPane("Graphs", id="tab-graphs"):
                with VerticalScroll():
                    for metric, label in GRAPHS:
                        yield Label(label, id=f"label-{metric}", classes="graph-label")
                        yield Sparkline([], id=f"spark-{metric}", classes="graph")
            with TabPane("Config", id="tab-config"):
                yield VirtualTable(HISTORY_COLUMNS, id="history")
                yield VerticalScroll(Static("", id="diff"), id="diff-box")
            with TabPane("Alerts", id="tab-alerts"):
                yield VerticalScroll(Static("loading…", id="alerts"))
            with TabPane("Audit", id="tab-audit"):
                yield VerticalScroll(Static("loading…", id="audit"))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        since = self.netctl.clock() - dt.timedelta(hours=self.hours)
        name = self.ap_name
        self.fetch(
            "detail",
            lambda: self.backend.run(lambda api: load_detail(api, name, since)),
            failed=DetailFailed,
        )

    def on_detail_failed(self, message: DetailFailed) -> None:
        self.query_one("#facts", Static).update(f"{message.error.message}")

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.show(message)

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
        facts.add_column(style="bold")
        facts.add_column()
        for key in FACT_KEYS:
            value = ap.get(key)
            if value not in (None, "", [], {}):
                facts.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
        for key, value in health_facts(health, now):
            facts.add_row(key, value)
        for overlay in detail.overlays:
            variables = ", ".join(f"{k}={v}" for k, v in sorted(overlay["vars"].items()))
            facts.add_row("temporary", f"{overlay['name']}: {variables} until {overlay['until_local']} "
                                       f"{overlay['timezone']} (by {overlay['who']})")
        self.query_one("#facts", Static).update(facts)
        self.query_one("#radios", Static).update(_radios(detail.latest, health, detail.labels))
        for metric, label in GRAPHS:
            values = detail.series.get(metric, [])
            spark = self.query_one(f"#spark-{metric}", Sparkline)
            spark.data = values
            last = f"{values[-1]:g}" if values else "no samples"
            peak = f", max {max(values):g}" if values else ""
            self.query_one(f"#label-{metric}", Label).update(f"{label} ({self._range()}): {last}{peak}")
        self._show_history(detail.history)
        self.query_one("#alerts", Static).update(_alerts(detail.alerts, now))
        self.query_one("#audit", Static).update(_audit(detail.audit))

    def _show_history(self, history: list[dict[str, Any]]) -> None:
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
            self.query_one("#diff", Static).update("no configuration stored yet (backup or push first)")
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


def health_facts(health: dict[str, Any], now: dt.datetime) -> list[tuple[str, str]]:
    """The poll facts of the AP page; a value the agent did not serve reads "not available (why)"."""
    rows = [("state", str(health.get("state") or "unknown")),
            ("since", ago(parse_time(health.get("since")), now) + " ago" if health.get("since") else "-")]
    last_poll = parse_time(health.get("last_poll"))
    rows.append(("last poll", ago(last_poll, now) + " ago" if last_poll else "never"))
    rows.append(("uptime", duration(health.get("uptime"))))
    unavailable = dict(health.get("unavailable") or {})
    for key in ("clients", "latency_ms", "cpu", "mem"):
        if health.get(key) is not None:
            rows.append((key, str(health[key])))
        elif key in unavailable:
            rows.append((key, f"not available ({unavailable.pop(key)})"))
    rows.extend((key, f"not available ({why})") for key, why in unavailable.items())
    return rows


def _radios(latest: dict[str, float], health: dict[str, Any] | None, labels: dict[str, str] | None = None) -> Any:
    """Clients per SSID and radio, traffic per interface: the latest polled values."""
    from rich.console import Group

    parts: list[Any] = []
    ssids = sorted((m.split(":", 1)[1], v) for m, v in latest.items() if m.startswith("clients:"))
    if ssids:
        table = Table(title="Clients per SSID", title_justify="left", expand=True, box=None)
        for column in ("SSID", "Radio", "Clients"):
            table.add_column(column)
        for key, value in ssids:
            ssid, _, radio = key.partition("@")
            table.add_row(ssid, radio, f"{value:g}")
        parts.append(table)
    labels = labels or {}
    interfaces = sorted({m.split(":", 1)[1] for m in latest if m.startswith(("in_bps:", "out_bps:"))},
                        key=_ifindex_order)
    if interfaces:
        table = Table(title="Interfaces (bit/s)", title_justify="left", expand=True, box=None)
        for column in ("Interface", "ifIndex", "In", "Out"):
            table.add_column(column)
        for ident in interfaces:
            label = labels.get(f"in_bps:{ident}") or labels.get(f"out_bps:{ident}")
            index = ident[2:] if ident.startswith("if") and ident[2:].isdigit() else ""
            table.add_row(label or ident, index, _rate(latest.get(f"in_bps:{ident}")),
                          _rate(latest.get(f"out_bps:{ident}")))
        parts.append(table)
    unavailable = (health or {}).get("unavailable") or {}
    for what in ("interfaces", "traffic", "clients"):
        if what in unavailable:
            parts.append(Text(f"{what}: not available ({unavailable[what]})"))
    if health and health.get("radios_down") is not None:
        parts.append(Text(f"radios down: {health['radios_down']}"))
    if not parts:
        return "no SSID, radio or interface data polled for this AP yet"
    return Group(*parts)


def _ifindex_order(ident: str) -> tuple[int, str]:
    """``if2`` before ``if10``; series named by an interface (stored before ifIndex keys) after them."""
    digits = ident[2:] if ident.startswith("if") else ""
    return (int(digits), "") if digits.isdigit() else (1 << 62, ident)


def _rate(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f}"


def _alerts(alerts: list[dict[str, Any]], now: dt.datetime) -> Any:
    if not alerts:
        return "no alerts for this AP"
    table = Table(expand=True, box=None)
    for column in ("id", "severity", "what", "age", "state"):
        table.add_column(column)
    for a in alerts:
        state = str(a.get("state") or "")
        if state == "open" and a.get("acked_by"):
            state = f"acked ({a['acked_by']})"
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
        return "no audit entries for this AP"
    table = Table(expand=True, box=None)
    for column in ("when", "who", "action", "outcome", "reason"):
        table.add_column(column)
    for e in entries[:200]:
        table.add_row(
            str(e.get("ts") or "")[:19],
            str(e.get("who") or ""),
            str(e.get("action") or ""),
            str(e.get("outcome") or ""),
            str(e.get("reason") or ""),
        )
    return table
