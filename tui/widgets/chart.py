"""A time chart for the AP page: bars from zero, a y axis, a time axis (drawn by :func:`tui.chart.chart`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from tui.chart import Point, chart


class TimeChart(Widget):
    """Samples over a time range, drawn to the widget's size; :meth:`show` sets what it draws.

    The y axis labels take :data:`LABEL_WIDTH` columns, so charts above each other share their time axis.
    """

    LABEL_WIDTH = 5  # "500 k", "1.2 M"

    DEFAULT_CSS = """
    TimeChart { height: 6; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.points: Sequence[Point] = ()
        self.start = 0.0
        self.end = 1.0
        self.zone: dt.tzinfo = dt.UTC

    def show(self, points: Sequence[Point], start: float, end: float, zone: dt.tzinfo) -> None:
        """Draw ``points`` (epoch seconds, value) over ``start``–``end`` with time labels in ``zone``."""
        self.points, self.start, self.end, self.zone = points, start, end, zone
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        if width < 8 or height < 3:
            return Text("")
        lines = chart(self.points, self.start, self.end, width=width, height=height, zone=self.zone,
                      label_width=self.LABEL_WIDTH)
        text = Text()
        for number, line in enumerate(lines):
            if number:
                text.append("\n")
            if number >= height - 2:
                text.append(line, "dim")
            else:
                split = line.find("┤") if "┤" in line else line.find("│")
                text.append(line[: split + 1], "dim")
                text.append(line[split + 1:])
        return text
