"""Builders turn a rendered project into an executable; registered through plugins."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rustle_invoke.config import CompilerConfig, TargetSpecification
from rustle_invoke.errors import ConfigError


@dataclass(frozen=True)
class BuildRequest:
    """Everything a builder needs for one build."""

    manifest_path: Path
    binary_name: str
    target: TargetSpecification
    target_dir: Path
    env: Mapping[str, str]
    timeout: float
    # Called with each crate's name as it finishes compiling.
    on_progress: Callable[[str], None] | None = None
    # The settings of this compile (tool paths, fallbacks); None outside the pipeline.
    settings: CompilerConfig | None = None
    # Called with a message the user should see (e.g. a fallback to another builder).
    on_warning: Callable[[str], None] | None = None


@dataclass(frozen=True)
class BuildOutput:
    """Where the builder left the executable, and how long it took."""

    executable: Path
    duration: float
    command: tuple[str, ...]
    # The builder that really produced the executable, when it handed the build on
    # (zigbuild falls back to cargo for the host); None means the one asked.
    builder: str | None = None


class Builder(Protocol):
    """What a builder plugin provides."""

    name: str

    def available(self, env: Mapping[str, str]) -> bool:
        """True when the tools this builder needs are installed."""

    def version(self, env: Mapping[str, str]) -> str:
        """A string that changes whenever the builder's output may change."""

    def command(self, request: BuildRequest) -> list[str]:
        """The exact command line :meth:`build` runs (shown by ``--dry-run``)."""

    def build(self, request: BuildRequest) -> BuildOutput:
        """Build, or raise a :class:`~rustle_invoke.errors.CompilationError`."""


class BuilderRegistry:
    """The ``registry`` argument of ``rustle_register_builders``."""

    def __init__(self) -> None:
        self._builders: dict[str, Builder] = {}

    def add(self, builder: Builder) -> None:
        # Plugins run before the built-ins (trylast), so the first one wins.
        self._builders.setdefault(builder.name, builder)

    def names(self) -> list[str]:
        return sorted(self._builders)

    def __iter__(self) -> Iterator[Builder]:
        return iter(self._builders.values())

    def get(self, name: str) -> Builder:
        try:
            return self._builders[name]
        except KeyError:
            raise ConfigError(
                f"unknown builder {name!r}", hint=f"choose one of: auto, {', '.join(self.names())}"
            ) from None
