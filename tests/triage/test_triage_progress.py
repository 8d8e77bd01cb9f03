"""The progress bar on stderr (bot/triage/progress.py)."""
from __future__ import annotations

import io

from bot.triage.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_not_a_terminal_prints_a_line_every_tenth():
    stream = io.StringIO()
    bar = Progress("triage", 50, stream=stream)
    for i in range(50):
        bar.advance(error=(i == 3))
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # 0%, 10%, …, 100%
    assert lines[-1].startswith("triage [" + "#" * 30 + "] 50/50")
    assert "1 errors" in lines[-1]


def test_unknown_total_counts_and_finishes():
    stream = io.StringIO()
    bar = Progress("triage", None, stream=stream, errors_label="{count} com erro")
    for _ in range(250):
        bar.advance(error=True)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("triage 250 (")
    assert "250 com erro" in lines[-1]


def test_terminal_redraws_in_place():
    stream = Terminal()
    bar = Progress("triage", 3, stream=stream)
    for _ in range(3):
        bar.advance()
    bar.finish()
    out = stream.getvalue()
    assert out.startswith("\r") and out.endswith("\n") and out.count("\n") == 1
    assert "3/3" in out


def test_disabled_prints_nothing():
    stream = io.StringIO()
    bar = Progress("triage", 3, stream=stream, enabled=False)
    bar.advance()
    bar.finish()
    assert stream.getvalue() == ""
