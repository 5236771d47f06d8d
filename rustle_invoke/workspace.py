"""Temporary projects: one folder per build, each with its lock beside it.

``<temp_dir>/projects/<name>/`` holds a rendered crate while it builds and
``<temp_dir>/projects/<name>.lock`` is held for as long as the folder is in
use. A folder whose lock nobody holds belongs to a process that is gone, so
``clean`` may remove it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .cache import private_dir
from .errors import LockTimeout, ProjectCreationFailed
from .locks import hold, try_hold

LOCK_SUFFIX = ".lock"


def projects_root(temp_dir: Path) -> Path:
    return temp_dir / "projects"


def _discard(folder: Path, lock_path: Path) -> None:
    """Remove a project and its lock file; call with the lock held."""
    shutil.rmtree(folder, ignore_errors=True)
    lock_path.unlink(missing_ok=True)


def _claim(root: Path, name: str | None, prefix: str) -> tuple[Path, Any]:
    """A project folder and its held lock: ``name`` when free, else a random one."""
    if name is not None:
        folder = root / name
        try:
            lock = hold(str(folder) + LOCK_SUFFIX, 0, f"the project {name}")
        except LockTimeout:
            pass  # someone builds under that name right now: take a random one
        else:
            shutil.rmtree(folder, ignore_errors=True)  # left by a process that died
            try:
                folder.mkdir(mode=0o700)
            except OSError as exc:
                lock.release()
                raise ProjectCreationFailed(f"cannot create {folder}: {exc}") from exc
            return folder, lock
    try:
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    except OSError as exc:
        raise ProjectCreationFailed(f"cannot create a temporary project in {root}: {exc}") from exc
    return folder, hold(str(folder) + LOCK_SUFFIX, 0, f"the project {folder.name}")


@contextmanager
def temp_project(
    temp_dir: Path, *, keep: bool = False, name: str | None = None, prefix: str = "proj-"
) -> Iterator[Path]:
    """A locked project folder; removed on exit (success or failure) unless ``keep``.

    A stable ``name`` (e.g. from the cache key) keeps the build path, and so the
    binary's bytes, the same from one build of a plan to the next.
    """
    root = private_dir(projects_root(temp_dir))
    folder, lock = _claim(root, name, prefix)
    try:
        yield folder
    finally:
        if not keep:
            # The lock file stays: deleting a lock another process may have opened
            # lets two processes "hold" it. `clean` removes unused ones.
            shutil.rmtree(folder, ignore_errors=True)
        lock.release()


def clean_stale_projects(temp_dir: Path) -> list[Path]:
    """Remove every project folder whose lock is free (its builder is gone)."""
    root = projects_root(temp_dir)
    if not root.is_dir():
        return []
    removed: list[Path] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        with try_hold(str(folder) + LOCK_SUFFIX) as free:
            if free:  # else a build is using it right now
                _discard(folder, folder.with_name(folder.name + LOCK_SUFFIX))
                removed.append(folder)
    # Lock files whose folder is already gone.
    for lock_path in root.glob(f"*{LOCK_SUFFIX}"):
        if not lock_path.with_suffix("").exists():
            with try_hold(lock_path) as free:
                if free:
                    lock_path.unlink(missing_ok=True)
    return removed


class ProjectManager:
    """Temporary projects under one temp dir: create (locked) and clean up."""

    def __init__(self, temp_dir: Path) -> None:
        self.temp_dir = temp_dir

    def create_project(self, *, keep: bool = False, name: str | None = None) -> Any:
        """A context manager yielding a locked project folder (see :func:`temp_project`)."""
        return temp_project(self.temp_dir, keep=keep, name=name)

    def cleanup(self) -> list[Path]:
        """Remove the projects of builds that are gone."""
        return clean_stale_projects(self.temp_dir)
