"""Hostile strings reach the target byte for byte: a property test from arbitrary Unicode
(surrogates excluded: they cannot be encoded as UTF-8) to the compiled binary's report.

Each hypothesis example is a batch of strings, biased towards pieces that break naive
escaping (quotes, backslashes, ``"#``, ``}}``, NUL, bidi marks, newlines, BOM, shell and
format metacharacters, long runs). One plan per batch puts every string in many places; it is
compiled once and run a few times, and each string must come back exactly:

- ``debug: msg`` -> the task's ``msg``; the task's name and id -> its ``name`` and
  ``task_id``; the play's name -> the plan name of the report; a handler's name and ``msg``;
- ``set_fact``, play ``vars`` and the plan's variables (``embedded_data.variables``, also as
  keys and values of a nested dict), each read by ``debug: msg="{{ v }}"``; loop items;
- ``copy: content`` -> the file's bytes are ``s.encode("utf-8")``;
- ``command: argv=[printf, "%s", s]`` -> ``stdout``, with what Ansible's command module does to
  an argument (``os.path.expandvars`` then ``os.path.expanduser``) and to its output (trailing
  ``\\r``/``\\n`` stripped) applied to the expected value;
- ``-e key=value``, ``-e`` with a JSON object and ``-e @file.json``, each read by
  ``debug: msg="{{ v }}"``: extra vars are data on the target, taken as given.

Literal positions and Jinja2. A string holding a Jinja2 start marker (``{{``, ``{%``, ``{#``)
is a template in Ansible, not a literal, so such strings are kept out of the positions above
that the plan templates (msg, names, variables, content, argv); they still go through the
``-e`` positions, and every string (markers included) also goes through a Jinja2 string literal,
``msg: "{{ '<s escaped>' }}"``, whose expected value is what Jinja2 itself renders (Ansible
would double the backslashes first: see ``ANSIBLE_TEMPLATED`` at the end).

NUL cannot travel in an argument vector: the ``argv`` and ``-e key=value`` positions skip
strings holding NUL (the JSON ``-e`` forms carry them escaped), and a fixed test shows that a
NUL in ``command``'s argv fails the task, as it fails under Ansible ("embedded null byte").

The same binary also runs with the default text output (exit 0, every play and task name
shown), ``--list-tasks`` and ``--dump-plan``, whose JSON must hold every string.
``HOSTILE_EXAMPLES`` sets the number of batches (default 14). A fixed list of representative
strings also runs under ansible-playbook, which must agree task by task.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from ansible_play import run_ansible, run_report, to_plan
from conftest import cli, cli_json, plan_document, task, write_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rustle_invoke import process

pytestmark = pytest.mark.cargo

MARKERS = ("{{", "{%", "{#")
NASTY = [
    '"', "'", "\\", '"#', '"##', "}}", "{", "}", "\x00", "\u200f", "\u202e", "\u2066", "\n",
    "\r\n", "\r", "\t", "\ufeff", "\U0001f600", "$(x)", "`", "%s", "%n", 'r#"', "#\"", "\x1b[31m",
    "\x7f", "\u0085", "\u2028", "\u00e9", "e\u0301", "\u4e2d", "$HOME", "${HOME}", "~", "~/x",
    "\\u0000", "\\n", "</script>", "' OR '1'='1", "null", "true", "[1, 2]", "{\"a\": 1}", "-e",
]  # fmt: skip
RUN_CHARS = ["a", "\\", '"', "\x00", "\u200f", "\U0001f600", "\n", "}", "#"]

_any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
_piece = st.one_of(
    st.sampled_from(NASTY),
    _any_text,
    st.builds(lambda c, n: c * n, st.sampled_from(RUN_CHARS), st.integers(64, 4096)),
)
HOSTILE = st.lists(_piece, max_size=6).map("".join)
BATCHES = st.lists(HOSTILE, min_size=10, max_size=30)


# One argument's limit (MAX_ARG_STRLEN, 128 KiB) with room to spare, and what the ``-e``
# arguments may take of ARG_MAX (2 MiB, shared with the environment).
ARG_LIMIT = 120 * 1024
ARGV_BUDGET = 1024 * 1024


def is_template(s: str) -> bool:
    return any(marker in s for marker in MARKERS)


def jinja_literal(s: str) -> str:
    """``s`` as a Jinja2 single-quoted string literal (raw characters kept where possible)."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def argv_expected(s: str, env: dict[str, str]) -> str:
    """What ``printf %s ARG`` prints under Ansible's command module: the argument with
    ``$VAR`` and ``~`` expanded (``expand_argument_vars``), the output's end stripped."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        expanded = os.path.expanduser(os.path.expandvars(s))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return expanded.rstrip("\r\n")


class Batch:
    """A plan for one batch of strings, with what each task and handler must report."""

    def __init__(self, strings: list[str], folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.tasks: list[dict[str, Any]] = []
        self.expected: list[dict[str, Any]] = []
        self.handlers: list[dict[str, Any]] = []
        self.files: list[tuple[Path, bytes]] = []
        self.plan_vars: dict[str, Any] = {}
        self.play_vars: dict[str, str] = {}
        self.kv_args: list[str] = []
        self.json_vars: dict[str, str] = {}
        self.file_vars: dict[str, str] = {}
        literal = [s for s in strings if not is_template(s)]
        self.play_name = next((s for s in literal if s), "hostile play")
        for i, s in enumerate(strings):
            if not is_template(s):
                self.literal_positions(i, s, env)
            template = "{{ " + jinja_literal(s) + " }}"
            rendered = jinja2.Environment().from_string(template).render()
            self.add("debug", {"msg": template}, msg=rendered)
            if "\x00" not in s and self.fits_argv(f"kv_{i}={s}"):
                self.kv_args += ["-e", f"kv_{i}={s}"]
                self.add("debug", {"msg": f"{{{{ kv_{i} }}}}"}, msg=s)
            if self.fits_argv(json.dumps({**self.json_vars, f"json_{i}": s}, ensure_ascii=False)):
                self.json_vars[f"json_{i}"] = s
                self.add("debug", {"msg": f"{{{{ json_{i} }}}}"}, msg=s)
            self.file_vars[f"file_{i}"] = s
            self.add("debug", {"msg": f"{{{{ file_{i} }}}}"}, msg=s)

    def fits_argv(self, arg: str) -> bool:
        """Whether ``arg`` can go on the binary's command line: Linux refuses one argument
        over 128 KiB and a command line over ARG_MAX (2 MiB with the environment) with E2BIG.
        A string that does not fit still reaches the binary through ``-e @FILE``."""
        size = len(arg.encode("utf-8", "surrogatepass"))
        used = sum(len(a.encode("utf-8", "surrogatepass")) for a in self.kv_args)
        return size < ARG_LIMIT and used + size < ARGV_BUDGET

    def literal_positions(self, i: int, s: str, env: dict[str, str]) -> None:
        """Every place of the plan where ``s`` is taken as it is written."""
        self.add("debug", {"msg": s}, name=s, task_id=f"{s}_{len(self.tasks)}", msg=s)
        self.add("set_fact", {f"fact_{i}": s})
        self.add("debug", {"msg": f"{{{{ fact_{i} }}}}"}, msg=s)
        self.plan_vars[f"plan_{i}"] = s
        self.add("debug", {"msg": f"{{{{ plan_{i} }}}}"}, msg=s)
        self.plan_vars[f"map_{i}"] = {s: [s, {s: s}]}
        self.add("debug", {"msg": f"{{{{ map_{i} }}}}"}, msg={s: [s, {s: s}]})
        self.play_vars[f"play_{i}"] = s
        self.add("debug", {"msg": f"{{{{ play_{i} }}}}"}, msg=s)
        self.add("debug", {"msg": "{{ item }}"}, loop=[s, [s]], items=[s, [s]])
        dest = self.folder / f"content_{i}"
        notify = []
        if s and s not in (h["name"] for h in self.handlers):
            notify = [s]
            self.handlers.append(
                {
                    "handler_id": f"h_{len(self.handlers)}",
                    "name": s,
                    "module": "debug",
                    "args": {"msg": s},
                    "conditions": [],
                    "execution_order": len(self.handlers),
                }
            )
        self.add("copy", {"content": s, "dest": str(dest)}, notify=notify)
        self.files.append((dest, s.encode("utf-8")))
        if "\x00" not in s:
            self.add("command", {"argv": ["printf", "%s", s]}, stdout=argv_expected(s, env))

    def add(
        self,
        module: str,
        args: dict[str, Any],
        name: str | None = None,
        task_id: str | None = None,
        loop: list[Any] | None = None,
        notify: list[str] | None = None,
        **want: Any,
    ) -> None:
        index = len(self.tasks)
        label = name if name is not None else f"{module} {index}"
        extra: dict[str, Any] = {"name": label, "execution_order": index, "notify": notify or []}
        if loop is not None:
            extra["loop"] = loop
        task_id = task_id if task_id is not None else f"t_{index}"
        self.tasks.append(task(task_id, module, args, **extra))
        self.expected.append({"task_id": task_id, "name": label or module, **want})

    def write(self) -> Path:
        document = plan_document(
            self.tasks, handlers=self.handlers, name=self.play_name, variables=self.plan_vars
        )
        document["plays"][0]["vars"] = self.play_vars
        path = self.folder / "hostile.plan.json"
        path.write_text(json.dumps(document), "utf-8")
        return path

    def extra_args(self) -> list[str]:
        extra_file = self.folder / "extra.json"
        extra_file.write_text(json.dumps(self.file_vars), "utf-8")
        inline = json.dumps(self.json_vars, ensure_ascii=False)
        return [*self.kv_args, "-e", inline, "-e", f"@{extra_file}"]


def compile_debug(plan: Path) -> Path:
    document = cli_json("compile", "--plan", str(plan), "--profile", "debug")
    return Path(document["binaries"][0]["binary_path"])


def universal_newlines(text: str) -> str:
    """``text`` as :func:`process.run` reads it from a pipe (text mode)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def string_leaves(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set(value).union(*(string_leaves(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(string_leaves(v) for v in value))
    return set()


def check_report(batch: Batch, report: dict[str, Any]) -> None:
    assert report["plan"]["name"] == batch.play_name
    tasks = report["tasks"]
    assert len(tasks) == len(batch.expected)
    for got, expected in zip(tasks, batch.expected, strict=True):
        assert got["status"] != "failed", got
        want = dict(expected)
        items = want.pop("items", None)
        for key, value in want.items():
            assert got[key] == value, (key, got)
        if items is not None:
            assert [r["msg"] for r in got["results"]] == items, got
    assert [(h["name"], h["msg"]) for h in report["handlers"]] == [
        (h["name"], h["args"]["msg"]) for h in batch.handlers
    ]
    for path, data in batch.files:
        assert path.read_bytes() == data, path


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> pytest.TempPathFactory:
    return tmp_path_factory


@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "14")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(strings=BATCHES)
def test_hostile_strings_reach_the_report(work: pytest.TempPathFactory, strings: list[str]) -> None:
    folder = work.mktemp("batch")
    env = dict(os.environ)
    batch = Batch(strings, folder, env)
    binary = compile_debug(batch.write())
    extra = batch.extra_args()

    result = process.run([binary, "--format", "json", *extra], env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    check_report(batch, json.loads(result.stdout))

    text = process.run([binary, *extra], env=env, timeout=300)
    assert text.returncode == 0, text.stderr[-2000:]
    assert "panicked" not in text.stderr
    assert "PLAY RECAP" in text.stdout and "failed=0" in text.stdout
    assert f"PLAY [{universal_newlines(batch.play_name)}]" in text.stdout
    listing = process.run([binary, "--list-tasks"], timeout=120)
    assert listing.returncode == 0, listing.stderr
    for want in batch.expected:
        assert f"TASK [{universal_newlines(want['name'])}]" in text.stdout
        assert universal_newlines(want["name"]) in listing.stdout

    dump = process.run([binary, "--dump-plan"], timeout=120)
    assert dump.returncode == 0, dump.stderr
    leaves = string_leaves(json.loads(dump.stdout))
    for s in strings:
        assert "{{ " + jinja_literal(s) + " }}" in leaves
        if not is_template(s):
            assert s in leaves


def test_nul_in_argv_fails_the_task_as_under_ansible(tmp_path: Path) -> None:
    """Ansible's command module fails with "embedded null byte" (rc 257); the binary fails
    the task too, naming the NUL, and goes on to the next one only with ignore_errors."""
    plan = write_plan(
        tmp_path / "nul.plan.json",
        [
            task("t_0", "command", {"argv": ["printf", "%s", "a\x00b"]}, ignore_errors=True),
            task("t_1", "debug", {"msg": "a\x00b"}),
        ],
    )
    binary = compile_debug(plan)
    result = process.run([binary, "--format", "json"], timeout=120)
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)["tasks"]
    assert first["status"] == "failed" and first["ignored"] is True
    assert re.search(r"nul", json.dumps(first["msg"]), re.IGNORECASE), first
    assert second["msg"] == "a\x00b"


# Representative literal strings for the cross-check against ansible-playbook.
REPRESENTATIVE = [
    "double \"quotes\", 'single', `back` and \\ back\\slash\\",
    'raw-string breakers "# "## r#" }} {x} %s $(x) ${HOME} ~/x',
    "nul \x00 inside",
    "bidi \u202eRLO\u202c \u200fRLM\u2066 BOM\ufeff emoji \U0001f600 e\u0301",
    "line\nbreaks\r\nCRLF\rCR\u2028LS\u0085NEL\ttab\x1b[31m esc\x7f",
    "trailing newlines\n\n",
    "\\",
]


@pytest.fixture(scope="module")
def ansible_and_binary(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], dict[str, Any], Path, Path]:
    """One play over REPRESENTATIVE under ansible-playbook and as a binary."""
    folder = tmp_path_factory.mktemp("vs-ansible")
    tasks: list[dict[str, Any]] = []
    for i, s in enumerate(REPRESENTATIVE):
        tasks += [
            {"name": s, "debug": {"msg": s}},
            {"name": f"set {i}", "set_fact": {f"fact_{i}": s}},
            {"name": f"fact {i}", "debug": {"msg": f"{{{{ fact_{i} }}}}"}},
            {"name": f"play var {i}", "debug": {"msg": f"{{{{ var_{i} }}}}"}},
            {"name": f"extra var {i}", "debug": {"msg": f"{{{{ extra_{i} }}}}"}},
            {"name": f"copy {i}", "copy": {"content": s, "dest": f"{{{{ root }}}}/c{i}"}},
        ]
        if "\x00" not in s:
            tasks.append({"name": f"argv {i}", "command": {"argv": ["printf", "%s", s]}})
    play = {
        "name": "hostile strings",
        "vars": {f"var_{i}": s for i, s in enumerate(REPRESENTATIVE)},
        "tasks": tasks,
    }
    extra = folder / "extra.json"
    extra.write_text(json.dumps({f"extra_{i}": s for i, s in enumerate(REPRESENTATIVE)}))
    theirs_root, ours_root = folder / "ansible", folder / "binary"
    theirs_root.mkdir()
    ours_root.mkdir()
    rc, theirs = run_ansible(play, folder, "-e", f"root={theirs_root}", "-e", f"@{extra}")
    assert rc == 0, theirs
    plan = folder / "plan.json"
    plan.write_text(json.dumps(to_plan(play)))
    rc, ours = run_report(compile_debug(plan), ours_root, "-e", f"@{extra}")
    assert rc == 0, ours
    return theirs, ours, theirs_root, ours_root


def test_literal_strings_match_ansible(
    ansible_and_binary: tuple[dict[str, Any], dict[str, Any], Path, Path],
) -> None:
    """Names, messages, command output and copied bytes agree with ansible-playbook's."""
    theirs, ours, theirs_root, ours_root = ansible_and_binary

    def comparable(record: dict[str, Any]) -> dict[str, Any]:
        kind = record["name"].split(" ")[0]
        out = {k: record[k] for k in ("name", "status")}
        if kind == "argv":
            out["stdout"] = record["stdout"]
        elif kind not in ("set", "copy"):
            out["msg"] = record["msg"]
        return out

    assert [comparable(t) for t in ours["tasks"]] == [comparable(t) for t in theirs["tasks"]]
    by_name = {t["name"]: t for t in ours["tasks"]}
    for i, s in enumerate(REPRESENTATIVE):
        assert by_name[s]["msg"] == s
        assert (ours_root / f"c{i}").read_bytes() == s.encode("utf-8")
        assert (theirs_root / f"c{i}").read_bytes() == s.encode("utf-8")


def test_lone_surrogate_in_a_jinja_literal_is_a_plan_error(tmp_path: Path) -> None:
    """``'\\ud800'`` in a Jinja2 literal decodes to a lone surrogate, which UTF-8 (the
    payload, the runtime's strings) cannot carry: a build error naming the place, exit 3."""
    (tmp_path / "t.j2").write_text("x {{ '\\udc00' }}\n", "utf-8")
    cases = {
        "in_args": [task("t_0", "debug", {"msg": "{{ 'a\\ud800' }}"}, name="lone")],
        "in_when": [
            task("t_0", "debug", {"msg": "x"}, conditions=[{"When": {"expression": "'\\ud83d'"}}])
        ],
        "in_template_file": [task("t_0", "template", {"src": "t.j2", "dest": str(tmp_path)})],
    }
    wanted = {
        "in_args": "task t_0 ('lone'): args: a string literal holds the lone surrogate U+D800",
        "in_when": "task t_0 ('debug t_0'): when:",
        "in_template_file": "the plan holds the lone surrogate U+DC00",
    }
    for label, tasks in cases.items():
        plan = write_plan(tmp_path / f"{label}.plan.json", tasks)
        result = cli("compile", "--plan", str(plan), "--profile", "debug")
        assert result.returncode == 3, (label, result.stderr)
        assert wanted[label] in result.stderr, (label, result.stderr)
        assert "U+D" in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert "hint:" in result.stderr


# Templated plan strings whose result ansible-playbook gives differently from plain Jinja2
# (checked with ansible-core 2.18.19 and 2.19.14, which agree). Ansible keeps a template's
# trailing newlines, and so do we:
ANSIBLE_KEEPS_NEWLINES = [
    pytest.param("{{ x }}\n", "X\n", id="trailing-newline"),
    pytest.param("{{ x }}\n\n", "X\n\n", id="trailing-newlines"),
]
# It also lexes plan strings with trim_blocks on, and doubles backslashes inside string
# literals of {{ }} before Jinja2 reads them (its escape_backslashes); we do neither yet.
ANSIBLE_TEMPLATED = [
    pytest.param("{% if true %}\nA{% endif %}\nB", "AB", id="trim-blocks"),
    pytest.param("a{# c #}\nb", "ab", id="trim-blocks-comment"),
    pytest.param("{{ 'a\\nb' }}", "a\\nb", id="backslash-in-literal"),
    pytest.param("{{ 'a\\\\b' }}", "a\\\\b", id="double-backslash-in-literal"),
]


@pytest.fixture(scope="module")
def templated_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("templated")
    sources = [p.values[0] for p in [*ANSIBLE_KEEPS_NEWLINES, *ANSIBLE_TEMPLATED]]
    document = plan_document(
        [task(f"t_{i}", "debug", {"msg": m}, name=m) for i, m in enumerate(sources)]
    )
    document["plays"][0]["vars"] = {"x": "X"}
    plan = folder / "templated.plan.json"
    plan.write_text(json.dumps(document), "utf-8")
    result = process.run([compile_debug(plan), "--format", "json"], timeout=120)
    assert result.returncode == 0, result.stderr
    return {t["name"]: t["msg"] for t in json.loads(result.stdout)["tasks"]}


@pytest.mark.parametrize(("source", "ansible"), ANSIBLE_KEEPS_NEWLINES)
def test_templated_strings_keep_their_trailing_newlines_as_ansible_does(
    templated_report: dict[str, Any], source: str, ansible: str
) -> None:
    assert templated_report[source] == ansible


@pytest.mark.xfail(
    strict=True,
    reason="plan strings are lowered with Jinja2's defaults (docs/architecture.md, 'Which "
    "Jinja2'), not Ansible's templating options: see the comment above ANSIBLE_TEMPLATED",
)
@pytest.mark.parametrize(("source", "ansible"), ANSIBLE_TEMPLATED)
def test_templated_strings_render_as_ansible_renders_them(
    templated_report: dict[str, Any], source: str, ansible: str
) -> None:
    assert templated_report[source] == ansible
