"""The zigbuild builder: real cargo-zigbuild builds for an old glibc, ``--builder auto``,
refusals, the fallback to cargo for the host, and zig's private caches."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process
from rustle_invoke.builders import BuildRequest
from rustle_invoke.builders.cargo import CargoBuilder
from rustle_invoke.builders.zigbuild import ZigbuildBuilder, find_tools
from rustle_invoke.config import CompilerConfig, OptimizationLevel, TargetSpecification
from rustle_invoke.errors import BinaryNotFound, UnsupportedTarget

pytestmark = pytest.mark.cargo

HOST = "x86_64-unknown-linux-gnu"
OLD_GLIBC = f"{HOST}.2.17"

try:
    find_tools()
except Exception as exc:  # the zig extra is part of the test extra; say so when it is absent
    pytest.skip(
        f"cargo-zigbuild/zig not installed ({exc}): pip install -e '.[test]'",
        allow_module_level=True,
    )


def _plan(folder: Path, message: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_plan(folder / "plan.json", [task("task_0", "debug", {"msg": message})])


def _runs(binary: str | Path, message: str) -> None:
    result = process.run([str(binary)], timeout=120)
    assert result.returncode == 0, result.stderr
    assert message in result.stdout


def _newest_glibc(binary: str | Path) -> tuple[int, ...]:
    """The newest GLIBC_x.y symbol version the binary's dynamic symbols need."""
    tool = shutil.which("objdump")
    if tool is None:
        pytest.skip("objdump (binutils) is not installed")
    result = process.run([tool, "-T", str(binary)], timeout=60)
    assert result.ok, result.stderr
    found = re.findall(r"GLIBC_(\d+(?:\.\d+)+)", result.stdout)
    versions = {tuple(int(p) for p in v.split(".")) for v in found}
    assert versions, "the binary links no glibc symbols at all"
    return max(versions)


def _strip_zig_from_path() -> str:
    keep = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d
        and not (Path(d) / "cargo-zigbuild").exists()
        and not (Path(d) / "zig").exists()
        and not (Path(d) / "python-zig").exists()
    ]
    return os.pathsep.join(keep)


@pytest.fixture(scope="module")
def old_glibc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One real zigbuild for glibc 2.17, shared by the tests of this module."""
    plan = _plan(tmp_path_factory.mktemp("glibc217"), "built by zig")
    document = cli_json(
        "compile", "--plan", str(plan), "--target", OLD_GLIBC, "--builder", "zigbuild",
        "--profile", "debug",
    )  # fmt: skip
    return plan, document["binaries"][0]


def test_glibc_suffix_builds_a_binary_that_needs_at_most_that_glibc(old_glibc) -> None:
    _, binary = old_glibc
    assert binary["target_triple"] == OLD_GLIBC
    assert binary["builder"] == "zigbuild"
    _runs(binary["binary_path"], "built by zig")
    assert _newest_glibc(binary["binary_path"]) <= (2, 17)


def test_the_cache_key_differs_from_the_plain_cargo_build(old_glibc) -> None:
    plan, _ = old_glibc
    again = cli_json(
        "compile", "--plan", str(plan), "--target", OLD_GLIBC, "--builder", "zigbuild",
        "--profile", "debug", "--dry-run",
    )["binaries"][0]  # fmt: skip
    assert again["target_triple"] == OLD_GLIBC and again["builder"] == "zigbuild"
    assert again["target_dir"].endswith(f"/{OLD_GLIBC}/debug-zigbuild")
    plain = cli_json(
        "compile", "--plan", str(plan), "--builder", "cargo", "--profile", "debug", "--dry-run"
    )["binaries"][0]
    assert plain["target_triple"] == HOST and plain["builder"] == "cargo"
    # (Compared between dry runs: the runtime sources may change while the suite runs.)
    assert plain["template_hash"] == again["template_hash"]
    assert plain["cache_key"] != again["cache_key"]
    assert plain["target_dir"].endswith(f"/{HOST}/debug")


def test_auto_picks_zigbuild_for_a_glibc_suffix(old_glibc, tmp_path: Path) -> None:
    plan = _plan(tmp_path, "auto chose zig")
    out = tmp_path / "auto-bin"
    document = cli_json(
        "compile", "--plan", str(plan), "--target", "linux-x64.2.17", "--profile", "debug",
        "--no-cache", "--out", str(out),
    )  # fmt: skip
    binary = document["binaries"][0]
    assert binary["builder"] == "zigbuild" and binary["target_triple"] == OLD_GLIBC
    _runs(out, "auto chose zig")
    assert _newest_glibc(out) <= (2, 17)
    # The host itself stays with cargo.
    host = cli_json("compile", "--plan", str(plan), "--profile", "debug", "--dry-run")
    assert host["binaries"][0]["builder"] == "cargo"


def test_two_zig_builds_for_one_target_at_once(old_glibc, tmp_path: Path) -> None:
    plans = [_plan(tmp_path / f"p{i}", f"parallel zig {i}") for i in range(2)]
    results: dict[int, process.ProcessResult] = {}

    def build(i: int) -> None:
        results[i] = cli(
            "compile", "--plan", str(plans[i]), "--target", OLD_GLIBC, "--builder", "zigbuild",
            "--profile", "debug", "--json",
        )  # fmt: skip

    threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(2):
        assert results[i].returncode == 0, results[i].stderr
        binary = json.loads(results[i].stdout)["binaries"][0]
        _runs(binary["binary_path"], f"parallel zig {i}")


def test_missing_standard_libraries_are_refused_with_the_rustup_line(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "never built")
    mac = cli(
        "compile", "--plan", str(plan), "--target", "aarch64-apple-darwin", "--builder", "zigbuild"
    )
    assert mac.returncode == 4, mac.stderr
    assert "hint: rustup target add aarch64-apple-darwin" in mac.stderr
    universal = cli("compile", "--plan", str(plan), "--target", "macos-universal")
    assert universal.returncode == 4, universal.stderr
    assert "aarch64-apple-darwin and x86_64-apple-darwin" in universal.stderr
    assert "hint: rustup target add aarch64-apple-darwin x86_64-apple-darwin" in universal.stderr
    assert "Traceback" not in mac.stderr + universal.stderr


def test_dry_run_for_universal2_shows_the_cargo_zigbuild_command(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "fat binary")
    dry = cli_json(
        "compile", "--plan", str(plan), "--target", "universal2-apple-darwin", "--dry-run"
    )["binaries"][0]
    assert dry["builder"] == "zigbuild"
    assert Path(dry["command"][0]).name == "cargo-zigbuild"
    assert dry["command"][1] == "zigbuild"
    assert dry["command"][dry["command"].index("--target") + 1] == "universal2-apple-darwin"
    refused = cli(
        "compile", "--plan", str(plan), "--target", "universal2-apple-darwin",
        "--builder", "cargo", "--dry-run",
    )  # fmt: skip
    assert refused.returncode == 4
    assert "only cargo-zigbuild can" in refused.stderr and "Traceback" not in refused.stderr


def _request(triple: str, env: dict[str, str] | None = None) -> BuildRequest:
    return BuildRequest(
        manifest_path=Path("/project/Cargo.toml"),
        binary_name="rustle-abc",
        target=TargetSpecification(triple, OptimizationLevel.RELEASE, features=("x",)),
        target_dir=Path("/build"),
        env=env or dict(os.environ),
        timeout=60,
    )


@pytest.mark.parametrize("triple", [OLD_GLIBC, "universal2-apple-darwin"])
def test_command_lines(triple: str) -> None:
    argv = ZigbuildBuilder().command(_request(triple))
    assert argv[0] == str(find_tools().cargo_zigbuild)
    assert argv[1:] == [
        "zigbuild",
        "--manifest-path", "/project/Cargo.toml",
        "--message-format=json-render-diagnostics",
        "--target", triple,
        "--profile", "release",
        "--bin", "rustle-abc",
        "--features", "x",
    ]  # fmt: skip
    with pytest.raises(UnsupportedTarget, match="only cargo-zigbuild can"):
        CargoBuilder().command(_request(triple))


def test_version_names_cargo_zigbuild_and_zig() -> None:
    version = ZigbuildBuilder().version(os.environ)
    assert re.search(r"cargo-zigbuild \d+\.\d+", version), version
    assert f"zig {find_tools().zig_version}" in version


def test_a_configured_path_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "nope")
    missing = tmp_path / "no" / "cargo-zigbuild"
    for builder in ("zigbuild", "auto"):
        result = cli(
            "compile", "--plan", str(plan), "--target", OLD_GLIBC, "--builder", builder,
            "--dry-run", env={"RUSTLE_ZIGBUILD_PATH": str(missing)},
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert f"the configured cargo-zigbuild ({missing}) does not exist" in result.stderr
        assert "RUSTLE_ZIGBUILD_PATH" in result.stderr and "Traceback" not in result.stderr


def test_auto_without_zig_says_how_to_get_it(tmp_path: Path) -> None:
    # A Python without cargo-zigbuild beside it, and a PATH without zig tools.
    venv = tmp_path / "venv"
    made = process.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        timeout=120,
    )
    assert made.ok, made.stderr
    env = dict(os.environ, PATH=_strip_zig_from_path())
    env.pop("RUSTLE_ZIGBUILD_PATH", None)
    plan = _plan(tmp_path, "no zig here")

    def run(*args: str) -> process.ProcessResult:
        argv = [str(venv / "bin" / "python"), "-m", "rustle_invoke", "compile", "--plan", str(plan)]
        return process.run([*argv, *args], env=env, timeout=300)

    suffixed = run("--target", OLD_GLIBC, "--dry-run")
    assert suffixed.returncode == 4, suffixed.stderr
    assert f"{OLD_GLIBC} can only be built with cargo-zigbuild" in suffixed.stderr
    assert "pip install 'rustle-invoke[zig]'" in suffixed.stderr
    assert "RUSTLE_ZIGBUILD_PATH" in suffixed.stderr
    # Another architecture: cargo is tried, so the missing standard library is the news.
    other = run("--target", "aarch64-apple-darwin")
    assert other.returncode == 4, other.stderr
    assert "rustup target add aarch64-apple-darwin" in other.stderr
    assert "Traceback" not in suffixed.stderr + other.stderr


BROKEN_ZIGBUILD = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "cargo-zigbuild 0.0.0-broken"; exit 0; fi
if [ -n "$RECORD" ]; then
  printf '%s\\n' "$@" > "$RECORD.args"
  env > "$RECORD.env"
fi
echo "${FAILURE:-Error: zig exploded}" >&2
exit 1
"""


@pytest.fixture
def broken_zigbuild(tmp_path: Path) -> Path:
    script = tmp_path / "cargo-zigbuild"
    script.write_text(BROKEN_ZIGBUILD)
    script.chmod(0o755)
    return script


def test_zig_failing_for_the_host_falls_back_to_cargo(
    tmp_path: Path, broken_zigbuild: Path
) -> None:
    plan = _plan(tmp_path, "cargo stood in")
    out = tmp_path / "fallback-bin"
    result = cli(
        "compile", "--plan", str(plan), "--builder", "zigbuild", "--profile", "debug",
        "--no-cache", "--out", str(out), "--json",
        env={"RUSTLE_ZIGBUILD_PATH": str(broken_zigbuild)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning: cargo-zigbuild failed for the host target" in result.stderr
    assert "zig exploded" in result.stderr
    assert json.loads(result.stdout)["binaries"][0]["builder"] == "cargo"
    _runs(out, "cargo stood in")


def test_no_fallback_when_disabled_or_for_a_glibc_suffix(
    tmp_path: Path, broken_zigbuild: Path
) -> None:
    plan = _plan(tmp_path, "must not build")
    record = tmp_path / "record"
    env = {
        "RUSTLE_ZIGBUILD_PATH": str(broken_zigbuild),
        "RUSTLE_ZIGBUILD_FALLBACK": "0",
        "RECORD": str(record),
        "SDKROOT": "/sdk/MacOSX.sdk",
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "DEVELOPER_DIR": "/Developer",
    }
    disabled = cli(
        "compile", "--plan", str(plan), "--builder", "zigbuild", "--profile", "debug", env=env
    )
    assert disabled.returncode == 4, disabled.stderr
    assert "cargo-zigbuild failed (exit 1)" in disabled.stderr
    assert "zig exploded" in disabled.stderr
    assert "building with cargo instead" not in disabled.stderr

    # What the builder ran: the inherited SDK variables, zig caches inside the target dir.
    seen = dict(
        line.split("=", 1)
        for line in record.with_suffix(".env").read_text().splitlines()
        if "=" in line
    )
    assert seen["SDKROOT"] == "/sdk/MacOSX.sdk"
    assert seen["MACOSX_DEPLOYMENT_TARGET"] == "11.0" and seen["DEVELOPER_DIR"] == "/Developer"
    target_dir = Path(seen["CARGO_TARGET_DIR"])
    assert target_dir.name == "debug-zigbuild" and target_dir.parent.name == HOST
    assert Path(seen["ZIG_GLOBAL_CACHE_DIR"]).parent == target_dir
    assert Path(seen["CARGO_ZIGBUILD_CACHE_DIR"]).parent == target_dir
    assert seen["CARGO_ZIGBUILD_PYTHON_PATH"] or seen["CARGO_ZIGBUILD_ZIG_PATH"]
    args = record.with_suffix(".args").read_text().split()
    assert args[0] == "zigbuild" and args[args.index("--target") + 1] == HOST

    # An old glibc was asked for: cargo cannot give it, so no fallback either.
    env.pop("RUSTLE_ZIGBUILD_FALLBACK")
    suffixed = cli(
        "compile", "--plan", str(plan), "--target", OLD_GLIBC, "--builder", "zigbuild",
        "--profile", "debug", env=env,
    )  # fmt: skip
    assert suffixed.returncode == 4, suffixed.stderr
    assert "zig exploded" in suffixed.stderr
    assert "building with cargo instead" not in suffixed.stderr


def test_no_fallback_when_rustc_rejected_the_code(tmp_path: Path, broken_zigbuild: Path) -> None:
    plan = _plan(tmp_path, "rustc said no")
    result = cli(
        "compile", "--plan", str(plan), "--builder", "zigbuild", "--profile", "debug",
        env={
            "RUSTLE_ZIGBUILD_PATH": str(broken_zigbuild),
            "FAILURE": "error[E0425]: cannot find value `x` in this scope",
        },
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert "error[E0425]" in result.stderr
    assert "building with cargo instead" not in result.stderr


def test_universal2_binary_is_taken_from_its_known_path(tmp_path: Path) -> None:
    request = replace(
        _request("universal2-apple-darwin"),
        target=TargetSpecification("universal2-apple-darwin", OptimizationLevel.DEBUG),
        target_dir=tmp_path,
    )

    def no_messages(name: str) -> Path:
        raise AssertionError("universal2 prints no artifact messages to read")

    with pytest.raises(BinaryNotFound, match="no universal2 binary"):
        ZigbuildBuilder._executable(request, no_messages)
    binary = tmp_path / "universal2-apple-darwin" / "debug" / "rustle-abc"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"\xca\xfe\xba\xbe")
    assert ZigbuildBuilder._executable(request, no_messages) == binary


def test_the_fallback_switch_reads_env_and_invoke_config() -> None:
    assert CompilerConfig.resolve(env={}).zigbuild_fallback is True
    assert CompilerConfig.resolve(env={"RUSTLE_ZIGBUILD_FALLBACK": "0"}).zigbuild_fallback is False
    config = CompilerConfig.resolve({"zigbuild_fallback": False}, env={})
    assert config.zigbuild_fallback is False
