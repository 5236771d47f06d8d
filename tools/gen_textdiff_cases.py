#!/usr/bin/env python3
"""Generates `templates/runtime/src/textdiff_cases.json`: unified diffs from Python's difflib
and diff texts from Ansible's default callback, for the runtime's `textdiff` tests.

Two kinds of case (a JSON array of objects):

- `{"a", "b", "expected"}`: `difflib.unified_diff(a.splitlines(True), b.splitlines(True),
  "from", "to", n=3)` joined;
- `{"diff", "expected"}`: `CallbackBase._get_diff(diff)` of ansible-core (colors off).

Texts are random line sequences drawn from small alphabets (so lines repeat and the matcher's
tie-breaking matters), edited at random; some have 200+ lines so difflib's autojunk heuristic
("popular" lines) kicks in. Run from the repository root:

    python3 tools/gen_textdiff_cases.py > templates/runtime/src/textdiff_cases.json

`--seed N` draws other random cases, for a larger one-off check:

    python3 tools/gen_textdiff_cases.py --seed 7 > /tmp/cases.json
    RUSTLE_TEXTDIFF_CASES=/tmp/cases.json cargo test --offline textdiff
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import random
import sys
from typing import Any

os.environ["ANSIBLE_NOCOLOR"] = "1"

from ansible.plugins.callback.default import CallbackModule  # noqa: E402

SEED = 4242
LINES = ["a\n", "b\n", "c\n", "\n", "}\n", "    x = 1\n", "end\n", "b", "c\r\n", "z\r", "é\n"]


def random_text(rng: random.Random, size: int, alphabet: list[str]) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


def edit(rng: random.Random, text: str, alphabet: list[str], edits: int) -> str:
    lines = text.splitlines(True)
    for _ in range(edits):
        op = rng.randrange(3)
        pos = rng.randrange(len(lines) + 1)
        if op == 0 or not lines:
            lines[pos:pos] = [rng.choice(alphabet) for _ in range(rng.randrange(1, 4))]
        elif op == 1:
            del lines[pos : pos + rng.randrange(1, 4)]
        else:
            lines[pos : pos + 1] = [rng.choice(alphabet)]
    return "".join(lines)


def unified(a: str, b: str) -> str:
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "from", "to", n=3))


def text_cases(rng: random.Random) -> list[dict[str, Any]]:
    cases = []
    fixed = [
        ("", ""),
        ("", "a\n"),
        ("a\n", ""),
        ("a", "a\n"),
        ("a\nb\nc\n", "a\nB\nc\n"),
        (
            "\n".join(str(i) for i in range(30)) + "\n",
            "\n".join(str(i) for i in range(1, 31)) + "\n",
        ),
    ]
    for a, b in fixed:
        cases.append({"a": a, "b": b, "expected": unified(a, b)})
    for index in range(160):
        small = index % 2 == 0
        alphabet = LINES[:3] if small else LINES
        size = rng.randrange(0, 40)
        a = random_text(rng, size, alphabet)
        b = edit(rng, a, alphabet, rng.randrange(0, 6))
        cases.append({"a": a, "b": b, "expected": unified(a, b)})
    # autojunk: 200+ lines with popular ones ("\n", "}\n") and unique ones; moved blocks.
    for index in range(30):
        unique = [f"line {index}-{i}\n" for i in range(300)]
        alphabet = ["\n", "}\n", "\n", "    pass\n"]
        share = rng.choice([0.2, 0.4, 0.7])
        lines = [rng.choice(alphabet) if rng.random() < share else u for u in unique]
        a_lines = lines[: rng.randrange(200, 300)]
        b_lines = list(a_lines)
        if index % 3 == 0:
            start = rng.randrange(len(b_lines) - 50)
            block = b_lines[start : start + 40]
            del b_lines[start : start + 40]
            at = rng.randrange(len(b_lines))
            b_lines[at:at] = block
        a = "".join(a_lines)
        b = edit(rng, "".join(b_lines), alphabet + unique[:20], rng.randrange(1, 40))
        cases.append({"a": a, "b": b, "expected": unified(a, b)})
    return cases


def random_data(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-1000, 1000)
    if kind == 2:
        return rng.choice([1.5, 0.1, -2.0, 1e20, 3.25e-7])
    if kind in (3, 4):
        return rng.choice(["", "x", "multi\nline", 'q"uote', "tab\there", "é ü", "☃", "\U0001f600"])
    if kind in (5, 6):
        return {
            rng.choice(["path", "state", "mode", "owner", "Z", "a b", "é"]): random_data(
                rng, depth + 1
            )
            for _ in range(rng.randrange(0, 5))
        }
    return [random_data(rng, depth + 1) for _ in range(rng.randrange(0, 4))]


def callback_cases(rng: random.Random) -> list[dict[str, Any]]:
    callback = CallbackModule()
    diffs: list[Any] = [
        {
            "before": "a\nb\n",
            "after": "a\nc\n",
            "before_header": "/tmp/f",
            "after_header": "/tmp/f",
        },
        {"before": "same", "after": "same"},
        {"before": "x", "after": "x\n"},
        {"before": None, "after": "new\n", "after_header": 7},
        {"before": {"state": "absent"}, "after": {"state": "directory", "mode": "0755"}},
        {"before": {}, "after": {}},
        {"prepared": "some prepared text\n"},
        {"dst_binary": 1, "src_larger": 1024},
        {"src_binary": True, "dst_larger": 10},
        [{"before": "1\n", "after": "2\n"}, {"before": "3", "after": "4"}],
        [],
        {},
        {"before": "a\r\nb\r\n", "after": "a\r\nc\r"},
    ]
    for _ in range(60):
        entry: dict[str, Any] = {}
        if rng.random() < 0.5:
            entry["before"] = (
                random_data(rng) if rng.random() < 0.3 else {"k": random_data(rng), "path": "/x"}
            )
            entry["after"] = copy.deepcopy(entry["before"])
            if isinstance(entry["after"], dict) and rng.random() < 0.8:
                entry["after"]["k"] = random_data(rng)
            if not isinstance(entry["before"], (dict, str, type(None))):
                entry["before"] = json.dumps(entry["before"])
            if not isinstance(entry["after"], (dict, str, type(None))):
                entry["after"] = json.dumps(entry["after"])
        else:
            alphabet = LINES
            before = random_text(rng, rng.randrange(0, 25), alphabet)
            entry["before"] = before
            entry["after"] = edit(rng, before, alphabet, rng.randrange(0, 5))
        if rng.random() < 0.5:
            entry["before_header"] = rng.choice(["/etc/x.conf", "", "é"])
            entry["after_header"] = entry["before_header"]
        if rng.random() < 0.1:
            entry["prepared"] = "prepared\n"
        diffs.append([entry, copy.deepcopy(entry)] if rng.random() < 0.1 else entry)
    cases = []
    for diff in diffs:
        expected = callback._get_diff(copy.deepcopy(diff))
        cases.append({"diff": diff, "expected": expected})
    return cases


def main() -> None:
    seed = int(sys.argv[2]) if sys.argv[1:2] == ["--seed"] else SEED
    rng = random.Random(seed)
    cases = text_cases(rng) + callback_cases(rng)
    json.dump(cases, sys.stdout, indent=0, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
