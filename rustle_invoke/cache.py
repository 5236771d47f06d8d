"""The content-addressed binary cache.

Layout under ``<cache_dir>/binaries``::

    <key>/binary        the executable
    <key>/entry.json    its metadata: size, sha256, target, profile, plan, ...
    <key>.lock          the lock for that key (beside the entry, never inside)
    .put-<key>-*        an entry being written (under the key's lock)
    .evicted-*          an entry being deleted

An entry appears atomically (written in a temp folder, then renamed), is
verified (size and sha256) on every hit, and a bad one is evicted, never served.
A process killed half-way leaves only dot-folders, which readers never look at
and :meth:`BinaryCache.sweep` removes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import CacheCorruption, CacheError
from .hashing import sha256_file
from .locks import hold, try_hold

BINARY_FILE = "binary"
ENTRY_FILE = "entry.json"
LOCK_TIMEOUT = 1800
PUT_PREFIX = ".put-"
EVICTED_PREFIX = ".evicted-"


class CacheWarning(UserWarning):
    """A cache entry was bad and has been evicted."""


@dataclass(frozen=True)
class CacheEntry:
    """One cached binary and what it was built from."""

    key: str
    path: Path
    size: int
    checksum: str
    target_triple: str
    optimization_level: str
    template_hash: str
    builder: str
    plan_name: str
    compilation_time: float
    created_at: str
    last_used: float
    post_processors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def private_dir(path: Path) -> Path:
    """``path`` as a folder only this user can enter (plans may embed secrets).

    Every folder created on the way gets mode 0700 (``mkdir(parents=True)`` would give
    the parents the umask's mode), and an existing ``path`` of ours that others can
    enter is closed."""
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
    if not missing:
        info = path.stat()
        if info.st_uid != os.getuid():
            raise CacheError(
                f"{path} belongs to another user; rustle-invoke keeps plans and binaries "
                "only in folders of its own",
                hint="point RUSTLE_CACHE_DIR / RUSTLE_COMPILE_TEMP_DIR at a folder you own",
            )
        if info.st_mode & 0o077:
            path.chmod(0o700)
    return path


def sweep_unfinished(root: Path, lock_of: Callable[[str], Path]) -> list[str]:
    """Remove the ``.put-<key>-*`` folders in ``root`` whose writer is gone: the lock
    ``lock_of(key)`` that it held while writing is free. Returns the removed names."""
    removed: list[str] = []
    for child in sorted(root.glob(f"{PUT_PREFIX}*")):
        key = child.name[len(PUT_PREFIX) :].rsplit("-", 1)[0]
        with try_hold(lock_of(key)) as free:
            if free:  # else its writer is alive and still writing
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child.name)
    return removed


class BinaryCache:
    """The binaries folder of a cache directory."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "binaries"

    def _entry_dir(self, key: str) -> Path:
        return self.root / key

    def lock_path(self, key: str) -> Path:
        return self.root / f"{key}.lock"

    def lock(self, key: str, timeout: float = LOCK_TIMEOUT) -> Any:
        """Hold the lock of ``key`` (release it when done): one build per key at a time."""
        private_dir(self.root)
        return hold(self.lock_path(key), timeout, f"the cache entry {key[:16]}")

    def _read(self, key: str) -> CacheEntry | None:
        folder = self._entry_dir(key)
        try:
            meta = json.loads((folder / ENTRY_FILE).read_text("utf-8"))
            return CacheEntry(
                key=key,
                path=folder / BINARY_FILE,
                size=int(meta["size"]),
                checksum=str(meta["checksum"]),
                target_triple=str(meta["target_triple"]),
                optimization_level=str(meta["optimization_level"]),
                template_hash=str(meta["template_hash"]),
                builder=str(meta["builder"]),
                plan_name=str(meta.get("plan_name", "")),
                compilation_time=float(meta.get("compilation_time", 0.0)),
                created_at=str(meta["created_at"]),
                last_used=(folder / ENTRY_FILE).stat().st_mtime,
                post_processors=tuple(str(p) for p in meta.get("post_processors", ())),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise CacheCorruption(f"cache entry {key} has unreadable metadata") from None

    def verify(self, entry: CacheEntry) -> None:
        """Raise :class:`CacheCorruption` unless the binary's size and sha256 match."""
        try:
            size = entry.path.stat().st_size
        except FileNotFoundError:
            raise CacheCorruption(f"cache entry {entry.key}: the binary is missing") from None
        if size != entry.size:
            raise CacheCorruption(
                f"cache entry {entry.key}: size {size} bytes, expected {entry.size}"
            )
        checksum = sha256_file(entry.path)
        if checksum != entry.checksum:
            raise CacheCorruption(
                f"cache entry {entry.key}: sha256 {checksum[:16]}…, expected {entry.checksum[:16]}…"
            )

    def peek(self, key: str) -> CacheEntry | None:
        """A verified entry, or None; changes nothing (for ``--dry-run``)."""
        try:
            entry = self._read(key)
            if entry is not None:
                self.verify(entry)
            return entry
        except CacheCorruption:
            return None

    def get(self, key: str, *, locked: bool = False) -> CacheEntry | None:
        """A verified entry, or None; a corrupt entry is evicted with a warning.

        ``locked``: the caller holds the key's lock. Without it the eviction takes the
        lock and looks again, so an entry a build has just replaced is not thrown away."""
        try:
            entry = self._read(key)
            if entry is None:
                return None
            self.verify(entry)
        except CacheCorruption as exc:
            if locked:
                self.evict(key)
            else:
                lock = self.lock(key)
                try:
                    if self.peek(key) is None:
                        self.evict(key)
                finally:
                    lock.release()
            warnings.warn(f"{exc}; evicted, it will be rebuilt", CacheWarning, stacklevel=2)
            return None
        try:
            os.utime(self._entry_dir(key) / ENTRY_FILE)  # last use, for --prune --max-age
        except OSError:
            return None  # evicted meanwhile by another process: a miss
        return entry

    def put(self, key: str, binary: Path, meta: dict[str, Any]) -> CacheEntry:
        """Copy ``binary`` in as ``key``, atomically; call with :meth:`lock` held."""
        private_dir(self.root)
        staging = Path(tempfile.mkdtemp(prefix=f"{PUT_PREFIX}{key}-", dir=self.root))
        try:
            shutil.copy2(binary, staging / BINARY_FILE)
            os.chmod(staging / BINARY_FILE, 0o700)
            record = {
                **meta,
                "size": (staging / BINARY_FILE).stat().st_size,
                "checksum": sha256_file(staging / BINARY_FILE),
            }
            (staging / ENTRY_FILE).write_text(json.dumps(record, indent=2), "utf-8")
            if self._entry_dir(key).exists():
                self.evict(key)
            os.replace(staging, self._entry_dir(key))
        except OSError as exc:
            raise CacheError(f"cannot store the binary in the cache: {exc}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        entry = self._read(key)
        assert entry is not None
        return entry

    def evict(self, key: str) -> None:
        """Remove an entry: renamed away first, so no reader sees half of it."""
        folder = self._entry_dir(key)
        if not folder.exists():
            return
        doomed = self.root / f"{EVICTED_PREFIX}{key[:16]}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            os.replace(folder, doomed)
        except FileNotFoundError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for child in sorted(self.root.iterdir()):
            if child.is_dir() and not child.name.startswith("."):
                yield child.name

    def entries(self) -> list[CacheEntry | str]:
        """Every entry; a key whose metadata cannot be read is returned as its key."""
        found: list[CacheEntry | str] = []
        for key in self.keys():
            try:
                entry = self._read(key)
            except CacheCorruption:
                found.append(key)
                continue
            if entry is not None:
                found.append(entry)
        return found

    def verify_all(self) -> tuple[list[CacheEntry], list[str], list[str]]:
        """(good entries, keys of bad ones, which are evicted, keys a build holds now)."""
        good: list[CacheEntry] = []
        bad: list[str] = []
        busy: list[str] = []
        for item in self.entries():
            key = item if isinstance(item, str) else item.key
            with try_hold(self.lock_path(key)) as free:
                if not free:
                    busy.append(key)  # a build is replacing it right now
                    continue
                try:
                    if isinstance(item, str):
                        raise CacheCorruption(f"cache entry {key} has unreadable metadata")
                    self.verify(item)
                    good.append(item)
                except CacheCorruption:
                    self.evict(key)
                    bad.append(key)
        return good, bad, busy

    def sweep(self) -> list[str]:
        """Remove what killed processes left: half-written entries whose key nobody
        holds, and entries that were being deleted. Returns the removed names."""
        if not self.root.is_dir():
            return []
        removed = []
        for child in sorted(self.root.glob(f"{EVICTED_PREFIX}*")):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
        return removed + sweep_unfinished(self.root, self.lock_path)

    def prune(self, *, max_size: int | None = None, max_age_days: float | None = None) -> list[str]:
        """Drop entries unused for ``max_age_days``, then least recently used ones
        until the cache fits in ``max_size`` bytes. Returns the removed keys."""
        removed: list[str] = []
        entries = [e for e in self.entries() if isinstance(e, CacheEntry)]
        entries.sort(key=lambda e: e.last_used)
        now = time.time()
        kept: list[CacheEntry] = []
        for entry in entries:
            if max_age_days is not None and now - entry.last_used > max_age_days * 86400:
                removed.append(self._remove_unlocked(entry.key))
            else:
                kept.append(entry)
        if max_size is not None:
            total = sum(e.size for e in kept)
            for entry in kept:
                if total <= max_size:
                    break
                removed.append(self._remove_unlocked(entry.key))
                total -= entry.size
        return [key for key in removed if key]

    def _remove_unlocked(self, key: str) -> str:
        with try_hold(self.lock_path(key)) as free:
            if not free:
                return ""  # in use by a build right now; leave it
            self.evict(key)
            return key

    def clear(self) -> int:
        """Remove every entry not in use; returns how many."""
        count = 0
        for key in list(self.keys()):
            if self._remove_unlocked(key):
                count += 1
        return count

    def size(self) -> int:
        return sum(e.size for e in self.entries() if isinstance(e, CacheEntry))
