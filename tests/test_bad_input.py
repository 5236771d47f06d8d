"""Bad plans are refused cleanly: one ``error:`` line naming the cause and where it is, the
error class's exit code, no traceback, nothing on stdout, and nothing left behind (no cache
or temp files, no --out target, nothing new beside the plan or in the working folder).

Each bad plan is a mutation of a valid ``plan_document`` (or raw text), run through the real
command line in a fresh cache and temp dir.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import cli, plan_document, task

from rustle_invoke.lowering import MAX_IR_DEPTH, ir_depth, lower_template
from rustle_invoke.plan import MAX_JSON_DEPTH

PLAN_ERROR = 3


def _doc(*tasks: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return plan_document(list(tasks) or [task("task_0", "debug", {"msg": "hi"})], **kwargs)


def _debug(msg: Any = "hi", **extra: Any) -> dict[str, Any]:
    return task("task_0", "debug", {"msg": msg}, **extra)


def _tasks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["plays"][0]["batches"][0]["tasks"]


def _nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def _write(folder: Path, name: str, data: bytes | str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


@dataclass(frozen=True)
class Case:
    """A bad plan: ``build`` writes what the plan needs into its folder and returns the
    plan (a document, or raw bytes); ``expect`` are parts of the error line."""

    id: str
    build: Callable[[Path], dict[str, Any] | bytes]
    expect: tuple[str, ...]
    hint: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def _mutated(change: Callable[[dict[str, Any]], Any]) -> Callable[[Path], dict[str, Any]]:
    def build(folder: Path) -> dict[str, Any]:
        doc = _doc()
        change(doc)
        return doc

    return build


def _with_files(
    files: dict[str, bytes | str], *tasks: dict[str, Any], **kwargs: Any
) -> Callable[[Path], dict[str, Any]]:
    def build(folder: Path) -> dict[str, Any]:
        for name, data in files.items():
            _write(folder, name, data)
        return _doc(*tasks, **kwargs)

    return build


def _raw(data: bytes) -> Callable[[Path], bytes]:
    return lambda folder: data


def _truncated(folder: Path) -> bytes:
    text = json.dumps(_doc(), indent=2).encode()
    return text[: len(text) // 2]


def _static_file(src: str, files: dict[str, bytes | str]) -> Callable[[Path], dict[str, Any]]:
    def build(folder: Path) -> dict[str, Any]:
        for name, data in files.items():
            _write(folder, name, data)
        doc = _doc()
        doc["binary_deployments"][0]["embedded_data"]["static_files"] = [
            {"src_path": src, "dest_path": "/etc/app.conf", "checksum": "", "size": 0}
        ]
        return doc

    return build


def _fifo_source(folder: Path) -> dict[str, Any]:
    (folder / "files").mkdir()
    os.mkfifo(folder / "files" / "pipe")
    return _doc(task("task_0", "copy", {"src": "pipe", "dest": "/tmp/pipe"}))


def _device_link(folder: Path) -> dict[str, Any]:
    (folder / "files").mkdir()
    (folder / "files" / "zero").symlink_to("/dev/zero")
    return _doc(task("task_0", "copy", {"src": "zero", "dest": "/tmp/zero"}))


def _looping_tree(folder: Path) -> dict[str, Any]:
    (folder / "files" / "site" / "sub").mkdir(parents=True)
    (folder / "files" / "site" / "index.html").write_text("hi\n")
    (folder / "files" / "site" / "sub" / "up").symlink_to("..")
    return _doc(task("task_0", "copy", {"src": "site", "dest": "/tmp/site"}))


def _self_link(folder: Path) -> dict[str, Any]:
    (folder / "files").mkdir()
    (folder / "files" / "loop").symlink_to("loop")
    return _doc(task("task_0", "copy", {"src": "loop", "dest": "/tmp/loop"}))


def _outside(folder: Path) -> dict[str, Any]:
    _write(folder.parent, "outside.txt", "secret\n")
    return _doc(task("task_0", "copy", {"src": "../outside.txt", "dest": "/tmp/o"}))


def _sparse_source(folder: Path) -> dict[str, Any]:
    """A 20 GiB file that takes no disk: reading it would take minutes and the memory."""
    (folder / "files").mkdir()
    with open(folder / "files" / "disk.img", "wb") as handle:
        handle.truncate(HUGE)
    return _doc(task("task_0", "copy", {"src": "disk.img", "dest": "/tmp/disk.img"}))


def _deep_statements(levels: int) -> str:
    return "{% if x %}" * levels + "deep" + "{% endif %}" * levels


BIG = b"x" * 9000
HUGE = 20 * 1024**3
LIMIT = {"RUSTLE_BINARY_SIZE_LIMIT": "8K"}
TASK = "task task_0 ('debug task_0')"
TASK_PATH = "$.plays[0].batches[0].tasks[0]"

CASES = [
    # --- the file itself
    Case("empty", _raw(b""), ("plan.json: the file is empty",), hint="rustle-plan"),
    Case("blank", _raw(b" \n\t\n"), ("plan.json: the file is empty",)),
    Case("not-json", _raw(b"nope"), ("plan.json: not valid JSON", "line 1 column 2")),
    Case("not-utf8", _raw(b'{"plays": "\xff"}'), ("plan.json: not UTF-8 text (byte 11)",)),
    Case("truncated", _truncated, ("plan.json: not valid JSON: EOF while parsing", "line")),
    Case("array", _raw(b"[]"), ("plan.json: $: a plan is a JSON object, not an array",)),
    Case("string", _raw(b'"plan"'), ("$: a plan is a JSON object, not a string",)),
    Case("legacy", _raw(b'{"tasks": [], "inventory": {}}'), ("legacy rustle-deploy shape",)),
    Case("no-plays", _raw(b'{"plays": []}'), ("$.plays: List should have at least 1 item",)),
    Case(
        "json-nesting",
        _raw(b"[" * 5000 + b"]" * 5000),
        ("plan.json: the plan nests arrays and objects too deeply", "at line 1 column 202"),
    ),
    Case(
        "json-nesting-in-args",
        lambda folder: json.dumps(_doc(_debug(_nested(300)))).encode(),
        ("the plan nests arrays and objects too deeply", "at line 1 column"),
    ),
    # --- fields
    Case(
        "args-not-object",
        _mutated(lambda d: _tasks(d)[0].update(args="msg=hi")),
        (f"{TASK_PATH}.args: Input should be an object",),
    ),
    Case(
        "name-not-string",
        _mutated(lambda d: d["plays"][0].update(name=5)),
        ("$.plays[0].name: Input should be a valid string",),
    ),
    Case(
        "order-not-int",
        _mutated(lambda d: _tasks(d)[0].update(execution_order="first")),
        (f"{TASK_PATH}.execution_order: Input should be a valid integer",),
    ),
    Case(
        "module-missing",
        _mutated(lambda d: _tasks(d)[0].pop("module")),
        (f"{TASK_PATH}.module: Field required",),
    ),
    Case(
        "play-id-missing",
        _mutated(lambda d: d["plays"][0].pop("play_id")),
        ("$.plays[0].play_id: Field required",),
    ),
    Case(
        "nan",
        lambda folder: json.dumps(_doc(_debug(float("nan")))).encode(),
        (f"{TASK_PATH}.args.msg: NaN is not a JSON number",),
    ),
    Case(
        "huge-number",
        lambda folder: json.dumps(_doc(_debug([1.0]))).replace("1.0", "1e400").encode(),
        (f"{TASK_PATH}.args.msg[0]: the number is out of range",),
    ),
    Case(
        "huge-integer",
        _mutated(lambda d: d["plays"][0].update(vars={"port": 2**64})),
        ("$.plays[0].vars.port: the integer does not fit in 64 bits",),
    ),
    # --- cross-field rules and modules
    Case(
        "unknown-module",
        lambda folder: _doc(task("task_0", "debgu", {"msg": "hi"})),
        ("task task_0 ('debgu task_0')", "module 'debgu' is not available"),
        hint="did you mean 'debug'?",
    ),
    Case(
        "unknown-condition",
        lambda folder: _doc(_debug(conditions=[{"Whenn": {"expression": "x"}}])),
        (f"{TASK_PATH}.conditions[0]: unknown condition kind 'Whenn'",),
    ),
    Case(
        "duplicate-ids",
        lambda folder: _doc(_debug(), _debug()),
        (
            "$.plays[0].batches[0].tasks[1].task_id: duplicate task id 'task_0' "
            f"(first at {TASK_PATH})",
        ),
    ),
    Case(
        "notify-no-handler",
        lambda folder: _doc(_debug(notify=["restart app"])),
        (TASK, "notify names 'restart app', which is no handler of play 'play-0'"),
    ),
    Case(
        "bad-module-args",
        lambda folder: _doc(task("task_0", "command", {"_raw_params": "echo 'unbalanced"})),
        ("task task_0 ('command task_0')", "cannot split the command"),
    ),
    # --- Jinja2
    Case(
        "unknown-filter",
        lambda folder: _doc(_debug("{{ name | uper }}")),
        (TASK, "args: msg: line 1: the filter 'uper' is not supported; did you mean 'upper'?"),
    ),
    Case(
        "jinja-syntax-args",
        lambda folder: _doc(_debug("line one\n{{ name ")),
        (TASK, "args: msg: line 2: Jinja2 syntax error"),
    ),
    Case(
        "jinja-statement",
        lambda folder: _doc(_debug("{% include 'x.j2' %}")),
        (TASK, "args: msg: line 1: {% include %} is not supported"),
    ),
    Case(
        "jinja-syntax-when",
        lambda folder: _doc(_debug(conditions=[{"When": {"expression": "x =="}}])),
        (TASK, "when: 'x =='", "Jinja2 syntax error"),
    ),
    Case(
        "when-with-delimiters",
        lambda folder: _doc(_debug(conditions=[{"When": {"expression": "{{ x }} and y"}}])),
        (TASK, "a condition is a bare expression"),
    ),
    Case(
        "integer-literal-too-long",
        lambda folder: _doc(_debug("{{ " + "9" * 5000 + " }}")),
        (TASK, "args: msg: an integer literal does not fit in 64 bits"),
    ),
    Case(
        "deep-parentheses",
        lambda folder: _doc(_debug("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}")),
        (TASK, "args: msg: expression nested too deeply"),
    ),
    Case(
        "deep-not",
        lambda folder: _doc(_debug(conditions=[{"When": {"expression": "not " * 5000 + "x"}}])),
        (TASK, "when: 'not not not", "expression nested too deeply"),
    ),
    Case(
        "long-filter-chain",
        lambda folder: _doc(_debug("{{ x" + " | string" * 400 + " }}")),
        (TASK, "args: msg: line 1: expression nested too deeply"),
    ),
    Case(
        "deep-statements",
        lambda folder: _doc(_debug(_deep_statements(60))),
        (TASK, "args: msg: expression nested too deeply"),
    ),
    # --- template files
    Case(
        "template-syntax",
        _with_files(
            {"templates/motd.j2": "line 1\nline 2\nhello {{ name | }}\n"},
            task("task_0", "template", {"src": "motd.j2", "dest": "/tmp/motd"}),
        ),
        ("task task_0 ('template task_0')", "template 'motd.j2': line 3: Jinja2 syntax error"),
    ),
    Case(
        "template-unknown-test",
        _with_files(
            {"templates/motd.j2": "ok\n{% if x is definedd %}y{% endif %}\n"},
            task("task_0", "template", {"src": "motd.j2", "dest": "/tmp/motd"}),
        ),
        ("template 'motd.j2': line 2: the test 'definedd' is not supported",),
    ),
    Case(
        "template-deep-blocks",
        _with_files(
            {"templates/deep.j2": _deep_statements(80)},
            task("task_0", "template", {"src": "deep.j2", "dest": "/tmp/deep"}),
        ),
        ("task task_0 ('template task_0')", "template 'deep.j2'", "nested too deeply"),
    ),
    Case(
        "template-not-utf8",
        _with_files(
            {"templates/latin1.j2": "first line\ncaf\xe9\n".encode("latin-1")},
            task("task_0", "template", {"src": "latin1.j2", "dest": "/tmp/x"}),
        ),
        ("template 'latin1.j2': line 2: byte 15 (0xe9, column 4) is not UTF-8 text",),
    ),
    Case(
        "template-is-folder",
        _with_files(
            {"templates/conf.d/a": "a"},
            task("task_0", "template", {"src": "conf.d", "dest": "/tmp/x"}),
        ),
        ("template 'conf.d'", "is not a regular file"),
    ),
    # --- sources
    Case(
        "missing-copy-src",
        lambda folder: _doc(task("task_0", "copy", {"src": "app.conf", "dest": "/tmp/a"})),
        ("task task_0 ('copy task_0')", "could not find src 'app.conf' (looked in"),
    ),
    Case(
        "missing-template-src",
        lambda folder: _doc(task("task_0", "template", {"src": "motd.j2", "dest": "/tmp/m"})),
        ("task task_0 ('template task_0')", "could not find src 'motd.j2'"),
    ),
    Case(
        "missing-static-file",
        _static_file("app.conf", {}),
        ("deployment group_0: could not find static file 'app.conf'",),
    ),
    Case(
        "src-outside-root",
        _outside,
        ("task task_0 ('copy task_0')", "'../outside.txt' is outside the source root"),
    ),
    Case(
        "src-absolute-outside-root",
        lambda folder: _doc(task("task_0", "copy", {"src": "/etc/hostname", "dest": "/tmp/h"})),
        ("'/etc/hostname' is outside the source root",),
    ),
    Case(
        "src-with-nul",
        lambda folder: _doc(task("task_0", "copy", {"src": "a\x00b", "dest": "/tmp/x"})),
        ("task task_0 ('copy task_0')", "src 'a\\x00b' holds a NUL character"),
    ),
    Case("src-fifo", _fifo_source, ("'pipe' (", "files/pipe) is not a regular file")),
    Case("src-device", _device_link, ("'zero' (", "files/zero) is not a regular file")),
    Case("src-tree-loop", _looping_tree, ("src 'site': sub/up links back to the folder itself",)),
    Case("src-self-link", _self_link, ("cannot read 'loop'", "Too many levels of symbolic links")),
    # --- sizes (limit 8 KiB)
    Case(
        "copy-too-big",
        _with_files(
            {"files/big.bin": BIG},
            task("task_0", "copy", {"src": "big.bin", "dest": "/tmp/big"}),
        ),
        (
            "task task_0 ('copy task_0')",
            "'big.bin' (",
            "files/big.bin) is 9000 bytes, over the binary size limit of 8192 bytes (8.0 KiB)",
        ),
        env=LIMIT,
    ),
    Case(
        "template-too-big",
        _with_files(
            {"templates/big.j2": BIG},
            task("task_0", "template", {"src": "big.j2", "dest": "/tmp/big"}),
        ),
        ("'big.j2' (", "is 9000 bytes, over the binary size limit of 8192 bytes"),
        env=LIMIT,
    ),
    Case(
        "static-file-too-big",
        _static_file("big.bin", {"files/big.bin": BIG}),
        ("deployment group_0: 'big.bin' (", "is 9000 bytes, over the binary size limit"),
        env=LIMIT,
    ),
    Case(
        "files-too-big-together",
        _with_files(
            {"files/a.bin": b"a" * 5000, "files/b.bin": b"b" * 5000},
            task("task_0", "copy", {"src": "a.bin", "dest": "/tmp/a"}),
            task("task_1", "copy", {"src": "b.bin", "dest": "/tmp/b"}),
        ),
        (
            "task task_1 ('copy task_1')",
            "brings the files this plan embeds to 10000 bytes, over the binary size limit",
        ),
        env=LIMIT,
    ),
    Case(
        "copy-huge-unread",
        _sparse_source,
        (f"files/disk.img) is {HUGE} bytes, over the binary size limit of 52428800 bytes",),
        env={"RUSTLE_BINARY_SIZE_LIMIT": "50M"},
    ),
    Case(
        "plan-too-big",
        lambda folder: _doc(_debug("x" * 10_000)),
        ("plan.json: the plan is", "bytes, over the binary size limit of 8192 bytes"),
        hint="RUSTLE_BINARY_SIZE_LIMIT",
        env=LIMIT,
    ),
]
BY_ID = {case.id: case for case in CASES}


def _files(folder: Path) -> list[Path]:
    """Every file and link below ``folder`` (empty when it does not exist)."""
    found = []
    for base, dirs, files in os.walk(folder):
        found += [Path(base, name) for name in files]
        found += [Path(base, name) for name in dirs if Path(base, name).is_symlink()]
    return found


def _check(case: Case, command: list[str], tmp_path: Path) -> None:
    """Run ``command`` on the case's plan; check the refusal and that nothing was left."""
    folder = tmp_path / "plans"
    folder.mkdir()
    plan = case.build(folder)
    (folder / "plan.json").write_bytes(
        plan if isinstance(plan, bytes) else json.dumps(plan).encode()
    )
    before = sorted(_files(folder))
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "out" / "result"
    dirs = {
        "RUSTLE_CACHE_DIR": str(tmp_path / "cache"),
        "RUSTLE_COMPILE_TEMP_DIR": str(tmp_path / "temp"),
    }
    args = [
        a.replace("{plan}", str(folder / "plan.json")).replace("{out}", str(out)) for a in command
    ]
    result = cli(*args, env={**dirs, **case.env}, cwd=work, timeout=120)

    assert result.returncode == PLAN_ERROR, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), result.stderr
    for part in case.expect:
        assert part in errors[0], errors[0]
    if case.hint is not None:
        assert any(line.startswith("hint: ") and case.hint in line for line in lines), lines
    # Nothing left behind (the memo only holds answers about the toolchain and the
    # installed packages, complete and independent of the plan).
    assert [f for f in _files(tmp_path / "cache") if "memo" not in f.parts] == []
    assert _files(tmp_path / "temp") == []
    assert not out.exists()
    assert not (tmp_path / "out").exists()
    assert _files(work) == []
    assert sorted(_files(folder)) == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_compile_refuses_bad_plans(case: Case, tmp_path: Path) -> None:
    _check(case, ["compile", "--plan", "{plan}", "--out", "{out}"], tmp_path)


THROUGH_EVERY_COMMAND = [
    "empty",
    "json-nesting",
    "unknown-module",
    "duplicate-ids",
    "deep-not",
    "template-syntax",
    "src-fifo",
    "copy-too-big",
]
COMMANDS = {
    "render": ["render", "--plan", "{plan}", "--out", "{out}"],
    "localhost-test": ["localhost-test", "--plan", "{plan}"],
    "dry-run": ["compile", "--plan", "{plan}", "--dry-run"],
    "no-cache": ["compile", "--plan", "{plan}", "--no-cache"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case_id", THROUGH_EVERY_COMMAND)
def test_other_commands_refuse_bad_plans(case_id: str, command: str, tmp_path: Path) -> None:
    _check(BY_ID[case_id], COMMANDS[command], tmp_path)


def test_a_huge_plan_is_refused_unread(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    with open(plan, "wb") as handle:
        handle.truncate(HUGE)
    result = cli("render", "--plan", str(plan), env={"RUSTLE_BINARY_SIZE_LIMIT": "50M"}, timeout=60)
    assert result.returncode == PLAN_ERROR
    assert f"plan.json: the plan is {HUGE} bytes, over the binary size limit of 52428800 bytes" in (
        result.stderr
    )
    assert result.duration < 30


# --- the limits match the runtime ----------------------------------------------------------


def _filter_chain(depth: int) -> str:
    """A template whose IR is exactly ``depth`` levels deep."""
    return "{{ users" + " | list" * (depth - 3) + " }}"


def test_the_deepest_accepted_plan_decodes_and_runs_on_the_target(tmp_path: Path) -> None:
    """A plan at every nesting limit (the JSON reader's, the IR's) builds a binary that
    reads its payload: the controller's limits leave the runtime's decoder room."""
    template = _filter_chain(MAX_IR_DEPTH)
    assert ir_depth(lower_template(template)) == MAX_IR_DEPTH
    # $ { plays [ { batches [ { tasks [ { args { msg: the value's levels start at 9.
    deepest_value = _nested(MAX_JSON_DEPTH - 8, "bottom")
    doc = _doc(
        task("task_0", "debug", {"msg": deepest_value}),
        task("task_1", "debug", {"msg": "{{ item | length }}"}, loop=template),
        task(
            "task_2",
            "debug",
            {"msg": "{{ v }}"},
            vars={"v": {"w": [template]}},
            conditions=[{"When": {"expression": _filter_chain(MAX_IR_DEPTH + 2)[3:-3]}}],
        ),
        variables={"users": ["ann", "bob"]},
    )
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(doc))
    result = cli("localhost-test", "--plan", str(plan), "--profile", "debug", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["report"]
    assert [t["task_id"] for t in report["tasks"]] == ["task_0", "task_1", "task_2"]
    assert report["recap"]["failed"] == 0
    assert json.dumps(report["tasks"][0]["msg"]) == json.dumps(deepest_value)

    deeper = json.loads(json.dumps(doc))
    _tasks(deeper)[1]["loop"] = _filter_chain(MAX_IR_DEPTH + 1)
    plan.write_text(json.dumps(deeper))
    result = cli("render", "--plan", str(plan))
    assert result.returncode == PLAN_ERROR
    assert "task task_1 ('debug task_1'): loop: value: expression nested too deeply" in (
        result.stderr
    )
