"""A one-line progress bar on stderr, drawn only when stderr is a terminal, at most ten times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, label: str, total: int | None, *, show: bool = True, stream: TextIO | None = None, unit: str = "records"
    ) -> None:
        self.label = label
        self.unit = unit
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = show and self.stream.isatty()
        self.done = 0
        self.items = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def advance(self, done: int, items: int) -> None:
        """Record that `done` units (bytes) and `items` records are processed so far."""
        self.done, self.items = done, items
        now = time.monotonic()
        if self.enabled and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def finish(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = f"{self.items / elapsed:,.0f} {self.unit}/s"
        if self.total:
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            remaining = (elapsed / share - elapsed) if share > 0 else 0.0
            line = f"{self.label} [{bar:<30}] {share:6.1%} {self.items:,} {self.unit}, {rate}, {remaining:,.0f}s left"
        else:
            line = f"{self.label} {self.items:,} {self.unit}, {rate}"
        self.stream.write("\r" + line[:150].ljust(80))
        self.stream.flush()
