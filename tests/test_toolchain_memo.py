"""`rustc -vV` and `rustc --print` run once per toolchain, not once per command: their
answers are kept by the toolchain's fingerprint and asked again when it changes."""

from __future__ import annotations

import os
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
    assert oct((cache / "toolchain").stat().st_mode & 0o777) == "0o700"

    _fake_rustc(folder, log, minor=2)  # a new compiler: another size, another mtime
    os.utime(rustc, ns=(1, 1))
    assert _ask(folder, cache) == "9.9.2 x86_64-unknown-linux-gnu"
    assert log.read_text().splitlines() == [*first_calls, *first_calls]
