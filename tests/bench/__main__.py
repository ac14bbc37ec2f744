"""Run the benchmarks: ``python -m tests.bench [--tiny] [--only NAME …] [--repeats N] [--no-write]``.

Prints a table with ratios against baselines measured in the same run and writes
``docs/benchmarks.md`` (unless ``--tiny`` or ``--no-write``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from tests.bench.harness import ROOT, Context, Row, fill_ratios, format_table, write_markdown

#: name -> module with ``bench(ctx) -> (rows, notes)``
BENCHMARKS = {
    "poll": "tests.bench.bench_poll",
    "rtt": "tests.bench.bench_rtt",
    "walk": "tests.bench.bench_walk",
    "controller": "tests.bench.bench_controller",
    "push": "tests.bench.bench_push",
    "storage": "tests.bench.bench_storage",
    "tui": "tests.bench.bench_tui",
    "fuzz": "tests.bench.bench_fuzz",
    "exporter": "tests.bench.bench_exporter",
    "scale": "tests.bench.bench_scale",
}


def run(names: list[str], ctx: Context) -> tuple[list[Row], list[str], list[str]]:
    """Run the named benchmarks; return rows, notes and failures (a failing benchmark never hides)."""
    rows: list[Row] = []
    notes: list[str] = []
    failures: list[str] = []
    for name in names:
        t0 = time.perf_counter()
        print(f"== {name} …", flush=True)
        try:
            module = importlib.import_module(BENCHMARKS[name])
            got, more = module.bench(ctx)
        except Exception as exc:  # a benchmark's failure is reported, then the run fails
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            continue
        rows.extend(got)
        notes.extend(more)
        print(f"   {name} done in {time.perf_counter() - t0:.1f} s", flush=True)
    fill_ratios(rows)
    return rows, notes, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="a few APs, one iteration (what CI runs)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure (median reported)")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)

    from lab import ensure_lab

    os.environ.setdefault("NETCTL_LAB_DIR", str(ROOT / ".lab"))
    ctx = Context(tiny=args.tiny, repeats=args.repeats or (1 if args.tiny else 3), lab=ensure_lab())
    ctx.scratch.mkdir(parents=True, exist_ok=True)
    names = args.only or list(BENCHMARKS)
    rows, notes, failures = run(names, ctx)
    print()
    print(format_table(rows))
    for note in notes:
        print(f"note: {note}")
    if not args.tiny and not args.no_write:
        write_markdown(rows, notes + [f"FAILED: {f}" for f in failures], args.out, ctx)
        print(f"\nwritten to {args.out}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
