"""Fuzzing the controller: whatever a plan file holds, loading and lowering it either
succeeds or fails with a RustleError (a clear message and an exit code), never anything else.

(a) arbitrary bytes and (b) arbitrary JSON values go to ``load_plan``; (c) mutations of a
valid plan (keys deleted, values of another JSON type, junk inserted, tasks duplicated,
random module names, Jinja-ish strings with unbalanced delimiters and quotes) go through
``render_plan``, which loads, validates, lowers and renders the whole project, then to the
targets its binary deployments ask for.
"""

from __future__ import annotations

import copy
import json
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import plan_document, task
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rustle_invoke.errors import RustleError
from rustle_invoke.pipeline import render_plan
from rustle_invoke.plan import load_plan
from rustle_invoke.targets import deployment_targets

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A plan folder with the files the valid plan ships (hypothesis reuses it)."""
    with tempfile.TemporaryDirectory(prefix="rustle-fuzz-") as name:
        root = Path(name)
        (root / "files").mkdir()
        (root / "templates").mkdir()
        (root / "files" / "app.conf").write_text("port=80\n")
        (root / "files" / "tree").mkdir()
        (root / "files" / "tree" / "a.txt").write_text("a\n")
        (root / "templates" / "motd.j2").write_text(
            "{% for u in users %}{{ u | upper }}\n{% endfor %}{{ ansible_hostname }}\n"
        )
        yield root


def _load(folder: Path, data: bytes) -> None:
    path = folder / "plan.json"
    path.write_bytes(data)
    try:
        load_plan(path)
    except RustleError:
        pass


# --- (a) bytes, (b) JSON values --------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_load_or_fail_cleanly(folder: Path, data: bytes) -> None:
    _load(folder, data)


PLAN_KEYS = st.sampled_from(
    [
        "plays", "batches", "tasks", "handlers", "task_id", "handler_id", "module", "args",
        "name", "play_id", "batch_id", "conditions", "When", "Tag", "Host", "SkipTag",
        "CheckMode", "expression", "strategy", "Rolling", "batch_size", "binary_deployments",
        "embedded_data", "static_files", "variables", "notify", "loop", "vars", "secs",
        "nanos", "execution_order", "metadata", "src_path",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(PLAN_KEYS | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@FUZZ
@given(value=JSON_VALUES)
def test_arbitrary_json_values_load_or_fail_cleanly(folder: Path, value: Any) -> None:
    _load(folder, json.dumps(value).encode())


@FUZZ
@given(value=JSON_VALUES)
def test_json_values_in_plan_shapes_load_or_fail_cleanly(folder: Path, value: Any) -> None:
    """The same values one or two levels down, where the plan's own validators see them."""
    shapes = [
        {"plays": value},
        {"plays": [value]},
        {"plays": [{"play_id": "p", "batches": [value]}]},
        {"plays": [{"play_id": "p", "batches": [{"batch_id": "b", "tasks": [value]}]}]},
    ]
    for shape in shapes:
        _load(folder, json.dumps(shape).encode())


# --- (c) mutations of a valid plan ----------------------------------------------------------


def _valid_plan() -> dict[str, Any]:
    tasks = [
        task("task_0", "debug", {"msg": "{{ greeting | default('hi') }} {{ users | length }}"}),
        task("task_1", "command", {"_raw_params": "echo 'a b' c"}, register="out"),
        task(
            "task_2",
            "copy",
            {"src": "app.conf", "dest": "/tmp/app.conf", "mode": "0644"},
            notify=["restart app"],
        ),
        task("task_3", "template", {"src": "motd.j2", "dest": "/tmp/motd"}),
        task(
            "task_4",
            "set_fact",
            {"answer": "{{ 6 * 7 }}"},
            conditions=[{"When": {"expression": "out.rc == 0 and users is defined"}}],
        ),
        task("task_5", "assert", {"that": ["answer | int == 42"]}, loop=["{{ users }}"]),
        task("task_6", "file", {"path": "/tmp/x", "state": "directory"}, tags=["files"]),
        task("task_7", "copy", {"src": "tree/", "dest": "/tmp/tree"}),
    ]
    handlers = [
        {
            "handler_id": "h_0",
            "name": "restart app",
            "module": "shell",
            "args": {"_raw_params": "echo restarted"},
            "conditions": [],
            "execution_order": 0,
        }
    ]
    doc = plan_document(tasks, handlers=handlers, variables={"users": ["ann", "bob"]})
    doc["binary_deployments"][0]["embedded_data"]["static_files"] = [
        {"src_path": "app.conf", "dest_path": "/etc/app.conf", "checksum": "", "size": 0}
    ]
    return doc


VALID = _valid_plan()

JINJA_PIECES = st.sampled_from(
    [
        "{{", "}}", "{%", "%}", "{#", "#}", "'", '"', "(", ")", "[", "]", "{", "}", "x", " ",
        "|", "upper", "default", "if", "else", "endif", "for", "in", "endfor", "set", "raw",
        "endraw", "not", "and", "is", "defined", "lookup", "range", "1", "9" * 25, "1e999",
        ".", ",", ":", "=", "~", "-", "+", "*", "**", "//", "%", "\n", "\\", "é", "\x00",
        "x.y", "item", "loop.index", "ansible_facts", "hostvars['h']",
    ]
)  # fmt: skip
JINJA_STRINGS = st.lists(JINJA_PIECES, max_size=25).map("".join)
MODULE_NAMES = st.sampled_from(
    [
        "debug",
        "command",
        "shell",
        "copy",
        "template",
        "file",
        "stat",
        "lineinfile",
        "package",
        "apt",
        "service",
        "systemd",
        "wait_for",
        "set_fact",
        "assert",
        "fail",
        "ping",
        "setup",
        "ansible.builtin.copy",
        "ansible.legacy.shell",
        "dnf",
        "yum",
        "apk",
        "pacman",
        "zypper",
        "homebrew",
        "launchd",
        "sysvinit",
    ]
) | st.text(string.ascii_letters + "._", max_size=20)
NEW_VALUES = JSON_VALUES | JINJA_STRINGS


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every location in a JSON document (the root is ``()``)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _mutate(doc: dict[str, Any], data: st.DataObject) -> None:
    """One mutation, at a location hypothesis picks."""
    kind = data.draw(
        st.sampled_from(["delete", "replace", "junk", "duplicate", "module", "jinja", "when"])
    )
    tasks = doc.get("plays", [{}])
    batch_tasks = None
    if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict):
        batches = tasks[0].get("batches")
        if isinstance(batches, list) and batches and isinstance(batches[0], dict):
            batch_tasks = batches[0].get("tasks")
    task_list = batch_tasks if isinstance(batch_tasks, list) and batch_tasks else None
    if kind in ("duplicate", "module", "when") and task_list is not None:
        index = data.draw(st.integers(0, len(task_list) - 1))
        chosen = task_list[index]
        if kind == "duplicate":
            task_list.insert(index, copy.deepcopy(chosen))
        elif isinstance(chosen, dict) and kind == "module":
            chosen["module"] = data.draw(MODULE_NAMES)
        elif isinstance(chosen, dict):
            chosen["conditions"] = [{"When": {"expression": data.draw(JINJA_STRINGS)}}]
        return
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    parent = _at(doc, path[:-1])
    key = path[-1]
    if kind == "delete":
        del parent[key]
    elif kind == "junk" and isinstance(parent, dict):
        parent[data.draw(PLAN_KEYS | st.text(max_size=8))] = data.draw(NEW_VALUES)
    elif kind == "junk":
        parent.insert(key, data.draw(NEW_VALUES))
    elif kind == "jinja" and isinstance(parent[key], str):
        parent[key] = data.draw(JINJA_STRINGS)
    else:
        parent[key] = data.draw(NEW_VALUES)


@FUZZ
@given(data=st.data())
def test_mutated_plans_render_or_fail_cleanly(folder: Path, data: st.DataObject) -> None:
    doc = copy.deepcopy(VALID)
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(doc, data)
    path = folder / "plan.json"
    path.write_text(json.dumps(doc), "utf-8")
    try:
        render_plan(path)
        # What compile does next without building: one target per binary deployment.
        deployment_targets(None, load_plan(path).plan, "x86_64-unknown-linux-gnu")
    except RustleError:
        pass


@FUZZ
@given(text=JINJA_STRINGS, where=st.sampled_from(["msg", "when", "that", "loop", "var"]))
def test_jinja_strings_everywhere_render_or_fail_cleanly(
    folder: Path, text: str, where: str
) -> None:
    doc = copy.deepcopy(VALID)
    tasks = doc["plays"][0]["batches"][0]["tasks"]
    if where == "msg":
        tasks[0]["args"]["msg"] = text
    elif where == "when":
        tasks[0]["conditions"] = [{"When": {"expression": text}}]
    elif where == "that":
        tasks[5]["args"]["that"] = [text]
    elif where == "loop":
        tasks[5]["loop"] = text
    else:
        doc["binary_deployments"][0]["embedded_data"]["variables"]["v"] = text
    path = folder / "plan.json"
    path.write_text(json.dumps(doc), "utf-8")
    try:
        render_plan(path)
    except RustleError:
        pass


def test_the_valid_plan_renders(folder: Path) -> None:
    """The mutations start from a plan that renders, so they explore past validation."""
    path = folder / "plan.json"
    path.write_text(json.dumps(VALID), "utf-8")
    summary = render_plan(path)
    assert set(summary["modules"]) == {
        "debug", "command", "copy", "template", "set_fact", "assert", "file", "shell"
    }  # fmt: skip
