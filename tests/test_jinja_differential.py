"""Jinja2 in Python against one compiled binary: same templates, same variables, same text.

Every template of the corpus becomes a `debug` task of one plan, compiled once. Variables go in
through `-e @vars.json`, so hypothesis can feed new values to the same binary; each task's
`msg` in the JSON report is compared with what Jinja2 (set up as Ansible sets it up) renders.
A template that makes Jinja2 raise must make its task fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import cli_json, task, write_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja_corpus import FAILING, NATIVE_EXPRESSIONS, TEXT_TEMPLATES, VARIABLES
from jinja_oracle import evaluate, render

from rustle_invoke import process

pytestmark = pytest.mark.cargo

# Makes every template render as text: "{{ '' }}" adds nothing and no whitespace control.
TEXT = "{{ '' }}"
ENV = {"RUSTLE_DIFF_ENV": "from the environment"}

# Templates over `x` and `y`, fed by hypothesis.
GENERATED_TEMPLATES = [
    "{{ x }}",
    "{{ [x, y] }}",
    "{{ {'k': x, 'other': y} }}",
    "{{ x == y }} {{ x != y }}",
    "{{ x < y }}",
    "{{ x >= y }}",
    "{{ x ~ y }}",
    "{{ x + y }}",
    "{{ x - y }}",
    "{{ x * 2 }}",
    "{{ x / y }}",
    "{{ x // y }}",
    "{{ x % y }}",
    "{{ x in y }}",
    "{% if x %}T{% else %}F{% endif %} {{ not y }} {{ x and y }} {{ x or y }}",
    "{{ x | tojson }}",
    "{{ x | to_json }}",
    "{{ x | to_nice_json }}",
    "{{ x | string }} {{ x | string | length }}",
    "{{ x is number }} {{ x is string }} {{ x is mapping }} {{ x is sequence }} {{ x is none }}",
    "{{ x | bool }}",
    "{{ x | int }} {{ x | float }}",
    "{{ x | abs }}",
    "{{ x | round(1) }} {{ x | round }}",
    "{{ x | sort }}",
    "{{ x | unique | list }}",
    "{{ x | reverse | list }}",
    "{{ x | length }}",
    "{{ x | first }} {{ x | last }}",
    "{{ x | min }} {{ x | max }}",
    "{{ x | sum }}",
    "{{ x | join(',') }}",
    "{{ x | upper }} {{ x | lower }}",
    "{{ x | title }} {{ x | capitalize }}",
    "{{ x.split() }}",
    "{{ x | trim }}",
    "{{ x | dictsort }}",
    "{{ x | list }}",
    "{{ x | default('d') }}",
    "{{ x | ternary('yes', 'no') }}",
    "{% for i in x %}{{ loop.index }}={{ i }};{% endfor %}",
    "{{ x[1:] }} {{ x[::-1] }}",
]


def _scalar() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**31), max_value=2**31),
        # |int of a float beyond 2**63 is a Python big int, which the runtime refuses by design.
        st.floats(min_value=-1e18, max_value=1e18, allow_nan=False),
        st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=12),
    )


VALUES = st.recursive(
    _scalar(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jinja")
    messages = (
        [TEXT + t for t in TEXT_TEMPLATES]
        + ["{{ " + e + " }}" for e in NATIVE_EXPRESSIONS]
        + [t for t, _ in FAILING]
        + [TEXT + t for t in GENERATED_TEMPLATES]
    )
    tasks = [
        task(f"t_{i}", "debug", {"msg": msg}, name=f"template {i}", ignore_errors=True)
        for i, msg in enumerate(messages)
    ]
    plan = write_plan(folder / "jinja.plan.json", tasks)
    document = cli_json("compile", "--plan", str(plan), "--profile", "debug")
    return Path(document["binaries"][0]["binary_path"])


def run(binary: Path, variables: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """The binary's task records, in task order."""
    extra = folder / "vars.json"
    extra.write_text(json.dumps(variables), "utf-8")
    result = process.run([str(binary), "--format", "json", "-e", f"@{extra}"], env=ENV, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["tasks"]  # type: ignore[no-any-return]


def _offsets() -> dict[str, int]:
    text = 0
    native = text + len(TEXT_TEMPLATES)
    failing = native + len(NATIVE_EXPRESSIONS)
    generated = failing + len(FAILING)
    return {"text": text, "native": native, "failing": failing, "generated": generated}


OFFSETS = _offsets()


@pytest.fixture(scope="module")
def corpus_records(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUSTLE_DIFF_ENV", ENV["RUSTLE_DIFF_ENV"])
        return run(binary, VARIABLES, tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("index", range(len(TEXT_TEMPLATES)))
def test_text_templates_render_as_jinja2_does(
    corpus_records: list[dict], index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUSTLE_DIFF_ENV", ENV["RUSTLE_DIFF_ENV"])
    source = TEXT + TEXT_TEMPLATES[index]
    ok, expected = render(source, VARIABLES)
    assert ok, f"the oracle failed on its own corpus: {expected}"
    record = corpus_records[OFFSETS["text"] + index]
    assert record["status"] == "ok", f"{source!r} failed: {record['msg']}"
    assert record["msg"] == expected, source


@pytest.mark.parametrize("index", range(len(NATIVE_EXPRESSIONS)))
def test_single_expressions_keep_their_type(corpus_records: list[dict], index: int) -> None:
    expression = NATIVE_EXPRESSIONS[index]
    ok, expected = evaluate(expression, VARIABLES)
    assert ok, expected
    record = corpus_records[OFFSETS["native"] + index]
    assert record["status"] == "ok", record["msg"]
    assert record["msg"] == expected, expression


@pytest.mark.parametrize("index", range(len(FAILING)))
def test_errors_fail_the_task_with_jinja2s_reason(corpus_records: list[dict], index: int) -> None:
    source, reason = FAILING[index]
    ok, _ = render(source, VARIABLES)
    assert not ok
    record = corpus_records[OFFSETS["failing"] + index]
    assert record["status"] == "failed", source
    assert reason in record["msg"], (source, record["msg"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(x=VALUES, y=VALUES)
def test_generated_values_render_as_jinja2_does(
    binary: Path, tmp_path_factory: pytest.TempPathFactory, x: Any, y: Any
) -> None:
    folder = tmp_path_factory.mktemp("generated", numbered=True)
    records = run(binary, {**VARIABLES, "x": x, "y": y}, folder)
    mismatches = []
    for index, template in enumerate(GENERATED_TEMPLATES):
        source = TEXT + template
        ok, expected = render(source, {"x": x, "y": y})
        record = records[OFFSETS["generated"] + index]
        if ok and (record["status"] != "ok" or expected != record["msg"]):
            mismatches.append((template, expected, record["status"], record["msg"]))
        elif not ok and record["status"] != "failed":
            mismatches.append((template, f"error: {expected}", record["status"], record["msg"]))
    assert not mismatches, f"x={x!r} y={y!r}: {mismatches}"
