"""partnerbot's benchmarks: `python -m bench` (or `make bench`) runs every section, `python -m bench NAME` one.

A section is a module `bench/<name>_bench.py` with a docstring (its first line is the
section's title) and `main(argv=None) -> int`, which prints its figures and returns an
exit code; `python -m bench NAME ARGS…` hands ARGS to it. The helpers below (percentiles,
timing, the figures table) are shared by the sections.
"""
from __future__ import annotations

import contextlib
import math
import os
import pkgutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VAR_BENCH = ROOT / "var" / "bench"
FIRST = ("rules",)  # sections that run before the others (the rest in name order)


def sections() -> list[str]:
    """The sections found in bench/, in running order."""
    names = [m.name[: -len("_bench")] for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name.endswith("_bench")]
    return sorted(names, key=lambda name: (name not in FIRST, FIRST.index(name) if name in FIRST else 0, name))


def percentile(values, q: float) -> float:
    """Nearest-rank percentile: a value that was actually measured (p50 of 1..100 is 50, p95 is 95)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def time_each(function: Callable, items, clock=time.perf_counter) -> list[float]:
    """Seconds taken by `function(item)` for each item, one call at a time."""
    out = []
    for item in items:
        started = clock()
        function(item)
        out.append(clock() - started)
    return out


@dataclass
class Figure:
    """One line of a section's table: a measure, its figures and, when there is one, the target it is held to."""

    measure: str
    n: int | None = None
    p50: float | None = None  # seconds
    p95: float | None = None
    p99: float | None = None
    rate: float | None = None  # per second
    note: str = ""
    target: str = ""
    ok: bool | None = None

    @classmethod
    def latencies(cls, measure: str, seconds: list, target_p95: float | None = None, note: str = "") -> "Figure":
        figure = cls(measure, n=len(seconds), p50=percentile(seconds, 50), p95=percentile(seconds, 95),
                     p99=percentile(seconds, 99), note=note)
        if target_p95 is not None:
            figure.target = f"p95 <= {format_seconds(target_p95)}"
            figure.ok = figure.p95 <= target_p95
        return figure

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:,.0f}/s"


def table(figures: list[Figure]) -> str:
    """The figures as an aligned text table."""
    header = ("measure", "n", "p50", "p95", "p99", "rate", "target", "", "note")
    rows = [header]
    for f in figures:
        verdict = "" if f.ok is None else ("ok" if f.ok else "MISSED")
        rows.append((f.measure, "" if f.n is None else f"{f.n:,}", format_seconds(f.p50), format_seconds(f.p95),
                     format_seconds(f.p99), format_rate(f.rate), f.target, verdict, f.note))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    right = {1, 2, 3, 4, 5}
    lines = []
    for index, row in enumerate(rows):
        cells = [str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


@contextlib.contextmanager
def output_to(path: Path):
    """Whatever writes to file descriptors 1 and 2 meanwhile (Rasa's and TensorFlow's progress bars and
    warnings, servers started inside) goes to `path`, out of the printed figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
