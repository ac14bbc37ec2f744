"""The benchmark harness: repeated runs, medians, ratios against a baseline of the same run, a table.

A benchmark is a function ``bench(ctx) -> list[Row]``. Each row names its baseline (another row of
the same benchmark); the ratio is computed from medians measured in this run, so it holds on a
noisy machine. Results print as a table and are written to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Context:
    """Sizes of a run. ``tiny`` is what CI runs: a few APs, one iteration, only to prove it works."""

    tiny: bool = False
    repeats: int = 3
    lab: Any = None
    scratch: Path = field(default_factory=lambda: ROOT / ".lab" / "bench")

    def size(self, full: int, tiny: int) -> int:
        return tiny if self.tiny else full


@dataclass
class Row:
    """One measured variant. ``value`` is the figure compared (higher is better unless ``lower_better``)."""

    bench: str
    variant: str
    value: float
    unit: str
    detail: str = ""
    baseline: str | None = None  # variant name of the row this one is compared with
    target: str = ""
    lower_better: bool = False
    met: bool | None = None
    ratio: float | None = None
    samples: list[float] = field(default_factory=list)


def median_of(runs: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    """Run ``fn`` ``runs`` times (bounded), return the median and the samples."""
    samples = [fn() for _ in range(max(1, runs))]
    return statistics.median(samples), samples


def fill_ratios(rows: list[Row]) -> None:
    """Set ``ratio`` of each row against its named baseline in the same benchmark."""
    by_key = {(r.bench, r.variant): r for r in rows}
    for row in rows:
        if row.baseline is None:
            continue
        base = by_key.get((row.bench, row.baseline))
        if base is None or base.value == 0 or row.value == 0:
            continue
        row.ratio = base.value / row.value if row.lower_better else row.value / base.value


def format_table(rows: list[Row]) -> str:
    """A Markdown table (also readable on a terminal)."""
    head = "| benchmark | variant | value | ratio | target | met | detail |"
    lines = [head, "|---|---|---:|---:|---|---|---|"]
    for r in rows:
        ratio = f"{r.ratio:.1f}× vs {r.baseline}" if r.ratio is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[r.met]
        lines.append(f"| {r.bench} | {r.variant} | {_fmt(r.value)} {r.unit} | {ratio} | {r.target} | {met} "
                     f"| {r.detail} |")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, " \
           f"Python {platform.python_version()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def write_markdown(rows: list[Row], notes: list[str], path: Path, ctx: Context) -> None:
    """Write ``docs/benchmarks.md``: machine, date, the table, and notes (missed targets, profiles)."""
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m tests.bench`). Every ratio compares medians measured in the same",
        "run on the same machine, so it holds on a noisy machine; absolute figures vary with the machine.",
        "CI runs a tiny version (`python -m tests.bench --tiny`, via `tests/bench/test_bench_tiny.py`) only to",
        "prove the benchmarks still work.",
        "",
        f"- machine: {machine()}",
        f"- date: {when}, commit {commit()}",
        f"- repeats: {ctx.repeats} (median reported)",
        "",
        format_table(rows),
        "",
    ]
    if notes:
        text += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    path.write_text("\n".join(text))
