"""Help: the keys of every screen and what each screen is for."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: (keys, where, what) — one place, shown by the help screen and documented in docs/tui.md
KEYS: tuple[tuple[str, str, str], ...] = (
    ("o a l j p", "anywhere", "Overview, Access points, Alerts, Jobs, Push"),
    ("ctrl+p", "anywhere", "command palette: screens; type an AP name to jump to it"),
    ("? / q", "anywhere", "this help / quit"),
    ("enter", "overview", "show the access points of the site (or behind the controller) under the cursor"),
    ("n", "overview, APs, AP", "poll now (the site, the AP)"),
    ("w", "overview", "WLANs of the site: which SSIDs are on; switch those you may"),
    ("/  esc", "APs", "filter as on the CLI: words, gs-*, site:…, tag:bus, state:down, clients:>100 / back"),
    ("s  S", "APs", "sort by the next column / reverse (or click a title)"),
    ("enter", "APs, alerts", "open the AP: facts, radios, graphs, config history, alerts, audit"),
    ("t", "AP", "graphs over the last 24 hours / 7 days"),
    ("c  b  P", "AP", "its controller's page / a controller's APs / push the controller that holds its config"),
    ("enter", "alerts", "on a group (▸3: one kind at one site): list its APs / fold them"),
    ("k  K  f", "alerts", "acknowledge the alert or the whole group / with a note / show closed ones too"),
    ("F5 F6 F8", "push", "preview / diff against the running config / push (asks first)"),
    ("esc", "AP, WLANs, help", "back"),
    ("esc", "a text field", "leave the field: letters are typed into a field, and are keys only outside one"),
)


def help_table() -> Table:
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
    table.add_column("Key", style="bold", no_wrap=True)
    table.add_column("Where", style="dim", no_wrap=True)
    table.add_column("Does")
    for keys, where, what in KEYS:
        table.add_row(keys, where, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Modal help; Escape, ``?`` or ``q`` closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("netctl keys", style="bold"))
            yield Static(help_table())
            yield Static(
                Text(
                    "\nYou see and act only on the sites your user may reach; everything else does "
                    "not exist here. Status: ▲ up ◆ degraded ▼ down ? not polled, ⚠ open alerts nobody "
                    "acknowledged yet, ✓ acknowledged ones.\nThe field with the focus is blue. p always starts in "
                    "the push screen's selection field, esc leaves it. Dry run (✓) is on at the start and again "
                    "after every real push.",
                    style="dim",
                )
            )
