"""Post-processors: steps that edit a freshly built binary before it is cached.

Plugins add them through ``rustle_register_postprocessors(registry)``. The user
enables them by name (``--post a,b`` or the ``rustle.post_processors`` config);
they run in that order, except that signing steps always run last, because any
edit after a signature breaks it. The chain (names and versions) is part of the
cache key, so changing it never serves a binary processed differently.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from .errors import ConfigError, PostProcessingFailed


@dataclass(frozen=True)
class Artifact:
    """The binary a post-processor edits in place at ``path``; ``target`` is its triple."""

    path: Path
    target: str
    profile: str
    builder: str


@runtime_checkable
class PostProcessor(Protocol):
    """What a post-processor plugin provides.

    Optional members: ``signing = True`` for steps that sign (they run after every
    other step), and ``check(target)``, which raises a
    :class:`~rustle_invoke.errors.RustleError` before anything is built when the
    step cannot work for ``target`` or its tool is missing.
    """

    @property
    def name(self) -> str:
        """The name ``--post`` uses."""

    @property
    def version(self) -> str:
        """Changes whenever the step's output may change (the tool's version, say)."""

    def process(self, artifact: Artifact) -> None:
        """Edit ``artifact.path`` in place, or raise a ``RustleError`` saying why not."""


def is_signing(step: PostProcessor) -> bool:
    return bool(getattr(step, "signing", False))


class PostProcessorRegistry:
    """The ``registry`` argument of ``rustle_register_postprocessors``."""

    def __init__(self) -> None:
        self._steps: dict[str, PostProcessor] = {}

    def add(self, step: PostProcessor) -> None:
        if not isinstance(step, PostProcessor):
            raise TypeError(
                f"{step!r} is not a post-processor: it needs name, version and process(artifact)"
            )
        # Plugins run before the built-ins (trylast), so the first one of a name wins.
        self._steps.setdefault(step.name, step)

    def names(self) -> list[str]:
        return sorted(self._steps)

    def __iter__(self) -> Iterator[PostProcessor]:
        return iter(self._steps.values())

    def chain(self, names: Iterable[str]) -> tuple[PostProcessor, ...]:
        """The steps for ``names`` in the order they run: as given, signing ones last."""
        steps: list[PostProcessor] = []
        for name in names:
            if name not in self._steps:
                close = difflib.get_close_matches(name, self._steps, n=1)
                known = ", ".join(self.names()) or "none"
                raise ConfigError(
                    f"unknown post-processor {name!r} (installed: {known})",
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
            step = self._steps[name]
            if step in steps:
                raise ConfigError(f"post-processor {name!r} is listed twice")
            steps.append(step)
        return tuple(sorted(steps, key=is_signing))


def check_chain(chain: Iterable[PostProcessor], target: str) -> None:
    """Let each step refuse ``target`` (or a missing tool) before the build starts."""
    for step in chain:
        check = getattr(step, "check", None)
        if check is not None:
            check(target)


def run_chain(chain: Iterable[PostProcessor], artifact: Artifact) -> None:
    """Run the steps in order on ``artifact``; the file must still exist after each."""
    for step in chain:
        step.process(artifact)
        if not artifact.path.is_file():
            raise PostProcessingFailed(
                f"post-processor {step.name!r} left no binary at {artifact.path}"
            )
