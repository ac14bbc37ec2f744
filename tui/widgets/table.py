"""A virtual table: renders only the visible lines, so 10,000 rows cost nothing to show or filter.

Textual's DataTable measures every cell on insert (about 1.5 s for 10,000 rows here, on the event
loop); this widget keeps the rows as plain tuples and draws the visible ones on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from netctl.i18n import _

Column = tuple[str, str, int]  # key, title, width (0: the rest)


class VirtualTable(ScrollView, can_focus=True):
    """Rows of text cells with a header line, a cursor and sortable columns."""

    COMPONENT_CLASSES = {"vtable--header", "vtable--cursor", "vtable--bad", "vtable--warn", "vtable--good"}
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; overflow-x: hidden; }
    VirtualTable > .vtable--header { text-style: bold; background: $primary 30%; }
    VirtualTable > .vtable--cursor { background: $accent 40%; }
    VirtualTable:focus > .vtable--cursor { background: $accent; color: $text; }
    VirtualTable > .vtable--bad { color: $error; }
    VirtualTable > .vtable--warn { color: $warning; }
    VirtualTable > .vtable--good { color: $success; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(0)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0)

    class Chosen(Message):
        """Enter (or a click on the cursor row) on a row."""

        def __init__(self, table: VirtualTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    class HeaderClicked(Message):
        def __init__(self, table: VirtualTable, column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        styler: Callable[[str, str], str | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        #: titles in the language in use (tables define them in English, marked with ``N_``)
        self.columns = [(key, _(title), width) for key, title, width in columns]
        self.keys: list[str] = []
        self.rows: Sequence[tuple[str, ...]] = []
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.styler = styler

    # -- data -----------------------------------------------------------------------------------
    def set_rows(self, keys: Sequence[str], rows: Sequence[tuple[str, ...]]) -> None:
        """Replace every row; the cursor stays on the same key when it is still there.

        ``rows`` may be a lazy sequence: only the rows on screen are ever indexed.
        """
        current = self.current_key
        self.keys = list(keys)
        self.rows = rows
        self.virtual_size = Size(self._line_width(), len(self.rows) + 1)
        if current is not None and current in self.keys:
            self.cursor = self.keys.index(current)
        else:
            self.cursor = min(self.cursor, max(0, len(self.rows) - 1))
        self._scroll_cursor_visible()
        self.refresh()

    def set_sort(self, column: str | None, reverse: bool) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self.refresh()

    @property
    def current_key(self) -> str | None:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def move_to(self, key: str) -> bool:
        """Put the cursor on ``key``; False when it is not shown."""
        if key not in self.keys:
            return False
        self.cursor = self.keys.index(key)
        return True

    # -- layout ---------------------------------------------------------------------------------
    def _widths(self) -> list[int]:
        fixed = sum(w + 1 for _, _, w in self.columns if w)
        rest = max(6, self.size.width - fixed - 1)
        return [w or rest for _, _, w in self.columns]

    def _line_width(self) -> int:
        return sum(w + 1 for w in self._widths())

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self._line_width(), len(self.rows) + 1)

    def _page(self) -> int:
        return max(1, self.size.height - 2)

    def _scroll_cursor_visible(self) -> None:
        top = int(self.scroll_y)
        visible = max(1, self.size.height - 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_visible()
        self.refresh()

    # -- actions --------------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._page())

    def action_edge(self, end: int) -> None:
        if self.rows:
            self.cursor = len(self.rows) - 1 if end else 0

    def action_choose(self) -> None:
        if self.current_key is not None:
            self.post_message(self.Chosen(self, self.current_key))

    def on_click(self, event: events.Click) -> None:
        y = event.y
        if y == 0:
            x, edge = event.x + int(self.scroll_x), 0
            for (key, _, _), width in zip(self.columns, self._widths(), strict=True):
                edge += width + 1
                if x < edge:
                    self.post_message(self.HeaderClicked(self, key))
                    return
            return
        index = int(self.scroll_y) + y - 1
        if 0 <= index < len(self.rows):
            if index == self.cursor:
                self.action_choose()
            self.cursor = index

    # -- rendering ------------------------------------------------------------------------------
    def _cell(self, text: str, width: int) -> str:
        return (text[: width - 1] + "…") if len(text) > width else text.ljust(width)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        widths = self._widths()
        scroll_x = int(self.scroll_x)
        if y == 0:
            header = self.get_component_rich_style("vtable--header")
            titles = []
            for (key, title, _), w in zip(self.columns, widths, strict=True):
                mark = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_column else ""
                titles.append(self._cell(title + mark, w))
            segments = [Segment(" ".join(titles) + " ", base + header)]
        else:
            index = int(self.scroll_y) + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, base)
            row = self.rows[index]
            style = base
            if index == self.cursor:
                style = base + self.get_component_rich_style("vtable--cursor")
            segments = []
            for (key, _, _), w, text in zip(self.columns, widths, row, strict=False):
                cell_style = style
                if self.styler is not None:
                    klass = self.styler(key, text)
                    if klass:
                        cell_style = style + Style.from_color(self.get_component_rich_style(klass).color)
                segments.append(Segment(self._cell(text, w) + " ", cell_style))
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base)
