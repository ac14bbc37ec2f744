"""Alerts: open (or all) alerts of the user's sites, grouped per site and kind; acknowledge; maintenance.

Alerts of one kind at one site are one row (``down on 25 APs``, as the notifications group them), open
ones nobody took first, then those someone acknowledged, then (``f``) the closed ones. Enter on a group
lists its APs below it; ``k`` acknowledges the alert, or every alert of the group, under the cursor
(``K``: with a note, "on my way"); the line under the table says who acknowledged it, when, and why.
The ages tick: a timer re-formats what was loaded (no database work on the UI thread).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static

from netctl.api import Netctl
from netctl.i18n import N_, _
from tui.model import AlertGroup, ago, alert_counts, group_alerts, parse_time
from tui.screens.base import NetctlScreen
from tui.widgets.navbar import NavBar
from tui.widgets.prompt import TextPrompt
from tui.widgets.table import VirtualTable

COLUMNS = (
    ("id", N_("Id"), 5),
    ("severity", N_("Sev"), 8),
    ("ap", N_("AP / site"), 19),
    ("what", N_("What"), 0),
    ("age", N_("Age"), 4),
    ("state", N_("State"), 6),
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
    """open, acked (open, someone is on it), closed; muted alerts say so (in the language in use)."""
    state = str(alert.get("state") or "open")
    if state == "open" and alert.get("acked_by"):
        state = "acked"
    return _(ALERT_STATE_WORDS.get(state, state)) + (" " + _("(muted)") if alert.get("muted") else "")


#: the alert window's word for each state (``acked``: open, someone is on it)
ALERT_STATE_WORDS = {"open": N_("open"), "acked": N_("acked"), "closed": N_("closed")}


def _alerts_named(ids: list[int]) -> str:
    """``alert 7`` or ``3 alerts`` in the language in use."""
    return _("alert {id}").format(id=ids[0]) if len(ids) == 1 else _("{n} alerts").format(n=len(ids))


def alert_rows(groups: list[AlertGroup], expanded: set[str], now: Any) -> tuple[list[str], list[tuple[str, ...]]]:
    """Keys and cells of the alert table: one row per group (its APs below it when ``expanded``)."""
    keys: list[str] = []
    rows: list[tuple[str, ...]] = []
    for group in groups:
        age = ago(group.first_seen, now)
        if not group.grouped:
            alert = group.alerts[0]
            keys.append(group.key)
            rows.append((str(alert.get("id")), str(alert.get("severity") or ""), str(alert.get("ap") or ""),
                         group.what, age, alert_state(dict(alert))))
            continue
        is_open = group.key in expanded
        muted = " " + _("(muted)") if any(a.get("muted") for a in group.alerts) else ""
        keys.append(group.key)
        rows.append((("▾" if is_open else "▸") + str(len(group.alerts)), group.severity, group.site, group.what,
                     age, _(ALERT_STATE_WORDS.get(group.status, group.status)) + muted))
        if is_open:
            for alert in group.alerts:
                keys.append(str(alert.get("id")))
                rows.append((f"  {alert.get('id')}", str(alert.get("severity") or ""), f"  {alert.get('ap')}",
                             str(alert.get("message") or alert.get("kind") or ""),
                             ago(parse_time(alert.get("first_seen")), now), alert_state(dict(alert))))
    return keys, rows


def alert_detail(alert: dict[str, Any], now: Any) -> str:
    """One alert in a line: what, since when, and who acknowledged it when, with their note."""
    text = (f"#{alert.get('id')} {alert.get('ap')} {alert.get('kind')} ({alert.get('severity')}): "
            f"{alert.get('message') or ''} — "
            + _("first seen {ago} ago").format(ago=ago(parse_time(alert.get("first_seen")), now)))
    if alert.get("state") != "open" and alert.get("closed"):
        text += ", " + _("closed {ago} ago").format(ago=ago(parse_time(alert.get("closed")), now))
    if alert.get("acked_by"):
        when = parse_time(alert.get("acked_at"))
        text += "; " + (_("acknowledged by {who} {ago} ago").format(who=alert["acked_by"], ago=ago(when, now)) if when
                        else _("acknowledged by {who}").format(who=alert["acked_by"]))
        text += f": {alert['ack_note']}" if alert.get("ack_note") else ""
    elif alert.get("state") == "open":
        text += "; " + _("not acknowledged (k)")
    return text


class AlertsLoaded(Message):
    """The alerts to list and the maintenance windows."""

    def __init__(self, alerts: list[dict[str, Any]], windows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.alerts = alerts
        self.windows = windows


class AlertAcked(Message):
    """The user acknowledged the alerts ``alert_ids``."""

    def __init__(self, alert_ids: list[int]) -> None:
        super().__init__()
        self.alert_ids = alert_ids


def load_alerts(api: Netctl, open_only: bool) -> AlertsLoaded:
    return AlertsLoaded(api.monitor.alerts(open_only=open_only), api.monitor.maintenance_list())


def ack_alerts(api: Netctl, alert_ids: list[int], note: str | None = None) -> AlertAcked:
    return AlertAcked([int(api.monitor.ack_alert(alert_id, note=note)["id"]) for alert_id in alert_ids])


class AlertsScreen(NetctlScreen):
    """Alerts grouped per site and kind, open first; ``k`` acknowledges what is under the cursor."""

    BINDINGS = [
        Binding("k", "ack", N_("Ack")),
        Binding("K", "ack_note", N_("Ack+note")),
        Binding("f", "toggle_all", N_("Open/all")),
        Binding("r", "reload", N_("Refresh"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.open_only = True
        self.alerts: list[dict[str, Any]] = []
        self.groups: list[AlertGroup] = []
        self.expanded: set[str] = set()
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield VirtualTable(
            COLUMNS,
            styler=lambda c, t: SEVERITY_CLASS.get(t) if c in ("severity", "state") else None,
            id="alerts",
        )
        yield Static("", id="alert-detail")
        yield Static("loading…", id="count")
        yield Static("", id="windows")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()
        if self.netctl.refresh_seconds:
            self.set_interval(self.netctl.refresh_seconds, self.action_reload)
        if self.netctl.tick_seconds:
            self.set_interval(self.netctl.tick_seconds, self.redraw)
        self.watch(self.query_one("#alerts", VirtualTable), "cursor", self._show_detail, init=False)

    def action_reload(self) -> None:
        open_only = self.open_only
        self.fetch("alerts", lambda: self.backend.run(lambda api: load_alerts(api, open_only)))

    def on_alert_acked(self, message: AlertAcked) -> None:
        ids = message.alert_ids
        self.notify(_("{what} acknowledged").format(what=_alerts_named(ids)), title=_("alerts"))
        self.action_reload()

    def on_alerts_loaded(self, message: AlertsLoaded) -> None:
        self.alerts = message.alerts
        self.groups = group_alerts(self.alerts)
        self.expanded &= {g.key for g in self.groups if g.grouped}
        self.loaded = True
        self.redraw()
        windows = message.windows
        if not windows:
            text = _("maintenance: none scheduled")
        else:
            text = _("maintenance: {windows}").format(windows="; ".join(
                f"{w.get('name')}{' ' + _('(now)') if w.get('active') else ''} "
                f"{str(w.get('starts') or '')[:16]}→{str(w.get('ends') or '')[11:16]}"
                for w in windows[:3]
            ))
        self.query_one("#windows", Static).update(text)

    def redraw(self) -> None:
        """Draw the loaded alerts with their ages as of now (the timer calls it: formatting only, no I/O)."""
        if not self.loaded:
            return
        keys, rows = alert_rows(self.groups, self.expanded, self.netctl.clock())
        self.query_one("#alerts", VirtualTable).set_rows(keys, rows)
        counts = alert_counts(self.alerts)
        text = _("{open} open, {acked} acknowledged").format(open=counts["open"], acked=counts["acked"])
        if not self.open_only:
            text += ", " + _("{closed} closed").format(closed=counts["closed"])
        shown = _("f: open only") if not self.open_only else _("f: closed ones too")
        rows_text = _("{n} row(s)").format(n=len(self.groups))
        self.query_one("#count", Static).update(f"{text} · {rows_text} · {shown}")
        self._show_detail()

    def _show_detail(self) -> None:
        key = self.query_one("#alerts", VirtualTable).current_key
        group = self._group(key)
        text = ""
        if group is not None:
            text = (_("{what} at {site}").format(what=group.what, site=group.site) + ": " + ", ".join(group.aps[:4])
                    + (" " + _("and {n} more").format(n=len(group.aps) - 4) if len(group.aps) > 4 else "")
                    + " (" + _("enter: list them")
                    + (", " + _("k: acknowledge all") + ")" if group.status == "open" else ")"))
        elif key is not None:
            alert = next((a for a in self.alerts if str(a.get("id")) == key), None)
            text = alert_detail(alert, self.netctl.clock()) if alert else ""
        self.query_one("#alert-detail", Static).update(Text(text))

    def _group(self, key: str | None) -> AlertGroup | None:
        return next((g for g in self.groups if g.grouped and g.key == key), None)

    def action_toggle_all(self) -> None:
        self.open_only = not self.open_only
        self.action_reload()

    def on_virtual_table_chosen(self, event: VirtualTable.Chosen) -> None:
        """Enter on a group lists its APs (or folds them); on an alert opens its access point."""
        group = self._group(event.key)
        if group is not None:
            self.expanded ^= {group.key}
            self.redraw()
            return
        alert = next((a for a in self.alerts if str(a.get("id")) == event.key), None)
        if alert is not None:
            self.netctl.open_ap(str(alert.get("ap")))

    def _to_ack(self) -> list[int] | None:
        """The alert ids ``k`` would acknowledge: the one under the cursor, or the open ones of its group
        (None, after saying why, when there is nothing or the role may not)."""
        key = self.query_one("#alerts", VirtualTable).current_key
        if key is None:
            return None
        group = self._group(key)
        if group is not None:
            ids = [int(a["id"]) for a in group.alerts if a.get("state") == "open" and not a.get("acked_by")]
        elif key.isdigit():  # a single alert's key is its id
            ids = [int(key)]
        else:
            return None
        if not ids:
            self.notify(_("nothing to acknowledge here"), severity="information")
            return None
        if not self.backend.can("ack"):
            self.notify(_("your role may not acknowledge alerts"), severity="warning")
            return None
        return ids

    def _ack(self, ids: list[int], note: str | None = None) -> None:
        self.fetch("ack", lambda: self.backend.run(lambda api: ack_alerts(api, ids, note)), exclusive=False)

    def action_ack(self) -> None:
        ids = self._to_ack()
        if ids:
            self._ack(ids)

    def action_ack_note(self) -> None:
        """Acknowledge with a note that says what is being done (shown here and in the notifications)."""
        ids = self._to_ack()
        if not ids:
            return

        def done(note: str | None) -> None:
            if note is not None:
                self._ack(ids, note or None)

        question = _("Acknowledge {what}: what is being done? (esc: cancel)").format(what=_alerts_named(ids))
        prompt = TextPrompt(question, input_id="note", placeholder=_("on my way · PoE switch replaced at 14:00"),
                            allow_empty=True)
        self.app.push_screen(prompt, done)
