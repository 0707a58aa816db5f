"""A one-line text progress bar for `manage.py seed_demo`."""

from __future__ import annotations

from collections.abc import Callable


class ProgressBar:
    """A one-line text progress bar: `label [#####.....]  50%  5/10`."""

    def __init__(self, write: Callable[[str], None] | None, label: str, total: int, width: int = 30) -> None:
        self.write = write
        self.label = label
        self.total = max(total, 0)
        self.width = width
        self.done = 0
        self._drawn = -1

    def advance(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if self.write is None:
            return
        permille = (self.done * 1000 // self.total) if self.total else 1000
        if permille == self._drawn and not force:
            return
        self._drawn = permille
        filled = self.width * permille // 1000
        bar = "#" * filled + "." * (self.width - filled)
        self.write(f"\r{self.label} [{bar}] {permille // 10:3d}%  {self.done}/{self.total}")

    def finish(self) -> None:
        self.done = self.total
        self._draw(force=True)
        if self.write is not None:
            self.write("\n")
