"""Cold compile vs cache hit vs a new plan on a warm runtime, measured in one run.

    python bench/pipeline_ratios.py [--runs 9] [--profile release] [--plot docs/img/ratios.png]

Each measurement is the wall time of a whole `rustle-invoke compile` process, as a user
sees it. A fresh cache dir is used, so the first compile also builds the runtime.
Prints one JSON document with medians, spreads and the two ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from conftest import task, write_plan  # noqa: E402

from rustle_invoke import process  # noqa: E402


def plan(folder: Path, index: int) -> Path:
    tasks = [
        task("t_0", "debug", {"msg": f'plan {index}: "quotes" \\ backslash "# é'}),
        task("t_1", "command", {"_raw_params": f"printf '%s' 'run {index}'"}),
        task("t_2", "shell", {"cmd": "echo $((6 * 7)) | tr 4 four"}),
    ]
    return write_plan(folder / f"plan{index}.json", tasks, name=f"bench plan {index}")


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = process.run(argv, env=env, timeout=1800)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr}")
    return elapsed


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--profile", default="release")
    parser.add_argument("--plot", type=Path, help="write a bar chart (needs matplotlib)")
    args = parser.parse_args()
    import os

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "RUSTLE_CACHE_DIR": str(folder / "cache"),
               "RUSTLE_COMPILE_TEMP_DIR": str(folder / "tmp")}
        cli = [sys.executable, "-m", "rustle_invoke", "compile", "--profile", args.profile]
        first = plan(folder, 0)
        cold = timed([*cli, "--plan", str(first)], env)
        hits = [timed([*cli, "--plan", str(first)], env) for _ in range(args.runs)]
        fresh = [timed([*cli, "--plan", str(plan(folder, i + 1))], env) for i in range(args.runs)]
    report = {
        "profile": args.profile,
        "cold_compile_s": round(cold, 3),
        "cache_hit_s": summary(hits),
        "new_plan_warm_runtime_s": summary(fresh),
        "cache_hit_over_cold": round(statistics.median(hits) / cold, 3),
        "new_plan_over_cold": round(statistics.median(fresh) / cold, 3),
    }
    print(json.dumps(report, indent=2))
    if args.plot:
        draw(report, args.plot)


def draw(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["cold compile\n(runtime + plan)", "new plan,\nwarm runtime", "cache hit"]
    values = [report["cold_compile_s"], report["new_plan_warm_runtime_s"]["median"],
              report["cache_hit_s"]["median"]]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    bars = axes.bar(labels, values, color=["#8c564b", "#1f77b4", "#2ca02c"])
    for bar, value in zip(bars, values, strict=True):
        share = f" ({value / values[0]:.0%})" if value != values[0] else ""
        axes.annotate(f"{value:.2f} s{share}", (bar.get_x() + bar.get_width() / 2, value),
                      ha="center", va="bottom")
    axes.set_ylabel("wall time of `rustle-invoke compile` (s)")
    axes.set_title(f"profile {report['profile']}, medians of {report['cache_hit_s']['runs']} runs")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
