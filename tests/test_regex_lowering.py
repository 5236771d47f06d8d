"""Regexes lowered on the controller: the IR, the refusals, and the runtime's cases against `re`.

The runtime's matcher is checked against Python's `re` by the Rust tests over the generated
`regex/tests_cases.rs`; here we check that file is what the generator produces today, and run a
fresh batch of random patterns through the Rust tests (`external_cases`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rustle_invoke import process
from rustle_invoke.regex_lowering import RegexLoweringError, check_template, lower_regex

REPO = Path(__file__).resolve().parents[1]
RUNTIME = REPO / "templates" / "runtime"
CASES_FILE = RUNTIME / "src" / "regex" / "tests_cases.rs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_regex_cases", REPO / "tools" / "gen_regex_cases.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lineinfile_patterns_lower_to_bytes_nodes() -> None:
    ir = lower_regex(r"^(\s*)ListenAddress", mode="bytes")
    assert ir["mode"] == "bytes"
    assert ir["groups"] == 1
    assert ir["re"][:3] == [
        "seq",
        ["at", "beginning"],
        ["group", 1, ["repeat", 0, None, "greedy", ["set", None, False, ["space"]]]],
    ]
    assert ir["re"][3] == ["char", ord("L")]
    # UTF-8 bytes, ASCII classes and folding in bytes mode
    assert lower_regex("(?i)é\\w", mode="bytes")["re"] == [
        "seq",
        ["char", 0xC3],
        ["char", 0xA9],
        ["set", None, False, ["word"]],
    ]


def test_flags_are_applied_while_lowering() -> None:
    # CPython's extra cases: "s" also matches the long s
    assert lower_regex("(?i)s")["re"] == ["char_fold", "u", [ord("s"), 0x17F]]
    assert lower_regex("(?ai)s")["re"] == ["char_fold", "a", [ord("s")]]
    assert lower_regex("(?i)[r-t]")["re"] == ["set", "u", False, [[0x72, 0x74], 0x17F]]
    assert lower_regex("(?i)[0-9]")["re"] == ["set", None, False, [[0x30, 0x39]]]
    assert lower_regex("(?m)^a$")["re"] == [
        "seq",
        ["at", "beginning_line"],
        ["char", 97],
        ["at", "end_line"],
    ]
    assert lower_regex("(?s).")["re"] == ["any_all"]
    assert lower_regex("(?i:a)b")["re"] == ["seq", ["char_fold", "u", [97]], ["char", 98]]
    assert lower_regex(r"\b")["re"] == ["at", "uni_boundary"]
    assert lower_regex(r"\b", mode="bytes")["re"] == ["at", "boundary"]
    named = lower_regex(r"(?P<key>\w+)=(?P=key)")
    assert named["names"] == {"key": 1}
    assert named["re"][-1] == ["backref", 1, None]


def test_other_constructs() -> None:
    assert lower_regex(r"(?<=ab)c(?!d)")["re"] == [
        "seq",
        ["look", "behind", False, 2, ["seq", ["char", 97], ["char", 98]]],
        ["char", 99],
        ["look", "ahead", True, 0, ["char", 100]],
    ]
    assert lower_regex("a{2,5}?b*+(?>c)")["re"] == [
        "seq",
        ["repeat", 2, 5, "lazy", ["char", 97]],
        ["repeat", 0, None, "possessive", ["char", 98]],
        ["atomic", ["char", 99]],
    ]
    assert lower_regex("(a)?(?(1)b|c)")["re"][-1] == ["cond", 1, ["char", 98], ["char", 99]]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a(", "invalid regexp 'a(': missing ), unterminated subpattern at position 1"),
        ("*a", "invalid regexp '*a': nothing to repeat at position 0"),
        ("(?<=a+)b", "look-behind requires fixed-width pattern"),
        ("(?u)a", "cannot use 'u' flag with a bytes pattern"),
        ("(?L)a", "uses the LOCALE flag (?L), which the runtime's regex matcher does not support"),
        ("^{{ name }}=", "must be fixed at build time"),
        ("{% if x %}a{% endif %}", "must be fixed at build time"),
        ("(" * 200 + "a" + ")" * 200, "levels deep, more than the runtime accepts"),
    ],
)
def test_refusals_name_the_problem(pattern: str, message: str) -> None:
    with pytest.raises(RegexLoweringError) as info:
        lower_regex(pattern, mode="bytes", what="regexp")
    assert message in str(info.value)


def test_templates_are_checked_as_python_parses_them() -> None:
    check_template(r"(a)(?P<n>b)", r"\1\g<n>\g<2>\g<0>\n\\", mode="bytes")
    for template, message in [
        (r"\3", "invalid group reference 3 at position 1"),
        (r"\q", "bad escape \\q at position 0"),
        (r"\g<x>", "unknown group name 'x'"),
        ("x\\", "bad escape (end of pattern) at position 1"),
    ]:
        with pytest.raises(RegexLoweringError) as info:
            check_template(r"(a)(?P<n>b)", template, mode="bytes")
        assert message in str(info.value)


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 11),
    reason="the committed cases carry Python 3.11's results (Unicode 14)",
)
def test_committed_cases_are_current() -> None:
    generated = _generator().render()
    assert CASES_FILE.read_text() == generated, (
        "templates/runtime/src/regex/tests_cases.rs is stale: run "
        "python3 tools/gen_regex_cases.py > templates/runtime/src/regex/tests_cases.rs"
    )


def test_committed_cases_agree_with_re() -> None:
    """Independent of the generator: a sample of the committed rows, re-checked with `re`."""
    text = CASES_FILE.read_text().split("pub const EXPAND")[0]
    rows = re.findall(r'^        r#+"(.*)"#+,\n        r#+"(\{.*\})"#+,\n', text, re.M)
    assert len(rows) > 200
    rng = random.Random(0)
    checked = 0
    for label, _ in rng.sample(rows, 60):
        pattern, mode = json.loads(label).rsplit(" [", 1)
        mode = mode.rstrip("]")
        start = text.index(label)
        block = text[start : text.index("    ),", start)]
        for subject_json, spans_json in re.findall(r'\(r#+"(.*?)"#+, r#+"(.*?)"#+\)', block):
            subject = json.loads(subject_json)
            compiled = re.compile(pattern.encode() if mode == "bytes" else pattern)
            m = compiled.search(subject.encode() if mode == "bytes" else subject)
            want = None
            if m is not None:
                want = [
                    list(m.span(g)) if m.span(g) != (-1, -1) else None
                    for g in range(len(m.groups()) + 1)
                ]
            assert json.loads(spans_json) == want, (pattern, subject)
            checked += 1
    assert checked > 100


@pytest.mark.cargo
def test_random_patterns_match_as_re_does(tmp_path: Path) -> None:
    """A fresh batch of random patterns through the Rust matcher (`external_cases`)."""
    seed = random.randrange(1 << 30)
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(_generator().random_cases(400, seed)))
    result = process.run(
        ["cargo", "test", "--offline", "--lib", "regex::tests::external_cases"],
        cwd=RUNTIME,
        env={**os.environ, "RUSTLE_REGEX_CASES": str(cases)},
        timeout=900,
    )
    assert result.ok and "1 passed" in result.stdout, (
        f"seed {seed}:\n{result.stdout[-6000:]}{result.stderr[-3000:]}"
    )
