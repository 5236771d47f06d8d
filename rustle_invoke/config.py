"""Settings: frozen dataclasses and how flags, environment and Invoke config combine.

Precedence, highest first: command-line flag > ``RUSTLE_*`` environment
variable > Invoke config under the ``rustle`` key > built-in default.
"""

from __future__ import annotations

import enum
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_TIMEOUT = 300.0
DEFAULT_SIZE_LIMIT = 50 * 1024 * 1024


class OptimizationLevel(enum.Enum):
    """Build profiles; the value is the name users type (``--profile``)."""

    DEBUG = "debug"
    RELEASE = "release"
    RELEASE_WITH_DEBUG_INFO = "release-debuginfo"
    MINIMAL_SIZE = "min-size"

    @property
    def cargo_profile(self) -> str:
        """The name cargo knows the profile by (``--profile``)."""
        return "dev" if self is OptimizationLevel.DEBUG else self.value

    @property
    def output_dir(self) -> str:
        """The folder under ``target/<triple>/`` where cargo puts its outputs."""
        return self.value

    @classmethod
    def parse(cls, text: str | OptimizationLevel) -> OptimizationLevel:
        if isinstance(text, OptimizationLevel):
            return text
        for level in cls:
            if text in (level.value, level.name.lower(), level.cargo_profile):
                return level
        names = ", ".join(level.value for level in cls)
        raise ConfigError(f"unknown profile {text!r}", hint=f"choose one of: {names}")


@dataclass(frozen=True)
class TargetSpecification:
    """What to build: the triple and the flags that change the binary's bytes."""

    target_triple: str
    optimization_level: OptimizationLevel = OptimizationLevel.RELEASE
    strip_debug: bool = False
    enable_lto: bool = False
    target_cpu: str | None = None
    features: tuple[str, ...] = ()

    def key_parts(self) -> dict[str, Any]:
        return {
            "target": self.target_triple,
            "profile": self.optimization_level.value,
            "strip_debug": self.strip_debug,
            "lto": self.enable_lto,
            "target_cpu": self.target_cpu,
            "features": sorted(self.features),
        }


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("rustle-invoke", appauthor=False))


def _default_temp_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"rustle-invoke-{os.getuid()}"


_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str | int) -> int:
    """``"50M"`` → bytes; plain numbers are bytes; K/M/G/T are powers of 1024."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", str(text).upper())
    if not match:
        raise ConfigError(f"cannot read size {text!r}", hint="write it like 500K, 50M or 2G")
    number, unit = match.groups()
    return int(float(number) * _SIZE_UNITS[unit])


def format_size(size: float) -> str:
    """Bytes as people read them: ``"512 B"``, ``"2.9 MiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def _parse_bool(name: str, text: Any) -> bool:
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be a boolean, got {text!r}")


def _parse_seconds(name: str, text: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, got {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {text!r}")
    return value


@dataclass(frozen=True)
class CompilerConfig:
    """Everything the pipeline needs to know about where and how to build."""

    temp_dir: Path = field(default_factory=_default_temp_dir)
    cache_dir: Path = field(default_factory=default_cache_dir)
    compilation_timeout: float = DEFAULT_TIMEOUT
    max_parallel_compilations: int = field(default_factory=lambda: os.cpu_count() or 1)
    enable_cache: bool = True
    default_optimization: OptimizationLevel = OptimizationLevel.RELEASE
    zigbuild_fallback: bool = True
    binary_size_limit: int = DEFAULT_SIZE_LIMIT
    zigbuild_path: Path | None = None
    post_processors: tuple[str, ...] = ()
    # Free bytes a build needs in its target dir; None: estimated per profile, 0: no check.
    min_free_space: int | None = None
    # The sccache executable every rustc runs through; None: off. Not in any cache key:
    # it changes where compiles come from, not what they produce.
    sccache: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CompilerConfig:
        """Defaults with the ``RUSTLE_*`` environment variables applied."""
        return cls.resolve(env=env)

    @classmethod
    def resolve(
        cls,
        invoke_config: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        **flags: Any,
    ) -> CompilerConfig:
        """Combine, by precedence: ``flags`` (None = not given) > env > Invoke config > defaults."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        cfg = dict(invoke_config or {})
        layers: list[dict[str, Any]] = [
            {
                "cache_dir": cfg.get("cache_dir"),
                "temp_dir": cfg.get("temp_dir"),
                "compilation_timeout": cfg.get("compile_timeout"),
                "enable_cache": cfg.get("cache"),
                "binary_size_limit": cfg.get("binary_size_limit"),
                "default_optimization": cfg.get("profile"),
                "zigbuild_path": cfg.get("zigbuild_path"),
                "zigbuild_fallback": cfg.get("zigbuild_fallback"),
                "post_processors": cfg.get("post_processors"),
                "max_parallel_compilations": cfg.get("max_parallel_compilations"),
                "min_free_space": cfg.get("min_free_space"),
                "sccache": cfg.get("sccache"),
            },
            {
                "cache_dir": env.get("RUSTLE_CACHE_DIR"),
                "temp_dir": env.get("RUSTLE_COMPILE_TEMP_DIR"),
                "compilation_timeout": env.get("RUSTLE_COMPILE_TIMEOUT"),
                "enable_cache": env.get("RUSTLE_COMPILE_CACHE"),
                "binary_size_limit": env.get("RUSTLE_BINARY_SIZE_LIMIT"),
                "zigbuild_path": env.get("RUSTLE_ZIGBUILD_PATH"),
                "zigbuild_fallback": env.get("RUSTLE_ZIGBUILD_FALLBACK"),
                "min_free_space": env.get("RUSTLE_MIN_FREE_SPACE"),
                "sccache": env.get("RUSTLE_SCCACHE"),
            },
            flags,
        ]
        for layer in layers:
            values.update({k: v for k, v in layer.items() if v is not None and v != ""})
        # Given values go to the constructor: a default (the platform's cache dir, which
        # imports platformdirs) is computed only when nothing overrides it.
        return cls(**_converted(values))


def _converted(values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as users write them, converted to CompilerConfig's field types."""
    converters = {
        "cache_dir": lambda v: Path(v).expanduser(),
        "temp_dir": lambda v: Path(v).expanduser(),
        "zigbuild_path": lambda v: Path(v).expanduser(),
        "zigbuild_fallback": lambda v: _parse_bool("the zigbuild fallback switch", v),
        "compilation_timeout": lambda v: _parse_seconds("the compile timeout", v),
        "enable_cache": lambda v: _parse_bool("the cache switch", v),
        "binary_size_limit": parse_size,
        "default_optimization": OptimizationLevel.parse,
        "post_processors": _parse_names,
        "max_parallel_compilations": lambda v: max(1, int(v)),
        "min_free_space": parse_size,
        "sccache": _locate_sccache,
    }
    unknown = set(values) - set(converters)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return {k: converters[k](v) for k, v in values.items()}


def _locate_sccache(value: Any) -> Path | None:
    from .sccache import locate

    return locate(value)


def _parse_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())
