"""Help: the keys of the screens this user may use, what each screen is for, and what each status means.

Only the screens the acting user may open are listed (a school-admin sees no push or jobs keys); the
statuses come from the core's one table (:mod:`netctl.status_words`), as the AP page and ``netctl status``
show them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from netctl import status_words
from netctl.i18n import N_, _
from tui.model import STATE_MARK
from tui.screens.base import translate_bindings

#: (screen the row needs or "", keys, where, what) — one place, shown by the help screen and documented in
#: docs/tui.md; a row whose screen the user may not open is left out
KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("", "ctrl+p", N_("anywhere"), N_("command palette: screens; type an AP name to jump to it")),
    ("", "? / q", N_("anywhere"), N_("this help / quit")),
    ("", "enter", N_("overview"),
     N_("show the access points of the site (or behind the controller) under the cursor")),
    ("", "n", N_("overview, APs, AP"), N_("poll now (the site, the AP)")),
    ("", "w", N_("overview"), N_("WLANs of the site: which SSIDs are on; switch those you may")),
    ("", "d", N_("overview"), N_("the dashboard of the site under the cursor (devices per WLAN, problems, "
                                 "today's curve, what is switched off)")),
    ("", "w  n  r", N_("dashboard"), N_("WLANs of the school shown (first) / poll it now / reload")),
    ("", "/  esc", N_("APs"),
     N_("filter as on the CLI: words, gs-*, site:…, tag:bus, state:down, clients:>100 / back")),
    ("", "s  S", N_("APs"), N_("sort by the next column / reverse (or click a title)")),
    ("", "enter", N_("APs, alerts"), N_("open the AP: facts, radios, graphs, config history, alerts, audit")),
    ("", "t", N_("AP"), N_("graphs over the last 24 hours / 7 days")),
    ("", "c  b", N_("AP"), N_("its controller's page / a controller's APs")),
    ("push", "P", N_("AP"), N_("push the controller that holds its config")),
    ("", "enter", N_("alerts"), N_("on a group (▸3: one kind at one site): list its APs / fold them")),
    ("", "k  K  f", N_("alerts"),
     N_("acknowledge the alert or the whole group / with a note / show closed ones too")),
    ("push", "F5 F6 F8", N_("push"), N_("preview / diff against the running config / push (asks first)")),
    ("", "esc", N_("AP, WLANs, help"), N_("back")),
    ("", "esc", N_("a text field"),
     N_("leave the field: letters are typed into a field, and are keys only outside one")),
)


def help_table(screens: Sequence[tuple[str, str, str]], allowed: Callable[[str], bool]) -> Table:
    """The keys: first the screens the user may open (``screens``: mode, key, title), then each row of
    :data:`KEYS` whose screen ``allowed`` lets them open."""
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
    table.add_column(_("Key"), style="bold", no_wrap=True)
    table.add_column(_("Where"), style="dim", no_wrap=True)
    table.add_column(_("Does"))
    shown = [(key, _(title)) for mode, key, title in screens if allowed(mode)]
    table.add_row(" ".join(key for key, _title in shown), _("anywhere"), ", ".join(title for _key, title in shown))
    for screen, keys, where, what in KEYS:
        if not screen or allowed(screen):
            table.add_row(keys, _(where), _(what))
    return table


def status_table() -> Table:
    """Every status with its mark, its word and what it means (the AP's health, then its configuration)."""
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
    table.add_column(_("Status"), style="bold", no_wrap=True)
    table.add_column(_("Means"))
    for state in status_words.HEALTH:
        table.add_row(f"{STATE_MARK.get(state, '?')} {status_words.word(state)}", status_words.explain(state))
    for status in ("applied", "pending", "failed", "drifted", "unknown"):
        table.add_row(_("config: {word}").format(word=status_words.config_word(status)),
                      status_words.config_explain(status))
    return table


class HelpScreen(ModalScreen[None]):
    """Modal help; Escape, ``?`` or ``q`` closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", N_("Close"))]

    def __init__(self, screens: Sequence[tuple[str, str, str]] = (),
                 allowed: Callable[[str], bool] = lambda mode: True) -> None:
        """``screens``: (mode, key, title) of the app's screens; ``allowed``: whether the user may open one."""
        super().__init__()
        self.screens = tuple(screens)
        self.allowed = allowed
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text(_("What a status means"), style="bold"))
            yield Static(status_table(), id="help-statuses")
            yield Static(Text("\n" + _("netctl keys"), style="bold"))
            yield Static(help_table(self.screens, self.allowed), id="help-keys")
            yield Static(
                Text(
                    "\n" + _("You see and act only on the sites your user may reach; everything else does "
                              "not exist here. ⚠ open alerts nobody acknowledged yet, ✓ acknowledged ones.")
                    + "\n" + _("The field with the focus is blue. esc leaves it.")
                    + (" " + _("p always starts in the push screen's selection field. Dry run (✓) is on at the "
                               "start and again after every real push.") if self.allowed("push") else ""),
                    style="dim",
                )
            )
