"""Answers kept under a fingerprint of their inputs (rustle_invoke.memo): `rustc -vV` and
`rustc --print` run once per toolchain, the installed plugins' entry points are scanned
once per set of installed distributions, the runtime's sources hashed once per change."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from rustle_invoke import process

FAKE_RUSTC = """#!/bin/sh
echo "$@" >> "{log}"
if [ "$1" = "-vV" ]; then
  printf 'rustc 9.9.{minor}\\nhost: x86_64-unknown-linux-gnu\\nrelease: 9.9.{minor}\\n'
else
  echo x86_64-unknown-linux-gnu
fi
"""

ASK = (
    "from rustle_invoke.toolchain import detect_toolchain, _print; "
    "print(detect_toolchain().release, _print('target-list').strip())"
)


def _fake_rustc(folder: Path, log: Path, minor: int) -> Path:
    rustc = folder / "rustc"
    rustc.write_text(FAKE_RUSTC.format(log=log, minor=minor), encoding="utf-8")
    rustc.chmod(0o755)
    return rustc


def _ask(folder: Path, cache: Path) -> str:
    env = {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}", "RUSTLE_CACHE_DIR": str(cache)}
    env.pop("RUSTC", None)
    result = process.run([sys.executable, "-c", ASK], env=env, timeout=60, supervised=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_rustc_answers_are_reused_until_the_compiler_changes(tmp_path: Path):
    folder, log, cache = tmp_path / "bin", tmp_path / "calls.log", tmp_path / "cache"
    folder.mkdir()
    rustc = _fake_rustc(folder, log, minor=1)
    assert _ask(folder, cache) == "9.9.1 x86_64-unknown-linux-gnu"
    first_calls = log.read_text().splitlines()
    assert first_calls == ["-vV", "--print target-list"]
    assert _ask(folder, cache) == "9.9.1 x86_64-unknown-linux-gnu"
    assert log.read_text().splitlines() == first_calls  # answered from the memo
    assert oct((cache / "memo").stat().st_mode & 0o777) == "0o700"

    _fake_rustc(folder, log, minor=2)  # a new compiler: another size, another mtime
    os.utime(rustc, ns=(1, 1))
    assert _ask(folder, cache) == "9.9.2 x86_64-unknown-linux-gnu"
    assert log.read_text().splitlines() == [*first_calls, *first_calls]


def _identity(path_entry: Path, cache: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(path_entry), "RUSTLE_CACHE_DIR": str(cache)}
    env.pop("RUSTLE_DISABLE_PLUGIN_AUTOLOAD", None)
    code = "import json, rustle_invoke.plugins as p; print(json.dumps(p.plugin_identity()))"
    result = process.run([sys.executable, "-c", code], env=env, timeout=60, supervised=False)
    assert result.returncode == 0, result.stderr
    return [name for name in json.loads(result.stdout) if name.startswith("rustle-memo-test")]


def _install_fake_plugin(site: Path, version: str) -> None:
    for old in site.glob("rustle_memo_test-*.dist-info"):
        shutil.rmtree(old)
    dist = site / f"rustle_memo_test-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: rustle-memo-test\nVersion: {version}\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[rustle_invoke]\nrustle-memo-test = rustle_memo_test_plugin\n", encoding="utf-8"
    )


def test_plugin_identity_is_remembered_until_a_distribution_changes(tmp_path: Path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    assert _identity(site, cache) == []
    _install_fake_plugin(site, "1.0")
    (first,) = _identity(site, cache)
    assert "@1.0:" in first
    assert _identity(site, cache) == [first]
    _install_fake_plugin(site, "2.0")  # an upgrade: another dist-info folder
    (second,) = _identity(site, cache)
    assert "@2.0:" in second
    assert len(list((cache / "memo").glob("entry-points-*.txt"))) == 3


def test_the_remembered_runtime_hash_is_the_hash_of_the_sources():
    from rustle_invoke.runtime_source import runtime_hash, runtime_source

    assert runtime_hash() == runtime_source().hash
