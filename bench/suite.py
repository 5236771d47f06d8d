"""Run the benchmark suite: ``invoke bench`` or ``python -m bench.suite``.

    python -m bench.suite [--runs 5] [--quick] [--sections profiles,sizes,overhead,startup,deploy]
                          [--write] [--profile-hot] [--out DIR] [--keep]

Progress goes to stderr; the markdown for docs/benchmarks.md goes to stdout. The results
(JSON, markdown, PNG plots) are written to ``--out`` (default: a new folder in the system
temp dir); ``--write`` also writes docs/benchmarks.json, keeping the sections stored there
that this run did not measure, and the plots of the measured sections under docs/img/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rustle_invoke.errors import ConfigError

from . import goals, hotspots, plots, report
from .measure import BenchError, changed_sources, exit_code, source_state
from .sections import SECTIONS, Settings

# What a plain run measures; deploy is asked for by name.
DEFAULT_SECTIONS = tuple(name for name in SECTIONS if name != "deploy")

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROFILES = ("debug", "release", "min-size")
SIZES = (5, 50, 500, 1000, 5000)
QUICK_SIZES = (5, 50, 1000)


def _numbers(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(
            f"{flag} {text!r}: expected whole numbers separated by commas",
            hint=f"e.g. {flag} 5,50,1000",
        ) from None
    if not values or min(values) < 1:
        raise ConfigError(f"{flag} {text!r}: every number must be 1 or more")
    return values


def _names(text: str, flag: str, known: Sequence[str]) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ConfigError(
            f"{flag}: unknown or missing name {', '.join(unknown) or text!r}",
            hint=f"choose from {', '.join(known)}",
        )
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, help="runs per measurement (default 5; --quick: 2)")
    p.add_argument(
        "--cold-runs",
        type=int,
        default=1,
        help="cold compiles per environment, each in a new cache (default 1)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2 runs, release only, sizes 5,50,1000, 200-task overhead",
    )
    p.add_argument(
        "--sections",
        default=",".join(DEFAULT_SECTIONS),
        help=f"comma-separated, from {', '.join(SECTIONS)} (default: all but deploy, which "
        "needs openssh-server and ansible-core and takes about 25 minutes)",
    )
    p.add_argument(
        "--profiles",
        help=f"profiles of the profiles section (default {','.join(PROFILES)}; --quick: release)",
    )
    p.add_argument("--debuginfo", action="store_true", help="add release-debuginfo to --profiles")
    p.add_argument("--sizes", help="plan sizes in tasks (default 5,50,500,1000,5000)")
    p.add_argument("--size-profile", default="release", help="profile of the plan-size section")
    p.add_argument(
        "--overhead-tasks",
        type=int,
        help="tasks per binary of the overhead section (default 1000; --quick: 200)",
    )
    p.add_argument("--overhead-profile", default="release")
    p.add_argument(
        "--write",
        action="store_true",
        help="also write docs/benchmarks.json (keeping the sections this run did not "
        "measure) and the measured sections' plots under docs/img/",
    )
    p.add_argument("--out", type=Path, help="results folder (default: new temp folder)")
    p.add_argument("--root", type=Path, help="folder for the temporary caches (default: temp)")
    p.add_argument("--keep", action="store_true", help="keep the temporary caches")
    p.add_argument(
        "--profile-hot",
        action="store_true",
        help="also profile a cache hit and a new plan with pyinstrument and the "
        "runtime build with cargo --timings (bench/hotspots.py)",
    )
    return p


def settings_from(args: argparse.Namespace, root: Path) -> Settings:
    runs = args.runs if args.runs is not None else (2 if args.quick else 5)
    if runs < 1 or args.cold_runs < 1:
        raise ConfigError("--runs and --cold-runs must be 1 or more")
    known = (*PROFILES, "release-debuginfo")
    if args.profiles:
        profiles = _names(args.profiles, "--profiles", known)
    else:
        profiles = ("release",) if args.quick else PROFILES
    if args.debuginfo and "release-debuginfo" not in profiles:
        profiles = (*profiles, "release-debuginfo")
    for flag, value in (
        ("--size-profile", args.size_profile),
        ("--overhead-profile", args.overhead_profile),
    ):
        _names(value, flag, known)
    sizes = (
        _numbers(args.sizes, "--sizes") if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    )
    overhead = args.overhead_tasks or (200 if args.quick else 1000)
    if overhead < 2:
        raise ConfigError("--overhead-tasks must be 2 or more")
    return Settings(
        root,
        runs,
        args.cold_runs,
        profiles,
        sizes,
        args.size_profile,
        overhead,
        args.overhead_profile,
    )


def run(argv: Sequence[str], command: str) -> int:
    args = parser().parse_args(list(argv))
    chosen = _names(args.sections, "--sections", tuple(SECTIONS))
    settings = settings_from(args, Path())
    if args.root is not None:
        args.root.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="rustle-bench-", dir=args.root))
    settings = dataclasses.replace(settings, root=root)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(tempfile.gettempdir()) / f"rustle-bench-results-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "settings": {
            "runs": settings.runs,
            "cold_runs": settings.cold_runs,
            "sections": list(chosen),
            "profiles": list(settings.profiles),
            "sizes": list(settings.sizes),
            "size_profile": settings.size_profile,
            "overhead_tasks": settings.overhead_tasks,
            "overhead_profile": settings.overhead_profile,
        },
        "command": command,
        "machine": report.machine(),
    }
    print(f"[suite] temporary caches in {root}; results to {out}", file=sys.stderr)
    failed: dict[str, str] = {}
    try:
        for name in chosen:
            measured = _section(name, functools.partial(SECTIONS[name], settings), failed)
            if measured is not None:
                results[name] = measured
        if args.profile_hot:
            hot = functools.partial(hotspots.run, root, out / "hotspots", settings.size_profile)
            _section("hotspots", hot, failed)
    finally:
        if args.keep:
            print(f"[suite] kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if failed:
        results["failed"] = failed
    verdicts = goals.verdicts(results)
    results["goals"] = [v.to_json() for v in verdicts]
    text = report.markdown(results, verdicts, command)
    _write(results, text, out, args.write and not failed, chosen)
    print(text)
    if failed:
        unwritten = "; docs/ not written" if args.write else ""
        print(f"error: failed: {', '.join(failed)} (see above){unwritten}", file=sys.stderr)
        return 1
    return 0


def _section(name: str, measure: Callable[[], Any], failed: dict[str, str]) -> Any:
    """What ``measure`` returns, or None when it failed or the sources changed meanwhile
    (a rebuilt runtime or another Python would make warm numbers cold); failures are
    recorded in ``failed`` and the other sections still run."""
    before = source_state()
    try:
        result = measure()
        changed = changed_sources(before)
        if changed:
            more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            raise BenchError(
                f"sources changed while the section ran: {', '.join(changed[:5])}{more}",
                hint="benchmark a tree that nobody is editing",
            )
    except BenchError as exc:
        failed[name] = f"{exc.message}\n{exc.hint or ''}".strip()
        print(f"[{name}] FAILED: {failed[name]}", file=sys.stderr)
        return None
    return result


def merged(results: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """``results`` plus every section of ``stored`` (an earlier docs/benchmarks.json) that
    this run did not measure; ``kept`` says, per kept section, which run measured it (its
    command, machine and settings), and the goals are checked again over all sections."""
    document = dict(results)
    kept: dict[str, Any] = {}
    for name in SECTIONS:
        if name in results or name not in stored:
            continue
        document[name] = stored[name]
        origin = stored.get("kept", {}).get(name) or {
            key: stored.get(key) for key in ("command", "machine", "settings")
        }
        kept[name] = origin
    if kept:
        document["kept"] = kept
        document["goals"] = [v.to_json() for v in goals.verdicts(document)]
    return document


def _stored(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(
            f"{path} cannot be read as JSON ({exc}); its sections would be lost",
            hint="restore it, or delete it to write this run's sections alone",
        ) from None
    if not isinstance(document, dict):
        raise BenchError(f"{path} is not a JSON object; its sections would be lost")
    return document


def _write(
    results: dict[str, Any], text: str, out: Path, to_docs: bool, chosen: Sequence[str]
) -> None:
    """The run's results, markdown and plots to ``out``; with ``to_docs`` also
    docs/benchmarks.json, merged with the sections stored there that this run did not
    measure, and the plots of the sections it did measure under docs/img/."""
    document = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    (out / "benchmarks.json").write_text(document, "utf-8")
    (out / "benchmarks.md").write_text(text, "utf-8")
    docs_results = results
    if to_docs:
        target = DOCS / "benchmarks.json"
        docs_results = merged(results, _stored(target))
        target.write_text(json.dumps(docs_results, indent=2, ensure_ascii=False) + "\n", "utf-8")
        kept = ", ".join(docs_results.get("kept", {}))
        print(f"[suite] wrote {target}{f' (kept: {kept})' if kept else ''}", file=sys.stderr)
    if not plots.available():
        print(
            "[suite] matplotlib is not installed: no plots (pip install -e '.[bench]')",
            file=sys.stderr,
        )
        return
    for path in plots.draw(results, out):
        print(f"[suite] plot {path}", file=sys.stderr)
    if to_docs:
        for path in plots.draw(docs_results, DOCS / "img", chosen):
            print(f"[suite] plot {path}", file=sys.stderr)


def main(argv: Sequence[str] | None = None, command: str | None = None) -> int:
    """Run the suite; errors print one line (and a hint) and return their exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = command or shlex.join(["python", "-m", "bench.suite", *argv])
    return exit_code(lambda: run(argv, command))


if __name__ == "__main__":
    sys.exit(main())
