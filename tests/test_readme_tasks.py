"""The README's per-repository tasks.py works as printed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, task, write_plan

from rustle_invoke import process

pytestmark = pytest.mark.cargo


def _readme_tasks_py() -> str:
    text = (REPO / "README.md").read_text("utf-8")
    found = re.search(r"```python\n(# tasks\.py\n.*?)```", text, re.DOTALL)
    assert found, "README.md lost its tasks.py example"
    return found.group(1)


def test_the_readme_tasks_py_lists_and_runs(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(_readme_tasks_py())
    invoke = shutil.which("invoke") or "invoke"
    listed = process.run([invoke, "--list"], cwd=tmp_path, timeout=120)
    assert listed.returncode == 0, listed.stderr
    for name in ("release", "compile", "localhost-test", "plugins"):
        assert re.search(rf"^\s+{name}\b", listed.stdout, re.MULTILINE), listed.stdout
    plan = write_plan(tmp_path / "plan.json", [task("t_0", "debug", {"msg": "team task"})])
    # A runtime config file beats the collection's default profile (min-size builds slowly).
    (tmp_path / "fast.yaml").write_text("rustle:\n  profile: debug\n")
    ran = process.run(
        [invoke, "-f", "fast.yaml", "release", "--plan", str(plan)], cwd=tmp_path, timeout=900
    )
    assert ran.returncode == 0, ran.stderr
    triple, _, rest = ran.stdout.strip().partition(": ")
    path = rest.rsplit(" (", 1)[0]
    assert triple == "x86_64-unknown-linux-gnu" and rest.endswith("(localhost)")
    report = json.loads(process.run([path, "--format", "json"], timeout=60).stdout)
    assert [t["msg"] for t in report["tasks"]] == ["team task"]
