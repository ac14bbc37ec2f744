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
    """Everything the AP page shows (see :func:`load_detail` for the keys of ``detail``)."""

    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__()
        self.detail = detail


class DetailFailed(Failed):
    """Loading the AP page failed (out of scope, gone): the Facts tab says why."""


class VersionDiffLoaded(Message):
    """The diff of one stored config version against the one before it."""

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title = title
        self.diff = diff


def _has(api: Any, method: str) -> bool:
    return callable(getattr(api, method, None))


def load_detail(api: Any, name: str, since: dt.datetime) -> dict[str, Any]:
    """Everything the detail shows about one AP (runs in a worker thread; NotFound if out of scope)."""
    ap = api.show_ap(name) if _has(api, "show_ap") else api.get_ap(name)
    data: dict[str, Any] = {
        "ap": ap,
        "health": None,
        "series": {},
        "latest": {},
        "history": None,
        "alerts": None,
        "audit": None,
    }
    one = Selection(names=(name,))
    if _has(api, "status"):
        aps = api.status(one).get("aps", [])
        data["health"] = aps[0] if aps else {}
    if _has(api, "metrics"):
        series: dict[str, list[float]] = {}
        labels: dict[str, str] = {}
        for point in api.metrics(name, None, since.timestamp()):
            if isinstance(point.get("value"), (int, float)):
                series.setdefault(str(point["metric"]), []).append(float(point["value"]))
            if point.get("label"):
                labels[str(point["metric"])] = str(point["label"])
        data["series"] = series
        data["labels"] = labels
        data["latest"] = {metric: values[-1] for metric, values in series.items() if values}
    if _has(api, "history"):
        data["history"] = list(api.history(name))
    if _has(api, "alerts"):
        data["alerts"] = list(api.alerts(open_only=False, selection=one))
    if _has(api, "audit"):
        data["audit"] = list(api.audit(ap=name, limit=200))
    return data


def load_version_diff(api: Any, name: str, versions: list[int], version: int) -> tuple[str, str]:
    """(title, unified diff of ``version`` against the version before it, or its text if it is the first)."""
    text = _config_text(api.show_config(name, version))
    older = [v for v in versions if v < version]
    if not older:
        return f"version {version} (first stored)", text
    previous = _config_text(api.show_config(name, max(older)))
    diff = unified_diff(previous, text, f"{name} v{max(older)}", f"{name} v{version}")
    return f"version {max(older)} → {version}", diff or "(no change)"


def _config_text(answer: Any) -> str:
    if isinstance(answer, dict):
        return str(answer.get("text") or answer.get("config") or "")
    return str(answer)


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
            lambda: DetailLoaded(self.backend.run(lambda api: load_detail(api, name, since))),
            failed=DetailFailed,
        )

    def on_detail_failed(self, message: DetailFailed) -> None:
        self.query_one("#facts", Static).update(f"{message.error.message}")

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.show(message.detail)

    def on_version_diff_loaded(self, message: VersionDiffLoaded) -> None:
        title, text = message.title, message.diff
        self.query_one("#diff", Static).update(
            Text(title + "\n", "bold") + Syntax(text, "diff", theme="ansi_dark", word_wrap=True).highlight(text)
        )

    def on_polled(self, message: Polled) -> None:
        self.notify(f"polled {self.ap_name}", title="poll")
        self.action_reload()

    # -- drawing --------------------------------------------------------------------------------
    def show(self, data: dict[str, Any]) -> None:
        now = self.netctl.clock()
        ap, health = data["ap"], data["health"]
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold")
        facts.add_column()
        for key in FACT_KEYS:
            value = ap.get(key)
            if value not in (None, "", [], {}):
                facts.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
        if health is None:
            facts.add_row("health", "no poll data in this netctl version")
        else:
            for key, value in health_facts(health, now):
                facts.add_row(key, value)
        self.query_one("#facts", Static).update(facts)
        self.query_one("#radios", Static).update(_radios(data["latest"], health, data.get("labels") or {}))
        for metric, label in GRAPHS:
            values = data["series"].get(metric, [])
            spark = self.query_one(f"#spark-{metric}", Sparkline)
            spark.data = values
            last = f"{values[-1]:g}" if values else "no samples"
            peak = f", max {max(values):g}" if values else ""
            self.query_one(f"#label-{metric}", Label).update(f"{label} ({self._range()}): {last}{peak}")
        self._show_history(data["history"])
        self.query_one("#alerts", Static).update(_alerts(data["alerts"], now))
        self.query_one("#audit", Static).update(_audit(data["audit"]))

    def _show_history(self, history: list[dict[str, Any]] | None) -> None:
        table = self.query_one("#history", VirtualTable)
        if history is None:
            self.query_one("#diff", Static).update("configuration history is not available")
            return
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
        if not (self.backend.can("poll") and self.backend.has("poll")):
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


def _alerts(alerts: list[dict[str, Any]] | None, now: dt.datetime) -> Any:
    if alerts is None:
        return "alerts are not available in this netctl version"
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


def _audit(entries: list[dict[str, Any]] | None) -> Any:
    if entries is None:
        return "the audit trail is not available in this netctl version"
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
