"""WLANs of one site: which SSIDs are on, and switching one the user may switch (``ssid-toggle``).

A school-admin sees every SSID of their school; only those an engineer allowed them can be switched.
A timed switch (``netctl ssid off … --until``, or ``t`` here: "guest WLAN off until 17:00") shows
when it ends (column Until) and, below the table, what is temporary and who set it; switching such an
SSID here cancels its timer.
The switch is a targeted change (only that SSID's enabled state) sent to all APs of the site through
the core's safe push path; the confirm box shows each AP's diff first.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from netctl.api import Results
from netctl.i18n import N_, _
from tui.screens.base import Failed, JobProgressed, NetctlScreen
from tui.screens.push import ConfirmPush
from tui.widgets.prompt import TextPrompt
from tui.widgets.table import VirtualTable

COLUMNS = (("name", N_("SSID"), 24), ("state", N_("State"), 6), ("may", N_("You may"), 10), ("until", N_("Until"), 0))
#: an SSID's state word and its colour
ON_OFF = {True: N_("on"), False: N_("off")}
STATE_CLASS = {True: "vtable--good", False: "vtable--warn"}


#: APs whose diff the confirm box lists (the rest are counted)
PREVIEW_APS = 6


class SsidsLoaded(Message):
    """The SSIDs of the site (rows of ``site_ssids``: name, enabled, may_toggle, timer, until_local)."""

    def __init__(self, ssids: list[dict[str, Any]]) -> None:
        super().__init__()
        self.ssids = ssids


class SsidChangePlanned(Message):
    """What switching the SSID would change on each AP (rows of ``ssid_change_plan``), for the confirm box."""

    def __init__(self, preview: list[dict[str, Any]]) -> None:
        super().__init__()
        self.preview = preview


class SsidSwitched(Message):
    """The switch went out: one push result per AP."""

    def __init__(self, results: Results[Any]) -> None:
        super().__init__()
        self.results = results


def preview_text(site: str, ssid: str, enable: bool, preview: list[dict[str, Any]], timer: str | None = None,
                 until: str | None = None) -> str:
    """The confirm box's question with each AP's diff of a targeted SSID switch (ssid_change_plan rows),
    the timed switch it cancels (``timer``: ``off until 17:00 by ada``) and when this one ends (``until``:
    ``17:00 Europe/Berlin``), as markup-escaped text for a Label."""
    changing = sum(bool(row["changed"]) for row in preview)
    back = (" " + _("until {until}, then back {state} by itself").format(until=until, state=_(ON_OFF[not enable]))
            if until else "")
    question = (_("switch ON the WLAN {ssid} at {site}") if enable else _("switch OFF the WLAN {ssid} at {site}"))
    lines = [question.format(ssid=repr(ssid), site=site) + back + "?",
             _("{changing} of {n} AP(s) change; only this:").format(changing=changing, n=len(preview))]
    if timer:
        lines.insert(1, _("this cancels the timer ({timer})").format(timer=timer))
    for row in preview[:PREVIEW_APS]:
        if not row["ok"]:
            lines.append(f"{row['ap']}: {row['status']}: {row['reason']}")
        elif row["changed"]:
            lines.append(f"{row['ap']}:")
            lines.extend(f"  {line}" for line in str(row["diff"]).splitlines())
        else:
            lines.append(f"{row['ap']}: " + _("in sync"))
    if len(preview) > PREVIEW_APS:
        lines.append("… " + _("and {n} more AP(s)").format(n=len(preview) - PREVIEW_APS))
    return escape("\n".join(lines))  # diff paths hold "[name=…]": text, not markup


def push_summary(results: Results[Any]) -> str:
    """``3 APs: applied 2, pending 1 (unreachable at …)``."""
    counts = results.counts()
    reasons = [f"{r.ap}: {r.reason}" for r in results if not r.ok and r.reason]
    text = f"{len(results)} AP(s): " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))
    return text + ("\n" + "\n".join(reasons[:3]) if reasons else "")


def _styler(column: str, text: str) -> str | None:
    """Green for an SSID that is on, orange for one that is off (found by the word in the language in use)."""
    if column != "state":
        return None
    return next((STATE_CLASS[on] for on, word in ON_OFF.items() if _(word) == text), None)


class UntilChecked(Message):
    """A ``--until`` read for the site (``ssid_until``): the value as typed and how it reads back."""

    def __init__(self, value: str, until: dict[str, Any]) -> None:
        super().__init__()
        self.value = value
        self.until = until


class SsidScreen(NetctlScreen, ModalScreen[None]):
    """Modal list of a site's SSIDs; Enter switches the one under the cursor (after asking)."""

    PROGRESS_BEFORE = "#ssid-help"

    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back")), Binding("r", "reload", N_("Refresh"), show=False),
                Binding("t", "timed", N_("Switch until …"))]

    def __init__(self, site: str) -> None:
        super().__init__()
        self.site = site
        self.ssids: list[dict[str, Any]] = []
        self.busy = False
        #: the APs the switch goes to (from its preview): the progress bar's total
        self.aps = 0
        self.summary = ""
        #: the switch waiting for its preview: (ssid, enable)
        self.asking: tuple[str, bool] | None = None
        #: the switch's ``--until`` as typed and as it reads back (``17:00 Europe/Berlin``), for a timed switch
        self.until: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="ssid-box"):
            yield Label(_("WLANs at {site}").format(site=self.site), id="ssid-title")
            yield VirtualTable(COLUMNS, styler=_styler, id="ssids")
            yield Static(_("loading…"), id="ssid-status")
            yield Static(_("enter: switch on/off · t: switch until a time · esc: back"), id="ssid-help")

    def on_mount(self) -> None:
        self.query_one("#ssids", VirtualTable).focus()
        self.action_reload()

    def action_reload(self) -> None:
        site = self.site
        def load(api: Any) -> list[dict[str, Any]]:
            # the timer in the language in use ("aus bis 17:00, von ada"); the core's ``timer`` stays English
            words = {t["ssid"]: api.ssids.timer_words(t) for t in api.ssids.ssid_timers(site=site)}
            return [{**row, "timer_words": words.get(row["name"])} for row in api.ssids.site_ssids(site)]

        self.fetch("ssids", lambda: SsidsLoaded(self.backend.run(load)))

    def on_ssids_loaded(self, message: SsidsLoaded) -> None:
        self.ssids = list(message.ssids)
        rows = [
            (s["name"], _(ON_OFF[bool(s["enabled"])]), _("switch") if s["may_toggle"] else _("view only"),
             s.get("until_local") or "")
            for s in self.ssids
        ]
        self.query_one("#ssids", VirtualTable).set_rows([s["name"] for s in self.ssids], rows)
        if not self.busy:
            self.query_one("#ssid-status", Static).update(
                self._status(self.summary or _("{n} SSID(s)").format(n=len(rows))))

    def on_ssid_change_planned(self, message: SsidChangePlanned) -> None:
        if self.asking is None:
            return
        self.aps = len(message.preview)
        name, enable = self.asking
        self.query_one("#ssid-status", Static).update(
            self._status(self.summary or _("{n} SSID(s)").format(n=len(self.ssids))))

        until = self.until

        def start(yes: bool | None) -> None:
            self.asking = None
            self.until = None
            if yes:
                self._toggle(name, enable, until[0] if until else None)
            else:
                self.busy = False

        timer = next((s.get("timer_words") or s.get("timer") for s in self.ssids if s["name"] == name), None)
        question = preview_text(self.site, name, enable, list(message.preview), timer, until[1] if until else None)
        self.app.push_screen(ConfirmPush(question), start)

    def on_ssid_switched(self, message: SsidSwitched) -> None:
        self.busy = False
        self.job_finished("ssid")
        self.summary = push_summary(message.results)
        self.query_one("#ssid-status", Static).update(self.summary)
        self.action_reload()

    def _status(self, text: str) -> str:
        """The status line, with what is temporary: ``temporary: Guest off until 17:00 by ada``."""
        timed = [f"{s['name']} {s.get('timer_words') or s['timer']}" for s in self.ssids if s.get("timer")]
        return escape(text + ("\n" + _("temporary: {what}").format(what="; ".join(timed)) if timed else ""))

    def on_failed(self, message: Failed) -> None:
        self.busy = False
        self.job_finished("ssid")
        self.asking = None
        self.until = None
        self.query_one("#ssid-status", Static).update(message.error.message)

    def on_virtual_table_chosen(self, event: VirtualTable.Chosen) -> None:
        ssid = self._switchable(event.key)
        if ssid is not None:
            self._plan(ssid["name"], not ssid["enabled"])

    def action_timed(self) -> None:
        """Switch the SSID under the cursor for a while: ask until when, read it back, then preview as usual."""
        ssid = self._switchable(self.query_one("#ssids", VirtualTable).current_key)
        if ssid is None:
            return
        name, enable, site = ssid["name"], not ssid["enabled"], self.site

        def check(value: str | None) -> None:
            if not value:
                return
            self.asking = (name, enable)
            self.busy = True
            self.query_one("#ssid-status", Static).update(escape(_("reading until {value} …").format(value=value)))
            self.fetch("until", lambda: UntilChecked(value, self.backend.run(lambda api: api.ssids.ssid_until(
                site, value))))

        question = (_("Switch {name} ON at {site} until when? (then back by itself)") if enable
                    else _("Switch {name} OFF at {site} until when? (then back by itself)"))
        question = question.format(name=name, site=site)
        prompt = TextPrompt(question, input_id="until", placeholder="17:00 · 2026-11-28T07:30 · 90m")
        self.app.push_screen(prompt, check)

    def on_until_checked(self, message: UntilChecked) -> None:
        if self.asking is None:
            return
        self.until = (message.value, f"{message.until['text']} {message.until['timezone']}")
        self.busy = False
        self._plan(*self.asking)

    def _switchable(self, key: str | None) -> dict[str, Any] | None:
        """The SSID row ``key`` if the user may switch it now (else says why, or nothing while busy)."""
        ssid = next((s for s in self.ssids if s["name"] == key), None)
        if ssid is None or self.busy:
            return None
        if not ssid["may_toggle"]:
            self.notify(_("you may not switch {ssid}: ask your engineer to allow it").format(ssid=ssid["name"]),
                        severity="warning")
            return None
        return ssid

    def _plan(self, name: str, enable: bool) -> None:
        """Read what switching ``name`` would change on each AP, then ask (:meth:`on_ssid_change_planned`)."""
        site = self.site
        self.busy = True
        self.asking = (name, enable)
        self.query_one("#ssid-status", Static).update(
            _("reading what changes on the APs of {site} …").format(site=site))
        self.fetch(
            "preview",
            lambda: SsidChangePlanned(self.backend.run(lambda api: api.ssids.ssid_change_plan(site, name, enable))),
        )

    def _toggle(self, name: str, enable: bool, until: str | None = None) -> None:
        self.busy = True
        self.show_job_progress(JobProgressed("ssid", total=self.aps))
        relay = self.relay("ssid")
        self.query_one("#ssid-status", Static).update(
            _("switching {ssid} at the APs of {site} …").format(ssid=name, site=self.site))
        site = self.site
        self.fetch(
            "toggle",
            lambda: SsidSwitched(self.backend.run(lambda api: api.ssids.set_ssid_enabled(site, name, enable,
                                                                                       until=until, progress=relay))),
            exclusive=False,
        )
