"""Access points: the selection as a table; incremental filter, sort by any column, quick jump.

The filter takes the selection words of the CLI and the push screen (``gs-*``, ``site:gs-meiderich`` or
``site=gs-meiderich``, ``tag:bus``, ``state:down``, ``clients:>100``; :func:`tui.model.parse_filter`),
and the title says in words what it shows.
"""

from __future__ import annotations

from operator import attrgetter

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Input, Static

from netctl import status_words
from netctl.api import Netctl
from netctl.i18n import N_, _
from netctl.selection import Selection
from tui.model import (
    AP_COLUMNS,
    ApRow,
    LazyCells,
    Term,
    ap_columns,
    build_rows,
    describe_filter,
    filter_rows,
    narrow,
    parse_filter,
    plain_words,
    sort_rows,
)
from tui.screens.base import NetctlScreen, Polled
from tui.widgets.navbar import NavBar
from tui.widgets.table import VirtualTable

SORT_KEYS = [key for key, _title, _width in AP_COLUMNS]
#: the colour of a state or config status (the table shows their words: :func:`_styler` maps them back)
STATE_CLASS = {
    "down": "vtable--bad",
    "failed": "vtable--bad",
    "degraded": "vtable--warn",
    "drifted": "vtable--warn",
    "pending": "vtable--warn",
    "up": "vtable--good",
}


class ApsLoaded(Message):
    """The rows of the access point table (all the user may see) and the titles of their sites."""

    def __init__(self, rows: list[ApRow], titles: dict[str, str] | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.titles = titles or {}


def load_aps(api: Netctl) -> ApsLoaded:
    """Inventory rows joined with health, config status and site titles (runs in a worker thread)."""
    aps = api.session.select()
    status = api.monitor.status(Selection())
    config = api.config.config_status(Selection())
    titles = {str(site["name"]): str(site.get("title") or "") for site in api.session.visible_sites()}
    rows = build_rows(aps, status, config, titles)
    for row in rows:  # each row's words for the filter, made here and not on the screen's event loop
        row.haystack()
    return ApsLoaded(rows, titles)


def _styler(column: str, text: str) -> str | None:
    """The colour of a status cell, found by its word in the language in use."""
    if column == "state":
        return {status_words.word(s): c for s, c in STATE_CLASS.items() if s in status_words.HEALTH}.get(text)
    if column == "config":
        return {status_words.config_word(s): c for s, c in STATE_CLASS.items() if s in status_words.CONFIG}.get(text)
    return None


class ApsScreen(NetctlScreen):
    """All APs the user may see; ``/`` filters, ``s`` sorts, Enter opens the detail."""

    BINDINGS = [
        Binding("slash", "focus_filter", N_("Filter"), key_display="/"),
        Binding("escape", "focus_table", N_("Table"), show=False),
        Binding("s", "sort", N_("Sort")),
        Binding("S", "reverse", N_("Reverse"), show=False),
        Binding("n", "poll_now", N_("Poll")),
        Binding("r", "reload", N_("Refresh"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_rows: list[ApRow] = []
        self._sorted_rows: list[ApRow] = []
        self._sorted_key: tuple[str, bool] | None = None  # None: the rows changed
        self._sorted_words: list[str] = []
        #: the last plain filter: (order, query, the rows it matched, their words)
        self._last_filter: tuple[tuple[str, bool] | None, str, list[ApRow], list[str]] | None = None
        self.shown: list[ApRow] = []
        self.sort_key = "name"
        self.reverse = False
        self.loaded = False
        self.initial_filter = ""
        self.titles: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static(_("Access points: loading…"), id="aps-title")
        yield Input(
            self.initial_filter,
            placeholder=_("filter: words, gs-*, site:…, tag:…, state:down, clients:>100"),
            id="filter",
        )
        yield VirtualTable(ap_columns(), styler=_styler, id="aps")
        yield Static(_("loading…"), id="count")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#aps", VirtualTable).set_sort(self.sort_key, self.reverse)
        self.query_one("#aps", VirtualTable).focus()
        self.action_reload()
        if self.netctl.refresh_seconds:
            self.set_interval(self.netctl.refresh_seconds * 2, self.action_reload)

    def action_reload(self) -> None:
        self.fetch("aps", lambda: self.backend.run(load_aps))

    def on_aps_loaded(self, message: ApsLoaded) -> None:
        self.all_rows, self._sorted_key, self._last_filter = message.rows, None, None
        self.titles = message.titles
        self.loaded = True
        self.apply()

    def on_polled(self, message: Polled) -> None:
        results = message.results or []
        bad = [r for r in results if not r.ok]
        self.notify(
            _("polled {n} AP(s), {failed} failed").format(n=len(results), failed=len(bad)),
            title=_("poll"),
            severity="warning" if bad else "information",
        )
        self.action_reload()

    # -- filtering and sorting (on data, never on widgets) ----------------------------------------
    def set_filter(self, query: str) -> None:
        """Show the rows matching ``query`` (also before the screen is mounted)."""
        self.initial_filter = query
        if self.is_mounted:
            self.query_one("#filter", Input).value = query
            self.apply()

    def apply(self) -> None:
        query = self.query_one("#filter", Input).value
        try:
            terms = parse_filter(query)
        except ValueError as exc:
            self.shown, title = [], _("Access points: {error}").format(error=exc)
        else:
            # filtering keeps the order: filter the rows sorted once per order, not sort per keystroke
            self.shown = self._filtered(query, terms)
            what = describe_filter(terms, self.titles)
            title = (_("Access points {what}: {n} of {total}").format(what=what, n=len(self.shown),
                                                                       total=len(self.all_rows)) if what
                     else _("Access points: all {total}").format(total=len(self.all_rows)))
        now = self.netctl.clock()
        table = self.query_one("#aps", VirtualTable)
        table.set_rows(list(map(attrgetter("name"), self.shown)), LazyCells(self.shown, now))
        table.set_sort(self.sort_key, self.reverse)
        column = next(_(title) for key, title, _width in AP_COLUMNS if key == self.sort_key)
        text = _("{n} of {total} APs · sorted by {column}").format(n=len(self.shown), total=len(self.all_rows),
                                                                   column=column)
        text += " " + _("(desc)") if self.reverse else ""
        self.query_one("#count", Static).update(text if self.loaded else _("loading…"))
        self.query_one("#aps-title", Static).update(Text(title if self.loaded else _("Access points: loading…")))

    def _sorted(self) -> list[ApRow]:
        """All rows in the current order, sorted again only when the rows or the order change; their words
        (:meth:`ApRow.haystack`) in step."""
        key = (self.sort_key, self.reverse)
        if self._sorted_key != key:
            self._sorted_rows, self._sorted_key = sort_rows(self.all_rows, self.sort_key, self.reverse), key
            self._sorted_words = [row.haystack() for row in self._sorted_rows]
        return self._sorted_rows

    def _filtered(self, query: str, terms: tuple[Term, ...]) -> list[ApRow]:
        """The rows ``terms`` match in the current order; a plain query typed on from the last one filters
        only what that one matched (each keystroke over 100,000 rows narrows, it does not start over)."""
        rows = self._sorted()
        if not plain_words(terms):
            self._last_filter = None
            return filter_rows(rows, terms)
        words = self._sorted_words
        last = self._last_filter
        if last is not None and last[0] == self._sorted_key and query.startswith(last[1]):
            rows, words = last[2], last[3]
        shown, words = narrow(rows, words, terms)
        self._last_filter = (self._sorted_key, query, shown, words)
        return shown

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        table = self.query_one("#aps", VirtualTable)
        exact = [r for r in self.shown if r.name == event.value.strip()]
        if exact:
            self.netctl.open_ap(exact[0].name)
        elif len(self.shown) == 1:
            self.netctl.open_ap(self.shown[0].name)
        else:
            table.focus()

    def on_virtual_table_header_clicked(self, event: VirtualTable.HeaderClicked) -> None:
        if event.column == self.sort_key:
            self.reverse = not self.reverse
        else:
            self.sort_key, self.reverse = event.column, False
        self.resort()

    def on_virtual_table_chosen(self, event: VirtualTable.Chosen) -> None:
        self.netctl.open_ap(event.key)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one("#aps", VirtualTable).focus()

    def action_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.reverse = False
        self.resort()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self.resort()

    def resort(self) -> None:
        """Apply a new sort order and show its first rows (a refresh keeps the cursor on its AP instead)."""
        self.apply()
        self.query_one("#aps", VirtualTable).action_edge(0)

    def action_poll_now(self) -> None:
        name = self.query_one("#aps", VirtualTable).current_key
        if name is None:
            return
        if not self.backend.can("poll"):
            self.notify(_("your role may not poll"), severity="warning")
            return
        self.notify(_("polling {what} …").format(what=name), title=_("poll"))
        self.start_poll(Selection(names=(name,)))
