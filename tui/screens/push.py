"""Push: selection and template → rendered preview → diff → confirm → live per-AP progress → result.

A school-admin never sees this screen (the app hides it), and the core refuses a push from them
anyway (PermissionDenied, shown as an error).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Footer,
    Input,
    Label,
    Static,
)

from netctl.api import Event, Netctl, Result
from netctl.i18n import N_, _
from netctl.selection import Selection
from tui.model import parse_selection
from tui.screens.base import NetctlScreen
from tui.widgets.navbar import NavBar
from tui.widgets.progress import JobProgress
from tui.widgets.table import VirtualTable

RESULT_COLUMNS = (("ap", N_("AP"), 20), ("status", N_("Status"), 9), ("changed", N_("Chg"), 4),
                  ("reason", N_("Reason"), 0))
RESULT_CLASS = {
    "failed": "vtable--bad",
    "applied": "vtable--good",
    "unchanged": "vtable--good",
    "dry-run": "vtable--good",
    "pending": "vtable--warn",
    "running": "vtable--warn",
    "busy": "vtable--warn",
    "skipped": "vtable--warn",
    "rolled-back": "vtable--bad",
    "unsettled": "vtable--bad",
}
#: what each final status means to someone who is not a network engineer
STATUS_MEANING = {
    "applied": N_("configuration changed"),
    "unchanged": N_("already up to date"),
    "dry-run": N_("checked, nothing sent"),
    "pending": N_("unreachable: pushed when it is back (converge)"),
    "failed": N_("refused or broken: see the reason"),
    "rolled-back": N_("the AP put its previous configuration back: push again"),
    "busy": N_("another push is changing this AP: nothing sent, try again later"),
    "unsettled": N_("the AP stopped answering after the change: netctl checks it on the next push"),
    "skipped": N_("not pushed: the rollout stopped after failures"),
}
#: final statuses that need someone to look
PROBLEMS = ("failed", "pending", "rolled-back", "unsettled", "busy", "skipped")
WAITING = ("queued", "running")


class PushProgress(Message):
    """The push job reported a stage for one AP (sent from the worker thread)."""

    def __init__(self, ap: str, stage: str, result: Any) -> None:
        super().__init__()
        self.ap = ap
        self.stage = stage
        self.result = result


class PreviewRendered(Message):
    """The rendered configs of the selection, as one preview text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class DiffCompared(Message):
    """The diffs of the selection against the running configs, as one text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class PushPlanned(Message):
    """The APs a push would reach, for the confirm box."""

    def __init__(self, selection: Selection, dry_run: bool, names: list[str]) -> None:
        super().__init__()
        self.selection = selection
        self.dry_run = dry_run
        self.names = names


class PushFinished(Message):
    """The push job returned: one result per AP."""

    def __init__(self, results: list[Any]) -> None:
        super().__init__()
        self.results = results


class DryRunSwitch(Checkbox):
    """The dry-run checkbox, readable without colour: ``▐✓▌ dry run`` when on, ``▐ ▌ dry run OFF: F8 changes
    the APs`` when off (a plain Checkbox shows ``▐X▌`` both ways and only changes the colour)."""

    ON = N_("dry run")
    OFF = N_("dry run OFF: F8 changes the APs")

    def __init__(self, *, id: str) -> None:
        super().__init__(_(self.ON), value=True, id=id)
        self.BUTTON_INNER = "✓"

    def watch_value(self) -> None:
        super().watch_value()
        self.BUTTON_INNER = "✓" if self.value else " "
        self.label = _(self.ON) if self.value else _(self.OFF)
        self.set_class(not self.value, "-off")


class ConfirmPush(ModalScreen[bool]):
    """Are you sure? Names the number of APs and whether it is a dry run."""

    BINDINGS = [Binding("escape,n", "dismiss(False)", N_("Cancel")), Binding("y", "dismiss(True)", N_("Push"))]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self.text, id="confirm-text")
            with Horizontal(id="confirm-buttons"):
                yield Button(_("Push (y)"), variant="warning", id="yes")
                yield Button(_("Cancel (n)"), id="no")

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def render_text(rendered: Iterable[Any]) -> str:
    """Rendered configs (``config.render``: one RenderResult per AP) as one preview text; failures say why."""
    parts = []
    for r in rendered:
        if r.ok:
            parts.append(f"### {r.ap} ({r.template or _('template')})\n{r.text or ''}")
        else:
            parts.append(f"### {r.ap}: " + _("cannot render: {reason}").format(reason=r.reason or _("unknown error")))
    return "\n".join(parts) or _("(nothing rendered: the selection is empty)")


def diff_text(diffs: Iterable[Any]) -> str:
    """Per-AP diffs (``config.diff``: rendered vs running) as one text; APs that could not be compared say why."""
    parts = []
    for d in diffs:
        if not d.ok:
            parts.append(f"### {d.ap}: {d.status}: {d.reason or _('no reason given')}")
        elif not d.changed:
            parts.append(f"### {d.ap}: " + _("in sync (nothing to push)"))
        else:
            parts.append(f"### {d.ap}: " + _("changes") + f"\n{d.diff or ''}")
    return "\n".join(parts) or _("(nothing to compare: the selection is empty)")


class PushScreen(NetctlScreen):
    """Choose what to push, look at it, push it, watch it.

    A navigation key that shows this screen puts the focus in the selection field, every time; Escape
    leaves the field, and the letter keys act only while no text field has the focus.
    """

    FOCUS_ON_ENTRY = "#selection"

    BINDINGS = [
        Binding("f5", "preview", N_("Preview")),
        Binding("f6", "diff", N_("Diff")),
        Binding("f8", "push", N_("Push")),
        Binding("escape", "blur", N_("Leave field")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, tuple[str, str, str]] = {}
        self.order: list[str] = []
        self.total = 0
        self.failed: set[str] = set()
        self.initial_selection = ""

    def compose(self) -> ComposeResult:
        yield NavBar()
        with Horizontal(id="push-form"):
            yield Input(self.initial_selection, placeholder=_("selection: names/globs, site=…, tag=…, controller=…"),
                        id="selection")
            yield Input(placeholder=_("template (default: per platform)"), id="template")
        with Horizontal(id="push-actions"):
            yield DryRunSwitch(id="dry-run")
            yield Button(_("Preview"), id="preview")
            yield Button(_("Diff"), id="diff")
            yield Button(_("Push…"), variant="warning", id="push")
        with ContentSwitcher(initial="preview-box", id="push-view"):
            yield VerticalScroll(
                Static(_("choose a selection, then Preview (F5), Diff (F6) or Push (F8)"), id="preview-text"),
                id="preview-box",
            )
            with Vertical(id="progress-box"):
                yield JobProgress(id="progress")
                yield Static("", id="progress-counts")
                yield VirtualTable(
                    RESULT_COLUMNS,
                    styler=lambda c, t: RESULT_CLASS.get(t) if c == "status" else None,
                    id="results",
                )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.select_on_focus = False  # coming back keeps the text: a key adds to it, never replaces it

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "blur":
            return isinstance(self.focused, Input)  # the footer offers Escape only while a field has the focus
        return True

    def action_blur(self) -> None:
        self.set_focus(None)

    def set_selection(self, selection: str) -> None:
        """Choose ``selection`` (also before the screen is mounted); nothing is rendered or sent."""
        self.initial_selection = selection
        if self.is_mounted:
            self.query_one("#selection", Input).value = selection

    # -- inputs ---------------------------------------------------------------------------------
    def _selection(self) -> Selection | None:
        text = self.query_one("#selection", Input).value.strip()
        if not text:
            self.notify(_("give a selection first (e.g. site=gs-meiderich)"), severity="warning")
            return None
        try:
            return parse_selection(text)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return None

    def _template(self) -> str | None:
        return self.query_one("#template", Input).value.strip() or None

    @on(Button.Pressed, "#preview")
    def action_preview(self) -> None:
        selection, template = self._selection(), self._template()
        if selection is None:
            return
        self._show_text(_("rendering …"))

        def render(api: Netctl) -> PreviewRendered:
            return PreviewRendered(render_text(api.config.render(selection, template)))

        self.fetch("render", lambda: self.backend.run(render))

    @on(Button.Pressed, "#diff")
    def action_diff(self) -> None:
        selection, template = self._selection(), self._template()
        if selection is None:
            return
        self._show_text(_("comparing with the running configuration …"))

        def compare(api: Netctl) -> DiffCompared:
            return DiffCompared(diff_text(api.config.diff(selection, template=template)))

        self.fetch("diff", lambda: self.backend.run(compare))

    @on(Button.Pressed, "#push")
    def action_push(self) -> None:
        selection = self._selection()
        if selection is None:
            return
        dry_run = self.query_one("#dry-run", Checkbox).value
        self.fetch(
            "plan",
            lambda: PushPlanned(
                selection, dry_run, [ap["name"] for ap in self.backend.run(lambda api: api.session.select(selection))]
            ),
        )

    def _confirm(self, selection: Selection, dry_run: bool, names: list[str]) -> None:
        if not names:
            self.notify(_("no AP matches {selection}").format(selection=selection.describe()), severity="warning")
            return
        what = _("DRY RUN (nothing is sent)") if dry_run else _("PUSH (configuration is changed)")
        template = self._template() or _("per platform")
        text = f"{what}\n" + _("{n} AP(s): {selection}\ntemplate: {template}").format(
            n=len(names), selection=selection.describe(), template=template)

        def start(yes: bool | None) -> None:
            if yes:
                self._start_push(selection, dry_run, names)

        self.app.push_screen(ConfirmPush(text), start)

    def _start_push(self, selection: Selection, dry_run: bool, names: list[str]) -> None:
        if not dry_run:
            self.query_one("#dry-run", Checkbox).value = True  # safe by default: the next F8 is a dry run again
        self.order, self.total = list(names), len(names)
        self.results = {name: ("queued", "", "") for name in names}
        self.query_one("#push-view", ContentSwitcher).current = "progress-box"
        self.failed = set()
        self.query_one("#progress", JobProgress).begin(self.total)
        self._draw_results()
        template = self._template()

        def progress(event: Event) -> None:
            self.post_message(PushProgress(event.ap, event.stage, event.result))

        self.fetch(
            "push",
            lambda: PushFinished(
                self.backend.run(
                    lambda api: api.config.push(selection, template=template, dry_run=dry_run, progress=progress)
                )
            ),
        )

    # -- answers --------------------------------------------------------------------------------
    def on_preview_rendered(self, message: PreviewRendered) -> None:
        self._show_text(message.text, syntax="xml")

    def on_diff_compared(self, message: DiffCompared) -> None:
        self._show_text(message.text, syntax="diff")

    def on_push_planned(self, message: PushPlanned) -> None:
        self._confirm(message.selection, message.dry_run, message.names)

    def on_push_finished(self, message: PushFinished) -> None:
        for result in message.results or []:
            self._record(result)
        self._draw_results(final=True)

    def on_push_progress(self, message: PushProgress) -> None:
        if message.result is not None:
            self._record(message.result)
        elif message.ap in self.results and self.results[message.ap][0] == "queued":
            self.results[message.ap] = ("running", "", "")
        self._draw_results()

    def _record(self, result: Result) -> None:
        changed = result.changed
        if result.ap not in self.results:
            self.order.append(result.ap)
        if result.failed:
            self.failed.add(result.ap)
        self.results[result.ap] = (result.status, _("yes") if changed else _("no") if changed is not None else "",
                                   result.reason or "")

    def _draw_results(self, final: bool = False) -> None:
        statuses = [status for status, _changed, _reason in self.results.values()]
        done = sum(1 for status in statuses if status not in WAITING)
        self.query_one("#progress", JobProgress).set_counts(done, self.total, len(self.failed))
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        text = _("{done}/{total} done").format(done=done, total=self.total) + " · " + " · ".join(
            f"{status} {n}" for status, n in sorted(counts.items()))
        if final:
            bad = sum(counts.get(status, 0) for status in PROBLEMS)
            lines = [(_("finished") if not bad else _("finished with problems"))
                     + ": " + _("{done}/{total} APs").format(done=done, total=self.total)]
            for status, n in sorted(counts.items()):
                lines.append(f"  {n}× {status}: {_(STATUS_MEANING[status]) if status in STATUS_MEANING else status}")
            reasons: dict[str, int] = {}
            unknown = _("no reason given")
            for status, _changed, reason in self.results.values():
                if status in PROBLEMS:
                    reasons[reason or unknown] = reasons.get(reason or unknown, 0) + 1
            for reason, n in sorted(reasons.items(), key=lambda item: -item[1])[:3]:
                lines.append(f"  {n}× " + _("because: {reason}").format(reason=reason))
            text = "\n".join(lines)
        self.query_one("#progress-counts", Static).update(text)
        rows = [(ap, *self.results[ap]) for ap in self.order]
        self.query_one("#results", VirtualTable).set_rows(self.order, rows)

    def _show_text(self, text: str, syntax: str | None = None) -> None:
        self.query_one("#push-view", ContentSwitcher).current = "preview-box"
        body: Any = Syntax(text, syntax, theme="ansi_dark", word_wrap=True) if syntax else Text(text)
        self.query_one("#preview-text", Static).update(body)
