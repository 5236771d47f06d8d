"""This repo's own tasks: rustle-invoke's collection, plus development helpers."""

import shlex

from invoke import Collection, task

from rustle_invoke import tasks as rustle_tasks


@task(help={"args": "extra pytest arguments"})
def test(c, args=""):
    """Run the test suite (what CI runs)."""
    import pytest

    code = pytest.main(shlex.split(args))
    if code:
        raise SystemExit(code)


@task(
    help={
        "runs": "runs per measurement (default 5; with --quick 2)",
        "quick": "a smoke run: fewer runs, release only, fewer plan sizes",
        "sections": "comma-separated, from profiles,sizes,overhead,startup,deploy "
        "(default: all but deploy)",
        "write": "also write docs/benchmarks.json and the plots under docs/img/",
        "profile_hot": "also profile compiles (pyinstrument) and the runtime build "
        "(cargo --timings)",
        "args": "more bench.suite options, e.g. '--sizes 5,1000 --keep'",
    }
)
def bench(c, runs=0, quick=False, sections="", write=False, profile_hot=False, args=""):
    """Run the benchmark suite in bench/; prints the markdown for docs/benchmarks.md."""
    from bench.suite import main

    argv = [f"--runs={runs}"] if runs else []
    argv += ["--quick"] if quick else []
    argv += [f"--sections={sections}"] if sections else []
    argv += ["--write"] if write else []
    argv += ["--profile-hot"] if profile_hot else []
    command = shlex.join(["invoke", "bench", *argv] + ([f"--args={args}"] if args else []))
    code = main([*argv, *shlex.split(args)], command=command)
    if code:
        raise SystemExit(code)


@task(name="cli-text")
def cli_text(c):
    """Rewrite rustle_invoke/cli_text/ (the help the console script prints without Invoke)."""
    from rustle_invoke.cli import write_stored_answers

    for path in write_stored_answers():
        print(path)


ns = Collection.from_module(rustle_tasks)
ns.add_task(test)
ns.add_task(bench)
ns.add_task(cli_text)
