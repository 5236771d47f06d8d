"""Free disk space, checked before a build starts rather than discovered by a linker.

A build writes to three places: the shared target dir (cargo's outputs), the temp
project folder, and the cache (the finished binary). Each place is checked against
an estimate of what the build will add there, summed per filesystem. The estimates
were measured here (docs/reliability.md): a cold debug build of the runtime fills
about 180 MiB of target dir, a new plan on a warm one about 25 MiB; release builds
are a tenth of that.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import OptimizationLevel, format_size
from .errors import InsufficientDiskSpace

MIB = 1024 * 1024

# (cold target dir, warm target dir, finished binary), in bytes, per profile family.
_DEBUG_INFO = (256 * MIB, 96 * MIB, 48 * MIB)
_OPTIMIZED = (48 * MIB, 16 * MIB, 8 * MIB)
_TEMP_PROJECT = 4 * MIB


@dataclass(frozen=True)
class SpaceNeed:
    """Bytes a build is expected to write under ``path``, and why."""

    path: Path
    size: int
    why: str


def runtime_built(target_dir: Path) -> bool:
    """Whether the shared target dir already holds a compiled runtime (a warm build)."""
    return any(target_dir.glob("*/*/deps/librustle_runtime-*.rlib")) or any(
        target_dir.glob("*/deps/librustle_runtime-*.rlib")
    )


def build_needs(
    target_dir: Path,
    temp_dir: Path,
    cache_dir: Path | None,
    profile: OptimizationLevel,
    required: int | None = None,
) -> list[SpaceNeed]:
    """What one build will write where. ``required`` (a configured figure) replaces the
    target dir's estimate; ``cache_dir`` is None when the binary is not cached."""
    keeps_debug_info = profile in (
        OptimizationLevel.DEBUG,
        OptimizationLevel.RELEASE_WITH_DEBUG_INFO,
    )
    cold, warm, binary = _DEBUG_INFO if keeps_debug_info else _OPTIMIZED
    if required is not None:
        build = SpaceNeed(target_dir, required, "the configured RUSTLE_MIN_FREE_SPACE")
    elif runtime_built(target_dir):
        build = SpaceNeed(target_dir, warm, f"a {profile.value} build on a compiled runtime")
    else:
        build = SpaceNeed(target_dir, cold, f"a first {profile.value} build of the runtime")
    needs = [build, SpaceNeed(temp_dir, _TEMP_PROJECT + binary, "the temporary project")]
    if cache_dir is not None:
        needs.append(SpaceNeed(cache_dir, binary, "the cached binary"))
    return needs


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (what will hold it once created)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_free_space(needs: list[SpaceNeed]) -> None:
    """Raise :class:`InsufficientDiskSpace` when a filesystem has less free space than the
    needs that land on it add up to; the message gives both figures."""
    by_device: dict[int, list[SpaceNeed]] = {}
    anchors: dict[int, Path] = {}
    for need in needs:
        if need.size <= 0:
            continue
        anchor = _existing(need.path)
        device = os.stat(anchor).st_dev
        by_device.setdefault(device, []).append(need)
        anchors.setdefault(device, anchor)
    for device, group in by_device.items():
        total = sum(n.size for n in group)
        free = shutil.disk_usage(anchors[device]).free
        if free < total:
            parts = ", ".join(f"{format_size(n.size)} for {n.why} in {n.path}" for n in group)
            raise InsufficientDiskSpace(
                f"not enough free disk space: the build needs about {format_size(total)} "
                f"({parts}), and the filesystem of {anchors[device]} has {format_size(free)} free",
                required=total,
                available=free,
            )
