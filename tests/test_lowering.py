"""Jinja2 → IR on the controller: shapes, refusals, references (no cargo needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli, task, write_plan

from rustle_invoke.errors import PlanError, UnsupportedConstruct
from rustle_invoke.lowering import (
    LoweringError,
    References,
    TemplateOptions,
    lower_condition,
    lower_expression,
    lower_template,
    lower_value,
)
from rustle_invoke.pipeline import prepare_payload


def payload_of(path: Path) -> dict:
    _, payload = prepare_payload(path)
    return json.loads(payload.data)


def test_template_statements_are_lowered() -> None:
    source = (
        "{# note #}{% set n = 2 %}{% for k, v in d | dictsort if v %}{{ loop.index }}:{{ k }}"
        "{% else %}none{% endfor %}{% if n > 1 %}big{% elif n %}one{% else %}zero{% endif %}"
        "{% raw %}{{ kept }}{% endraw %}"
    )
    assert lower_template(source) == [
        ["set", "n", ["const", 2]],
        [
            "for",
            ["k", "v"],
            ["filter", "dictsort", ["var", "d"], [], []],
            ["var", "v"],
            [["out", ["attr", ["var", "loop"], "index"]], ["text", ":"], ["out", ["var", "k"]]],
            [["text", "none"]],
        ],
        [
            "if",
            [
                [["cmp", ["var", "n"], [["gt", ["const", 1]]]], [["text", "big"]]],
                [["var", "n"], [["text", "one"]]],
            ],
            [["text", "zero"]],
        ],
        ["text", "{{ kept }}"],
    ]


def test_whitespace_control_is_applied_by_jinja2s_lexer() -> None:
    assert lower_template("a  {%- if x -%}  b  {%- endif %}\n") == [
        ["text", "a"],
        ["if", [[["var", "x"], [["text", "b"]]]], []],
    ]
    trimmed = lower_template("{% if x %}\nb\n{% endif %}\n", TemplateOptions(trim_blocks=True))
    assert trimmed == [["if", [[["var", "x"], [["text", "b\n"]]]], []]]


def test_expressions_cover_operators_and_access() -> None:
    assert lower_expression("-a.b[1:2] ** 2 // 3 ~ 'x' if c not in d else e['k']") == [
        "cond",
        ["cmp", ["var", "c"], [["notin", ["var", "d"]]]],
        [
            "concat",
            [
                [
                    "bin",
                    "//",
                    # Jinja2 binds unary minus tighter than ** (unlike Python): (-a) ** 2
                    ["bin", "**", ["neg", ["slice", ["attr", ["var", "a"], "b"],
                                           ["const", 1], ["const", 2], None]], ["const", 2]],
                    ["const", 3],
                ],
                ["const", "x"],
            ],
        ],
        ["item", ["var", "e"], ["const", "k"]],
    ]  # fmt: skip


def test_aliases_become_canonical_names() -> None:
    assert lower_expression("x | d('a') | count") == [
        "filter", "length", ["filter", "default", ["var", "x"], [["const", "a"]], []], [], [],
    ]  # fmt: skip
    assert lower_expression("xs | select('equalto', 1)")[3] == [["const", "eq"], ["const", 1]]
    assert lower_expression("r is success") == ["test", "succeeded", ["var", "r"], [], []]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ x | to_yaml }}", "the filter 'to_yaml' is not supported"),
        ("{{ x | lowr }}", "did you mean 'lower'?"),
        ("{{ x is version('1', '<') }}", "the test 'version' is not supported"),
        ("{% macro m() %}{% endmacro %}", "{% macro %} is not supported"),
        ("{% include 'x' %}", "{% include %} is not supported"),
        ("{{ x | replace('a') }}", "needs the argument(s) new"),
        ("{{ x | join(',', sep='') }}", "has no argument 'sep'"),
        ("{{ x | trim('a', 'b') }}", "takes at most 1 argument(s), 2 given"),
        ("{{ lookup('file', 'x') }}", "the lookup 'file' is not supported"),
        ("{{ lipsum() }}", "the function 'lipsum' is not supported"),
        ("{{ x.frobnicate() }}", "the method 'frobnicate' is not supported"),
        ("{{ f(*xs) }}", "the function 'f' is not supported"),
        ("{{ range(*xs) }}", "*args and **kwargs"),
        ("{{ xs | map('nope') }}", "the filter 'nope' (used by map) is not supported"),
        ("{{ xs | select(t) }}", "select needs the test name as a string literal"),
        ("{{ 2 ** 64 }}", None),
        ("{{ 18446744073709551616 }}", "does not fit in 64 bits"),
        ("{% for x in xs recursive %}{% endfor %}", "recursive for loops"),
        ("line one\n{{ x", "line 2: Jinja2 syntax error"),
    ],
)
def test_unsupported_constructs_are_named(source: str, message: str | None) -> None:
    if message is None:
        lower_template(source)  # overflow is the runtime's to report, not a syntax matter
        return
    with pytest.raises(LoweringError) as info:
        lower_template(source)
    assert message in str(info.value)


def test_conditions_are_bare_expressions() -> None:
    assert lower_condition("x == 1") == ["cmp", ["var", "x"], [["eq", ["const", 1]]]]
    assert lower_condition("{{ flag }}") == ["var", "flag"]
    with pytest.raises(LoweringError, match="bare expression"):
        lower_condition("{{ a }} == {{ b }}")
    with pytest.raises(LoweringError, match="unexpected 'b'"):
        lower_condition("a b")


def test_values_keep_plain_strings_and_record_template_paths() -> None:
    lowered = lower_value({"a": "plain", "b": ["x", "{{ y }}"], "{{ k }}": 1})
    assert lowered.plain == {"a": "plain", "b": ["x", "{{ y }}"], "{{ k }}": 1}
    assert lowered.templates == [[["b", 1], [["out", ["var", "y"]]]]]
    with pytest.raises(LoweringError, match=r"b\[0\]: line 1"):
        lower_value({"b": ["{{ x | nope }}"]})


def test_references_follow_constant_attribute_chains() -> None:
    refs = References().add(
        lower_template("{{ ansible_facts.os_family }}{{ hostvars[h]['ansible_kernel'] }}{{ x }}")
    )
    assert refs.names == {"ansible_facts", "hostvars", "h", "x"}
    assert refs.keys == {"os_family", "ansible_kernel"}
    assert "ansible_facts" not in refs.whole and "x" in refs.whole


def test_payload_carries_lowered_tasks_and_the_facts_they_read(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "p.json",
        [
            task(
                "t_0",
                "command",
                {"_raw_params": "echo {{ item }} {{ ansible_hostname }}"},
                loop="{{ xs }}",
                register="out",
                changed_when=False,
                failed_when=["out.rc > 1", "'boom' in out.stdout"],
                vars={"greeting": "hi {{ who }}"},
                conditions=[{"When": {"expression": "ansible_facts['system'] == 'Linux'"}}],
            ),
            task("t_1", "assert", {"that": "out is succeeded", "quiet": True}),
        ],
        variables={"xs": [1, 2], "who": "{{ ansible_user_id }}"},
    )
    payload = payload_of(plan)
    assert payload["format"] == 3
    assert payload["facts"] == ["hostname", "system", "user_id"]
    assert payload["var_templates"] == [[["who"], [["out", ["var", "ansible_user_id"]]]]]
    first, second = payload["plays"][0]["tasks"]
    assert first["args"]["cmd"] == "echo {{ item }} {{ ansible_hostname }}"
    assert "argv" not in first["args"]  # split on the target, after rendering, as Ansible does
    assert first["arg_templates"][0][0] == ["cmd"]
    assert first["loop"] == {
        "kind": "loop",
        "value": "{{ xs }}",
        "templates": [[[], [["out", ["var", "xs"]]]]],
    }
    assert first["when"] == [
        [
            "cmp",
            ["item", ["var", "ansible_facts"], ["const", "system"]],
            [["eq", ["const", "Linux"]]],
        ]
    ]
    assert first["changed_when"] == [["const", False]]
    assert first["failed_when"][1] == [
        "cmp",
        ["const", "boom"],
        [["in", ["attr", ["var", "out"], "stdout"]]],
    ]
    assert first["var_templates"] == [[["greeting"], [["text", "hi "], ["out", ["var", "who"]]]]]
    assert second["expressions"] == {"that": [["test", "succeeded", ["var", "out"], [], []]]}
    assert second["args"]["that"] == ["out is succeeded"]


def test_whole_ansible_facts_use_gathers_everything(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "{{ ansible_facts }}"})])
    assert payload_of(plan)["facts"] == ["*"]


def test_plain_plans_lower_to_plain_payloads(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "50% of {x} }}"})])
    entry = payload_of(plan)["plays"][0]["tasks"][0]
    assert entry["arg_templates"] == [] and entry["when"] == [] and entry["loop"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"loop": "not a list"}, "loop needs a list"),
        ({"loop": [1], "with_items": [2]}, "either loop or with_items"),
        ({"changed_when": {"a": 1}}, "changed_when: must be a condition"),
        ({"failed_when": "rc >"}, "failed_when: 'rc >'"),
    ],
)
def test_bad_task_keywords_fail_the_build(tmp_path: Path, extra: dict, message: str) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {}, **extra)])
    with pytest.raises(PlanError, match=message):
        prepare_payload(plan)


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("set_fact", {}, "needs at least one"),
        ("set_fact", {"bad-name": 1}, "'bad-name' is not valid"),
        ("assert", {}, "missing required arguments: that"),
        ("assert", {"that": "x |"}, "args.that[0]"),
        ("fail", {"message": "x"}, "unsupported parameters for (fail)"),
        ("setup", {"filter": 3}, "'filter' must be a pattern"),
    ],
)
def test_new_module_arguments_are_checked(
    tmp_path: Path, module: str, args: dict, message: str
) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", module, args)])
    with pytest.raises((PlanError, UnsupportedConstruct)) as info:
        prepare_payload(plan)
    assert message in str(info.value)


def test_cli_reports_unsupported_jinja_before_building(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "p.json",
        [task("t_0", "debug", {"msg": "{{ name | regex_search('x') }}"}, name="find it")],
    )
    result = cli("compile", "--plan", str(plan))
    assert result.returncode == 3
    assert "task t_0 ('find it'): args: msg: line 1: the filter 'regex_search'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path).glob("**/Cargo.toml"))


def test_plan_strings_keep_their_trailing_newline_as_ansible_does() -> None:
    # ansible-playbook writes "1 x\n" for content: "{{ a }} x\n"; Jinja2 alone drops the "\n".
    lowered = lower_value({"content": "{{ a }} x\n"})
    assert lowered.templates == [[["content"], [["out", ["var", "a"]], ["text", " x\n"]]]]
