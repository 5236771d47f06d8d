"""The std-only runtime crate: its sources, their hash, one shared copy per hash."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import memo
from .cache import PUT_PREFIX, private_dir, sweep_unfinished
from .errors import ProjectCreationFailed
from .hashing import sha256_tree
from .locks import hold
from .resources import templates_dir

RUNTIME_PACKAGE = "rustle-runtime"
LOCK_TIMEOUT = 300


@dataclass(frozen=True)
class RuntimeSource:
    """The runtime crate's files (relative path → bytes) and their hash."""

    files: tuple[tuple[str, bytes], ...]
    hash: str

    def write_to(self, dest: Path) -> None:
        for name, data in self.files:
            path = dest / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def materialize(self, cache_dir: Path) -> Path:
        """The shared copy at ``<cache>/runtime/<hash>``, written once, atomically."""
        root = cache_dir / "runtime"
        final = root / self.hash
        if (final / "Cargo.toml").is_file():
            return final
        private_dir(root)
        lock = hold(root / f"{self.hash}.lock", LOCK_TIMEOUT, "the runtime copy")
        try:
            if (final / "Cargo.toml").is_file():
                return final
            staging = Path(tempfile.mkdtemp(prefix=f"{PUT_PREFIX}{self.hash}-", dir=root))
            try:
                self.write_to(staging)
                os.replace(staging, final)
            except OSError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise ProjectCreationFailed(f"cannot write the runtime to {final}: {exc}") from exc
        finally:
            lock.release()
        return final


def sweep_runtime_copies(cache_dir: Path) -> list[str]:
    """Remove half-written runtime copies whose writer is gone (its lock is free)."""
    root = cache_dir / "runtime"
    if not root.is_dir():
        return []
    return sweep_unfinished(root, lambda digest: root / f"{digest}.lock")


def _paths(root: Path) -> list[Path]:
    return [root / "Cargo.toml", *sorted((root / "src").rglob("*.rs"))]


def _collect(root: Path) -> list[tuple[str, bytes]]:
    return [(path.relative_to(root).as_posix(), path.read_bytes()) for path in _paths(root)]


@cache
def runtime_source() -> RuntimeSource:
    """The runtime crate shipped with this package (read once per process)."""
    files = _collect(templates_dir() / "runtime")
    return RuntimeSource(files=tuple(files), hash=sha256_tree(files)[:32])


@cache
def runtime_hash() -> str:
    """``runtime_source().hash`` without reading the sources while their files are
    unchanged (a cache hit needs only the hash)."""
    root = templates_dir() / "runtime"
    key = memo.fingerprint(f"{path}={memo.stat_text(path)}" for path in _paths(root))
    return memo.remembered("runtime-hash", key, lambda: runtime_source().hash)
