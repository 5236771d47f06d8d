"""The subprocess wrapper, settings precedence, the binary cache and temp projects."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from rustle_invoke import process
from rustle_invoke.cache import BinaryCache, CacheWarning
from rustle_invoke.config import CompilerConfig, OptimizationLevel, parse_size
from rustle_invoke.errors import ConfigError, ToolchainMissing
from rustle_invoke.workspace import clean_stale_projects, projects_root, temp_project


def test_process_captures_output_and_exit_code() -> None:
    result = process.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.ok


def test_process_streams_stdout_lines() -> None:
    seen: list[str] = []
    process.run(["printf", "a\\nb\\n"], on_stdout_line=seen.append)
    assert seen == ["a", "b"]


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    result = process.run(["sh", "-c", f"sleep 300 & echo $! > {pidfile}; wait"], timeout=1.0)
    assert result.timed_out
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        # A zombie reaped by init disappears shortly after the kill.
        time.sleep(0.05)
    else:
        pytest.fail("the grandchild survived the timeout")


def test_missing_program_is_a_clear_error() -> None:
    with pytest.raises(ToolchainMissing, match="no-such-program-xyz"):
        process.run(["no-such-program-xyz"])


def test_precedence_flag_env_config_default(tmp_path: Path) -> None:
    env = {"RUSTLE_COMPILE_TIMEOUT": "20", "RUSTLE_CACHE_DIR": str(tmp_path / "env")}
    config = {"compile_timeout": 10, "cache_dir": str(tmp_path / "cfg"), "profile": "min-size"}
    resolved = CompilerConfig.resolve(config, env=env)
    assert resolved.compilation_timeout == 20
    assert resolved.cache_dir == tmp_path / "env"
    assert resolved.default_optimization is OptimizationLevel.MINIMAL_SIZE
    flagged = CompilerConfig.resolve(config, env=env, compilation_timeout=5)
    assert flagged.compilation_timeout == 5
    assert CompilerConfig.resolve({}, env={}).compilation_timeout == 300
    assert CompilerConfig.from_env({"RUSTLE_COMPILE_CACHE": "0"}).enable_cache is False
    assert CompilerConfig.from_env({"RUSTLE_BINARY_SIZE_LIMIT": "2M"}).binary_size_limit == 2 << 20


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="timeout"):
        CompilerConfig.from_env({"RUSTLE_COMPILE_TIMEOUT": "soon"})
    with pytest.raises(ConfigError, match="unknown profile"):
        OptimizationLevel.parse("fast")
    with pytest.raises(ConfigError):
        parse_size("lots")
    assert parse_size("1.5K") == 1536


def _binary(tmp_path: Path, data: bytes = b"\x7fELF fake binary bytes") -> Path:
    path = tmp_path / "built"
    path.write_bytes(data)
    return path


META = {
    "target_triple": "x86_64-unknown-linux-gnu",
    "optimization_level": "release",
    "template_hash": "t" * 64,
    "builder": "cargo",
    "plan_name": "p",
    "compilation_time": 1.0,
    "created_at": "2026-01-01T00:00:00Z",
}


def test_cache_put_get_and_verify(tmp_path: Path) -> None:
    cache = BinaryCache(tmp_path / "cache")
    assert cache.get("k" * 64) is None
    with cache.lock("k" * 64):
        entry = cache.put("k" * 64, _binary(tmp_path), META)
    assert entry.size == len(b"\x7fELF fake binary bytes")
    got = cache.get("k" * 64)
    assert got is not None and got.checksum == entry.checksum
    assert got.path.read_bytes() == b"\x7fELF fake binary bytes"
    assert oct(cache.root.stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in cache.root.iterdir() if p.name.startswith(".")] == []


def test_corrupt_entry_is_evicted_not_served(tmp_path: Path) -> None:
    cache = BinaryCache(tmp_path / "cache")
    entry = cache.put("c" * 64, _binary(tmp_path), META)
    data = bytearray(entry.path.read_bytes())
    data[0] ^= 0xFF  # same size, different bytes
    entry.path.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match="sha256"):
        assert cache.get("c" * 64) is None
    assert not (cache.root / ("c" * 64)).exists()
    entry = cache.put("c" * 64, _binary(tmp_path), META)
    entry.path.write_bytes(b"short")
    assert cache.verify_all() == ([], ["c" * 64], [])


def test_prune_by_age_and_size(tmp_path: Path) -> None:
    cache = BinaryCache(tmp_path / "cache")
    for index, key in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        cache.put(key, _binary(tmp_path, bytes(100)), META)
        stamp = time.time() - (3 - index) * 86400
        os.utime(cache.root / key / "entry.json", (stamp, stamp))
    assert cache.prune(max_age_days=2.5) == ["a" * 64]
    assert cache.prune(max_size=150) == ["b" * 64]
    assert [e.key for e in cache.entries() if not isinstance(e, str)] == ["c" * 64]
    assert cache.clear() == 1
    assert list(cache.keys()) == []


def test_prune_leaves_entries_that_are_being_built(tmp_path: Path) -> None:
    cache = BinaryCache(tmp_path / "cache")
    cache.put("a" * 64, _binary(tmp_path), META)
    with cache.lock("a" * 64):
        assert cache.clear() == 0
    assert list(cache.keys()) == ["a" * 64]


def test_temp_project_is_removed_after_success_and_failure(tmp_path: Path) -> None:
    with temp_project(tmp_path) as folder:
        (folder / "Cargo.toml").write_text("")
    assert not folder.exists()
    with pytest.raises(RuntimeError):
        with temp_project(tmp_path) as folder:
            raise RuntimeError("build failed")
    assert [p for p in projects_root(tmp_path).iterdir() if p.is_dir()] == []
    clean_stale_projects(tmp_path)
    assert list(projects_root(tmp_path).iterdir()) == []


def test_clean_removes_only_unlocked_projects(tmp_path: Path) -> None:
    with temp_project(tmp_path, keep=True) as kept:
        pass
    with temp_project(tmp_path) as busy:
        removed = clean_stale_projects(tmp_path)
        assert removed == [kept]
        assert busy.is_dir()
    assert not busy.exists()
    clean_stale_projects(tmp_path)
    assert list(projects_root(tmp_path).iterdir()) == []


def test_public_api_names_exist(tmp_path: Path) -> None:
    import tomllib

    import rustle_invoke

    for name in rustle_invoke.__all__:
        assert getattr(rustle_invoke, name) is not None, name
    text = rustle_invoke.CargoTomlGenerator().generate("rustle-x", "/rt")
    assert tomllib.loads(text)["dependencies"]["rustle-runtime"]["path"] == "/rt"
    manager = rustle_invoke.ProjectManager(tmp_path)
    with manager.create_project() as folder:
        assert folder.is_dir()
    assert not folder.exists()
    executor = rustle_invoke.ProcessExecutor(timeout=10)
    assert executor.run(["echo", "hi"]).stdout == "hi\n"
