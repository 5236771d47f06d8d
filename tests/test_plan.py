"""Plan intake: rustle-plan's JSON, every variant, and errors with JSON paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import plan_document, task, write_plan

from rustle_invoke.errors import PlanError
from rustle_invoke.plan import load_plan, parse_plan


def _rustle_plan_shaped(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if "plays" in json.loads(p.read_text()))


def test_every_rustle_plan_fixture_loads(shared_fixtures: Path) -> None:
    plans = _rustle_plan_shaped(shared_fixtures / "plans")
    assert len(plans) >= 5
    for path in plans:
        loaded = load_plan(path)
        assert loaded.plan.plays, path
        raw = json.loads(path.read_text())
        raw_ids = [t["task_id"] for p in raw["plays"] for b in p["batches"] for t in b["tasks"]]
        assert sorted(t.task_id for t in loaded.plan.all_tasks()) == sorted(raw_ids)


def test_fixture_details_survive_loading(shared_fixtures: Path) -> None:
    loaded = load_plan(shared_fixtures / "plans" / "file_operations_plan.json")
    tasks = list(loaded.plan.all_tasks())
    assert tasks[0].conditions[0].kind == "Tag"
    assert tasks[0].conditions[0].tags == ["ansible", "files", "copy", "permissions"]
    assert tasks[4].conditions[0].kind == "When"
    assert tasks[4].conditions[0].expression == 'ansible_system != "Windows"'
    assert tasks[2].estimated_duration is not None
    assert tasks[2].estimated_duration.seconds == pytest.approx(2.6)
    deployment = loaded.plan.binary_deployments[0]
    assert deployment.embedded_data.static_files[0].dest_path.endswith("app.conf")
    assert deployment.compilation_requirements is not None
    assert deployment.compilation_requirements.static_linking is True


def test_fixture_handlers_load(shared_fixtures: Path) -> None:
    handlers = [
        h
        for p in _rustle_plan_shaped(shared_fixtures / "plans")
        for h in load_plan(p).plan.all_handlers()
    ]
    assert any(h.name == "restart service" and h.module == "service" for h in handlers)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"When": {"expression": "x is defined"}}, ("When", "expression", "x is defined")),
        ({"Tag": {"tags": ["a", "b"]}}, ("Tag", "tags", ["a", "b"])),
        ({"Host": {"pattern": "web*"}}, ("Host", "pattern", "web*")),
        ({"SkipTag": {"tags": ["slow"]}}, ("SkipTag", "tags", ["slow"])),
        ({"CheckMode": {"enabled": True}}, ("CheckMode", "enabled", True)),
    ],
)
def test_every_condition_variant(condition: dict, expected: tuple) -> None:
    doc = plan_document([task("t_0", "debug", {"msg": "x"}, conditions=[condition])])
    loaded = parse_plan(json.dumps(doc))
    parsed = loaded.plays[0].batches[0].tasks[0].conditions[0]
    kind, field, value = expected
    assert parsed.kind == kind
    assert getattr(parsed, field) == value


@pytest.mark.parametrize(
    ("strategy", "text"),
    [
        ("Linear", "Linear"),
        ({"Rolling": {"batch_size": 3}}, "Rolling(3)"),
        ("Free", "Free"),
        ("HostPinned", "HostPinned"),
        ("BinaryHybrid", "BinaryHybrid"),
        ("BinaryOnly", "BinaryOnly"),
    ],
)
def test_every_strategy(strategy: object, text: str) -> None:
    doc = plan_document([task("t_0", "debug", {})])
    doc["plays"][0]["strategy"] = strategy
    doc["metadata"]["planning_options"]["strategy"] = strategy
    plan = parse_plan(json.dumps(doc))
    assert str(plan.plays[0].strategy) == text
    assert plan.metadata is not None and plan.metadata.planning_options is not None
    assert str(plan.metadata.planning_options.strategy) == text


def test_optional_task_keys_are_kept() -> None:
    extra = {
        "register": "out",
        "loop": [1, 2],
        "with_items": ["a"],
        "ignore_errors": True,
        "changed_when": "false",
        "failed_when": "rc > 1",
        "vars": {"k": "v"},
    }
    doc = plan_document([task("t_0", "command", {"_raw_params": "true"}, **extra)])
    parsed = parse_plan(json.dumps(doc)).plays[0].batches[0].tasks[0]
    assert parsed.register_as == "out"
    assert parsed.loop == [1, 2]
    assert parsed.with_items == ["a"]
    assert parsed.ignore_errors is True
    assert parsed.changed_when == "false"
    assert parsed.failed_when == "rc > 1"
    assert parsed.vars == {"k": "v"}


def test_tasks_run_in_execution_order() -> None:
    doc = plan_document(
        [
            task("t_2", "debug", {}, execution_order=2),
            task("t_0", "debug", {}, execution_order=0),
            task("t_1", "debug", {}, execution_order=1),
        ]
    )
    plan = parse_plan(json.dumps(doc))
    assert [t.task_id for t in plan.all_tasks()] == ["t_0", "t_1", "t_2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("{", "not valid JSON"),
        ("[]", "$: a plan is a JSON object, not an array"),
        ('{"plays": []}', "$.plays: List should have at least 1 item"),
        ('{"tasks": [], "inventory": {}}', "legacy rustle-deploy shape"),
        ("[" * 100_000 + "]" * 100_000, "nests arrays and objects too deeply"),
    ],
)
def test_malformed_plans_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.json")
    assert message in str(info.value)
    assert str(info.value).startswith("plan.json")


def test_wrong_field_types_name_the_json_path() -> None:
    doc = plan_document([task("t_0", "debug", {})])
    doc["plays"][0]["batches"][0]["tasks"][0]["task_id"] = 7
    doc["plays"][0]["batches"][0]["tasks"][0]["conditions"] = [{"Sometimes": {}}]
    with pytest.raises(PlanError) as info:
        parse_plan(json.dumps(doc), "p.json")
    text = str(info.value)
    assert "p.json: $.plays[0].batches[0].tasks[0].task_id: Input should be a valid string" in text
    assert (
        "$.plays[0].batches[0].tasks[0].conditions[0]: unknown condition kind 'Sometimes'" in text
    )


def test_duplicate_task_ids_are_refused() -> None:
    doc = plan_document([task("t_0", "debug", {}), task("t_0", "debug", {}, execution_order=1)])
    with pytest.raises(PlanError, match="duplicate task id 't_0'"):
        parse_plan(json.dumps(doc))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such file"):
        load_plan(tmp_path / "absent.json")
    with pytest.raises(PlanError, match="is a folder"):
        load_plan(tmp_path)
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"plays": "\xff"}')
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(bad)


def test_plan_name_comes_from_the_first_play(tmp_path: Path) -> None:
    path = write_plan(tmp_path / "p.json", [task("t_0", "debug", {})], name="Deploy web")
    assert load_plan(path).name == "Deploy web"
