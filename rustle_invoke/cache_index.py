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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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

    def record(self, key: str, record: Mapping[str, Any]) -> None:
        """Store ``record`` atomically; failures are harmless (the index is a shortcut)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".", dir=self.root)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(dict(record), handle)
            os.replace(tmp, self.root / f"{key}.json")
        except OSError:
            pass
