"""Answers kept on disk under a fingerprint of their inputs, so that a command does not
redo work (run ``rustc -vV``, hash the runtime's sources, scan every installed
distribution's entry points) whose inputs did not change.

A fingerprint is built from ``stat`` calls: a file's mtime, size and inode change when it
is rewritten or replaced. Answers live in ``<cache>/memo/`` (private, written by
rename); an unreadable or missing one is computed again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .hashing import sha256_hex


def stat_text(path: Path) -> str:
    """What changes when ``path`` is rewritten, replaced or removed."""
    try:
        st = path.stat()
    except OSError:
        return "-"
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


def fingerprint(facts: Iterable[str]) -> str:
    return sha256_hex("\n".join(facts).encode("utf-8"))[:32]


def memo_dir() -> Path:
    """``<cache>/memo``: RUSTLE_CACHE_DIR's, else the default cache dir's."""
    root = os.environ.get("RUSTLE_CACHE_DIR")
    if root:
        return Path(root).expanduser() / "memo"
    from .config import default_cache_dir

    return default_cache_dir() / "memo"


def remembered(kind: str, key: str | None, compute: Callable[[], str]) -> str:
    """``compute()``, or its answer from an earlier call with the same ``kind`` and
    ``key`` (None: nothing to key by, always computed)."""
    if key is None:
        return compute()
    path = memo_dir() / f"{kind}-{key}.txt"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text(encoding="utf-8")
    answer = compute()
    with contextlib.suppress(OSError):
        from .cache import private_dir

        private_dir(path.parent)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        staging.write_text(answer, encoding="utf-8")
        os.replace(staging, path)
    return answer
