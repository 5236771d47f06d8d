"""A binary carries only what its plan uses: the built-in modules it names, the fact
gatherer only when it reads facts, and min-size binaries are packed with UPX (LZMA)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process

# Text that only the package module's code holds, and only the fact gatherer's.
PACKAGE_MARK = b"apt-get"
FACTS_MARK = b"os-release"


def _compile(plan: Path, out: Path, *flags: str) -> dict:
    document = cli_json("compile", "--plan", str(plan), "--out", str(out), *flags)
    (binary,) = document["binaries"]
    return binary


def test_a_binary_leaves_out_the_modules_and_facts_its_plan_does_not_use(tmp_path: Path):
    small = write_plan(tmp_path / "small.json", [task("t_0", "debug", {"msg": "just this"})])
    full = write_plan(
        tmp_path / "full.json",
        [
            task("t_0", "debug", {"msg": "{{ ansible_system }}"}),
            task("t_1", "package", {"name": "rustle-no-such-package", "state": "absent"}),
        ],
    )
    small_info = _compile(small, tmp_path / "small", "--profile", "debug")
    full_info = _compile(full, tmp_path / "full", "--profile", "debug")
    small_bytes = (tmp_path / "small").read_bytes()
    full_bytes = (tmp_path / "full").read_bytes()
    assert PACKAGE_MARK not in small_bytes and FACTS_MARK not in small_bytes
    assert PACKAGE_MARK in full_bytes and FACTS_MARK in full_bytes
    assert small_info["size"] < full_info["size"]
    ran = process.run([str(tmp_path / "small")], timeout=60)
    assert ran.returncode == 0 and "just this" in ran.stdout
    # The full binary really reads the fact it was built with (check mode changes nothing).
    checked = process.run([str(tmp_path / "full"), "--check", "--format", "json"], timeout=120)
    system = process.run(["uname", "-s"], timeout=10, supervised=False).stdout.strip()
    assert f'"msg": "{system}"' in checked.stdout or f'"msg":"{system}"' in checked.stdout


def test_min_size_packs_with_upx_by_default_and_none_turns_it_off(tmp_path: Path):
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "small"})])
    if shutil.which("upx") is None:
        pytest.skip("upx is not installed (CI installs it)")
    packed = cli_json("compile", "--plan", str(plan), "--dry-run", "--profile", "min-size")
    (binary,) = packed["binaries"]
    assert [name.split("@")[0] for name in binary["post_processors"]] == ["upx"]
    plain = cli_json(
        "compile", "--plan", str(plan), "--dry-run", "--profile", "min-size", "--post", "none"
    )
    assert plain["binaries"][0]["post_processors"] == []
    assert plain["binaries"][0]["cache_key"] != binary["cache_key"]
    release = cli_json("compile", "--plan", str(plan), "--dry-run", "--profile", "release")
    assert release["binaries"][0]["post_processors"] == []

    built = _compile(plan, tmp_path / "small", "--profile", "min-size")
    assert [name.split("@")[0] for name in built["post_processors"]] == ["upx"]
    info = process.run(["upx", "--fileinfo", str(tmp_path / "small")], timeout=60)
    assert "method 14" in info.stdout + info.stderr  # UPX's number for LZMA
    ran = process.run([str(tmp_path / "small")], timeout=60)
    assert ran.returncode == 0 and "small" in ran.stdout


def test_min_size_without_upx_warns_and_builds_unpacked(tmp_path: Path):
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "small"})])
    tools = tmp_path / "bin"  # a PATH with the Rust tools and no upx
    tools.mkdir()
    for name in ("rustc", "cargo"):
        found = shutil.which(name)
        assert found
        (tools / name).symlink_to(found)
    result = cli(
        "compile", "--plan", str(plan), "--dry-run", "--profile", "min-size", "--json",
        env={"PATH": str(tools)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning: upx is not installed" in result.stderr
    assert '"post_processors": []' in result.stdout
