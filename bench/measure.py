"""Timing helpers: fresh environments, timed processes, medians and spreads.

Each measurement is the wall time of one whole process, started through
:func:`rustle_invoke.process.run` without its supervisor (which is one more Python
start, about 20 ms, that a user's shell does not pay).
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustle_invoke import process
from rustle_invoke.errors import RustleError

# Variables that would let a "cold" compile reuse work done elsewhere, or disable the cache.
_DROPPED_VARIABLES = (
    "RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTLE_COMPILE_CACHE",
)


REPO = Path(__file__).resolve().parents[1]
# What a measurement's numbers depend on: the package and the runtime it builds.
_SOURCES = ("rustle_invoke", "templates")
_NOT_SOURCES = {"target", "__pycache__", "Cargo.lock"}


class BenchError(RustleError):
    """A measured command failed or gave an answer the benchmark cannot use."""

    exit_code = 1


def exit_code(run: Callable[[], int]) -> int:
    """``run()``'s exit code; a RustleError prints one line (and a hint) and gives its own
    code, an interrupt gives 130."""
    try:
        return run()
    except RustleError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def progress(section: str, text: str) -> None:
    """One progress line on stderr."""
    print(f"[{section}] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Stats:
    """Repeated measurements of one thing, in seconds (or any one unit)."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            raise BenchError("no measurements to summarize")
        return cls(tuple(values))

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def to_json(self) -> dict[str, Any]:
        return {
            "median": round(self.median, 6),
            "min": round(self.low, 6),
            "max": round(self.high, 6),
            "runs": len(self.values),
            "values": [round(v, 6) for v in self.values],
        }


def seconds(value: float) -> str:
    """``1.71 s`` or ``42 ms``."""
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def spread(stats: Stats) -> str:
    """Median with min – max: ``1.71 s (1.68 – 1.95 s)``; one run shows no range."""
    if len(stats.values) == 1:
        return f"{seconds(stats.median)} (one run)"
    return f"{seconds(stats.median)} ({seconds(stats.low)} – {seconds(stats.high)})"


def size_text(size: int) -> str:
    """Bytes as KiB or MiB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.2f} MiB"
    return f"{size / 1024:.0f} KiB"


@dataclass(frozen=True)
class BenchEnv:
    """A fresh cache dir and compile temp dir, plus a work folder for plans and files."""

    name: str
    root: Path
    variables: Mapping[str, str]

    @property
    def work(self) -> Path:
        return self.root / "work"


def fresh_env(root: Path, name: str) -> BenchEnv:
    """An environment whose rustle-invoke has never built anything and shares no compiler
    cache (no sccache, no rustc wrapper): its first compile is cold."""
    folder = root / name
    if folder.exists():
        raise BenchError(f"{folder} already exists; each environment is used once")
    for sub in ("cache", "tmp", "work"):
        (folder / sub).mkdir(parents=True)
    variables = {k: v for k, v in os.environ.items() if k not in _DROPPED_VARIABLES}
    variables["RUSTLE_CACHE_DIR"] = str(folder / "cache")
    variables["RUSTLE_COMPILE_TEMP_DIR"] = str(folder / "tmp")
    # Overrides an Invoke config's rustle.sccache: a cold compile compiles everything.
    variables["RUSTLE_SCCACHE"] = "off"
    # The checkout measured, even when the installed console script points elsewhere.
    variables["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
    )
    return BenchEnv(name, folder, variables)


def source_state() -> dict[str, tuple[int, int]]:
    """Size and modification time of every source file rustle-invoke builds from."""
    state = {}
    for top in _SOURCES:
        for path in sorted((REPO / top).rglob("*")):
            relative = path.relative_to(REPO)
            if _NOT_SOURCES.intersection(relative.parts) or not path.is_file():
                continue
            info = path.stat()
            state[relative.as_posix()] = (info.st_size, info.st_mtime_ns)
    return state


def changed_sources(before: Mapping[str, tuple[int, int]]) -> list[str]:
    """Source files added, removed or modified since ``before`` was taken."""
    after = source_state()
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def cli_argv() -> list[str]:
    """How users start rustle-invoke: the console script installed beside this
    interpreter, else ``python -m rustle_invoke``."""
    script = Path(sys.executable).parent / "rustle-invoke"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "rustle_invoke"]


def timed(
    argv: Sequence[str | os.PathLike[str]],
    env: BenchEnv | None = None,
    *,
    cwd: Path | None = None,
    timeout: float = 3600,
) -> tuple[float, process.ProcessResult]:
    """Run ``argv`` once; its wall time in seconds and its result. A failure raises."""
    variables = env.variables if env is not None else os.environ
    started = time.perf_counter()
    result = process.run(argv, env=variables, cwd=cwd, timeout=timeout, supervised=False)
    elapsed = time.perf_counter() - started
    if not result.ok:
        what = "timed out" if result.timed_out else f"exited with {result.returncode}"
        raise BenchError(
            f"{shlex.join(result.argv)} {what}",
            hint=result.stderr_tail(15) or result.stdout[-2000:] or None,
        )
    return elapsed, result


@dataclass(frozen=True)
class Compiled:
    """One ``rustle-invoke compile --json`` run."""

    seconds: float
    binary: Path
    size: int
    cache_hit: bool


def compile_plan(env: BenchEnv, plan: Path, profile: str, *, expect_hit: bool) -> Compiled:
    """``rustle-invoke compile --plan PLAN --profile PROFILE --json``, timed; the cache must
    hit (or miss) as the measurement assumes, or the number would mean something else."""
    elapsed, result = timed(
        [*cli_argv(), "compile", "--plan", plan, "--profile", profile, "--json"], env
    )
    try:
        (binary,) = json.loads(result.stdout)["binaries"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BenchError(
            f"compile --json of {plan.name} did not print one binary", hint=result.stdout[-500:]
        ) from exc
    if bool(binary["cache_hit"]) != expect_hit:
        raise BenchError(
            f"compile of {plan.name} was a cache {'hit' if binary['cache_hit'] else 'miss'}, "
            f"expected a {'hit' if expect_hit else 'miss'}"
        )
    return Compiled(elapsed, Path(binary["binary_path"]), int(binary["size"]), expect_hit)


def run_binary(env: BenchEnv, binary: Path) -> float:
    """The wall time of the compiled binary run with its defaults, in the work folder."""
    elapsed, _ = timed([binary], env, cwd=env.work)
    return elapsed


def command_text(argv: Sequence[str]) -> str:
    """A command as a user would type it: this machine's interpreter and console script
    by their names."""
    script = str(Path(sys.executable).parent / "rustle-invoke")
    names = {sys.executable: "python", script: "rustle-invoke"}
    return shlex.join([names.get(a, a) for a in argv])
