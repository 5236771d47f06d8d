"""Payload lowering and project rendering (no cargo involved)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import task, write_plan

from rustle_invoke.config import TargetSpecification
from rustle_invoke.errors import PlanError, UnsupportedConstruct, UnsupportedModule
from rustle_invoke.pipeline import prepare_payload, render

HOSTILE = 'say "hi" \\ back\\slash "# }} {x} \u200f RTL \U0001f600 and\nnewline'


def _project(path: Path):
    loaded, payload = prepare_payload(path)
    return payload, render(loaded, payload, TargetSpecification("x86_64-unknown-linux-gnu"))


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": HOSTILE})])
    first_payload, first = _project(plan)
    second_payload, second = _project(plan)
    assert first_payload.data == second_payload.data
    assert first.sources == second.sources
    assert first.manifest_text("runtime") == second.manifest_text("runtime")
    assert first.template_hash == second.template_hash
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    first.write(out_a)
    second.write(out_b)
    files_a = sorted(p.relative_to(out_a) for p in out_a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(out_b) for p in out_b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (out_a / rel).read_bytes() == (out_b / rel).read_bytes()


def test_a_different_plan_changes_the_hash(tmp_path: Path) -> None:
    one = write_plan(tmp_path / "one.json", [task("t_0", "debug", {"msg": "one"})])
    two = write_plan(tmp_path / "two.json", [task("t_0", "debug", {"msg": "two"})])
    assert _project(one)[1].template_hash != _project(two)[1].template_hash
    assert _project(one)[1].name != _project(two)[1].name


def test_plan_text_never_reaches_rust_source(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": HOSTILE})], name=HOSTILE)
    payload, project = _project(plan)
    main_rs = dict(project.sources)["src/main.rs"].decode()
    assert "RTL" not in main_rs and 'say "hi"' not in main_rs and "back" not in main_rs
    assert 'include_bytes!("../payload.json")' in main_rs
    decoded = json.loads(payload.data)
    assert decoded["plays"][0]["tasks"][0]["args"]["msg"] == HOSTILE
    assert decoded["plan"]["name"] == HOSTILE


def test_manifest_is_written_by_tomli_w_with_all_profiles(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {})])
    _, project = _project(plan)
    manifest = tomllib.loads(project.manifest_text("/shared/runtime").decode())
    assert manifest["dependencies"]["rustle-runtime"] == {"path": "/shared/runtime"}
    assert manifest["bin"][0]["name"] == project.name
    profiles = manifest["profile"]
    assert profiles["min-size"] == {
        "inherits": "release",
        "opt-level": "z",
        "panic": "abort",
        "strip": True,
    }
    assert profiles["release"]["opt-level"] == "s" and profiles["release"]["codegen-units"] == 1
    assert profiles["release-debuginfo"]["debug"] is True
    assert "workspace" in manifest


def test_command_is_split_on_the_controller(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "p.json",
        [
            task(
                "t_0", "command", {"_raw_params": "printf '%s|' 'a b' \"c\\\"d\"", "chdir": "/tmp"}
            ),
            task("t_1", "ansible.builtin.shell", {"cmd": "echo $HOME", "executable": "/bin/bash"}),
        ],
    )
    payload, _ = _project(plan)
    tasks = json.loads(payload.data)["plays"][0]["tasks"]
    assert tasks[0]["args"]["argv"] == ["printf", "%s|", "a b", 'c"d']
    assert tasks[0]["args"]["chdir"] == "/tmp"
    assert tasks[1]["module"] == "shell"
    assert tasks[1]["args"]["cmd"] == "echo $HOME"
    assert tasks[1]["args"]["executable"] == "/bin/bash"


def test_unknown_module_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "comand", {"_raw_params": "true"})])
    with pytest.raises(UnsupportedModule) as info:
        prepare_payload(plan)
    assert "task t_0" in str(info.value) and "'comand'" in str(info.value)
    assert info.value.hint == "did you mean 'command'?"


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("debug", {"msg": "a", "var": "b"}, "mutually exclusive"),
        ("debug", {"mesage": "a"}, "unsupported parameters for (debug) module: mesage"),
        ("command", {}, "needs a command"),
        ("command", {"_raw_params": "echo 'unterminated"}, "cannot split"),
        ("shell", {"cmd": "   "}, "needs a command"),
        ("command", {"_raw_params": "true", "strip_empty_ends": "maybe"}, "must be a boolean"),
    ],
)
def test_bad_module_arguments_fail_the_build(
    tmp_path: Path, module: str, args: dict, message: str
) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", module, args)])
    with pytest.raises(PlanError) as info:
        prepare_payload(plan)
    assert message in str(info.value)
    assert "task t_0" in str(info.value)


def test_unsupported_jinja_names_the_task_and_the_construct(tmp_path: Path) -> None:
    templated = write_plan(
        tmp_path / "a.json",
        [task("t_0", "debug", {"msg": "ok\n{{ x | regex_replace('a', 'b') }}"}, name="greet")],
    )
    with pytest.raises(UnsupportedConstruct) as info:
        prepare_payload(templated)
    message = str(info.value)
    assert "task t_0 ('greet')" in message
    assert "args: msg: line 2: the filter 'regex_replace' is not supported" in message
    conditional = write_plan(
        tmp_path / "b.json",
        [task("t_0", "debug", {}, conditions=[{"When": {"expression": "x is matching"}}])],
    )
    with pytest.raises(UnsupportedConstruct, match="when: 'x is matching'.*the test 'matching'"):
        prepare_payload(conditional)


def test_notify_must_name_a_handler(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {}, notify=["restart it"])])
    with pytest.raises(PlanError, match="notify names 'restart it'"):
        prepare_payload(plan)


def test_conditions_are_lowered(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "p.json",
        [
            task(
                "t_0",
                "debug",
                {},
                tags=["a"],
                conditions=[
                    {"Tag": {"tags": ["a", "b"]}},
                    {"SkipTag": {"tags": ["c"]}},
                    {"Host": {"pattern": "web*"}},
                    {"CheckMode": {"enabled": False}},
                ],
            )
        ],
    )
    entry = json.loads(prepare_payload(plan)[1].data)["plays"][0]["tasks"][0]
    assert entry["tags"] == ["a", "b"]
    assert entry["skip_tags"] == ["c"]
    assert entry["host_patterns"] == ["web*"]
    assert entry["check_mode"] is False
