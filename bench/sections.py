"""The benchmark sections. Each one measures in its own fresh environment (cache dir and
compile temp dir) and returns plain data for the JSON results."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import deploy_bench, plans
from .measure import (
    BenchEnv,
    Compiled,
    Stats,
    cli_argv,
    command_text,
    compile_plan,
    fresh_env,
    progress,
    run_binary,
    seconds,
    size_text,
    spread,
    timed,
)


@dataclass(frozen=True)
class Settings:
    """What one run of the suite measures, and how often."""

    root: Path
    runs: int
    cold_runs: int
    profiles: tuple[str, ...]
    sizes: tuple[int, ...]
    size_profile: str
    overhead_tasks: int
    overhead_profile: str


def _cold(
    settings: Settings, name: str, plan_for: Callable[[BenchEnv], Path], profile: str
) -> tuple[Stats, BenchEnv, Path, Compiled]:
    """``cold_runs`` cold compiles, each in a new environment; the last environment (its
    runtime now built), plan and compile are returned for the warm measurements."""
    times = []
    for attempt in range(settings.cold_runs):
        env = fresh_env(settings.root, f"{name}-{attempt}" if settings.cold_runs > 1 else name)
        plan = plan_for(env)
        compiled = compile_plan(env, plan, profile, expect_hit=False)
        times.append(compiled.seconds)
        progress(
            name,
            f"cold compile ({profile}) {attempt + 1}/{settings.cold_runs}: "
            f"{seconds(compiled.seconds)}",
        )
    return Stats.of(times), env, plan, compiled


def profiles(settings: Settings) -> dict[str, Any]:
    """Per profile: cold compile (runtime + plan), a never-seen plan on the warm runtime,
    a cache hit, and the size of the small plan's binary."""
    results: dict[str, Any] = {}
    for profile in settings.profiles:
        name = f"profile-{profile}"
        cold, env, first, compiled = _cold(
            settings, name, lambda env: plans.sample_plan(env.work, "first"), profile
        )
        new_plan = []
        for run in range(settings.runs):
            plan = plans.sample_plan(env.work, f"new-{run}")
            new_plan.append(compile_plan(env, plan, profile, expect_hit=False).seconds)
        progress(name, f"new plan, warm runtime: {spread(Stats.of(new_plan))}")
        hits = [
            compile_plan(env, first, profile, expect_hit=True).seconds for _ in range(settings.runs)
        ]
        progress(name, f"cache hit: {spread(Stats.of(hits))}")
        progress(name, f"binary size: {size_text(compiled.size)}")
        results[profile] = {
            "cold_compile_s": cold.to_json(),
            "new_plan_warm_s": Stats.of(new_plan).to_json(),
            "cache_hit_s": Stats.of(hits).to_json(),
            "binary_bytes": compiled.size,
        }
    return {
        "command": command_text(
            [*cli_argv(), "compile", "--plan", "PLAN", "--profile", "PROFILE", "--json"]
        ),
        "profiles": results,
    }


def sizes(settings: Settings) -> dict[str, Any]:
    """Compile time of a never-seen plan on a warm runtime and the run time of its binary,
    against the number of (debug) tasks in the plan."""
    profile = settings.size_profile
    name = "plan-size"
    cold, env, _, _ = _cold(
        settings, name, lambda env: plans.kind_plan(env.work, "debug", 1, "warm-up"), profile
    )
    results: dict[str, Any] = {}
    for count in settings.sizes:
        compiles = []
        for run in range(settings.runs):
            plan = plans.kind_plan(env.work, "debug", count, f"run{run}")
            compiled = compile_plan(env, plan, profile, expect_hit=False)
            compiles.append(compiled.seconds)
        runs = [run_binary(env, compiled.binary) for _ in range(settings.runs)]
        progress(
            name,
            f"{count} tasks: compile {spread(Stats.of(compiles))}, run {spread(Stats.of(runs))}",
        )
        results[str(count)] = {
            "compile_s": Stats.of(compiles).to_json(),
            "run_s": Stats.of(runs).to_json(),
            "binary_bytes": compiled.size,
        }
    return {
        "profile": profile,
        "module": "debug",
        "warm_up_cold_compile_s": cold.to_json(),
        "command": command_text(
            [*cli_argv(), "compile", "--plan", "PLAN", "--profile", profile, "--json"]
        )
        + "; then ./BINARY",
        "sizes": results,
    }


def overhead(settings: Settings) -> dict[str, Any]:
    """Per-task run time of each kind: a binary of N tasks against one of 1 task, run in
    turns; per run, (t(N) - t(1)) / (N - 1)."""
    profile = settings.overhead_profile
    count = settings.overhead_tasks
    name = "overhead"
    _, env, _, _ = _cold(
        settings, name, lambda env: plans.kind_plan(env.work, "debug", 1, "warm-up"), profile
    )
    results: dict[str, Any] = {}
    for kind in plans.KINDS:
        one = compile_plan(
            env, plans.kind_plan(env.work, kind, 1, "one"), profile, expect_hit=False
        )
        many = compile_plan(
            env, plans.kind_plan(env.work, kind, count, "many"), profile, expect_hit=False
        )
        ones, manys, per_task = [], [], []
        for _ in range(settings.runs):
            ones.append(run_binary(env, one.binary))
            manys.append(run_binary(env, many.binary))
            per_task.append((manys[-1] - ones[-1]) / (count - 1))
        stats = Stats.of(per_task)
        progress(
            name,
            f"{kind}: {stats.median * 1e6:.0f} µs per task "
            f"({stats.low * 1e6:.0f} – {stats.high * 1e6:.0f})",
        )
        results[kind] = {
            "run_1_task_s": Stats.of(ones).to_json(),
            f"run_{count}_tasks_s": Stats.of(manys).to_json(),
            "per_task_s": stats.to_json(),
        }
    return {"profile": profile, "tasks": count, "kinds": results}


def startup(settings: Settings) -> dict[str, Any]:
    """``rustle-invoke --help``, and ``python -c pass`` as the interpreter's floor."""
    name = "startup"
    env = fresh_env(settings.root, name)
    commands = {
        "cli_help_s": [*cli_argv(), "--help"],
        "python_floor_s": [sys.executable, "-c", "pass"],
    }
    results: dict[str, Any] = {}
    for key, argv in commands.items():
        times = [timed(argv, env, cwd=env.work)[0] for _ in range(settings.runs)]
        progress(name, f"{command_text(argv)}: {spread(Stats.of(times))}")
        results[key] = {"command": command_text(argv), **Stats.of(times).to_json()}
    return results


def deploy(settings: Settings) -> dict[str, Any]:
    """``rustle-invoke deploy`` (cached binary, and once cold) against ``ansible-playbook``
    with and without pipelining, 50 tasks on 1 and 2 sshd servers (bench/deploy_bench.py)."""
    return deploy_bench.run(settings.root, settings.runs)


SECTIONS: dict[str, Callable[[Settings], dict[str, Any]]] = {
    "profiles": profiles,
    "sizes": sizes,
    "overhead": overhead,
    "startup": startup,
    "deploy": deploy,
}
