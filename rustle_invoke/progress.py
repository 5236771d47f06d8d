"""Progress on stderr: a live line while cargo runs (on a terminal), one summary after."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """Reports what the pipeline is doing; stdout is never touched."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._console: Any = None
        self._status: Any = None

    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False)

    def warn(self, message: str) -> None:
        self.console.print(f"warning: {message}", style="yellow", markup=False)

    @contextmanager
    def activity(self, message: str) -> Iterator[None]:
        """Show ``message`` with a spinner until the block ends (terminals only)."""
        if self.quiet or not self.console.is_terminal:
            yield
            return
        with self.console.status(message) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def update(self, message: str) -> None:
        if self._status is not None:
            self._status.update(message)


def quiet_progress() -> Progress:
    return Progress(quiet=True)


def print_stderr(message: str) -> None:
    print(message, file=sys.stderr)
