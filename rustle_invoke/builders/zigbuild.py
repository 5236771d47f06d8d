"""The ``zigbuild`` builder: cargo-zigbuild (zig as the C compiler and linker), a built-in plugin.

It builds what cargo alone cannot: a ``-linux-gnu`` triple with a glibc version
(``x86_64-unknown-linux-gnu.2.17``), ``universal2-apple-darwin``, and other systems and
architectures without a C cross toolchain (their Rust standard library is still needed).

Where the tools come from:

- cargo-zigbuild: ``RUSTLE_ZIGBUILD_PATH`` (or ``rustle.zigbuild_path``) when set, else
  ``cargo-zigbuild`` on PATH, else beside the Python interpreter running rustle-invoke
  (where ``pip install 'rustle-invoke[zig]'`` puts it even when that folder is not on PATH).
- zig: ``python -m ziglang`` of ``CARGO_ZIGBUILD_PYTHON_PATH`` when set, else of this
  interpreter, of the Python beside cargo-zigbuild or of ``python3`` on PATH; else ``zig``
  (``CARGO_ZIGBUILD_ZIG_PATH`` or PATH). The one found is handed to cargo-zigbuild, so the
  zig that builds is the zig whose version is in the cache key.

Zig's caches are not safe to share between builds running at once, so every shared target
dir gets its own (kept, so later builds reuse them), and the pipeline holds the target dir's
lock for the whole build. The rest of the environment is inherited unchanged (the macOS
SDK variables ``SDKROOT``, ``MACOSX_DEPLOYMENT_TARGET`` and ``DEVELOPER_DIR`` included).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from rustle_invoke import process
from rustle_invoke.builders import BuilderRegistry, BuildOutput, BuildRequest
from rustle_invoke.builders.cargo import (
    CargoBuilder,
    cargo_build_args,
    cargo_env,
    cargo_version,
    run_cargo,
)
from rustle_invoke.errors import BinaryNotFound, ConfigError, ToolchainMissing
from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.targets import UNIVERSAL2, needs_zig_only, wants_zig
from rustle_invoke.toolchain import detect_toolchain

INSTALL_HINT = (
    "pip install 'rustle-invoke[zig]' (cargo-zigbuild and a tested zig), "
    "or point RUSTLE_ZIGBUILD_PATH at cargo-zigbuild"
)
_VERSION = re.compile(r"^\d+\.\d+")
_RUSTC_ERROR = re.compile(r"^error\[E\d{4}\]", re.MULTILINE)


@dataclass(frozen=True)
class ZigTools:
    """The cargo-zigbuild and zig a build uses."""

    cargo_zigbuild: Path
    zig: tuple[str, ...]  # the argv prefix that runs zig
    zig_version: str
    # What tells cargo-zigbuild to use exactly that zig.
    env: tuple[tuple[str, str], ...]


def _configured(env: Mapping[str, str], settings: object | None) -> Path | None:
    path = getattr(settings, "zigbuild_path", None)
    if path is None and env.get("RUSTLE_ZIGBUILD_PATH"):
        path = Path(env["RUSTLE_ZIGBUILD_PATH"]).expanduser()
    return path


def _locate_cargo_zigbuild(env: Mapping[str, str], configured: Path | None) -> Path:
    if configured is not None:
        return process.configured_executable(
            configured,
            "cargo-zigbuild",
            hint="point RUSTLE_ZIGBUILD_PATH (or rustle.zigbuild_path) at the "
            "cargo-zigbuild executable, or unset it to search PATH",
        )
    found = process.which_installed("cargo-zigbuild", env)
    if found is not None:
        return found
    raise ToolchainMissing(
        f"cargo-zigbuild is not installed (not on PATH, nor in {Path(sys.executable).parent})",
        hint=INSTALL_HINT,
    )


@cache
def _zig_version(argv: tuple[str, ...]) -> str | None:
    """``zig version`` through ``argv``, or None when that is not a working zig."""
    try:
        result = process.run([*argv, "version"], timeout=60, supervised=False)
    except ToolchainMissing:
        return None
    text = result.stdout.strip()
    return text if result.ok and _VERSION.match(text) else None


def _python_candidates(env: Mapping[str, str], cargo_zigbuild: Path) -> list[str]:
    explicit = env.get("CARGO_ZIGBUILD_PYTHON_PATH")
    if explicit:
        return [explicit]
    candidates = []
    if importlib.util.find_spec("ziglang") is not None:
        candidates.append(sys.executable)
    for name in ("python3", "python"):
        sibling = cargo_zigbuild.parent / name
        if sibling.is_file():
            candidates.append(str(sibling))
            break
    on_path = process.which("python3", env)
    if on_path is not None:
        candidates.append(str(on_path))
    return list(dict.fromkeys(candidates))


def _locate_zig(
    env: Mapping[str, str], cargo_zigbuild: Path
) -> tuple[tuple[str, ...], str, tuple[tuple[str, str], ...]]:
    for python in _python_candidates(env, cargo_zigbuild):
        version = _zig_version((python, "-m", "ziglang"))
        if version:
            return (python, "-m", "ziglang"), version, (("CARGO_ZIGBUILD_PYTHON_PATH", python),)
    zig = env.get("CARGO_ZIGBUILD_ZIG_PATH") or "zig"
    found = process.which(zig, env)
    version = _zig_version((str(found),)) if found else None
    if found is not None and version:
        return (str(found),), version, (("CARGO_ZIGBUILD_ZIG_PATH", str(found)),)
    raise ToolchainMissing(
        f"cargo-zigbuild ({cargo_zigbuild}) is installed but zig is not "
        "(no Python with the ziglang package, no zig on PATH)",
        hint=INSTALL_HINT,
    )


@cache
def _find_tools(
    configured: Path | None, path: str | None, python: str | None, zig: str | None
) -> ZigTools:
    env = {
        k: v
        for k, v in (
            ("PATH", path),
            ("CARGO_ZIGBUILD_PYTHON_PATH", python),
            ("CARGO_ZIGBUILD_ZIG_PATH", zig),
        )
        if v is not None
    }
    cargo_zigbuild = _locate_cargo_zigbuild(env, configured)
    zig_argv, zig_version, zig_env = _locate_zig(env, cargo_zigbuild)
    return ZigTools(cargo_zigbuild, zig_argv, zig_version, zig_env)


def find_tools(env: Mapping[str, str] | None = None, settings: object | None = None) -> ZigTools:
    """cargo-zigbuild and zig as a build with ``env`` and ``settings`` would use them;
    raises :class:`ToolchainMissing` (or :class:`ConfigError` for a bad configured path)."""
    env = env or os.environ
    return _find_tools(
        _configured(env, settings),
        env.get("PATH"),
        env.get("CARGO_ZIGBUILD_PYTHON_PATH"),
        env.get("CARGO_ZIGBUILD_ZIG_PATH"),
    )


@cache
def _cargo_zigbuild_version(path: Path) -> str:
    result = process.run([path, "--version"], timeout=60, supervised=False)
    if not result.ok:
        raise ToolchainMissing(
            f"`{path} --version` failed: {result.stderr_tail(3) or result.stdout.strip()}",
            hint=INSTALL_HINT,
        )
    return result.stdout.strip()


def zig_cache_env(target_dir: Path) -> dict[str, str]:
    """Zig's and cargo-zigbuild's caches, private to one shared target dir."""
    zig_cache = target_dir / "zig-cache"
    wrappers = target_dir / "cargo-zigbuild"
    zig_cache.mkdir(parents=True, exist_ok=True)
    wrappers.mkdir(parents=True, exist_ok=True)
    return {
        "ZIG_GLOBAL_CACHE_DIR": str(zig_cache),
        "ZIG_LOCAL_CACHE_DIR": str(zig_cache),
        "CARGO_ZIGBUILD_CACHE_DIR": str(wrappers),
    }


def _first_error_line(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith(("Compiling ", "Finished ", "Blocking ")):
            return line[:200]
    return "no message"


class ZigbuildBuilder:
    name = "zigbuild"

    def available(self, env: Mapping[str, str]) -> bool:
        try:
            find_tools(env)
        except (ToolchainMissing, ConfigError):
            return False
        return True

    def version(self, env: Mapping[str, str]) -> str:
        tools = find_tools(env)
        return (
            f"{_cargo_zigbuild_version(tools.cargo_zigbuild)}; zig {tools.zig_version}; "
            f"{cargo_version('cargo')}"
        )

    def command(self, request: BuildRequest) -> list[str]:
        tools = find_tools(request.env, request.settings)
        # The triple goes as given: cargo-zigbuild strips a glibc suffix for cargo itself.
        triple = request.target.target_triple
        return [str(tools.cargo_zigbuild), "zigbuild", *cargo_build_args(request, triple)]

    def build(self, request: BuildRequest) -> BuildOutput:
        tools = find_tools(request.env, request.settings)
        argv = self.command(request)
        env = cargo_env(request)
        env.update(tools.env)
        env.update(zig_cache_env(request.target_dir))
        started = time.monotonic()
        run = run_cargo(argv, request, env, tool="cargo-zigbuild", install_hint=INSTALL_HINT)
        if run.ok:
            return BuildOutput(
                executable=self._executable(request, run.executable),
                duration=time.monotonic() - started,
                command=tuple(argv),
            )
        if not self._may_fall_back(request, run.result.stderr):
            raise run.failure()
        if request.on_warning is not None:
            request.on_warning(
                f"cargo-zigbuild failed for the host target {request.target.target_triple} "
                f"({_first_error_line(run.result.stderr)}); building with cargo instead "
                "(RUSTLE_ZIGBUILD_FALLBACK=0 turns this off)"
            )
        output = CargoBuilder().build(request)
        return replace(output, duration=time.monotonic() - started, builder="cargo")

    @staticmethod
    def _executable(request: BuildRequest, reported: Callable[[str], Path]) -> Path:
        if request.target.target_triple != UNIVERSAL2:
            return reported(request.binary_name)
        # cargo-zigbuild merges the two builds itself; no message names the result.
        profile_dir = request.target.optimization_level.output_dir
        path = request.target_dir / UNIVERSAL2 / profile_dir / request.binary_name
        if not path.is_file():
            raise BinaryNotFound(f"cargo-zigbuild left no universal2 binary at {path}")
        return path

    @staticmethod
    def _may_fall_back(request: BuildRequest, stderr: str) -> bool:
        """Only the host triple as such (no glibc suffix: that asks for zig's linking) may
        be built by cargo instead, only when the settings allow it, and not when rustc
        rejected the code (``error[E...]``): cargo would fail the same way."""
        if request.settings is not None and not request.settings.zigbuild_fallback:
            return False
        if _RUSTC_ERROR.search(stderr):
            return False
        return request.target.target_triple == detect_toolchain().host


@hookimpl(trylast=True)
def rustle_register_builders(registry: BuilderRegistry) -> None:
    """Register the ``zigbuild`` builder."""
    registry.add(ZigbuildBuilder())


@hookimpl
def rustle_select_builder(target, settings) -> str | None:
    """``--builder auto``: zigbuild for a glibc suffix, universal2, or another system or
    architecture than this machine's, when cargo-zigbuild and zig are installed."""
    triple = target.target_triple
    if not wants_zig(triple, detect_toolchain().host):
        return None
    try:
        find_tools(os.environ, settings)
    except ToolchainMissing as exc:
        if needs_zig_only(triple):
            raise ToolchainMissing(
                f"{triple} can only be built with cargo-zigbuild: {exc.message}",
                hint=INSTALL_HINT,
            ) from None
        return None  # cargo tries; a missing standard library is reported first anyway
    return "zigbuild"
