"""Reliability of the compile pipeline under concurrency, crashes, corruption and limits.

Every test drives the real command line as separate processes (the way CI jobs and
operators use it), kills real process groups, and checks the files on disk afterwards.
docs/reliability.md maps each guarantee to the test here that proves it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process
from rustle_invoke.cache import BinaryCache, CacheEntry
from rustle_invoke.cache_index import CacheIndex
from rustle_invoke.hashing import sha256_file
from rustle_invoke.locks import hold
from rustle_invoke.workspace import projects_root, temp_project

# The timeout and signal tests interrupt cold builds for this CPU and never finish one,
# so its target dir stays cold for every run of them.
NEVER_FINISHED_CPU = "x86-64-v2"
# The cold-build crash test finishes a build for this CPU, in its own cache dir.
CRASH_CPU = "x86-64"


class Started:
    """A ``rustle-invoke`` command running in the background."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.pid: int | None = None
        self.result: process.ProcessResult | None = None
        started = threading.Event()

        def on_start(pid: int) -> None:
            self.pid = pid
            started.set()

        def target() -> None:
            self.result = process.run(
                [sys.executable, "-m", "rustle_invoke", *args],
                env={**os.environ, **(env or {})},
                timeout=900,
                on_start=on_start,
            )

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        assert started.wait(30), "the command did not start"

    def signal_group(self, signum: int) -> None:
        assert self.pid is not None
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:
            pass  # already finished

    def signal(self, signum: int) -> None:
        assert self.pid is not None
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def wait(self) -> process.ProcessResult:
        self.thread.join(900)
        assert self.result is not None
        return self.result


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of running processes that contain ``marker``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue  # ended while we looked
        if marker in text and cmdline.parent.name != str(os.getpid()):
            found.append(f"{cmdline.parent.name}: {text[:200]}")
    return found


def wait_until_gone(marker: str, seconds: float = 10.0) -> list[str]:
    """Wait for every process mentioning ``marker`` to end; returns the survivors."""
    deadline = time.monotonic() + seconds
    while True:
        left = processes_mentioning(marker)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def project_folders(temp_dir: Path) -> list[Path]:
    root = projects_root(temp_dir)
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def unfinished_writes(cache_dir: Path) -> list[str]:
    """Half-written entries and runtime copies (dot-folders) in a cache dir."""
    found = []
    for sub in ("binaries", "runtime"):
        folder = cache_dir / sub
        if folder.is_dir():
            found += [f"{sub}/{p.name}" for p in folder.iterdir() if p.name.startswith(".")]
    return found


def plan_entries(cache_dir: Path, plan_name: str) -> list[CacheEntry | str]:
    """Cache entries built from plans called ``plan_name``, and keys whose metadata
    cannot be read at all."""
    return [
        e
        for e in BinaryCache(cache_dir).entries()
        if isinstance(e, str) or e.plan_name == plan_name
    ]


def run_binary(path: str | Path) -> dict:
    result = process.run([str(path), "--format", "json"], timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def debug_plan(folder: Path, message: str, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_plan(
        folder / f"{name.replace(' ', '-')}.json",
        [task("t_0", "debug", {"msg": message})],
        name=name,
    )


# --- concurrency -----------------------------------------------------------------


def test_six_processes_compiling_one_plan_build_it_once(tmp_path: Path) -> None:
    plan = debug_plan(tmp_path, f"race {time.time_ns()}", "race")
    args = ("compile", "--plan", str(plan), "--profile", "debug", "--json")
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: cli(*args), range(6)))
    for result in results:
        assert result.returncode == 0, result.stderr
    documents = [json.loads(r.stdout)["binaries"][0] for r in results]
    assert sorted(d["cache_hit"] for d in documents) == [False] + [True] * 5
    assert len({d["checksum"] for d in documents}) == 1
    assert len({d["binary_path"] for d in documents}) == 1
    path = documents[0]["binary_path"]
    assert sha256_file(Path(path)) == documents[0]["checksum"]
    assert run_binary(path)["tasks"][0]["msg"].startswith("race ")


def test_different_plans_compile_side_by_side_while_clean_and_verify_run(
    tmp_path: Path, rustle_dirs: dict
) -> None:
    messages = [f"plan {i} {time.time_ns()}" for i in range(4)]
    plans = [debug_plan(tmp_path / str(i), m, f"side {i}") for i, m in enumerate(messages)]
    maintenance: list[process.ProcessResult] = []
    done = threading.Event()

    def maintain() -> None:
        while not done.is_set():
            maintenance.append(cli("clean", "--json"))
            maintenance.append(cli("cache", "--verify", "--json"))

    janitor = threading.Thread(target=maintain)
    janitor.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda plan: cli(
                        "compile", "--plan", str(plan), "--profile", "debug", "--json"
                    ),
                    plans,
                )
            )
    finally:
        done.set()
        janitor.join()
    for result in results:
        assert result.returncode == 0, result.stderr
    for message, result in zip(messages, results, strict=True):
        binary = json.loads(result.stdout)["binaries"][0]
        assert run_binary(binary["binary_path"])["tasks"][0]["msg"] == message
    assert maintenance, "clean and verify never ran during the builds"
    for result in maintenance:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout).get("evicted", []) == []


def test_no_lock_is_deleted_while_held(tmp_path: Path) -> None:
    env = {
        "RUSTLE_CACHE_DIR": str(tmp_path / "cache"),
        "RUSTLE_COMPILE_TEMP_DIR": str(tmp_path / "tmp"),
    }
    cache = BinaryCache(tmp_path / "cache")
    binary = tmp_path / "fake"
    binary.write_bytes(b"\x7fELF not really")
    key = "a" * 64
    build_dir = tmp_path / "cache" / "build" / "toolchain" / "x86_64-unknown-linux-gnu" / "debug"
    build_dir.mkdir(parents=True)
    (build_dir / "output").write_text("in use")
    held = []
    lock_paths = [cache.lock_path(key), Path(str(build_dir) + ".lock")]
    with temp_project(tmp_path / "tmp", name="busy-project") as project:
        lock_paths.append(Path(str(project) + ".lock"))
        cache_lock = cache.lock(key)
        held.append(cache_lock)
        cache.put(
            key,
            binary,
            {
                "target_triple": "t",
                "optimization_level": "debug",
                "template_hash": "h",
                "builder": "cargo",
                "created_at": "2026-01-01T00:00:00Z",
            },
        )
        held.append(hold(str(build_dir) + ".lock", 0, "the build dir"))
        inodes = {p: p.stat().st_ino for p in lock_paths}
        try:
            for args in (
                ("clean", "--all"),
                ("cache", "--clear"),
                ("cache", "--prune", "--max-size", "0"),
                ("cache", "--verify"),
            ):
                result = cli(*args, "--json", env=env)
                assert result.returncode == 0, (args, result.stderr)
                for path, inode in inodes.items():
                    assert path.exists() and path.stat().st_ino == inode, (args, path)
                assert project.is_dir(), args
                assert (build_dir / "output").read_text() == "in use", args
                assert cache.peek(key) is not None, args
        finally:
            for lock in held:
                lock.release()
    assert cli_json("cache", "--clear", env=env)["cleared"] == 1


# --- crash safety ------------------------------------------------------------------


def test_kill_9_at_any_moment_never_leaves_a_bad_entry(tmp_path: Path, rustle_dirs: dict) -> None:
    """SIGKILL of the compile's process group at ten moments spread over a whole compile:
    afterwards every entry verifies, nothing keeps running, `clean` reclaims the rest
    and the next compile of each plan works."""
    cache_dir = rustle_dirs["cache"]
    temp = tmp_path / "tmp"  # a temp dir of its own: its path marks this test's processes
    env = {"RUSTLE_COMPILE_TEMP_DIR": str(temp)}
    warm = debug_plan(tmp_path / "warm", f"warm {time.time_ns()}", "crash warm-up")
    started = time.monotonic()
    cli_json("compile", "--plan", str(warm), "--profile", "debug", env=env)
    whole = time.monotonic() - started
    killed: list[tuple[Path, str]] = []
    for step in range(10):
        message = f"crash {step} {time.time_ns()}"
        plan = debug_plan(tmp_path / f"p{step}", message, f"crash {step}")
        compile_ = Started("compile", "--plan", str(plan), "--profile", "debug", env=env)
        time.sleep(whole * (0.05 + 0.1 * step))
        compile_.signal_group(signal.SIGKILL)
        compile_.wait()
        killed.append((plan, message))
        assert wait_until_gone(str(temp)) == []
        for entry in plan_entries(cache_dir, f"crash {step}"):
            assert isinstance(entry, CacheEntry), f"unreadable entry {entry}"
            BinaryCache(cache_dir).verify(entry)  # raises on a bad one
    report = cli_json("clean", env=env)
    assert project_folders(temp) == []
    assert unfinished_writes(cache_dir) == []
    assert isinstance(report["debris_removed"], list)
    for plan, message in killed:
        binary = cli_json("compile", "--plan", str(plan), "--profile", "debug", env=env)
        assert run_binary(binary["binaries"][0]["binary_path"])["tasks"][0]["msg"] == message


def test_debris_of_a_killed_write_is_never_served_and_clean_removes_it(tmp_path: Path) -> None:
    """What a process killed inside a cache write leaves, laid out by hand: readers
    never see it, and `clean` removes it once its writer's lock is free."""
    cache_dir = tmp_path / "cache"
    env = {"RUSTLE_CACHE_DIR": str(cache_dir), "RUSTLE_COMPILE_TEMP_DIR": str(tmp_path / "t")}
    cache = BinaryCache(cache_dir)
    key = "d" * 64
    cache.root.mkdir(parents=True)
    half = cache.root / f".put-{key}-x1y2"
    half.mkdir()
    (half / "binary").write_bytes(b"\x7fELF half")
    dying = cache.root / f".evicted-{key[:16]}-1-2"
    dying.mkdir()
    runtime_half = cache_dir / "runtime" / ".put-0123abcd-zz"
    runtime_half.mkdir(parents=True)
    index = CacheIndex(cache_dir)
    index.root.mkdir(parents=True)
    dead_writer = index.root / ".put-999999999-abc"  # no such pid
    dead_writer.write_text("{")
    live_writer = index.root / f".put-{os.getpid()}-abc"
    live_writer.write_text("{")
    assert cache.get(key) is None and list(cache.keys()) == []
    lock = cache.lock(key)  # a writer still at work: its folder stays
    try:
        first = cli_json("clean", env=env)
        assert half.exists()
    finally:
        lock.release()
    second = cli_json("clean", env=env)
    assert not half.exists() and not dying.exists() and not runtime_half.exists()
    assert not dead_writer.exists() and live_writer.exists()
    removed = set(first["debris_removed"]) | set(second["debris_removed"])
    assert {half.name, dying.name, runtime_half.name, dead_writer.name} <= removed


@pytest.fixture(scope="module")
def cold_crash(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A first build in brand-new cache and temp dirs (nested in folders that do not
    exist yet), started under umask 000, killed with SIGKILL while cargo compiles the
    runtime, then compiled again."""
    base = tmp_path_factory.mktemp("cold")
    cache_dir = base / "new" / "deeper" / "cache"
    temp_dir = base / "new-tmp" / "deeper" / "tmp"
    env = {"RUSTLE_CACHE_DIR": str(cache_dir), "RUSTLE_COMPILE_TEMP_DIR": str(temp_dir)}
    plan = debug_plan(base / "plan", "cold crash", "cold crash")
    args = ("compile", "--plan", str(plan), "--profile", "debug", "--target-cpu", CRASH_CPU)
    old_umask = os.umask(0)
    try:
        compile_ = Started(*args, env=env)
        deadline = time.monotonic() + 120
        while not processes_mentioning(f"{cache_dir}/runtime"):  # rustc on the runtime
            assert time.monotonic() < deadline, "the runtime build never started"
            time.sleep(0.1)
        time.sleep(2)
        compile_.signal_group(signal.SIGKILL)
        killed = compile_.wait()
        survivors = wait_until_gone(str(cache_dir))
        again = cli(*args, "--json", env=env)
    finally:
        os.umask(old_umask)
    return {
        "cache": cache_dir,
        "temp": temp_dir,
        "base": base,
        "killed": killed,
        "survivors": survivors,
        "again": again,
    }


def test_kill_9_during_a_cold_build_then_the_next_compile_works(cold_crash: dict) -> None:
    assert cold_crash["killed"].returncode == -signal.SIGKILL
    assert cold_crash["survivors"] == [], "cargo or rustc outlived the killed compile"
    again = cold_crash["again"]
    assert again.returncode == 0, again.stderr
    binary = json.loads(again.stdout)["binaries"][0]
    assert binary["cache_hit"] is False
    assert run_binary(binary["binary_path"])["tasks"][0]["msg"] == "cold crash"


def test_cache_and_temp_dirs_are_private_even_under_umask_000(cold_crash: dict) -> None:
    base: Path = cold_crash["base"]
    cache: Path = cold_crash["cache"]
    temp: Path = cold_crash["temp"]
    created = [
        base / "new",
        base / "new" / "deeper",
        cache,
        base / "new-tmp",
        base / "new-tmp" / "deeper",
        temp,
        projects_root(temp),
        *(cache / name for name in ("binaries", "runtime", "index", "build")),
    ]
    created += [p for p in (cache / "build").glob("*") if p.is_dir()]
    created += [p for p in (cache / "build").glob("*/*") if p.is_dir()]
    for folder in created:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for entry in (cache / "binaries").glob("*/binary"):
        assert stat.S_IMODE(entry.stat().st_mode) & 0o077 == 0, entry


def test_an_open_cache_dir_is_closed_and_a_foreign_one_refused(tmp_path: Path) -> None:
    from rustle_invoke.cache import private_dir
    from rustle_invoke.errors import CacheError

    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    if os.getuid() != 0:
        pytest.skip("needs root to create a folder owned by another user")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    os.chown(foreign, 12345, 12345)
    with pytest.raises(CacheError, match="belongs to another user"):
        private_dir(foreign)


# --- corruption --------------------------------------------------------------------


def _flip_a_byte(entry: Path) -> None:
    data = bytearray((entry / "binary").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (entry / "binary").write_bytes(bytes(data))


def _truncate(entry: Path) -> None:
    data = (entry / "binary").read_bytes()
    (entry / "binary").write_bytes(data[: len(data) // 2])


def _append(entry: Path) -> None:
    with open(entry / "binary", "ab") as handle:
        handle.write(b"\0trailing junk")


def _delete_binary(entry: Path) -> None:
    (entry / "binary").unlink()


def _garbage_metadata(entry: Path) -> None:
    (entry / "entry.json").write_text("{not json", "utf-8")


def _wrong_checksum(entry: Path) -> None:
    meta = json.loads((entry / "entry.json").read_text("utf-8"))
    meta["checksum"] = "0" * 64
    (entry / "entry.json").write_text(json.dumps(meta), "utf-8")


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "a flipped byte": _flip_a_byte,
    "truncated": _truncate,
    "appended": _append,
    "binary deleted": _delete_binary,
    "unreadable metadata": _garbage_metadata,
    "wrong sha256 in metadata": _wrong_checksum,
}


@pytest.mark.parametrize("how", list(CORRUPTIONS))
@pytest.mark.parametrize("path", ["index", "full"])
def test_a_corrupted_entry_is_never_served(
    tmp_path: Path, rustle_dirs: dict, how: str, path: str
) -> None:
    """Whether the hit comes through the index (the fast path) or through the full
    cache key: the bad entry is evicted with a warning and rebuilt, never returned."""
    plan = debug_plan(tmp_path, f"corrupt {how} {path} {time.time_ns()}", "corrupt")
    first = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    CORRUPTIONS[how](rustle_dirs["cache"] / "binaries" / first["cache_key"])
    if path == "full":
        shutil.rmtree(rustle_dirs["cache"] / "index")
    result = cli("compile", "--plan", str(plan), "--profile", "debug", "--json")
    assert result.returncode == 0, result.stderr
    again = json.loads(result.stdout)["binaries"][0]
    assert again["cache_hit"] is False
    assert again["checksum"] == first["checksum"]
    assert sha256_file(Path(again["binary_path"])) == first["checksum"]
    assert "warning:" in result.stderr and "evicted" in result.stderr
    assert first["cache_key"][:16] in result.stderr
    assert run_binary(again["binary_path"])["tasks"][0]["msg"].startswith("corrupt ")


def test_cache_verify_evicts_and_warns(tmp_path: Path, rustle_dirs: dict) -> None:
    plan = debug_plan(tmp_path, f"verify {time.time_ns()}", "verify")
    first = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    _flip_a_byte(rustle_dirs["cache"] / "binaries" / first["cache_key"])
    result = cli("cache", "--verify", "--json")
    assert result.returncode == 0, result.stderr
    assert first["cache_key"] in json.loads(result.stdout)["evicted"]
    assert f"warning: cache entry {first['cache_key']}" in result.stderr
    assert not (rustle_dirs["cache"] / "binaries" / first["cache_key"]).exists()


# --- limits and interruptions ------------------------------------------------------


def _cold_build_args(plan: Path) -> tuple[str, ...]:
    # A target CPU whose target dir is never finished: cargo has the runtime to compile.
    return (
        "compile",
        "--plan",
        str(plan),
        "--profile",
        "debug",
        "--target-cpu",
        NEVER_FINISHED_CPU,
    )


def _assert_nothing_left(temp: Path, cache_dir: Path, plan_name: str) -> None:
    assert project_folders(temp) == []
    assert plan_entries(cache_dir, plan_name) == []
    assert unfinished_writes(cache_dir) == []


@pytest.mark.parametrize("how", ["env", "flag"])
def test_compile_timeout_kills_the_whole_tree(tmp_path: Path, rustle_dirs: dict, how: str) -> None:
    plan = debug_plan(tmp_path, "slow", f"slow {how}")
    temp = tmp_path / "tmp"
    env = {"RUSTLE_COMPILE_TEMP_DIR": str(temp)}
    args = _cold_build_args(plan)
    if how == "env":
        env["RUSTLE_COMPILE_TIMEOUT"] = "1"
    else:
        args += ("--timeout", "1")
    result = cli(*args, env=env)
    assert result.returncode == 5, result.stderr
    assert "ran past 1 s" in result.stderr and "Traceback" not in result.stderr
    assert wait_until_gone(str(temp)) == []
    _assert_nothing_left(temp, rustle_dirs["cache"], f"slow {how}")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_compile_stops_its_build_and_cleans_up(
    tmp_path: Path, rustle_dirs: dict, signum: int, code: int
) -> None:
    plan = debug_plan(tmp_path, "interrupted", f"interrupted {code}")
    temp = tmp_path / "tmp"
    compile_ = Started(*_cold_build_args(plan), env={"RUSTLE_COMPILE_TEMP_DIR": str(temp)})
    deadline = time.monotonic() + 120
    while not processes_mentioning(f"{temp}/projects"):  # cargo is running
        assert time.monotonic() < deadline, "cargo never started"
        time.sleep(0.1)
    compile_.signal(signum)  # the supervisor passes it to the CLI alone, like a kill(1)
    result = compile_.wait()
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert wait_until_gone(str(temp)) == []
    _assert_nothing_left(temp, rustle_dirs["cache"], f"interrupted {code}")


def _assert_refused_for_space(plan: Path, env: dict[str, str], needed: str) -> None:
    """A debug compile of ``plan`` is refused for space, naming ``needed`` and what is free."""
    result = cli("compile", "--plan", str(plan), "--profile", "debug", env=env)
    assert result.returncode == 4, result.stderr
    assert "not enough free disk space" in result.stderr
    assert needed in result.stderr
    free = re.search(r"has ([\d.]+ [KMGT]?i?B) free", result.stderr)
    assert free is not None, result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr


def test_not_enough_disk_space_is_refused_with_the_figures(
    tmp_path: Path, rustle_dirs: dict
) -> None:
    plan = debug_plan(tmp_path, "space", "space")
    temp = tmp_path / "tmp"
    env = {"RUSTLE_MIN_FREE_SPACE": "1000T", "RUSTLE_COMPILE_TEMP_DIR": str(temp)}
    _assert_refused_for_space(plan, env, needed="1000.0 TiB")
    _assert_nothing_left(temp, rustle_dirs["cache"], "space")


def test_a_small_filesystem_is_refused_before_building(tmp_path: Path) -> None:
    """A real 32 MiB tmpfs as the cache dir: a first debug build needs more."""
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = process.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)])
    if not mounted.ok:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        plan = debug_plan(tmp_path / "plan", "small disk", "small disk")
        env = {
            "RUSTLE_CACHE_DIR": str(mount / "cache"),
            "RUSTLE_COMPILE_TEMP_DIR": str(mount / "tmp"),
        }
        _assert_refused_for_space(plan, env, needed="256.0 MiB")
        binaries = mount / "cache" / "binaries"
        assert not binaries.exists() or [p for p in binaries.iterdir() if p.is_dir()] == []
        assert project_folders(mount / "tmp") == []
    finally:
        process.run(["umount", str(mount)])


def test_binary_size_limit_names_both_sizes_and_caches_nothing(
    tmp_path: Path, rustle_dirs: dict
) -> None:
    plan = debug_plan(tmp_path, "big", "too big")
    temp = tmp_path / "tmp"
    env = {"RUSTLE_BINARY_SIZE_LIMIT": "64K", "RUSTLE_COMPILE_TEMP_DIR": str(temp)}
    result = cli("compile", "--plan", str(plan), "--profile", "debug", env=env)
    assert result.returncode == 4, result.stderr
    assert "over the limit of 65536 bytes" in result.stderr
    size = int(result.stderr.split("the binary is ", 1)[1].split(" ", 1)[0])
    assert size > 65536
    _assert_nothing_left(temp, rustle_dirs["cache"], "too big")
    # The same build without the limit (the same temp dir: debug info names the project).
    del env["RUSTLE_BINARY_SIZE_LIMIT"]
    allowed = cli_json("compile", "--plan", str(plan), "--profile", "debug", env=env)
    assert allowed["binaries"][0]["size"] == size


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_localhost_test_lets_the_binary_finish_its_task(
    tmp_path: Path, signum: int, code: int
) -> None:
    """The CLI passes the signal to the running binary, which finishes its current task,
    prints its recap and stops; the CLI then exits 130 / 143."""
    marker = tmp_path / "finished"
    plan = write_plan(
        tmp_path / "slow.json",
        [
            task("t_0", "shell", {"cmd": f"sleep 2 && touch {marker}"}, name="slow task"),
            task("t_1", "debug", {"msg": "never reached"}, name="after the signal"),
        ],
        name="interrupted run",
    )
    cli_json("compile", "--plan", str(plan), "--profile", "debug")  # build outside the clock
    run = Started("localhost-test", "--plan", str(plan), "--profile", "debug")
    deadline = time.monotonic() + 60
    while not processes_mentioning(str(marker)):  # the shell task is running
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)
    run.signal(signum)
    result = run.wait()
    assert result.returncode == code, result.stderr
    assert marker.exists(), "the running task was cut short"
    assert "slow task" in result.stdout and "after the signal" not in result.stdout
    assert "PLAY RECAP" in result.stdout
    assert "Traceback" not in result.stderr
