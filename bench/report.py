"""The machine a run measured on, and the markdown tables for docs/benchmarks.md."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rustle_invoke import process
from rustle_invoke.errors import ToolchainMissing

from .goals import Verdict
from .measure import Stats, size_text, spread

REPO = Path(__file__).resolve().parents[1]


def _first_line(argv: list[str], cwd: Path | None = None) -> str | None:
    try:
        result = process.run(argv, cwd=cwd, timeout=30, supervised=False)
    except ToolchainMissing:  # a missing tool only leaves its line out
        return None
    lines = result.stdout.strip().splitlines()
    return lines[0] if result.ok and lines else None


def _proc_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    """CPU, memory, OS, Python, Rust toolchain and the checkout measured."""
    memory = _proc_value("/proc/meminfo", "MemTotal")
    memory_gib = round(int(memory.split()[0]) / (1024 * 1024), 1) if memory else None
    commit = _first_line(["git", "rev-parse", "--short", "HEAD"], REPO)
    dirty = _first_line(["git", "status", "--porcelain", "--untracked-files=no"], REPO)
    return {
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or None,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "rustc": _first_line(["rustc", "--version"]),
        "cargo": _first_line(["cargo", "--version"]),
        "commit": f"{commit}{' (with uncommitted changes)' if dirty else ''}" if commit else None,
        "measured_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _stats(data: Mapping[str, Any]) -> str:
    return spread(Stats.of(data["values"]))


def _share(part: Mapping[str, Any], whole: Mapping[str, Any]) -> str:
    return f"{part['median'] / whole['median']:.1%}"


def markdown(results: Mapping[str, Any], verdicts: list[Verdict], command: str) -> str:
    """The section the lead pastes into docs/benchmarks.md."""
    info = results["machine"]
    lines = [
        "## Results",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
        f"{info['os']}; Python {info['python']}; {info['rustc']}; {info['cargo']}. "
        f"Commit {info['commit']}, measured {info['measured_at']}; medians of "
        f"{results['settings']['runs']} runs with min – max.",
        "",
        "```sh",
        command,
        "```",
        "",
        "### Goals",
        "",
        "| goal | target | measured | result |",
        "|---|---|---|---|",
    ]
    marks = {True: "pass", False: "**fail**", None: "not measured"}
    lines += [f"| {v.goal} | {v.target} | {v.measured} | {marks[v.passed]} |" for v in verdicts]
    if "profiles" in results:
        section = results["profiles"]
        lines += [
            "",
            "### Profiles",
            "",
            f"Each: `{section['command']}`.",
            "",
            "| profile | cold compile | new plan, warm runtime | cache hit | small plan's binary |",
            "|---|---|---|---|---|",
        ]
        for profile, row in section["profiles"].items():
            cold = row["cold_compile_s"]
            lines.append(
                f"| {profile} | {_stats(cold)} | {_stats(row['new_plan_warm_s'])}, "
                f"{_share(row['new_plan_warm_s'], cold)} | {_stats(row['cache_hit_s'])}, "
                f"{_share(row['cache_hit_s'], cold)} | {size_text(row['binary_bytes'])} |"
            )
    if "sizes" in results:
        section = results["sizes"]
        lines += [
            "",
            "### Plan size",
            "",
            f"Plans of `{section['module']}` tasks, profile `{section['profile']}`; each "
            f"compile is a never-seen plan on a warm runtime: `{section['command']}`.",
            "",
            "| tasks | compile | run | binary |",
            "|---|---|---|---|",
        ]
        for count, row in section["sizes"].items():
            lines.append(
                f"| {count} | {_stats(row['compile_s'])} | {_stats(row['run_s'])} | "
                f"{size_text(row['binary_bytes'])} |"
            )
    if "overhead" in results:
        section = results["overhead"]
        count = section["tasks"]
        lines += [
            "",
            "### Per-task overhead",
            "",
            f"Binaries of 1 and {count} tasks of one module (profile "
            f"`{section['profile']}`), run in turns; per run (t({count}) − t(1)) / "
            f"{count - 1}.",
            "",
            f"| module | 1 task | {count} tasks | per task |",
            "|---|---|---|---|",
        ]
        for kind, row in section["kinds"].items():
            per = row["per_task_s"]
            lines.append(
                f"| {kind} | {_stats(row['run_1_task_s'])} | "
                f"{_stats(row[f'run_{count}_tasks_s'])} | {per['median'] * 1e6:.0f} µs "
                f"({per['min'] * 1e6:.0f} – {per['max'] * 1e6:.0f} µs) |"
            )
    if "startup" in results:
        section = results["startup"]
        lines += ["", "### Start-up", "", "| command | wall time |", "|---|---|"]
        lines += [f"| `{row['command']}` | {_stats(row)} |" for row in section.values()]
    if "deploy" in results:
        lines += ["", *deploy_markdown(results["deploy"])]
    if results.get("failed"):
        lines += ["", "### Failed", ""]
        lines += [f"- {name}: {text.splitlines()[0]}" for name, text in results["failed"].items()]
    return "\n".join(lines) + "\n"


DEPLOY_ROWS = (
    ("ansible_playbook", "`ansible-playbook`, pipelining off"),
    ("ansible_playbook_pipelining", "`ansible-playbook`, pipelining on"),
    ("rustle_deploy_cached", "`rustle-invoke deploy`, cached binary"),
)


def deploy_markdown(section: Mapping[str, Any]) -> list[str]:
    """The deploy section's table: wall time per setting for 1 and 2 hosts, the ratios to
    the cached deploy, the controller's CPU time and the cold deploy."""
    settings, cpu = section["settings"], section["controller_cpu_s"]
    modules = ", ".join(f"{n} {m}" for m, n in section["modules"].items())
    commands = section["commands"]
    lines = [
        "### Deploy over SSH",
        "",
        f"{section['tasks']} tasks ({modules}) on {len(section['hosts'])} OpenSSH servers on "
        f"loopback; {section['files_per_host']} files per host checked after every run. "
        f"{section['ansible']}, target Python `{section['ansible_python_interpreter']}` "
        f"({section['target_python']}); {section['openssh']}; rustle binary "
        f"{section['binary']['profile']}, {section['binary']['size']}.",
        "",
        "```sh",
        *(commands[key] for key, _ in DEPLOY_ROWS),
        f"# 1 host: {commands['one_host']}",
        "```",
        "",
        "| setting | 1 host | 2 hosts | controller CPU, 2 hosts |",
        "|---|---|---|---|",
    ]
    for key, label in DEPLOY_ROWS:
        row = settings[key]
        lines.append(
            f"| {label} | {_stats(row['1'])} | {_stats(row['2'])} | {_stats(cpu[key]['2'])} |"
        )
    rustle = settings["rustle_deploy_cached"]
    for key, label in DEPLOY_ROWS[:2]:
        ratios = [settings[key][h]["median"] / rustle[h]["median"] for h in ("1", "2")]
        lines.append(f"| {label} ÷ cached deploy | {ratios[0]:.1f}× | {ratios[1]:.1f}× | |")
    remote = section["rustle_host_upload_run_s"]
    lines += [
        "",
        f"Cold deploy (empty cache: runtime and plan compiled, targets detected), 2 hosts, "
        f"once: {_stats(section['rustle_deploy_cold_s'])}. Within a cached deploy, the "
        f"slowest host's upload, run and clean-up, as the deploy reports it: 1 host "
        f"{_stats(remote['1'])}, 2 hosts {_stats(remote['2'])}.",
    ]
    return lines
