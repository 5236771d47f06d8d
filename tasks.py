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


ns = Collection.from_module(rustle_tasks)
ns.add_task(test)
