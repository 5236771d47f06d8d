"""PNG plots of a run's results (matplotlib, from the ``bench`` extra)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

# File names under the output folder; docs/benchmarks.md links them from docs/img/.
COMPILE_VS_SIZE = "bench-compile-vs-plan-size.png"
RUN_VS_TASKS = "bench-run-vs-task-count.png"
PROFILES = "bench-profiles.png"
DEPLOY = "bench-deploy.png"


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _errors(rows: list[Mapping[str, Any]]) -> list[list[float]]:
    """Asymmetric error bars from the median to min and max."""
    return [[r["median"] - r["min"] for r in rows], [r["max"] - r["median"] for r in rows]]


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def compile_vs_size(section: Mapping[str, Any], path: Path) -> Path:
    plt = _pyplot()
    counts = [int(c) for c in section["sizes"]]
    rows = [row["compile_s"] for row in section["sizes"].values()]
    figure, axes = plt.subplots(figsize=(6, 3.8))
    axes.errorbar(
        counts,
        [r["median"] for r in rows],
        yerr=_errors(rows),
        marker="o",
        capsize=3,
        label="new plan, warm runtime",
    )
    axes.set_xscale("log")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("tasks in the plan (debug)")
    axes.set_ylabel("wall time of rustle-invoke compile (s)")
    axes.set_title(
        f"compile time vs plan size (profile {section['profile']}; median, min–max)", fontsize=10
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    result = _save(figure, path)
    plt.close(figure)
    return result


def run_vs_tasks(results: Mapping[str, Any], path: Path) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6, 3.8))
    if "sizes" in results:
        sizes = results["sizes"]["sizes"]
        rows = [row["run_s"] for row in sizes.values()]
        axes.errorbar(
            [int(c) for c in sizes],
            [r["median"] for r in rows],
            yerr=_errors(rows),
            marker="o",
            capsize=3,
            label="debug (plan-size sweep)",
        )
    if "overhead" in results:
        count = results["overhead"]["tasks"]
        for kind, row in results["overhead"]["kinds"].items():
            points = [row["run_1_task_s"], row[f"run_{count}_tasks_s"]]
            axes.errorbar(
                [1, count],
                [p["median"] for p in points],
                yerr=_errors(points),
                marker="s",
                linestyle="--",
                capsize=3,
                label=f"{kind} (1 and {count})",
            )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("tasks run by the binary")
    axes.set_ylabel("wall time of the binary (s)")
    axes.set_title("run time vs task count (median, min–max)", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    result = _save(figure, path)
    plt.close(figure)
    return result


def profiles(section: Mapping[str, Any], path: Path) -> Path:
    plt = _pyplot()
    names = list(section["profiles"])
    measures = [
        ("cold_compile_s", "cold compile", "#8c564b"),
        ("new_plan_warm_s", "new plan, warm runtime", "#1f77b4"),
        ("cache_hit_s", "cache hit", "#2ca02c"),
    ]
    figure, (times, sizes) = plt.subplots(
        1, 2, figsize=(9, 3.8), gridspec_kw={"width_ratios": [2, 1]}
    )
    width = 0.8 / len(measures)
    for offset, (key, label, color) in enumerate(measures):
        rows = [section["profiles"][p][key] for p in names]
        xs = [i + (offset - 1) * width for i in range(len(names))]
        times.bar(
            xs,
            [r["median"] for r in rows],
            width,
            yerr=_errors(rows),
            capsize=2,
            label=label,
            color=color,
        )
    times.set_xticks(range(len(names)), names)
    times.set_yscale("log")
    times.set_ylabel("wall time of rustle-invoke compile (s)")
    times.set_title("per profile (median, min–max)", fontsize=10)
    times.legend(fontsize=8)
    kib = [section["profiles"][p]["binary_bytes"] / 1024 for p in names]
    bars = sizes.bar(names, kib, color="#7f7f7f")
    for bar, value in zip(bars, kib, strict=True):
        sizes.annotate(
            f"{value:.0f}",
            (bar.get_x() + bar.get_width() / 2, value),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    sizes.set_ylabel("small plan's binary (KiB)")
    sizes.set_title("binary size", fontsize=10)
    sizes.tick_params(axis="x", labelrotation=30)
    result = _save(figure, path)
    plt.close(figure)
    return result


def deploy(section: Mapping[str, Any], path: Path) -> Path:
    plt = _pyplot()
    bars = [
        ("ansible_playbook", "ansible-playbook, pipelining off", "#d62728"),
        ("ansible_playbook_pipelining", "ansible-playbook, pipelining on", "#ff7f0e"),
        ("rustle_deploy_cached", "rustle-invoke deploy, cached binary", "#2ca02c"),
    ]
    counts = ["1", "2"]
    figure, axes = plt.subplots(figsize=(7, 4.2))
    width = 0.8 / len(bars)
    for offset, (key, label, color) in enumerate(bars):
        rows = [section["settings"][key][count] for count in counts]
        xs = [i + (offset - 1) * width for i in range(len(counts))]
        drawn = axes.bar(
            xs,
            [r["median"] for r in rows],
            width,
            yerr=_errors(rows),
            capsize=3,
            label=label,
            color=color,
        )
        for bar, row in zip(drawn, rows, strict=True):
            axes.annotate(
                f"{row['median']:.1f} s",
                (bar.get_x() + bar.get_width() / 2, row["max"]),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    cold = section["rustle_deploy_cold_s"]["median"]
    axes.axhline(
        cold,
        color="#7f7f7f",
        linestyle="--",
        linewidth=1,
        label=f"rustle-invoke deploy, cold (runtime built), 2 hosts: {cold:.0f} s",
    )
    highest = max(section["settings"][key][count]["max"] for key, _, _ in bars for count in counts)
    axes.set_xticks(range(len(counts)), ["1 host", "2 hosts"])
    axes.set_yscale("log")
    axes.set_ylim(1, max(highest, cold) * 6)
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if t <= max(highest, cold) * 6]
    axes.set_yticks(ticks, [f"{t:g}" for t in ticks])
    axes.set_ylabel("wall time (s, log scale)")
    axes.set_title(
        f"{section['tasks']} tasks over SSH: deploy vs ansible-playbook (median, min–max)",
        fontsize=10,
    )
    axes.grid(True, axis="y", which="major", alpha=0.3)
    axes.legend(fontsize=8, loc="upper right")
    result = _save(figure, path)
    plt.close(figure)
    return result


# Each plot's file, the sections whose data it shows, and how to draw it.
_PLOTS: tuple[tuple[str, tuple[str, ...], Callable[[Mapping[str, Any], Path], Path]], ...] = (
    (COMPILE_VS_SIZE, ("sizes",), lambda r, p: compile_vs_size(r["sizes"], p)),
    (RUN_VS_TASKS, ("sizes", "overhead"), run_vs_tasks),
    (PROFILES, ("profiles",), lambda r, p: profiles(r["profiles"], p)),
    (DEPLOY, ("deploy",), lambda r, p: deploy(r["deploy"], p)),
)


def draw(
    results: Mapping[str, Any], folder: Path, sections: Collection[str] | None = None
) -> list[Path]:
    """Every plot the results have data for (only those that show one of ``sections``,
    when given); an empty list (and no error) when matplotlib is missing: the caller says
    so."""
    if not available():
        return []
    written = []
    for name, shown, plot in _PLOTS:
        if not any(s in results for s in shown):
            continue
        if sections is not None and not set(shown) & set(sections):
            continue
        written.append(plot(results, folder / name))
    return written
