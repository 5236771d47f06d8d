#!/usr/bin/env python3
"""Generates `tests_cases.rs`: regexes, subjects and what Python's `re.search` finds.

Each pattern is lowered with `rustle_invoke.regex_lowering` (mode `str`, and mode `bytes` for
the lineinfile-style ones, searched in the UTF-8 bytes of the subject); Python's `re` is the
oracle. The Rust tests in `regex/tests.rs` decode the IR, search each subject and compare the
group spans; the expansion cases compare `Match.expand` (or its error). Run from the
repository root after changing a case:

    python3 tools/gen_regex_cases.py > templates/runtime/src/regex/tests_cases.rs

`tests/test_regex_lowering.py` checks that the committed file is what this script prints.

With `--fuzz N FILE [SEED]`, it writes instead N random patterns (from the grammar of
`random_pattern`) with random subjects and Python's results, as JSON for the `external_cases`
test:

    python3 tools/gen_regex_cases.py --fuzz 500 /tmp/regex_cases.json
    RUSTLE_REGEX_CASES=/tmp/regex_cases.json cargo test --offline regex::tests::external_cases
"""

from __future__ import annotations

import json
import random
import re
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from rustle_invoke.regex_lowering import RegexLoweringError, lower_regex  # noqa: E402

# Lines as lineinfile sees them (each with its line ending), plus odd ones.
CONFIG_LINES = [
    "Port 22\n",
    "#Port 22\n",
    "# Port 2222\n",
    "  ListenAddress 0.0.0.0\n",
    "\tListenAddress ::\n",
    "ListenAddress 10.0.0.1\r\n",
    "PermitRootLogin yes\n",
    "#PermitRootLogin prohibit-password\n",
    "permitrootlogin no\n",
    "foo=bar\n",
    "FOO=baz\n",
    "Foo = qux # comment\n",
    "[section]\n",
    "key: value\n",
    "",
    "\n",
    "no newline",
    "127.0.0.1 localhost localhost.localdomain\n",
    "SELINUX=enforcing\n",
    "export PATH=/usr/local/bin:$PATH\n",
    "élan=ünïcödé ΣΑΣ straße\n",
    "x" * 40 + "\n",
]

# (pattern, extra subjects); every pattern is also searched in CONFIG_LINES.
LINEINFILE_PATTERNS = [
    r"^#?Port ",
    r"^#?Port\s+(\d+)",
    r"^(\s*)ListenAddress",
    r"^(\s*)ListenAddress\s+(\S+)$",
    r"^PermitRootLogin.*$",
    r"^#?PermitRootLogin\s+(yes|no|prohibit-password)",
    r"(?i)^foo=",
    r"(?i)^(foo)\s*=\s*(.*?)\s*(#.*)?$",
    r"^\[section\]",
    r"^[a-z]+:\s",
    r"^127\.0\.0\.1",
    r"^SELINUX=",
    r"^export PATH=(.*)$",
    r"^(?!#)\w+",
    r"^\s*$",
    r"^$",
    r"$",
    r"^",
    r"",
    r"\bPort\b",
    r"\Bort",
    r"(?m)^foo$",
    r"(?s)Port.*",
    r"Port.*",
    r"[^#]*=",
    r"^(?P<key>\w+)=(?P<value>.*)$",
    r"^(?P<key>\w+)=(?P=key)?",
    r"(\w)\1",
    r"(?<=Port )\d+",
    r"(?<!#)Port",
    r"x{3,5}",
    r"x{3,5}?",
    r"x{2}y?",
    r"\d{1,3}(\.\d{1,3}){3}",
    r"(?x) ^ \s* Listen  # verbose\n Address",
    r"[[:alpha:]]",
    r"(?i)STRASSE|straße",
    r"(?i)ΣΑΣ",
    r"[é]",
    r"é+",
    r"\w+",
    r".\Z",
    r"\A.",
    r"a|b|c|o",
    r"(a|ab)(c|bcd)(d*)",
    r"(?:Port|Listen)(Address)?",
    r"(?i)[a-f]+",
    r"[\d.]+",
    r"[^\s=]+",
    r"(?i)[^a-z]+",
    r"\W+",
    r"(?>x+)x",
    r"x++",
    r"(?:xx)++",
    r"(?:xx)*+x",
    r"(x)?(?(1)x|P)",
]

# (pattern, subject) pairs for the str mode only: Unicode classes, folding, repeats, groups.
STR_CASES = [
    (r"\d+", "abc ١٢٣ 42"),
    (r"\w+", "  ǅemo_x9 "),
    (r"\s+", "a\u2003\u00a0\u3000b"),
    (r"(?a)\w+", "ünï_x"),
    (r"(?a)\d", "١2"),
    (r"(?i)k", "\u212a"),
    (r"(?i)s", "\u017f"),
    (r"(?i)[k-s]+", "\u212aLMN\u017fT"),
    (r"(?i)\u212a", "k"),
    (r"(?i)ß", "ẞ"),
    (r"(?i)ǅ", "ǆ Ǆ"),
    (r"(?i)[\U00010400a]", "\U00010400"),
    (r"(?i)[\U00010428a]", "\U00010400"),
    (r"(?i)[\U00010400-\U00010410]", "\U00010430"),
    (r"(?i)(a)\1", "aA"),
    (r"(?i)(σ)\1", "Σς"),
    (r"(?ai)[^a]", "Ä"),
    (r"(a*)*", "aaa"),
    (r"(a*)+", "b"),
    (r"(a?)*?b", "aab"),
    (r"(?:a|(b))*", "abab"),
    (r"(?:(a)|b)*", "ab"),
    (r"(?:(a)|(b))+", "ab"),
    (r"(a|b)*?c", "abac"),
    (r"((a)|b)+", "ab"),
    (r"(a)|b", "b"),
    (r"(?:a(b)?)+", "aba"),
    (r"(?=(a+))a*b\1", "baaabac"),
    (r"(?=(\w+))\1:", "foo:"),
    (r"(?!(a)b)\w", "ab"),
    (r"(?<=(a))b", "ab"),
    (r"(?<!a)b", "ab b"),
    (r"(?<=\bab)c", "abc"),
    (r"^(?:(\d+)\.)?(\d+)$", "12.34"),
    (r"(a+?)(b*)", "aaabbb"),
    (r"a{0}b", "ab"),
    (r"(ab){0}c", "abc"),
    (r"(ab){2,}?", "ababab"),
    (r"(?:ab){1,2}+b", "ababb"),
    (r"(?:a|ab)*+c", "abc"),
    (r"(?>a|ab)c", "abc"),
    (r"(?>(a+))b", "aaab"),
    (r"(a)(?(1)b|c)", "ab"),
    (r"(a)?(?(1)b|c)", "c"),
    (r"(?P<q>['\"]).*?(?P=q)", "say 'hi' \"there\""),
    (r"\bfoo\b", "a foo."),
    (r"\b", ""),
    (r"\B", ""),
    (r"\B", "a"),
    (r"$", "a\n"),
    (r"a$", "a\n"),
    (r"a\Z", "a\n"),
    (r"(?m)a$", "a\nb"),
    (r"(?m)^b", "a\nb"),
    (r"(?s)a.b", "a\nb"),
    (r"a.b", "a\nb"),
    (r"[\]\-^]+", "a]-^"),
    (r"[^\W\d]+", "ab12c_"),
    (r"(?i)[\W]", "é "),
    (r"(?x) a # comment\n b", "ab"),
    (r"(?i:a)b", "Ab AB"),
    (r"(?-i:a)", "A a"),
    (r"(?i)a(?-i:b)", "AB Ab"),
    (r"\x41\u00e9\N{EM DASH}\0\t", "Aé—\x00\t"),
    (r"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)\11", "abcdefghijkk"),
]

# (pattern, subject, template, mode): what Match.expand gives, or its error.
EXPAND_CASES = [
    (
        r"^(\s*)ListenAddress\s+(\S+)$",
        "  ListenAddress 1.2.3.4",
        r"\1ListenAddress 0.0.0.0",
        "bytes",
    ),
    (r"^#?Port\s+(\d+)", "#Port 22", r"Port \1 # was \g<1>", "bytes"),
    (r"(?P<k>\w+)=(?P<v>.*)", "a=b", r"\g<v>=\g<k>\g<0>", "bytes"),
    (r"(a)|(b)", "b", r"[\1][\2]", "str"),
    (r"(a)", "a", r"\n\t\\\.\a\b\f\v\r", "str"),
    (r"(a)", "a", r"\0\01\012\0123\101\1011", "str"),
    (r"(a)", "a", r"\400", "str"),
    (r"(a)", "a", r"\2", "str"),
    (r"(a)", "a", r"\g<2>", "str"),
    (r"(a)", "a", r"\g<x>", "str"),
    (r"(a)", "a", r"\g<1a>", "str"),
    (r"(a)", "a", r"\g<-1>", "str"),
    (r"(a)", "a", r"\g< 1 >", "str"),
    (r"(a)", "a", r"\g<+1>", "str"),
    (r"(a)", "a", r"\g<1_0>", "str"),
    (r"(a)", "a", r"\g<>", "str"),
    (r"(a)", "a", r"\g<1", "str"),
    (r"(a)", "a", r"\g", "str"),
    (r"(a)", "a", r"\gx", "str"),
    (r"(a)", "a", r"\q", "str"),
    (r"(a)", "a", r"\x41", "bytes"),
    (r"(a)", "a", "tail\\", "str"),
    (r"(a)", "a", r"\é\1", "str"),
    (r"(é)", "é", r"<\1>", "bytes"),
    (r"(a)", "a", r"\10", "str"),
    (r"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "abcdefghij", r"\10\1\g<10>", "str"),
]


def spans(m: re.Match | None) -> Any:
    if m is None:
        return None
    return [list(m.span(g)) if m.span(g) != (-1, -1) else None for g in range(len(m.groups()) + 1)]


def subject_of(text: str, mode: str) -> str | bytes:
    return text.encode("utf-8") if mode == "bytes" else text


def search_case(pattern: str, mode: str, subjects: list[str]) -> dict[str, Any]:
    ir = lower_regex(pattern, mode=mode)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = re.compile(subject_of(pattern, mode))
    results = [[s, spans(compiled.search(subject_of(s, mode)))] for s in subjects]
    return {"pattern": pattern, "mode": mode, "ir": ir, "subjects": results}


def expand_case(pattern: str, subject: str, template: str, mode: str) -> dict[str, Any]:
    ir = lower_regex(pattern, mode=mode)  # type: ignore[arg-type]
    m = re.search(subject_of(pattern, mode), subject_of(subject, mode))  # type: ignore[call-overload]
    assert m is not None, (pattern, subject)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = m.expand(subject_of(template, mode))
        result: dict[str, Any] = {"ok": list(out) if mode == "bytes" else out}
    except (re.error, IndexError) as exc:
        result = {"error": str(exc)}
    return {"ir": ir, "subject": subject, "template": template, **result}


# --- random patterns -------------------------------------------------------------------

ALPHABET = "aab1 _\nA"


def random_pattern(rng: random.Random, depth: int = 0) -> str:
    """A random pattern over a small alphabet (may be invalid: callers filter)."""
    pattern = "".join(_random_piece(rng, depth) for _ in range(rng.randint(1, 3)))
    if depth == 0 and rng.random() < 0.15:
        pattern = rng.choice(["(?i)", "(?m)", "(?s)", "(?a)", "(?im)"]) + pattern
    return pattern


def _random_atom(rng: random.Random, depth: int) -> str:
    choice = rng.random()
    if choice < 0.3 or depth >= 3:
        return rng.choice(["a", "b", "1", " ", "A", "\\n", "_", "."])
    if choice < 0.45:
        return rng.choice(
            ["[ab]", "[^a]", "[a-b1]", "\\d", "\\w", "\\s", "\\W", "\\S", "[^\\w]", "(?i:[A])"]
        )
    if choice < 0.55:
        return rng.choice(["^", "$", "\\b", "\\B", "\\A", "\\Z"])
    inner = random_pattern(rng, depth + 1)
    if rng.random() < 0.35:
        inner = inner + "|" + random_pattern(rng, depth + 1)
    kind = rng.random()
    if kind < 0.45:
        return "(" + inner + ")"
    if kind < 0.6:
        return "(?:" + inner + ")"
    if kind < 0.67:
        return "(?=" + inner + ")"
    if kind < 0.74:
        return "(?!" + inner + ")"
    if kind < 0.8:
        return rng.choice(["(?<=a)", "(?<!b)", "(?<=\\w\\d)", "(?<!(a))", "(?<=(a))", "(?<!(b)a)"])
    if kind < 0.87:
        return "(?>" + inner + ")"
    return rng.choice(["\\1", "\\2", "(?(1)a|b)", "(?(2)b)"])


def _random_piece(rng: random.Random, depth: int) -> str:
    atom = _random_atom(rng, depth)
    if rng.random() < 0.45 and atom not in ("^", "$", "\\b", "\\B", "\\A", "\\Z"):
        atom += rng.choice(
            ["*", "+", "?", "*?", "+?", "??", "{2}", "{1,2}", "{0,3}?", "*+", "++", "?+", "{1,2}+"]
        )
    return atom


def random_subject(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10)))


class _Timeout(Exception):
    pass


def _alarm(*_: Any) -> None:
    raise _Timeout


def random_cases(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` random patterns, each with six random subjects and Python's results.

    Patterns Python itself cannot handle are skipped: those its ``re`` needs more than a
    fifth of a second for (exponential backtracking) and those that make it raise
    ``SystemError`` (a known ``sre`` bug with group spans in possessive repeats).
    """
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        while len(out) < count:
            pattern = random_pattern(rng)
            subjects = [random_subject(rng) for _ in range(6)]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    re.compile(pattern)
                signal.setitimer(signal.ITIMER_REAL, 0.2)
                out.append(search_case(pattern, "str", subjects))
            except (re.error, RegexLoweringError, SystemError, _Timeout):
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return out


# --- output -------------------------------------------------------------------------


def raw(text: str) -> str:
    hashes = "#"
    while f'"{hashes}' in text:
        hashes += "#"
    return f'r{hashes}"{text}"{hashes}'


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def all_search_cases() -> list[dict[str, Any]]:
    cases = []
    for pattern in LINEINFILE_PATTERNS:
        for mode in ("bytes", "str"):
            cases.append(search_case(pattern, mode, CONFIG_LINES))
    for pattern, subject in STR_CASES:
        cases.append(search_case(pattern, "str", [subject]))
    cases.extend(random_cases(150, seed=4))
    return cases


def render() -> str:
    lines = [
        "//! Regex cases with Python's results, generated by `tools/gen_regex_cases.py`; do not",
        "//! edit. Each search case: pattern (for messages), IR, then (subject, spans) pairs as",
        '//! JSON. Each expansion case: IR, subject, template, then `{"ok": ...}` or',
        '//! `{"error": ...}`.',
        "",
        "/// (subject, spans) pairs.",
        "pub type Subjects = &'static [(&'static str, &'static str)];",
        "/// (pattern and mode, IR, subjects).",
        "pub type SearchCase = (&'static str, &'static str, Subjects);",
        "",
        "#[rustfmt::skip]",
        "pub const SEARCH: &[SearchCase] = &[",
    ]
    for case in all_search_cases():
        lines.append("    (")
        lines.append(f"        {raw(compact(case['pattern'] + ' [' + case['mode'] + ']'))},")
        lines.append(f"        {raw(compact(case['ir']))},")
        lines.append("        &[")
        for subject, result in case["subjects"]:
            lines.append(f"            ({raw(compact(subject))}, {raw(compact(result))}),")
        lines.append("        ],")
        lines.append("    ),")
    lines.append("];")
    lines.append("")
    lines.append("#[rustfmt::skip]")
    lines.append("pub const EXPAND: &[(&str, &str, &str, &str)] = &[")
    for args in EXPAND_CASES:
        case = expand_case(*args)
        result = {k: case[k] for k in ("ok", "error") if k in case}
        lines.append("    (")
        lines.append(f"        {raw(compact(case['ir']))},")
        lines.append(f"        {raw(compact(case['subject']))},")
        lines.append(f"        {raw(compact(case['template']))},")
        lines.append(f"        {raw(compact(result))},")
        lines.append("    ),")
    lines.append("];")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if argv[:1] == ["--fuzz"]:
        count, path = int(argv[1]), Path(argv[2])
        seed = int(argv[3]) if len(argv) > 3 else random.randrange(1 << 30)
        path.write_text(json.dumps(random_cases(count, seed)))
        return
    sys.stdout.write(render())


if __name__ == "__main__":
    main(sys.argv[1:])
