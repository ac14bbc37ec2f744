"""Numbers for humans (:mod:`netctl.units`): what the CLI and the TUI print for counts and bit rates."""

from __future__ import annotations

import pytest

from netctl.units import bitrate, si


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (17, "17"), (17.0, "17"), (4.2, "4.2"), (0.35, "0.35"), (999, "999"), (999.4, "999"),
    (1234, "1.2 k"), (12_345, "12.3 k"), (123_456, "123 k"), (999_960, "1.0 M"), (5_372_190.0, "5.4 M"),
    (3.2e9, "3.2 G"), (-1500, "-1.5 k"), (None, "-"),
])
def test_si(value: float | None, text: str) -> None:
    assert si(value) == text


def test_si_compact_drops_a_trailing_zero_for_axis_labels() -> None:
    assert [si(v, compact=True) for v in (4e6, 2.5e6, 25, 0)] == ["4 M", "2.5 M", "25", "0"]


def test_bitrate() -> None:
    assert [bitrate(v) for v in (512, 1e6, 3.4e6, 5_372_190.0, 1.25e9)] == [
        "512 bit/s", "1.0 Mbit/s", "3.4 Mbit/s", "5.4 Mbit/s", "1.2 Gbit/s"]
    assert bitrate(None) == "-"
