"""A plain progress bar on stderr: redrawn in place on a terminal, a line every tenth of the way otherwise."""
from __future__ import annotations

import sys
import time
from typing import Optional


class Progress:
    WIDTH = 30

    def __init__(self, label: str, total: Optional[int] = None, stream=None, enabled: bool = True,
                 errors_label: str = "{count} errors"):
        self.label = label
        self.errors_label = errors_label
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.done = 0
        self.errors = 0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_step = -1
        self._started = time.perf_counter()
        self._last_draw = 0.0

    def _line(self) -> str:
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        rate = self.done / elapsed
        errors = ", " + self.errors_label.format(count=self.errors) if self.errors else ""
        if self.total:
            filled = int(self.WIDTH * min(self.done, self.total) / self.total)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            return f"{self.label} [{bar}] {self.done}/{self.total} ({rate:.1f}/s{errors})"
        return f"{self.label} {self.done} ({rate:.1f}/s{errors})"

    def advance(self, error: bool = False) -> None:
        self.done += 1
        self.errors += int(error)
        if not self.enabled:
            return
        if self._tty:
            now = time.perf_counter()
            if now - self._last_draw >= 0.1 or self.done == self.total:
                self._last_draw = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
            return
        step = (10 * self.done // self.total) if self.total else self.done // 100
        if step != self._last_step:
            self._last_step = step
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        if self._tty:
            self.stream.write("\r" + self._line() + "\n")
        elif self.total is None or self.done != self.total:
            self.stream.write(self._line() + "\n")
        self.stream.flush()
