"""Plan generators for the benchmarks, built with the test suite's own helpers.

Every plan written here is new: its text carries a label, so no two calls with different
labels produce the same payload (a "new plan" is never a cache hit by accident).
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from conftest import task, write_plan  # noqa: E402

# Kinds of the per-task overhead section, each one cheap task of its module.
KINDS = ("debug", "command", "file")


def sample_plan(folder: Path, label: str) -> Path:
    """A small mixed plan (debug, command, shell) with awkward strings: the plan whose
    binary is measured per profile."""
    tasks = [
        task("t_0", "debug", {"msg": f'plan {label}: "quotes" \\ backslash "# é'}),
        task("t_1", "command", {"_raw_params": f"printf '%s' 'run {label}'"}),
        task("t_2", "shell", {"cmd": "echo $((6 * 7)) | tr 4 four"}),
    ]
    return write_plan(folder / f"sample-{label}.json", tasks, name=f"bench sample {label}")


def kind_task(kind: str, index: int, label: str, files: Path) -> dict:
    """Task ``index`` of a plan made of ``kind`` tasks only."""
    task_id = f"t_{index}"
    if kind == "debug":
        return task(task_id, "debug", {"msg": f"{label} task {index}"})
    if kind == "command":
        return task(task_id, "command", {"argv": ["true", f"{label}-{index}"]})
    if kind == "file":
        return task(task_id, "file", {"path": str(files / f"f{index}"), "state": "touch"})
    raise ValueError(f"unknown task kind {kind!r}; known: {', '.join(KINDS)}")


def kind_plan(folder: Path, kind: str, count: int, label: str) -> Path:
    """A plan of ``count`` ``kind`` tasks. File tasks touch files in ``folder/files-LABEL``
    (created here), so every run of the binary does the same work."""
    files = folder / f"files-{label}"
    if kind == "file":
        files.mkdir(parents=True, exist_ok=True)
    tasks = [kind_task(kind, i, label, files) for i in range(count)]
    return write_plan(
        folder / f"{kind}-{count}-{label}.json", tasks, name=f"bench {kind} x{count} {label}"
    )
