"""The AP page's graphs as text (:mod:`tui.chart`, pure): zero-based, a time axis, numbers for humans."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from netctl.units import bitrate, si
from tui.chart import chart, nice_top, time_ticks

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
END = dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC).timestamp()
DAY = 86400.0


def plot(line: str) -> str:
    """A chart line without its y axis label and the axis itself."""
    return re.split(r"[┤│]", line, maxsplit=1)[1]


def y_label(line: str) -> str:
    return re.split(r"[┤│]", line, maxsplit=1)[0].strip()


def test_nice_top_is_a_round_number_at_or_over_the_peak() -> None:
    assert [nice_top(v) for v in (0, 0.4, 1, 7, 23, 112, 3.3e6, 980)] == [1, 0.4, 1, 8, 25, 120, 4e6, 1000]


def test_a_small_change_on_a_big_number_is_a_small_change_on_the_chart() -> None:
    """103 → 112 clients: the issue's example. From zero, every bar is nearly full, none is empty."""
    start = END - 10 * 3600
    points = [(start + i * 3600 + 1, 103.0 + i) for i in range(10)]
    lines = chart(points, start, END, width=30, height=6, fmt=si, zone=UTC)
    assert y_label(lines[0]) == "120" and y_label(lines[3]) == "0"
    bottom = plot(lines[3])
    assert bottom.strip(" ") and set(bottom.strip(" ")) == {"█"}  # no column drawn empty at the bottom
    top = plot(lines[0])
    assert set(top.strip(" ")) <= set(" ▁▂▃▄▅▆▇")  # and none reaches the top: 112 of 120


def test_bars_grow_from_zero_in_proportion() -> None:
    """Hourly samples over 6 hours on 12 columns: each sample holds until the next (1.5 intervals at
    most, so a gap in the samples stays a gap on the chart)."""
    start = END - 6 * 3600
    points = [(start + 60, 0.0), (start + 3600 + 60, 50.0), (start + 7200 + 60, 100.0)]
    lines = chart(points, start, END, width=16, height=6, fmt=si, zone=UTC)
    rows = [plot(line) for line in lines[:4]]
    assert len(rows[0]) == 12
    columns = ["".join(row[c] for row in rows) for c in range(12)]
    filled = [sum(" ▁▂▃▄▅▆▇█".index(ch) for ch in col) for col in columns]
    assert filled == [0, 0, 16, 16, 32, 32, 32, 32, 0, 0, 0, 0]  # 0, half, full: 4 rows of 8 eighths


def test_time_axis_labels_in_the_zone_every_few_hours() -> None:
    lines = chart([(END - 3600, 5.0)], END - DAY, END, width=70, height=5, fmt=si, zone=BERLIN)
    axis, labels = lines[-2], lines[-1]
    assert axis.lstrip().startswith("└") and axis.count("┬") == labels.count(":")
    assert labels.split() == ["12:00", "18:00", "00:00", "06:00"]  # 10:30 yesterday to 10:30 CET today
    for label in labels.split():  # each label centred on its tick
        centre = labels.index(label) + 2
        assert axis[centre] == "┬"


def test_a_week_is_labelled_by_day() -> None:
    ticks = time_ticks(END - 7 * DAY, END, 120, BERLIN)
    assert [text for _, text in ticks][:3] == ["Sat 14", "Sun 15", "Mon 16"]


def test_no_samples_says_so() -> None:
    assert "no samples" in " ".join(chart([], END - DAY, END, width=40, height=5, zone=UTC))


def test_the_axis_labels_are_short_numbers_for_humans() -> None:
    lines = chart([(END - 60, 3.3e6)], END - DAY, END, width=40, height=5, zone=UTC)
    assert y_label(lines[0]) == "4 M" and y_label(lines[2]) == "0"
    assert bitrate(3.3e6) == "3.3 Mbit/s"  # the label over the chart says the unit


def test_the_cli_and_the_ap_page_print_a_bit_rate_alike() -> None:
    from netctl.cli.poll import metric_value
    from tui.screens.ap_detail import GRAPHS

    reads = {metric: fmt for metric, _, fmt in GRAPHS}
    assert metric_value("in_bps:if3", 5_372_190.0) == reads["in_bps"](5_372_190.0) == "5.4 Mbit/s"
    assert metric_value("out_bps", 2e5) == reads["out_bps"](2e5) == "200 kbit/s"
    assert metric_value("clients", 17.0) == "17.00"  # other metrics as before
