"""Files a plan ships to its targets: found under the source root, read once, embedded.

``copy`` sources, ``template`` sources and the plan's ``static_files`` are read on the
controller while the payload is built. Their bytes go into the binary by SHA-256 digest (the
project's ``files/`` folder); templates are lowered to the IR the runtime renders. Every file
read is recorded with its digest, so the cache index never serves a binary built from an
older version of a source.

Relative paths resolve against the plan's folder (``--src-root`` overrides), looking in
``files/`` (copy) or ``templates/`` (template) first, as Ansible looks beside a playbook. A
source outside the root is refused unless the user allows it.
"""

from __future__ import annotations

import ast
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import format_size
from .hashing import input_digest, sha256_hex
from .lowering import LoweringError, TemplateOptions, has_jinja, lower_template
from .modules import ArgumentError
from .plan import plan_size_limit

# Ansible's template module: trim_blocks on, lstrip_blocks off, trailing newlines kept.
TEMPLATE_DEFAULTS = {"trim_blocks": True, "lstrip_blocks": False, "keep_trailing_newline": True}
_HEADER = "#jinja2:"


@dataclass(frozen=True)
class SourceSettings:
    """Where relative sources are found, whether sources outside that folder are allowed,
    and how many bytes may be embedded (the binary size limit; None: the configured one)."""

    root: Path
    allow_outside: bool = False
    size_limit: int | None = None


def _mode(st: os.stat_result) -> str:
    return f"{stat.S_IMODE(st.st_mode):04o}"


class SourceFiles:
    """Collects the files one plan embeds; given to module ``embed`` functions."""

    def __init__(
        self, settings: SourceSettings, on_template: Callable[[Any], object] | None = None
    ) -> None:
        self.settings = settings
        self.root = settings.root.resolve()
        self._lexical_root = Path(os.path.abspath(settings.root))
        self.blobs: dict[str, bytes] = {}
        self.inputs: dict[str, str] = {}
        self.templates: list[Any] = []
        self._template_index: dict[tuple[str, TemplateOptions], int] = {}
        self._on_template = on_template
        self.size_limit = plan_size_limit(settings.size_limit)
        # Bytes of every distinct file read so far (by digest): all of them go into the binary.
        self._embedded: dict[str, int] = {}

    # --- finding -------------------------------------------------------------------

    def locate(self, src: Any, subdir: str, what: str = "src") -> Path:
        """The file or folder ``src`` names, checked against the source root."""
        if not isinstance(src, str) or not src:
            raise ArgumentError(f"{what!r} must be a path")
        if "\0" in src:
            raise ArgumentError(f"{what} {src!r} holds a NUL character, which no path can")
        if has_jinja(src):
            raise ArgumentError(
                f"{what} {src!r} is a template; sources are embedded in the binary at build "
                "time, so their path must be fixed (render the variable part into dest instead)"
            )
        path = Path(os.path.expanduser(src))
        candidates = [path] if path.is_absolute() else [self.root / subdir / path, self.root / path]
        for candidate in candidates:
            if os.path.lexists(candidate):
                self._check_inside(candidate, src)
                return candidate
        looked = ", ".join(str(c) for c in candidates)
        raise ArgumentError(
            f"could not find {what} {src!r} (looked in {looked})",
        )

    def _check_inside(self, path: Path, src: str) -> None:
        """Inside the root as written (symlinks the root holds are its owner's choice) or
        once resolved; ``..`` and absolute paths elsewhere are outside."""
        if self.settings.allow_outside:
            return
        real = Path(os.path.realpath(path))  # unlike Path.resolve, never fails on link loops
        lexical = Path(os.path.abspath(path))
        if not (_within(lexical, self._lexical_root) or _within(real, self.root)):
            raise ArgumentError(
                f"{src!r} is outside the source root {self.root} (it resolves to {real}); "
                "pass --src-root to choose the root, or --allow-src-outside-root to embed it anyway"
            )

    # --- embedding -----------------------------------------------------------------

    def _read(self, path: Path, src: str) -> tuple[bytes, os.stat_result, str]:
        """A regular file's bytes, stat and digest. A file larger than the binary size limit
        is refused before it is read, and so are files that bring the plan's embedded
        bytes over it: the binary could never hold them."""
        limit = self.size_limit
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                raise ArgumentError(f"{src!r} ({path}) is not a regular file")
            if st.st_size > limit:
                raise self._too_big(src, path, f"is {st.st_size} bytes")
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise ArgumentError(f"cannot read {src!r} ({path}): {exc.strerror or exc}") from None
        if len(data) > limit:  # it grew after stat()
            raise self._too_big(src, path, f"is more than {limit} bytes")
        digest = sha256_hex(data)
        if digest not in self._embedded:
            self._embedded[digest] = len(data)
            total = sum(self._embedded.values())
            if total > limit:
                raise self._too_big(
                    src, path, f"brings the files this plan embeds to {total} bytes"
                )
        real = Path(os.path.realpath(path))
        try:
            self.inputs[str(real)] = input_digest(real)
        except OSError as exc:
            raise ArgumentError(f"cannot read {src!r} ({path}): {exc.strerror or exc}") from None
        return data, st, digest

    def _too_big(self, src: str, path: Path, what: str) -> ArgumentError:
        limit = self.size_limit
        return ArgumentError(
            f"{src!r} ({path}) {what}, over the binary size limit of {limit} bytes "
            f"({format_size(limit)}): the binary embeds it, so it could never fit "
            "(raise RUSTLE_BINARY_SIZE_LIMIT if binaries this large are intended)"
        )

    def file(self, path: Path, src: str) -> dict[str, Any]:
        """One regular file: ``{"type": "file", "blob", "size", "mode"}``."""
        self._check_inside(path, src)
        data, st, digest = self._read(path, src)
        self.blobs[digest] = data
        return {"type": "file", "blob": digest, "size": st.st_size, "mode": _mode(st)}

    def tree(self, path: Path, src: str) -> list[dict[str, Any]]:
        """A folder's contents, sorted, links followed: ``[{"path", "type", ...}]``."""
        entries: list[dict[str, Any]] = []
        # Real path of each folder walked: a link back to the folder or one above it would
        # be followed until the path grows too long, so it is refused.
        real_dirs = {path: os.path.realpath(path)}
        for folder, dirs, files in os.walk(path, followlinks=True):
            dirs.sort()
            base = Path(folder)
            rel_base = base.relative_to(path)
            for name in dirs:
                self._check_inside(base / name, src)
                real_dirs[base / name] = os.path.realpath(base / name)
                _refuse_loop(base / name, path, real_dirs, src)
                try:
                    mode = _mode((base / name).stat())
                except OSError as exc:
                    raise ArgumentError(f"cannot read {src!r} ({base / name}): {exc}") from None
                entries.append(
                    {"path": (rel_base / name).as_posix(), "type": "directory", "mode": mode}
                )
            for name in sorted(files):
                entry = self.file(base / name, src)
                entries.append({"path": (rel_base / name).as_posix(), **entry})
        real = Path(os.path.realpath(path))
        try:  # after the walk: it reads every file again, and only regular files are left
            self.inputs[str(real)] = input_digest(real)
        except OSError as exc:
            raise ArgumentError(f"cannot read {src!r} ({path}): {exc}") from None
        return entries

    def static_file(self, src: str, checksum: str, size: int) -> str:
        """A ``static_files`` entry: embedded, and checked when it carries a real checksum."""
        path = self.locate(src, "files", "static file")
        if not path.is_file():
            raise ArgumentError(f"static file {src!r} ({path}) is not a regular file")
        entry = self.file(path, src)
        wanted = checksum.lower().removeprefix("sha256:")
        if len(wanted) == 64 and all(c in "0123456789abcdef" for c in wanted):
            if wanted != entry["blob"]:
                raise ArgumentError(
                    f"static file {src!r} has SHA-256 {entry['blob']}, but the plan says {wanted}"
                )
            if size and size != entry["size"]:
                raise ArgumentError(
                    f"static file {src!r} is {entry['size']} bytes, but the plan says {size}"
                )
        return str(entry["blob"])

    def template(self, src: Any, overrides: dict[str, Any], path: Path | None = None) -> int:
        """Lower template file ``src`` (at ``path`` when the caller located it already);
        returns its index in the payload's template table."""
        path = path or self.locate(src, "templates")
        if not path.is_file():
            raise ArgumentError(f"template {src!r} ({path}) is not a regular file")
        data, _, digest = self._read(path, str(src))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            lineno = data[: exc.start].count(b"\n") + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise ArgumentError(
                f"template {src!r}: line {lineno}: byte {exc.start + 1} "
                f"(0x{data[exc.start]:02x}, column {column}) is not UTF-8 text; templates are "
                "UTF-8 text (ship binary files with copy)"
            ) from None
        text, header = _split_header(text, str(src))
        offset = 1 if header else 0  # line numbers name lines of the file, header included
        options = TemplateOptions(**{**TEMPLATE_DEFAULTS, **overrides, **header})
        key = (digest, options)
        if key in self._template_index:
            return self._template_index[key]
        try:
            ir = lower_template(text, options)
        except LoweringError as exc:
            line = f"line {exc.lineno + offset}: " if exc.lineno else ""
            raise ArgumentError(f"template {src!r}: {line}{exc.message}") from None
        if self._on_template is not None:
            self._on_template(ir)
        self.templates.append(ir)
        self._template_index[key] = len(self.templates) - 1
        return len(self.templates) - 1


def _refuse_loop(folder: Path, top: Path, real_dirs: dict[Path, str], src: str) -> None:
    """Refuse ``folder`` when it is a link to ``top`` or to a folder between them."""
    ancestor = folder.parent
    while True:
        if real_dirs[ancestor] == real_dirs[folder]:
            target = "the folder itself" if ancestor == top else "a folder above it"
            rel = folder.relative_to(top).as_posix()
            raise ArgumentError(f"src {src!r}: {rel} links back to {target} (a loop)")
        if ancestor == top:
            return
        ancestor = ancestor.parent


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _split_header(text: str, src: str) -> tuple[str, dict[str, bool]]:
    """Ansible's ``#jinja2:`` first line: lexer settings for this one template."""
    if not text.startswith(_HEADER):
        return text, {}
    first, _, rest = text.partition("\n")
    settings: dict[str, bool] = {}
    for item in first[len(_HEADER) :].split(","):
        key, sep, raw = item.partition(":")
        key = key.strip()
        if not sep or key not in TEMPLATE_DEFAULTS:
            raise ArgumentError(
                f"template {src!r}: the #jinja2: header setting {item.strip()!r} is not supported "
                f"(supported: {', '.join(TEMPLATE_DEFAULTS)})"
            )
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, bool):
            raise ArgumentError(f"template {src!r}: #jinja2: {key} must be True or False")
        settings[key] = value
    return rest, settings
