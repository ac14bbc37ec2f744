"""CI runs every benchmark in its tiny size (a few APs, one iteration): only to prove it still works.

Nothing here asserts a speed: the figures are measured by ``make bench`` and recorded in
docs/benchmarks.md. What is asserted is that each benchmark ran against the real lab peers, produced
its rows, and that each row's baseline was measured in the same run.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from tests.bench.__main__ import BENCHMARKS
from tests.bench.harness import Context, fill_ratios, format_table

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_runs_in_tiny_size(name: str, lab: Any, tmp_path: Path) -> None:
    ctx = Context(tiny=True, repeats=1, lab=lab, scratch=tmp_path)
    rows, notes = importlib.import_module(BENCHMARKS[name]).bench(ctx)
    fill_ratios(rows)
    assert rows, f"{name} produced no rows"
    variants = {(r.bench, r.variant) for r in rows}
    for row in rows:
        assert row.value > 0, f"{row.bench} / {row.variant} measured nothing"
        if row.baseline is not None:
            assert (row.bench, row.baseline) in variants, f"{row.variant}: baseline {row.baseline} not measured"
            assert row.ratio is not None and row.ratio > 0
    table = format_table(rows)
    assert table.count("\n") == len(rows) + 1
    assert all(isinstance(n, str) and n for n in notes)
