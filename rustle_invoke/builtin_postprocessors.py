"""The built-in post-processors ``upx`` and ``codesign``, registered as a plugin."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from . import memo, process
from .errors import ConfigError, PostProcessingFailed, ToolchainMissing
from .hookspecs import hookimpl
from .postprocess import Artifact, PostProcessorRegistry
from .targets import is_apple

TOOL_TIMEOUT = 600


@cache
def _tool_version(tool: str) -> str:
    """The first line ``tool --version`` prints (empty when it cannot run), asked once per
    installed tool (remembered by its file's stat, :mod:`rustle_invoke.memo`)."""
    found = process.which(tool)
    if found is None:
        return ""

    def ask() -> str:
        result = process.run([str(found), "--version"], timeout=60, supervised=False)
        lines = (result.stdout or result.stderr).strip().splitlines()
        if not (result.ok and lines):
            raise ToolchainMissing(f"{tool} --version failed")  # not remembered
        return lines[0].strip()

    key = memo.fingerprint([str(found.resolve()), memo.stat_text(found.resolve())])
    try:
        return memo.remembered("tool-version", key, ask)
    except ToolchainMissing:
        return ""


def _require(tool: str, why: str, hint: str) -> Path:
    found = process.which(tool)
    if found is None:
        raise ToolchainMissing(f"{tool} is not installed or not on PATH ({why})", hint=hint)
    return found


def _run_tool(step: str, argv: list[str], artifact: Artifact) -> None:
    result = process.run(argv, timeout=TOOL_TIMEOUT)
    if not result.ok:
        why = "timed out" if result.timed_out else f"exit {result.returncode}"
        raise PostProcessingFailed(
            f"post-processor {step!r} failed on {artifact.path.name} ({why}): "
            f"{result.stderr_tail(10) or result.stdout.strip()[-2000:]}"
        )


def upx_level(profile: str) -> list[str]:
    """min-size binaries get LZMA (about 20% smaller than UPX's default, measured: 577 KB
    against 709 KB; about 0.1 s to unpack at each start, against 0.02 s); other profiles
    keep the default, which starts faster."""
    return ["--lzma"] if profile == "min-size" else []


class UpxPostProcessor:
    """Packs the binary with UPX: smaller uploads, a slightly slower start. LZMA for
    min-size (:func:`upx_level`), UPX's default method otherwise (``--best`` takes minutes
    on a debug build for a few percent more)."""

    name = "upx"
    tool = "upx"
    install_hint = "install UPX (Debian: upx-ucl, Homebrew: upx) and put `upx` on PATH"

    @property
    def version(self) -> str:
        return _tool_version(self.tool) or "unknown"

    def check(self, target: str) -> None:
        if is_apple(target):
            raise ConfigError(
                f"upx cannot pack {target} binaries: UPX-packed executables are killed at "
                "launch on macOS 13 and later",
                hint="drop upx from --post for Apple targets",
            )
        _require(self.tool, "the upx post-processor needs it", self.install_hint)

    def process(self, artifact: Artifact) -> None:
        tool = _require(self.tool, "the upx post-processor needs it", self.install_hint)
        _run_tool(
            self.name, [str(tool), "-q", *upx_level(artifact.profile), str(artifact.path)], artifact
        )


class CodesignPostProcessor:
    """An ad-hoc signature for Apple targets: Apple's ``codesign`` on macOS, ``rcodesign``
    elsewhere. It signs, so it runs after every other step."""

    name = "codesign"
    signing = True

    @property
    def tool(self) -> str:
        return "codesign" if sys.platform == "darwin" else "rcodesign"

    @property
    def version(self) -> str:
        # Apple's codesign has no --version; the OS release identifies it well enough.
        if self.tool == "codesign":
            import platform

            return f"codesign macOS {platform.mac_ver()[0]}"
        return _tool_version(self.tool) or "unknown"

    def _install_hint(self) -> str:
        if self.tool == "codesign":
            return "install the Xcode command line tools: xcode-select --install"
        return "install rcodesign (the apple-codesign project) and put it on PATH"

    def check(self, target: str) -> None:
        if not is_apple(target):
            raise ConfigError(
                f"codesign signs Apple binaries only, and {target} is not an Apple target",
                hint="drop codesign from --post for this target",
            )
        _require(self.tool, "the codesign post-processor needs it", self._install_hint())

    def command(self, path: Path) -> list[str]:
        why = "the codesign post-processor needs it"
        tool = str(_require(self.tool, why, self._install_hint()))
        if self.tool == "codesign":
            return [tool, "--force", "--sign", "-", str(path)]
        return [tool, "sign", str(path)]

    def process(self, artifact: Artifact) -> None:
        _run_tool(self.name, self.command(artifact.path), artifact)


@hookimpl(trylast=True)
def rustle_register_postprocessors(registry: PostProcessorRegistry) -> None:
    """Register ``upx`` and ``codesign``."""
    registry.add(UpxPostProcessor())
    registry.add(CodesignPostProcessor())
