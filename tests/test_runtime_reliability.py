"""The generated binary's reliability: real plans compiled with ``--profile debug`` and run.

- Bad command-line input and ``-e`` values never crash the binary (a property test over
  argument lists, plus fixed hostile ``-e`` cases): exit 0, 1 or 2, never a signal, never a
  panic report.
- A module error is a failed task with its message; the host stops there (exit 2).
- SIGINT/SIGTERM stop the run after the running task and report what ran (130/143).
- ``copy`` never leaves a half-written destination, even under SIGKILL at any moment, and
  the temporary files a killed run leaves are removed by the next write into that folder.
- ``no_log: true`` keeps a task's values out of every output stream.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import cli_json, task, write_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rustle_invoke import process

# What Rust's default panic and stack-overflow reports, and the runtime's panic hook, print.
CRASH_MARKERS = ("panicked", "RUST_BACKTRACE", "error: internal error", "overflowed its stack")


def compile_debug(plan: Path, env: dict[str, str] | None = None) -> Path:
    """Builds ``plan`` for this machine (debug profile) and returns the binary's path."""
    result = cli_json("compile", "--plan", str(plan), "--profile", "debug", env=env)
    return Path(result["binaries"][0]["binary_path"])


def run(binary: Path, *args: str, timeout: float = 60) -> process.ProcessResult:
    return process.run([binary, *args], timeout=timeout)


def run_signalled(
    argv: list[str | os.PathLike[str]], *sends: tuple[float, int], timeout: float = 60
) -> process.ProcessResult:
    """Runs ``argv``; each ``(delay, signum)`` signals the started process (its pid only,
    not its group) ``delay`` seconds after it started."""
    timers: list[threading.Timer] = []

    def on_start(pid: int) -> None:
        for delay, signum in sends:
            timer = threading.Timer(delay, _send, (pid, signum))
            timer.start()
            timers.append(timer)

    try:
        return process.run(argv, on_start=on_start, timeout=timeout)
    finally:
        for timer in timers:
            timer.cancel()


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


@contextlib.contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Children inherit an ignored SIGINT (pytest started as a background job has one);
    a Python-level handler is reset to the default action in a child, so install one."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def report_of(result: process.ProcessResult) -> dict[str, Any]:
    """The one JSON document a ``--format json`` run printed."""
    assert result.stdout.count("\n") == 1, result.stdout
    return json.loads(result.stdout)


def assert_no_crash(result: process.ProcessResult) -> None:
    assert not result.timed_out
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr[-2000:])
    for marker in CRASH_MARKERS:
        assert marker not in result.stderr, result.stderr[-2000:]


# --- 1. bad command-line input -------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory, rustle_dirs: dict) -> dict[str, Any]:
    """A plan whose tasks read the variable ``v`` in many ways, and -e files."""
    root = tmp_path_factory.mktemp("fuzz")
    tasks = [
        task("t_1", "debug", {"msg": "{{ v | default('unset') }}"}),
        task("t_2", "debug", {"msg": "{{ v | default('') | string | length }}"}),
        task("t_3", "debug", {"var": "v"}),
        task("t_4", "set_fact", {"w": "{{ v | default(none) }}"}),
        task("t_5", "debug", {"msg": "{{ w | to_json }}"}),
        task("t_6", "debug", {"msg": "{{ v is mapping }} {{ v is string }}"},
             conditions=[{"When": {"expression": "v is defined"}}]),
        task("t_7", "debug", {"msg": "{{ item }}"}, with_items="{{ v | default([]) }}"),
        task("t_8", "assert", {"that": ["true"]}, tags=["a"]),
    ]  # fmt: skip
    binary = compile_debug(write_plan(root / "plan.json", tasks))
    files = {
        "deep": "[" * 100_000,
        "ok": json.dumps({"v": {"from": "file"}}),
        "list": "[1, 2]",
        "bad_utf8": None,
    }
    paths = {}
    for name, text in files.items():
        path = root / f"{name}.json"
        if text is None:
            path.write_bytes(b'{"v": "\xff\xfe"}')
        else:
            path.write_text(text, "utf-8")
        paths[name] = str(path)
    return {"binary": binary, "files": paths, "dir": str(root)}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=15,
)
_keys = st.sampled_from(
    ["v", "v", "v", "w", "item", "omit", "inventory_hostname", "ansible_check_mode", "x y",
     "1a", "", "é", "v=", " v"]
)  # fmt: skip
_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_raw = st.binary(min_size=1, max_size=24).filter(lambda b: b"\0" not in b).map(os.fsdecode)


def _extra_values(files: dict[str, str], folder: str) -> st.SearchStrategy[str]:
    fixed = [
        "@/nonexistent/vars.json", "@/dev/null", "@/", "@", f"@{folder}", "=", "==", "=x",
        "a=b=c", "{", "{}", "[]", "x", " =1", "1-x=2", "a b=c", "v==", "{\"v\": 1} ", " {}",
        "{\"v\": 1}{", "\"v\"", "null", "{\"v\": NaN}", "{\"v\": 1e999}", "{\"v\": -0}",
        "{\"v\": 99999999999999999999999}", "{\"\\ud800\": 1}", "{\"v\": \"\\ud800\"}",
        *(f"@{p}" for p in files.values()),
    ]  # fmt: skip
    return st.one_of(
        st.sampled_from(fixed),
        st.tuples(_keys, _json).map(lambda kv: json.dumps({kv[0]: kv[1]})),
        _json.map(json.dumps),
        st.tuples(_keys, _text | _raw).map(lambda kv: f"{kv[0]}={kv[1]}"),
        st.integers(1, 100_000).map(lambda n: "[" * n),
        st.integers(1, 400).map(lambda n: '{"v": ' + "[" * n + "]" * n + "}"),
        st.integers(1, 400).map(lambda n: '{"v": ' + '{"k": ' * n + "1" + "}" * n + "}"),
        st.integers(0, 120_000).map(lambda n: "v=" + "x" * n),
    )


FLAGS = [
    "--check", "-C", "--diff", "-D", "--list-tasks", "--version", "--dump-plan", "--help", "-h",
    "-v", "-vv", "-vvv", "-vvvvvvvvvv", "--verbose", "--tags", "-t", "--skip-tags", "--format",
    "--host", "-e", "--extra-vars", "--format=json", "--format=text", "--format=yaml", "--tags=a",
    "--tags=,", "--skip-tags=a", "--host=", "--host=web1", "--check=1", "--", "-", "", "-ev=1",
    "-e=", "--extra-vars=v=1", "always", "never", "json", "text", "-x", "--bogus",
]  # fmt: skip


@st.composite
def _argv(draw: st.DrawFn, files: dict[str, str], folder: str) -> list[str]:
    extra = _extra_values(files, folder)
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(FLAGS).map(lambda f: [f]),
                st.tuples(st.sampled_from(["-e", "--extra-vars"]), extra).map(list),
                extra.map(lambda e: [e]),
                _raw.map(lambda r: [r]),
                _text.map(lambda t: [t]),
            ),
            max_size=8,
        )
    )
    return [arg for piece in pieces for arg in piece]


def test_any_argument_list_exits_cleanly(fuzz_env: dict[str, Any]) -> None:
    """Arbitrary argument lists (real flags, -e values of every shape, arbitrary text and
    bytes) end with 0, 1 or 2, never by a signal, never with a panic report."""

    @settings(
        max_examples=250,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(argv=_argv(fuzz_env["files"], fuzz_env["dir"]))
    def check(argv: list[str]) -> None:
        result = run(fuzz_env["binary"], *argv, timeout=30)
        assert_no_crash(result)
        if result.returncode == 1:
            # A usage error is one message (plus the usage text), not a crash dump.
            assert result.stderr.startswith("error: "), result.stderr[:500]
            assert len(result.stderr) < 2000, result.stderr[:500]

    check()


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("[" * 100_000, 1, "invalid extra vars '[[["),
        ('{"v": ' + "[" * 100_000, 1, "nesting deeper than 256 levels"),
        ('{"v": ' + "[" * 300 + "]" * 300 + "}", 1, "nesting deeper than 256 levels"),
        ('{"v": ' + "[" * 255 + "]" * 255 + "}", 0, None),
        ('{"v": ' + '{"k": ' * 255 + "1" + "}" * 255 + "}", 0, None),
        ("v=" + "x" * 120_000, 0, None),
        ("{" + '"v": 1, ' * 10_000 + '"w": 2}', 0, None),
        ("@/nonexistent/vars.json", 1, "cannot read extra vars file '/nonexistent/vars.json'"),
        ("@/dev/null", 1, "invalid JSON in extra vars file '/dev/null'"),
        ("@/", 1, "cannot read extra vars file '/'"),
        ("@/dev/zero", 1, "is larger than 64 MiB"),
        ("@", 1, "cannot read extra vars file ''"),
        ("=", 1, "invalid extra vars '='"),
        ("=x", 1, "invalid extra vars '=x'"),
        ("  =x", 1, "invalid extra vars '  =x'"),
        ("novalue", 1, "invalid extra vars 'novalue'"),
        ("[1]", 1, "invalid extra vars '[1]'"),
        ('{"v": NaN}', 1, "invalid JSON in extra vars"),
        ('{"v": "\\ud800"}', 0, None),
        ("a b=c", 0, None),
        ("1-x=2", 0, None),
        ("v==", 0, None),
        ("é=ü", 0, None),
        ('{"": 1, "a.b": 2, "{{ x }}": 3}', 0, None),
    ],
)
def test_hostile_extra_vars(
    fuzz_env: dict[str, Any], value: str, code: int, message: str | None
) -> None:
    """Each hostile ``-e`` value gives its exit code and, for errors, one short message."""
    for args in (["-e", value], ["-e", value, "--format", "json"]):
        result = run(fuzz_env["binary"], *args)
        assert_no_crash(result)
        assert result.returncode == code, result.stderr[-1000:]
        if message is not None:
            first = result.stderr.splitlines()[0]
            assert first.startswith("error: "), first
            assert message in first, first
            assert len(first) < 300, first
        elif "--format" in args:
            report = report_of(result)
            assert [t["status"] for t in report["tasks"]][:3] == ["ok", "ok", "ok"]


def test_extra_vars_at_the_depth_limit_reach_the_templates(fuzz_env: dict[str, Any]) -> None:
    """A value nested 255 levels deep (the parser's limit is 256 with the outer object)
    goes through filters and the report without exhausting the stack."""
    deep = "[" * 255 + "7" + "]" * 255
    result = run(fuzz_env["binary"], "-e", '{"v": ' + deep + "}", "--format", "json")
    report = report_of(result)
    assert result.returncode == 0, result.stderr
    assert report["tasks"][0]["msg"] == json.loads(deep)
    assert json.loads(report["tasks"][4]["msg"]) == json.loads(deep)


def test_usage_errors_are_one_line_and_exit_1(fuzz_env: dict[str, Any]) -> None:
    for args in (["--bogus"], ["--format"], ["--format", "yaml"], ["-e"], ["--host", ""],
                 [os.fsdecode(b"\xff\xfe")], ["--check=yes"], ["-x" * 50_000]):  # fmt: skip
        result = run(fuzz_env["binary"], *args)
        assert result.returncode == 1, args
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0].startswith("error: ") and len(lines[0]) < 300, lines[0]
        assert lines[1].startswith("usage: ")


# --- 2. module errors ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing_plan(tmp_path_factory: pytest.TempPathFactory, rustle_dirs: dict) -> dict[str, Any]:
    """Tasks that fail inside their module, each selected by its own tag, each followed by
    a task that must not run."""
    root = tmp_path_factory.mktemp("failing")
    (root / "regular").write_text("a file, not a folder\n")
    (root / "folder").mkdir()
    cases = {
        "copy_under_file": ("copy", {"content": "x\n", "dest": str(root / "regular" / "x")}),
        "missing_program": ("command", {"argv": ["/nonexistent/rustle-no-such-program"]}),
        "bad_mode": ("file", {"path": str(root / "new"), "state": "touch",
                              "mode": "{{ bad_mode }}"}),
        "dir_over_file": ("file", {"path": str(root / "regular"), "state": "directory"}),
        "lineinfile_on_dir": ("lineinfile", {"path": str(root / "folder"), "line": "x"}),
        "template_var": ("debug", {"msg": "{{ undefined_thing.attr }}"}),
    }  # fmt: skip
    tasks = [
        task(f"t_{i}", module, args, name=f"case {tag}", tags=[tag])
        for i, (tag, (module, args)) in enumerate(cases.items(), start=1)
    ]
    tasks.append(task(f"t_{len(cases) + 1}", "debug", {"msg": "after"}, name="after",
                      tags=list(cases)))  # fmt: skip
    plan = write_plan(root / "plan.json", tasks, variables={"bad_mode": "u+q"})
    return {"binary": compile_debug(plan), "root": root, "cases": list(cases)}


EXPECTED_FAILURE = {
    "copy_under_file": "regular",
    "missing_program": "No such file or directory",
    "bad_mode": "mode",
    "dir_over_file": "regular",
    "lineinfile_on_dir": "directory",
    "template_var": "undefined",
}


@pytest.mark.parametrize("case", list(EXPECTED_FAILURE))
def test_module_error_is_a_failed_task(failing_plan: dict[str, Any], case: str) -> None:
    result = run(failing_plan["binary"], "--tags", case, "--format", "json")
    assert_no_crash(result)
    assert result.returncode == 2, result.stderr
    report = report_of(result)
    assert [t["name"] for t in report["tasks"]] == [f"case {case}"]  # "after" did not run
    failed = report["tasks"][0]
    assert failed["status"] == "failed"
    assert EXPECTED_FAILURE[case] in failed["msg"], failed["msg"]
    assert report["recap"]["failed"] == 1
    text = run(failing_plan["binary"], "--tags", case)
    assert text.returncode == 2
    assert "fatal: [localhost]: FAILED!" in text.stdout
    assert "TASK [after]" not in text.stdout
    assert_no_crash(text)


# --- 3. SIGINT / SIGTERM -------------------------------------------------------------------


@pytest.fixture(scope="module")
def signal_binaries(tmp_path_factory: pytest.TempPathFactory, rustle_dirs: dict) -> dict:
    """``sleep_first``: command sleep 2 (notifies a handler) -> debug -> debug;
    ``sleep_last``: debug -> debug -> command sleep 2 (notifies a handler)."""
    root = tmp_path_factory.mktemp("signals")
    marker = root / "handler-ran"
    handler = {
        "handler_id": "h_0", "name": "h", "module": "command",
        "args": {"argv": ["touch", str(marker)]}, "conditions": [], "execution_order": 0,
    }  # fmt: skip
    sleep = {"argv": ["sleep", "2"]}
    first = [
        task("t_1", "command", sleep, name="sleep", notify=["h"]),
        task("t_2", "debug", {"msg": "one"}, name="one"),
        task("t_3", "debug", {"msg": "two"}, name="two"),
    ]
    last = [
        task("t_1", "debug", {"msg": "one"}, name="one"),
        task("t_2", "debug", {"msg": "two"}, name="two"),
        task("t_3", "command", sleep, name="sleep", notify=["h"]),
    ]
    return {
        "sleep_first": compile_debug(write_plan(root / "a.json", first, handlers=[handler])),
        "sleep_last": compile_debug(write_plan(root / "b.json", last, handlers=[handler])),
        "marker": marker,
    }


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_after_the_running_task_json(
    signal_binaries: dict, signum: int, code: int
) -> None:
    """The running ``command`` completes (it is not signalled), nothing after it runs (no
    task, no handler), the JSON report says which signal, the exit code is 128 + signal."""
    signal_binaries["marker"].unlink(missing_ok=True)
    with sigint_not_ignored():
        result = run_signalled([signal_binaries["sleep_first"], "--format", "json"], (0.5, signum))
    assert result.returncode == code, result.stderr
    assert result.duration >= 2.0
    report = report_of(result)
    assert report["interrupted"] == signal.Signals(signum).name
    assert [(t["name"], t["status"], t["rc"]) for t in report["tasks"]] == [("sleep", "changed", 0)]
    assert report["tasks"][0]["duration_ms"] >= 1900
    assert report["handlers"] == []
    assert not signal_binaries["marker"].exists()
    assert report["recap"] == {"ok": 1, "changed": 1, "failed": 0, "skipped": 0, "ignored": 0}
    assert f"Interrupted by {signal.Signals(signum).name}" in result.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_after_the_running_task_text(
    signal_binaries: dict, signum: int, code: int
) -> None:
    with sigint_not_ignored():
        result = run_signalled([signal_binaries["sleep_first"]], (0.5, signum))
    assert result.returncode == code, result.stderr
    out = result.stdout
    assert "TASK [sleep]" in out and "changed: [localhost]" in out
    assert "TASK [one]" not in out and "RUNNING HANDLER" not in out
    notice = f"[ERROR]: Interrupted by {signal.Signals(signum).name}"
    assert notice in out
    assert out.index(notice) < out.index("PLAY RECAP")
    assert re.search(r"localhost\s+: ok=1\s+changed=1\s+unreachable=0\s+failed=0", out), out


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_the_last_task(signal_binaries: dict, signum: int, code: int) -> None:
    """Every task is reported, the notified handler does not run, the code is still 130/143."""
    signal_binaries["marker"].unlink(missing_ok=True)
    with sigint_not_ignored():
        result = run_signalled([signal_binaries["sleep_last"], "--format", "json"], (0.5, signum))
    assert result.returncode == code, result.stderr
    report = report_of(result)
    assert [t["name"] for t in report["tasks"]] == ["one", "two", "sleep"]
    assert report["tasks"][2]["status"] == "changed"
    assert report["handlers"] == [] and not signal_binaries["marker"].exists()
    assert report["interrupted"] == signal.Signals(signum).name


def test_without_a_signal_the_handler_runs(signal_binaries: dict) -> None:
    """The contrast of the tests above: the same plan, uninterrupted, runs its handler."""
    signal_binaries["marker"].unlink(missing_ok=True)
    result = run(signal_binaries["sleep_last"], "--format", "json")
    assert result.returncode == 0
    report = report_of(result)
    assert "interrupted" not in report
    assert [h["name"] for h in report["handlers"]] == ["h"]
    assert signal_binaries["marker"].exists()


def test_a_second_signal_ends_the_binary_at_once(signal_binaries: dict) -> None:
    """While stopping, a second SIGTERM takes the default action: the process ends by it,
    without waiting for the running command."""
    result = run_signalled(
        [signal_binaries["sleep_first"], "--format", "json"],
        (0.3, signal.SIGTERM),
        (0.8, signal.SIGTERM),
    )
    assert result.returncode == -signal.SIGTERM
    assert result.duration < 1.8
    assert result.stdout == ""


def test_an_ignored_sigint_stays_ignored(signal_binaries: dict) -> None:
    """Started with SIGINT ignored (``trap '' INT``, as nohup and background jobs do), the
    binary keeps ignoring it and runs to the end."""
    script = 'trap "" INT; exec "$0" --format json'
    result = run_signalled(
        ["sh", "-c", script, signal_binaries["sleep_first"]], (0.5, signal.SIGINT)
    )
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    assert "interrupted" not in report
    assert [t["name"] for t in report["tasks"]] == ["sleep", "one", "two"]


# --- 4. no half-written files --------------------------------------------------------------

TEMP_NAME = re.compile(r"^\.rustle_tmp\d+_\d+_[0-9a-f]+big\.bin$")


def run_killed(binary: Path, dest_dir: Path, delay: float | None, after_temp: float | None):
    """Runs ``binary`` and SIGKILLs its process group ``delay`` seconds after the start, or
    ``after_temp`` seconds after a new temporary file first shows in ``dest_dir``."""
    done = threading.Event()
    before = set(os.listdir(dest_dir))

    def killer(pid: int) -> None:
        started = time.monotonic()
        while not done.is_set() and time.monotonic() - started < 120:
            if delay is not None and time.monotonic() - started >= delay:
                break
            if after_temp is not None and any(
                n.startswith(".rustle_tmp") for n in set(os.listdir(dest_dir)) - before
            ):
                time.sleep(after_temp)
                break
            time.sleep(0.0005)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    def on_start(pid: int) -> None:
        threading.Thread(target=killer, args=(pid,), daemon=True).start()

    try:
        return process.run([binary, "--format", "json"], on_start=on_start, timeout=120)
    finally:
        done.set()


def test_copy_is_atomic_under_sigkill(tmp_path: Path) -> None:
    """SIGKILL at many moments of a 30 MB ``copy`` over an existing file (spread over the
    run, and just after the temporary file appears, while it is written, synced and
    renamed): the destination always holds the old bytes or the complete new ones; the
    only other files are the killed runs' temporary files, which the next write into the
    folder removes."""
    size = 30 * 1024 * 1024
    new, old = os.urandom(size), os.urandom(size)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "big.bin").write_bytes(new)
    dest_dir = tmp_path / "dest"
    dest_dir.mkdir()
    dest = dest_dir / "big.bin"
    plan = write_plan(
        tmp_path / "plan.json",
        [task("t_1", "copy", {"src": "big.bin", "dest": str(dest)}, name="big copy")],
    )
    # A debug binary carrying 30 MB is over the default 50 MB limit.
    binary = compile_debug(plan, env={"RUSTLE_BINARY_SIZE_LIMIT": str(200 * 1024 * 1024)})
    digests = {hashlib.sha256(old).digest(): "old", hashlib.sha256(new).digest(): "new"}

    dest.write_bytes(old)
    full = run(binary, "--format", "json", timeout=120)
    assert full.returncode == 0, full.stderr
    assert report_of(full)["tasks"][0]["status"] == "changed"
    assert dest.read_bytes() == new
    took = full.duration

    moments = [(took * f, None) for f in (0.05, 0.3, 0.6, 0.9)]
    moments += [(None, extra) for extra in (0, 0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08)]
    outcomes = []
    partial_temps = 0
    for delay, after_temp in moments:
        dest.write_bytes(old)
        killed = run_killed(binary, dest_dir, delay, after_temp)
        state = digests.get(hashlib.sha256(dest.read_bytes()).digest())
        assert state is not None, f"half-written destination (kill at {delay}/{after_temp})"
        # At most one leftover: the previous killed run's temporary file is gone.
        others = [p for p in dest_dir.iterdir() if p.name != "big.bin"]
        assert len(others) <= 1 and all(TEMP_NAME.match(p.name) for p in others), others
        partial_temps += sum(p.stat().st_size < size for p in others)
        outcomes.append((killed.returncode, state))
    # A kill may come after the run ended (exit 0), never leave the old file after exit 0.
    assert set(outcomes) <= {(-signal.SIGKILL, "old"), (-signal.SIGKILL, "new"), (0, "new")}
    assert (-signal.SIGKILL, "old") in outcomes, outcomes
    assert partial_temps, "no kill landed while the temporary file was being written"

    dest.write_bytes(old)
    final = run(binary, "--format", "json", timeout=120)
    assert final.returncode == 0, final.stderr
    assert dest.read_bytes() == new
    assert sorted(p.name for p in dest_dir.iterdir()) == ["big.bin"]


# --- 5. no_log -----------------------------------------------------------------------------


def test_no_log_values_reach_no_output(tmp_path: Path) -> None:
    """A secret in the arguments of ``no_log`` tasks (debug msg, command argv and output,
    copy content under --diff, loop items, a failing loop item, a failed task's message)
    appears in no byte of stdout or stderr, at any verbosity, with --diff, in text or JSON."""
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    dest = tmp_path / "secret.txt"
    dest.write_text("before\n")
    hidden: dict[str, Any] = {"no_log": True}
    tasks = [
        task("t_1", "debug", {"msg": f"the secret is {secret}"}, **hidden),
        task("t_2", "command", {"argv": ["echo", secret]}, **hidden),
        task("t_3", "copy", {"content": f"{secret}\n", "dest": str(dest)}, **hidden),
        task("t_4", "debug", {"msg": "item {{ item }}"}, loop=[secret, "plain"], **hidden),
        task("t_5", "command", {"argv": ["sh", "-c", "echo {{ item }}; echo {{ item }} >&2; "
             "exit 3"]}, loop=[secret], ignore_errors=True, **hidden),
        task("t_6", "shell", {"cmd": f"echo {secret}; exit 4"}, ignore_errors=True, **hidden),
        task("t_7", "set_fact", {"kept": secret}, **hidden),
        task("t_8", "debug", {"msg": "visible"}),
        task("t_9", "fail", {"msg": f"failing with {secret}"}, **hidden),
    ]  # fmt: skip
    binary = compile_debug(write_plan(tmp_path / "plan.json", tasks))
    runs = [
        ["--diff"], ["-v", "--diff"], ["-vv", "--diff"], ["-vvv", "--diff"], ["-vvvv"],
        ["--format", "json", "--diff"], ["--format", "json", "-vvv", "--diff"],
    ]  # fmt: skip
    for args in runs:
        dest.write_text("before\n")  # so that copy changes (and diffs) on every run
        result = run(binary, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert_no_crash(result)
        for stream in (result.stdout, result.stderr):
            assert secret not in stream, (args, stream)
        assert dest.read_text() == f"{secret}\n"  # the tasks did run with the secret
        if "json" in args:
            report = report_of(result)
            statuses = [t["status"] for t in report["tasks"]]
            assert statuses == ["ok", "changed", "changed", "ok", "failed", "failed", "ok",
                                "ok", "failed"]  # fmt: skip
            assert all("hidden" in t["msg"] for i, t in enumerate(report["tasks"]) if i != 7)
        else:
            assert "the output has been hidden" in result.stdout
            assert "(item=None)" in result.stdout
            assert '"msg": "visible"' in result.stdout
