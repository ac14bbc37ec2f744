"""Numbers for humans: ``1.2 k`` clients, ``3.4 Mbit/s``. One place, so the CLI and the TUI say the same.

Pure functions (no I/O, no imports beyond the standard library); the TUI may import this module as it
imports plain data types.
"""

from __future__ import annotations

#: SI prefixes from the largest down (decimal: 1 k = 1000, as network rates are counted)
PREFIXES = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))


def si(value: float | None, unit: str = "", *, compact: bool = False) -> str:
    """``value`` with an SI prefix: ``17``, ``4.2``, ``1.2 k``, ``12.3 k``, ``123 k``, ``5.4 M`` (``-`` for None).

    Three significant digits at most: one decimal below 100 of the prefix, none from 100. Plain numbers
    stay as they are when whole (``17``) or get one decimal (``4.2``; two digits below 1: ``0.35``).
    ``compact`` drops a trailing ``.0`` (axis labels: ``4 M``). ``unit`` follows the prefix: ``Mbit/s``.
    """
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    number = abs(float(value))
    prefix = ""
    for name, size in PREFIXES:
        if number >= size * 0.9995:  # 999,960 is 1.0 M, not 1000 k
            number, prefix = number / size, name
            break
    if prefix:
        text = f"{number:.1f}" if number < 99.95 else f"{number:.0f}"
    elif number == int(number) or number >= 99.95:
        text = f"{number:.0f}"
    elif number < 1:
        text = f"{number:.2g}"
    else:
        text = f"{number:.1f}"
    if compact and text.endswith(".0"):
        text = text[:-2]
    suffix = f" {prefix}{unit}" if prefix or unit else ""
    return f"{sign}{text}{suffix}"


def bitrate(bits_per_second: float | None) -> str:
    """A rate in bit/s for humans: ``512 bit/s``, ``3.4 Mbit/s`` (``-`` for None)."""
    return si(bits_per_second, "bit/s")
