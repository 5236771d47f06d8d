"""Errors that carry their own exit code and a hint for the user.

Every failure the command line can report is one of these; the CLI prints
``error: <message>`` and, when there is one, ``hint: <hint>``, then exits with
``exit_code``. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class RustleError(Exception):
    """Base of every error rustle-invoke reports to its users."""

    exit_code = 1
    default_hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message


# --- input ---------------------------------------------------------------


class PlanError(RustleError):
    """The plan file cannot be read, parsed or validated."""

    exit_code = 3


class UnsupportedModule(PlanError):
    """A task uses a module that the runtime does not provide."""


class UnsupportedConstruct(PlanError):
    """A plan uses a construct that cannot be compiled into the binary."""


class ConfigError(RustleError):
    """A setting (flag, environment variable or Invoke config) is invalid."""

    exit_code = 2


# --- compilation (the spec's CompilationError cases) ----------------------


class CompilationError(RustleError):
    """Building the binary failed."""

    exit_code = 4


class ToolchainMissing(CompilationError):
    """cargo, rustc or another build tool is not installed."""


class UnsupportedTarget(CompilationError):
    """The target triple is unknown or cannot be built here."""


class CargoCompilationFailed(CompilationError):
    """cargo exited non-zero; the message carries rustc's rendered output."""


class BinaryNotFound(CompilationError):
    """cargo succeeded but reported no executable artifact."""


class CompilationTimeout(CompilationError):
    """The build ran past its timeout and its whole process group was killed."""

    exit_code = 5


class BinaryTooLarge(CompilationError):
    """The built binary exceeds the configured size limit."""


class InsufficientDiskSpace(CompilationError):
    """A filesystem the build writes to has less free space than the build needs."""

    default_hint = (
        "free some space (`rustle-invoke clean --all`, `cache --prune`), or point "
        "RUSTLE_CACHE_DIR / RUSTLE_COMPILE_TEMP_DIR at a larger disk"
    )

    def __init__(self, message: str, *, required: int, available: int) -> None:
        super().__init__(message)
        self.required = required
        self.available = available


class PostProcessingFailed(CompilationError):
    """A post-processor (strip, upx, codesign, ...) could not process the binary."""


# --- projects and cache (the spec's ProjectError cases) -------------------


class ProjectError(RustleError):
    """A temporary project or the runtime sources could not be prepared."""

    exit_code = 6


class ProjectCreationFailed(ProjectError):
    """Writing the rendered project to disk failed."""


class TemplateError(ProjectError):
    """A project template failed to render."""


class CacheError(RustleError):
    """The binary cache could not be read or written."""

    exit_code = 7


class CacheCorruption(CacheError):
    """A cache entry's size or checksum does not match its metadata."""


class LockTimeout(RustleError):
    """Another process held a lock for longer than we were willing to wait."""

    exit_code = 8


# --- running ----------------------------------------------------------------


class RunFailed(RustleError):
    """The compiled binary reported failed tasks (exit code 2, as the binary's)."""

    exit_code = 2
