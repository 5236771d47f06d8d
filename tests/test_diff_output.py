"""`--diff` text output: the same play under `ansible-playbook --diff` and as a binary run with
`--diff` prints the same diff blocks, in the same places (before `changed: [host]`, before each
loop item's line), byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ansible_play import ansible_playbook
from conftest import cli_json, task, write_plan

from rustle_invoke import process

pytestmark = pytest.mark.cargo


def _tasks(root: Path) -> list[dict[str, Any]]:
    return [
        {
            "name": "rewrite a file",
            "copy": {"content": "one\ntwo\nthree\nfour\n", "dest": f"{root}/a.txt"},
        },
        {"name": "make a folder", "file": {"path": f"{root}/dir", "state": "directory"}},
        {
            "name": "files in a loop",
            "copy": {"content": "{{ item }}", "dest": f"{root}/{{{{ item }}}}.txt"},
            "loop": ["x", "y"],
        },
        {
            "name": "unchanged",
            "copy": {"content": "one\ntwo\nthree\nfour\n", "dest": f"{root}/a.txt"},
        },
    ]


def _prepare(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    (root / "a.txt").write_text("one\n2\nthree")
    (root / "y.txt").write_text("old y\n")


def _body(text: str) -> str:
    """The output from the first task banner up to the recap."""
    start = text.index("TASK [")
    return text[start : text.index("PLAY RECAP")]


def test_diff_blocks_match_ansible_playbook(tmp_path: Path) -> None:
    root = tmp_path / "target"
    tasks = _tasks(root)

    _prepare(root)
    ran = ansible_playbook({"tasks": tasks}, tmp_path, "--diff", callback="default")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    expected = _body(ran.stdout)

    plan_tasks = []
    for index, source in enumerate(tasks):
        module = "copy" if "copy" in source else "file"
        extra = {"loop": source["loop"]} if "loop" in source else {}
        plan_tasks.append(task(f"t_{index}", module, source[module], name=source["name"], **extra))
    plan = write_plan(tmp_path / "plan.json", plan_tasks)
    binary = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    _prepare(root)
    ours = process.run([binary["binary_path"], "--diff"], timeout=120)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert _body(ours.stdout) == expected
    # The blocks are really there (not two empty outputs agreeing).
    assert "--- before: " in expected and "\\ No newline at end of file" in expected
    assert '+    "state": "directory"' in expected

    # Without --diff no diff is printed.
    _prepare(root)
    plain = process.run([binary["binary_path"]], timeout=120)
    assert "--- before" not in plain.stdout
