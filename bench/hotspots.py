"""Where the time goes: pyinstrument inside ``rustle-invoke compile`` processes (a cache hit,
a new small plan, a new 1000-task plan, each on a warm runtime) and cargo's ``--timings``
report of a cold build of the runtime with a plan.

    python -m bench.hotspots [--profile release] [--out DIR] [--keep]

pyinstrument (the ``bench`` extra) samples the whole compile process from interpreter start,
imports included, and writes one text report per case. The cargo report is an HTML page.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import plans
from .measure import (
    BenchEnv,
    BenchError,
    cli_argv,
    compile_plan,
    exit_code,
    fresh_env,
    progress,
    timed,
)

SECTION = "hotspots"


def _profiled_compile(
    env: BenchEnv, plan: Path, profile: str, report: Path, *, expect_hit: bool
) -> Path:
    """``rustle-invoke compile`` under pyinstrument; the cache must hit or miss as named."""
    argv = [
        sys.executable,
        "-m",
        "pyinstrument",
        "--renderer",
        "text",
        "--no-color",
        "--interval",
        "0.0005",
        "--outfile",
        str(report),
        "-m",
        "rustle_invoke",
        "compile",
        "--plan",
        str(plan),
        "--profile",
        profile,
        "--json",
    ]
    elapsed, result = timed(argv, env)
    try:
        hit = json.loads(result.stdout)["binaries"][0]["cache_hit"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BenchError(
            f"profiled compile of {plan.name} printed no result",
            hint=result.stdout[-500:] or result.stderr[-500:],
        ) from exc
    if hit != expect_hit:
        raise BenchError(
            f"profiled compile of {plan.name}: cache_hit is {hit}, expected {expect_hit}"
        )
    progress(SECTION, f"{report}: {elapsed:.2f} s under the profiler")
    return report


def cargo_timings(env: BenchEnv, plan: Path, profile: str, out: Path) -> Path:
    """Render ``plan`` as a self-contained project and build it, runtime included, with
    the exact cargo command ``compile`` uses plus ``--timings``, in a new target dir."""
    project = env.work / "timings-project"
    timed([*cli_argv(), "render", "--plan", plan, "--out", project, "--json"], env)
    _, dry = timed(
        [*cli_argv(), "compile", "--plan", plan, "--profile", profile, "--dry-run", "--json"], env
    )
    try:
        command = list(json.loads(dry.stdout)["binaries"][0]["command"])
        command[command.index("--manifest-path") + 1] = str(project / "Cargo.toml")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BenchError(
            "compile --dry-run --json named no cargo command with --manifest-path",
            hint=dry.stdout[-500:],
        ) from exc
    target = env.root / "timings-target"
    build_env = dataclasses.replace(
        env, variables={**env.variables, "CARGO_TARGET_DIR": str(target)}
    )
    progress(SECTION, f"cold cargo build --timings ({profile}) ...")
    elapsed, _ = timed([*command, "--offline", "--timings"], build_env, cwd=project)
    html = target / "cargo-timings" / "cargo-timing.html"
    if not html.is_file():
        raise BenchError(f"cargo build --timings wrote no report at {html}")
    out.mkdir(parents=True, exist_ok=True)
    kept = out / f"cargo-timing-{profile}.html"
    shutil.copyfile(html, kept)
    progress(SECTION, f"cargo build --timings: {elapsed:.1f} s; report {kept}")
    return kept


def run(root: Path, out: Path, profile: str) -> list[Path]:
    """Every hot-spot report, written under ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    env = fresh_env(root, SECTION)
    first = plans.sample_plan(env.work, "first")
    cold = compile_plan(env, first, profile, expect_hit=False)
    progress(SECTION, f"cold compile ({profile}): {cold.seconds:.1f} s")
    written = []
    if importlib.util.find_spec("pyinstrument") is None:
        progress(
            SECTION, "pyinstrument is not installed: no Python profiles (pip install -e '.[bench]')"
        )
    else:
        cases = [
            (first, "pyinstrument-cache-hit.txt", True),
            (plans.sample_plan(env.work, "new"), "pyinstrument-new-plan.txt", False),
            (
                plans.kind_plan(env.work, "debug", 1000, "new"),
                "pyinstrument-new-plan-1000.txt",
                False,
            ),
        ]
        for plan, name, hit in cases:
            written.append(_profiled_compile(env, plan, profile, out / name, expect_hit=hit))
    written.append(cargo_timings(env, first, profile, out))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hotspots", description=__doc__.split("\n")[0])
    p.add_argument("--profile", default="release")
    p.add_argument("--out", type=Path, help="reports folder (default: new temp folder)")
    p.add_argument("--keep", action="store_true", help="keep the temporary cache")
    args = p.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="rustle-hotspots-"))
    out = args.out or Path(tempfile.mkdtemp(prefix="rustle-hotspots-reports-"))

    def report() -> int:
        for path in run(root, out, args.profile):
            print(path)
        return 0

    try:
        return exit_code(report)
    finally:
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
