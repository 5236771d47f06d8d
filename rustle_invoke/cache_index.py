"""The fast path to a cache hit: exact inputs → cache key, without re-rendering.

Computing the full cache key means validating the plan and rendering the
project. When the very same inputs (plan bytes, options, runtime, toolchain,
plugins) were compiled before, ``<cache>/index/<input key>.json`` remembers the
resulting cache keys (one per binary), so a hit costs a few hashes and one
verification per cached binary. Every input file recorded there is re-hashed on lookup, so a
changed file is never served from the index.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .cache import PUT_PREFIX, private_dir
from .hashing import input_digest, sha256_json


def input_key(parts: Mapping[str, Any]) -> str:
    return sha256_json(dict(parts))


class CacheIndex:
    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "index"

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The record for ``key`` if every input it names is unchanged."""
        try:
            record = json.loads((self.root / f"{key}.json").read_text("utf-8"))
            inputs = record["inputs"]
            for path, digest in inputs.items():
                if input_digest(Path(path)) != digest:
                    return None
            return dict(record)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def sweep(self, max_age: float = 3600.0) -> list[str]:
        """Remove temp files whose writer is gone: its pid (in the name) no longer
        runs, or the file is older than ``max_age`` seconds (a record takes
        milliseconds to write; the age covers a reused pid)."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        now = time.time()
        for path in self.root.glob(f"{PUT_PREFIX}*"):
            writer = path.name[len(PUT_PREFIX) :].split("-", 1)[0]
            try:
                if _running(writer) and now - path.stat().st_mtime < max_age:
                    continue
                path.unlink()
                removed.append(path.name)
            except FileNotFoundError:
                continue
        return removed

    def record(self, key: str, record: Mapping[str, Any]) -> None:
        """Store ``record`` atomically; failures are harmless (the index is a shortcut)."""
        try:
            private_dir(self.root)
            fd, tmp = tempfile.mkstemp(prefix=f"{PUT_PREFIX}{os.getpid()}-", dir=self.root)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(dict(record), handle)
            os.replace(tmp, self.root / f"{key}.json")
        except OSError:
            pass


def _running(pid: str) -> bool:
    """Whether process ``pid`` (a decimal string) exists on this machine."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # someone else's process
    return True
