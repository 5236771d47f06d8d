"""The goals of issues 7 and 8, each checked against numbers measured in the same run.

Sizes are decimal: 600 KB is 600 000 bytes, 2 MB is 2 000 000 bytes (the stricter reading).
Ratios use the release profile, the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .measure import seconds, size_text

Results = Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    """One goal's row: what was measured and whether it meets the target (None: the run
    did not measure it)."""

    goal: str
    target: str
    measured: str
    passed: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "target": self.target,
            "measured": self.measured,
            "passed": self.passed,
        }


def _get(results: Results, *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _ratio(results: Results, measure: str, limit: float) -> tuple[str, bool | None]:
    release = _get(results, "profiles", "profiles", "release")
    if release is None:
        return "release profile not measured", None
    part, cold = release[measure]["median"], release["cold_compile_s"]["median"]
    share = part / cold
    return f"{seconds(part)} / {seconds(cold)} = {share:.1%}", share <= limit


def _cache_hit(results: Results) -> tuple[str, bool | None]:
    return _ratio(results, "cache_hit_s", 0.05)


def _new_plan(results: Results) -> tuple[str, bool | None]:
    return _ratio(results, "new_plan_warm_s", 0.15)


def _flat(results: Results) -> tuple[str, bool | None]:
    small = _get(results, "sizes", "sizes", "5", "compile_s", "median")
    large = _get(results, "sizes", "sizes", "1000", "compile_s", "median")
    if small is None or large is None:
        return "5- and 1000-task plans not both measured", None
    factor = large / small
    return f"{seconds(large)} / {seconds(small)} = {factor:.2f}×", factor <= 2


def _sizes(results: Results) -> tuple[str, bool | None]:
    limits = {"min-size": 600_000, "release": 2_000_000}
    parts, verdicts = [], []
    for profile, limit in limits.items():
        size = _get(results, "profiles", "profiles", profile, "binary_bytes")
        if size is None:
            parts.append(f"{profile} not measured")
            continue
        parts.append(f"{profile} {size_text(size)} ({size:,} bytes)")
        verdicts.append(size <= limit)
    if not all(verdicts):
        return " / ".join(parts), False
    return " / ".join(parts), True if len(verdicts) == len(limits) else None


def _debug_run(results: Results) -> tuple[str, bool | None]:
    run = _get(results, "sizes", "sizes", "1000", "run_s", "median")
    if run is None:
        return "1000-task plan not measured", None
    return seconds(run), run <= 0.5


def _startup(results: Results) -> tuple[str, bool | None]:
    run = _get(results, "startup", "cli_help_s", "median")
    if run is None:
        return "not measured", None
    return seconds(run), run <= 0.3


def _deploy_ratio(results: Results, hosts: str) -> tuple[float, float] | None:
    settings = _get(results, "deploy", "settings")
    if settings is None:
        return None
    ansible = settings["ansible_playbook_pipelining"][hosts]["median"]
    return ansible, settings["rustle_deploy_cached"][hosts]["median"]


def _deploy(results: Results) -> tuple[str, bool | None]:
    two, one = _deploy_ratio(results, "2"), _deploy_ratio(results, "1")
    if two is None or one is None:
        return "not measured", None
    parts = [
        f"{label}: {seconds(a)} / {seconds(r)} = {a / r:.1f}×"
        for label, (a, r) in (("2 hosts", two), ("1 host", one))
    ]
    return "; ".join(parts), two[0] / two[1] >= 10


GOALS: tuple[tuple[str, str, Callable[[Results], tuple[str, bool | None]]], ...] = (
    ("cache hit, end to end (`rustle-invoke compile`)", "≤ 5% of a cold compile", _cache_hit),
    ("a new plan on a warm runtime", "≤ 15% of a cold compile", _new_plan),
    ("compile of a 1000-task plan", "≤ 2× a 5-task plan", _flat),
    ("binary size, `min-size` / `release`", "≤ 600 KB / ≤ 2 MB", _sizes),
    ("1000 debug tasks executed by the binary", "≤ 0.5 s", _debug_run),
    ("CLI start-up (`rustle-invoke --help`)", "≤ 0.3 s", _startup),
    (
        "`rustle-invoke deploy`, cached binary, against `ansible-playbook` with pipelining "
        "(50 tasks, 2 hosts)",
        "≥ 10× faster",
        _deploy,
    ),
)


def verdicts(results: Results) -> list[Verdict]:
    """Every goal, checked against ``results`` (the suite's JSON sections)."""
    rows = []
    for goal, target, check in GOALS:
        measured, passed = check(results)
        rows.append(Verdict(goal, target, measured, passed))
    return rows
