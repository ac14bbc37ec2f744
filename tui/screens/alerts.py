"""Alerts: open (or all) alerts of the user's sites, acknowledge, maintenance windows."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static

from netctl.api import Netctl
from tui.model import ago, parse_time
from tui.screens.base import NetctlScreen
from tui.widgets.navbar import NavBar
from tui.widgets.table import VirtualTable

COLUMNS = (
    ("id", "Id", 4),
    ("severity", "Sev", 8),
    ("ap", "AP", 19),
    ("what", "What", 0),
    ("age", "Age", 4),
    ("state", "State", 6),
)
SEVERITY_CLASS = {
    "critical": "vtable--bad",
    "major": "vtable--bad",
    "warning": "vtable--warn",
    "open": "vtable--bad",
    "acked": "vtable--warn",
    "closed": "vtable--good",
}


def alert_state(alert: dict[str, Any]) -> str:
    """open, acked (open, someone is on it), closed; muted alerts say so."""
    state = str(alert.get("state") or "open")
    if state == "open" and alert.get("acked_by"):
        state = "acked"
    return state + (" (muted)" if alert.get("muted") else "")


class AlertsLoaded(Message):
    """The alerts to list and the maintenance windows."""

    def __init__(self, alerts: list[dict[str, Any]], windows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.alerts = alerts
        self.windows = windows


class AlertAcked(Message):
    """The user acknowledged alert ``alert_id``."""

    def __init__(self, alert_id: int) -> None:
        super().__init__()
        self.alert_id = alert_id


def load_alerts(api: Netctl, open_only: bool) -> AlertsLoaded:
    return AlertsLoaded(api.monitor.alerts(open_only=open_only), api.monitor.maintenance_list())


class AlertsScreen(NetctlScreen):
    """Alerts newest first; ``k`` acknowledges the one under the cursor."""

    BINDINGS = [
        Binding("k", "ack", "Ack"),
        Binding("f", "toggle_all", "Open/all"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.open_only = True

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield VirtualTable(
            COLUMNS,
            styler=lambda c, t: SEVERITY_CLASS.get(t) if c in ("severity", "state") else None,
            id="alerts",
        )
        yield Static("loading…", id="count")
        yield Static("", id="windows")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()
        if self.netctl.refresh_seconds:
            self.set_interval(self.netctl.refresh_seconds, self.action_reload)

    def action_reload(self) -> None:
        open_only = self.open_only
        self.fetch("alerts", lambda: self.backend.run(lambda api: load_alerts(api, open_only)))

    def on_alert_acked(self, message: AlertAcked) -> None:
        self.notify(f"alert {message.alert_id} acknowledged", title="alerts")
        self.action_reload()

    def on_alerts_loaded(self, message: AlertsLoaded) -> None:
        now = self.netctl.clock()
        alerts = message.alerts
        rows = [
            (
                str(a.get("id")),
                str(a.get("severity") or ""),
                str(a.get("ap") or a.get("site") or ""),
                str(a.get("message") or a.get("kind") or ""),
                ago(parse_time(a.get("first_seen")), now),
                alert_state(a),
            )
            for a in alerts
        ]
        self.query_one("#alerts", VirtualTable).set_rows([r[0] for r in rows], rows)
        kind = "open" if self.open_only else "all"
        self.query_one("#count", Static).update(f"{len(rows)} alert(s) ({kind})")
        windows = message.windows
        if not windows:
            text = "maintenance: none scheduled"
        else:
            text = "maintenance: " + "; ".join(
                f"{w.get('name')}{' (now)' if w.get('active') else ''} "
                f"{str(w.get('starts') or '')[:16]}→{str(w.get('ends') or '')[11:16]}"
                for w in windows[:3]
            )
        self.query_one("#windows", Static).update(text)

    def action_toggle_all(self) -> None:
        self.open_only = not self.open_only
        self.action_reload()

    def on_virtual_table_chosen(self, event: VirtualTable.Chosen) -> None:
        """Enter on an alert opens its access point."""
        table = event.table
        index = table.keys.index(event.key)
        self.netctl.open_ap(table.rows[index][2])

    def action_ack(self) -> None:
        key = self.query_one("#alerts", VirtualTable).current_key
        if key is None or not key.isdigit():  # the table's keys are alert ids
            return
        if not self.backend.can("ack"):
            self.notify("your role may not acknowledge alerts", severity="warning")
            return
        alert_id = int(key)
        self.fetch("ack", lambda: AlertAcked(self.backend.run(lambda api: api.monitor.ack_alert(alert_id))["id"]),
                   exclusive=False)
