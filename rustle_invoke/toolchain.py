"""The Rust toolchain: what ``rustc -vV`` says, and which targets it can build."""

from __future__ import annotations

import difflib
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import memo, process
from .errors import ToolchainMissing, UnsupportedTarget
from .hashing import sha256_hex
from .memo import stat_text
from .targets import UNIVERSAL2, check_glibc_suffix, std_triples

INSTALL_HINT = "install Rust with rustup (https://rustup.rs) and make sure cargo is on PATH"


@dataclass(frozen=True)
class Toolchain:
    """The identity of the compiler: its ``rustc -vV`` text and what it implies."""

    rustc: str
    cargo: str
    version_text: str
    host: str
    release: str

    @property
    def id(self) -> str:
        """A short hash that changes whenever the compiler does."""
        return sha256_hex(self.version_text.encode())[:16]


def _tool(name: str) -> str:
    return os.environ.get(name.upper(), name)


_detect_lock = threading.Lock()


def detect_toolchain() -> Toolchain:
    """Run ``rustc -vV`` once per process (callers in other threads wait for it)."""
    with _detect_lock:
        return _detect_toolchain()


def prefetch_toolchain() -> None:
    """Start ``rustc -vV`` in the background; :func:`detect_toolchain` picks up its result."""

    def work() -> None:
        try:
            detect_toolchain()
        except Exception:  # failures are not cached: the caller that needs it reports them
            return

    threading.Thread(target=work, name="rustc -vV", daemon=True).start()


def _toolchain_files(folder: Path) -> list[Path]:
    """rustup's per-folder overrides: ``rust-toolchain(.toml)`` here and in every parent."""
    return [
        candidate
        for parent in (folder, *folder.parents)
        for candidate in (parent / "rust-toolchain", parent / "rust-toolchain.toml")
        if candidate.is_file()
    ]


@cache
def fingerprint(rustc: str) -> str | None:
    """Cheap facts (a few ``stat`` calls) that change whenever ``rustc``'s answers can: the
    compiler's file and, behind a rustup proxy, everything rustup picks a toolchain by
    (RUSTUP_TOOLCHAIN, settings.toml with its folder overrides, rust-toolchain files, each
    installed toolchain's rustc). None when rustc cannot be found."""
    found = process.which(rustc)
    if found is None:
        return None
    real = Path(os.path.realpath(found))
    facts = [str(real), stat_text(real)]
    if real.name.startswith("rustup"):
        home = Path(os.environ.get("RUSTUP_HOME") or Path.home() / ".rustup")
        toolchains = home / "toolchains"
        installed = sorted(toolchains.iterdir()) if toolchains.is_dir() else []
        facts += [os.environ.get("RUSTUP_TOOLCHAIN", ""), str(home)]
        facts += [stat_text(home / "settings.toml")]
        facts += [f"{t.name}={stat_text(t / 'bin' / 'rustc')}" for t in installed]
        facts += [f"{f}={stat_text(f)}" for f in _toolchain_files(Path.cwd())]
    return memo.fingerprint(facts)


def rustc_output(rustc: str, *args: str) -> str:
    """What ``rustc ARGS`` prints, run once per toolchain (see :mod:`rustle_invoke.memo`)."""

    def run() -> str:
        try:
            result = process.run([rustc, *args], timeout=60, supervised=False)
        except ToolchainMissing:
            raise ToolchainMissing(
                "rustc is not installed or not on PATH", hint=INSTALL_HINT
            ) from None
        if not result.ok:
            raise ToolchainMissing(
                f"`{rustc} {' '.join(args)}` failed: {result.stderr_tail(5)}", hint=INSTALL_HINT
            )
        return result.stdout

    key = fingerprint(rustc)
    return memo.remembered("rustc", key and memo.fingerprint([key, *args]), run)


@cache
def _detect_toolchain() -> Toolchain:
    rustc = _tool("rustc")
    version_text = rustc_output(rustc, "-vV")
    fields = dict(line.split(": ", 1) for line in version_text.splitlines() if ": " in line)
    return Toolchain(
        rustc=rustc,
        cargo=_tool("cargo"),
        version_text=version_text.strip(),
        host=fields.get("host", ""),
        release=fields.get("release", ""),
    )


@cache
def _print(what: str) -> str:
    return rustc_output(detect_toolchain().rustc, "--print", what)


def check_target(triple: str) -> None:
    """Refuse a triple rustc does not know, or whose standard library is not installed.

    A glibc suffix (``x86_64-unknown-linux-gnu.2.17``) is cargo-zigbuild's, so rustc is
    asked about the triple without it; ``universal2-apple-darwin`` needs both macOS
    standard libraries.
    """
    known = _print("target-list").split()
    for part in std_triples(triple):
        if part not in known:
            close = difflib.get_close_matches(part, known, n=1)
            raise UnsupportedTarget(
                f"unknown target {triple!r}",
                hint=f"did you mean {close[0]!r}?" if close else "see `rustc --print target-list`",
            )
    check_glibc_suffix(triple)
    sysroot = Path(_print("sysroot").strip())
    missing = [
        part
        for part in std_triples(triple)
        if not (sysroot / "lib" / "rustlib" / part / "lib").is_dir()
    ]
    if missing:
        libraries = "library" if len(missing) == 1 else "libraries"
        raise UnsupportedTarget(
            f"the Rust standard {libraries} for {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed"
            + (f" ({triple} needs both)" if triple == UNIVERSAL2 else ""),
            hint=f"rustup target add {' '.join(missing)}",
        )
