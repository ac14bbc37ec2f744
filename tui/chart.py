"""The AP page's graphs as lines of text: bars from zero, a y axis with round numbers, a time axis.

Pure (no Textual, no I/O, no clock): :class:`tui.widgets.chart.TimeChart` hands :func:`chart` the
samples, the time range, its size and the site's time zone, and shows the lines it gets back.

Why not a sparkline: a sparkline scales from the smallest to the largest value, so 103 → 112 clients
fills the bar from empty to full. Here every bar starts at zero and the axis ends at a round number
just over the peak (:func:`nice_top`), so a small change looks small.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

from netctl.units import si

#: a bar cell from empty to full, in eighths
BLOCKS = " ▁▂▃▄▅▆▇█"
#: the round numbers the y axis may end at (times a power of ten)
STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
#: time-axis steps, finest first (seconds); the first whose labels fit is taken
TICK_STEPS = (600, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: how long a sample stands for the time after it, in typical sample intervals (a longer gap stays empty)
HOLD_INTERVALS = 1.5

Point = tuple[float, float]  # epoch seconds, value


def axis_label(value: float) -> str:
    """The default y-axis label: short numbers for humans (``25``, ``4 M``)."""
    return si(value, compact=True)


def nice_top(peak: float) -> float:
    """The top of the y axis: the smallest round number (:data:`STEPS` × 10ⁿ) at or over ``peak``; 1 for
    nothing or zero."""
    if peak <= 0:
        return 1.0
    base = 10.0 ** math.floor(math.log10(peak))
    for step in STEPS:
        top = float(f"{step * base:.12g}")
        if top >= peak:
            return top
    return float(f"{10 * base:.12g}")  # pragma: no cover - STEPS ends at 10


def columns(points: Sequence[Point], start: float, end: float, width: int) -> list[float | None]:
    """One value per column of ``width`` over ``start``–``end``: the peak of the samples in the column, else
    the last sample before it while it still stands (:data:`HOLD_INTERVALS`), else None (no data)."""
    span = (end - start) / width
    inside = sorted((t, v) for t, v in points if start <= t <= end)
    times = sorted({t for t, _ in inside})
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    hold = HOLD_INTERVALS * gaps[len(gaps) // 2] if gaps else span
    peaks: list[float | None] = [None] * width
    latest: list[Point | None] = [None] * width
    for t, v in inside:
        col = min(width - 1, int((t - start) / span))
        current = peaks[col]
        peaks[col] = v if current is None else max(current, v)
        latest[col] = (t, v)
    out: list[float | None] = []
    last: Point | None = None
    for col in range(width):
        value = peaks[col]
        if value is None and last is not None and start + col * span - last[0] <= hold:
            value = last[1]
        out.append(value)
        last = latest[col] or last
    return out


def time_ticks(start: float, end: float, width: int, zone: dt.tzinfo) -> list[tuple[int, str]]:
    """(column, label) of the time axis: local times in ``zone`` on round hours (``06:00``) or days
    (``Sat 14``), as many as fit with room between them, each on a column of ``width``."""
    span = end - start
    step = TICK_STEPS[-1]
    for candidate in TICK_STEPS:
        label_len = 5 if candidate < 86400 else 6
        if candidate / span * width >= 2 * label_len:
            step = candidate
            break
    local = dt.datetime.fromtimestamp(start, zone)
    moment = local.replace(hour=0, minute=0, second=0, microsecond=0)
    ticks = []
    while moment.timestamp() <= end:
        if moment.timestamp() >= start:
            col = int((moment.timestamp() - start) / span * width)
            text = moment.strftime("%H:%M") if step < 86400 else f"{DAY_NAMES[moment.weekday()]} {moment.day}"
            if col < width:
                ticks.append((col, text))
        moment = (moment + dt.timedelta(seconds=step)).astimezone(zone)
    return ticks


def chart(points: Sequence[Point], start: float, end: float, *, width: int, height: int,
          zone: dt.tzinfo, fmt: Callable[[float], str] = axis_label, label_width: int = 0) -> list[str]:
    """``height`` lines of ``width`` characters: ``height - 2`` rows of bars from zero with the y axis
    (``fmt(top)`` at the top, ``0`` at the bottom, right-aligned in ``label_width`` columns at least, so
    charts above each other share their time axis), the time axis, and its labels in ``zone``."""
    rows = max(1, height - 2)
    values = [v for _, v in points if start <= _ <= end]
    top = nice_top(max(values, default=0.0))
    top_label, zero_label = fmt(top), fmt(0)
    label_w = max(len(top_label), len(zero_label), label_width)
    plot_w = max(1, width - label_w - 1)
    cells = columns(points, start, end, plot_w) if values else [None] * plot_w
    eighths = [None if v is None else max(1 if v > 0 else 0, round(v / top * rows * 8)) for v in cells]
    lines = []
    for row in range(rows):
        floor = (rows - 1 - row) * 8
        bars = "".join(" " if e is None else BLOCKS[min(8, max(0, e - floor))] for e in eighths)
        if not values and row == rows // 2:
            bars = "no samples in this time".center(plot_w)[:plot_w]
        label = top_label if row == 0 else zero_label if row == rows - 1 else ""
        lines.append(label.rjust(label_w) + ("┤" if label else "│") + bars)
    axis = ["─"] * plot_w
    under = [" "] * plot_w
    free = 0
    for col, text in time_ticks(start, end, plot_w, zone):
        left = col - len(text) // 2
        if left < free or left + len(text) > plot_w:
            continue
        axis[col] = "┬"
        under[left:left + len(text)] = text
        free = left + len(text) + 1
    lines.append(" " * label_w + "└" + "".join(axis))
    lines.append(" " * (label_w + 1) + "".join(under))
    return lines
