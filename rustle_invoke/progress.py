"""Progress on stderr: a live line while cargo runs (on a terminal), one summary after."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """Reports what the pipeline is doing; stdout is never touched.

    rich is imported only for the live display of a build, so a cache hit
    does not pay for it.
    """

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._status: Any = None

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    @contextmanager
    def activity(self, message: str) -> Iterator[None]:
        """Show ``message`` with a spinner until the block ends (terminals only)."""
        if self.quiet or not sys.stderr.isatty():
            yield
            return
        from rich.console import Console

        console = Console(stderr=True, highlight=False)
        with console.status(message) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def update(self, message: str) -> None:
        if self._status is not None:
            self._status.update(message)
