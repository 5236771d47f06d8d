"""Stable hashes of data and files."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHUNK = 1024 * 1024


def canonical_json(value: Any) -> bytes:
    """Compact UTF-8 JSON that keeps key order (plan order is meaningful)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_json(value: Any) -> str:
    """Hash of a JSON-able value with sorted keys (for keys, where order is not meaningful)."""
    return sha256_hex(json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_tree(files: Iterable[tuple[str, bytes]]) -> str:
    """Hash of (relative path, contents) pairs, independent of their order."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        encoded = name.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def input_digest(path: Path) -> str:
    """What a source file or folder contributes to a build: contents, modes and (for
    templates' ``template_mtime``) modification times, recursively.

    Raises OSError when ``path`` cannot be read.
    """
    if not path.is_dir():
        st = path.stat()
        return f"{st.st_mode & 0o7777:o}:{st.st_mtime_ns}:{sha256_file(path)}"
    listing = []
    for folder, dirs, files in os.walk(path, followlinks=True):
        dirs.sort()
        base = Path(folder)
        for name in sorted(dirs):
            mode = (base / name).stat().st_mode & 0o7777
            listing.append([(base / name).relative_to(path).as_posix(), f"dir:{mode:o}"])
        for name in sorted(files):
            listing.append([(base / name).relative_to(path).as_posix(), input_digest(base / name)])
    return sha256_json(listing)
