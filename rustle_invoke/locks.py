"""File locks (filelock), imported only when something is really locked.

Locks always live beside what they protect, never inside a folder that may be
deleted, and lock files are not deleted while a build may hold them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import LockTimeout


def hold(path: Path | str, timeout: float, what: str) -> Any:
    """Acquire the lock at ``path`` (waiting up to ``timeout`` s) and return it;
    raises :class:`LockTimeout` naming ``what`` when the wait runs out."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout(
            f"waited {timeout:g} s for {what}, which another process holds ({path})"
        ) from None
    return lock


@contextmanager
def try_hold(path: Path | str) -> Iterator[bool]:
    """Hold the lock for the block if it is free right now; yields whether it was."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
