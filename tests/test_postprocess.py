"""Post-processors: the chain, its place in the cache key, and the built-in upx and codesign."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process
from rustle_invoke.builtin_postprocessors import CodesignPostProcessor, UpxPostProcessor
from rustle_invoke.errors import ConfigError, PostProcessingFailed, ToolchainMissing
from rustle_invoke.postprocess import Artifact, PostProcessorRegistry, run_chain
from rustle_invoke.workspace import projects_root

needs_upx = pytest.mark.skipif(shutil.which("upx") is None, reason="upx is not installed")


class Step:
    """An in-process post-processor that records its calls."""

    def __init__(self, name: str, log: list[str], signing: bool = False) -> None:
        self.name = name
        self.version = "1"
        self.signing = signing
        self.log = log

    def process(self, artifact: Artifact) -> None:
        self.log.append(self.name)


def _fake_tool(folder: Path, name: str, script: str) -> Path:
    """A command on PATH for the error paths and command lines real tools cannot show here."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("post")
    return write_plan(folder / "plan.json", [task("t_0", "debug", {"msg": "post-processed"})])


def test_signing_steps_run_last_in_the_order_given() -> None:
    log: list[str] = []
    registry = PostProcessorRegistry()
    for step in (Step("sign", log, signing=True), Step("a", log), Step("b", log)):
        registry.add(step)
    chain = registry.chain(["sign", "b", "a"])
    assert [s.name for s in chain] == ["b", "a", "sign"]
    run_chain(chain, Artifact(Path(__file__), "x86_64-unknown-linux-gnu", "debug", "cargo"))
    assert log == ["b", "a", "sign"]


def test_chain_refuses_unknown_and_repeated_names() -> None:
    registry = PostProcessorRegistry()
    registry.add(UpxPostProcessor())
    with pytest.raises(ConfigError, match="unknown post-processor 'upz'") as caught:
        registry.chain(["upz"])
    assert caught.value.hint == "did you mean 'upx'?"
    with pytest.raises(ConfigError, match="listed twice"):
        registry.chain(["upx", "upx"])
    with pytest.raises(TypeError, match="not a post-processor"):
        registry.add(object())  # type: ignore[arg-type]


def test_a_step_that_removes_the_binary_fails_the_chain(tmp_path: Path) -> None:
    binary = tmp_path / "binary"
    binary.write_bytes(b"\x7fELF")

    class Remover(Step):
        def process(self, artifact: Artifact) -> None:
            artifact.path.unlink()

    artifact = Artifact(binary, "x86_64-unknown-linux-gnu", "debug", "cargo")
    with pytest.raises(PostProcessingFailed, match="'gone' left no binary"):
        run_chain((Remover("gone", []),), artifact)


@needs_upx
def test_upx_packs_a_cached_binary_that_still_runs(plan: Path, rustle_dirs: dict) -> None:
    plain = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    packed = cli_json("compile", "--plan", str(plan), "--profile", "debug", "--post", "upx")
    packed = packed["binaries"][0]
    assert packed["cache_key"] != plain["cache_key"]
    assert packed["checksum"] != plain["checksum"]
    assert packed["size"] < plain["size"]
    assert len(packed["post_processors"]) == 1
    assert packed["post_processors"][0].startswith("upx@upx ")
    assert plain["post_processors"] == []
    data = Path(packed["binary_path"]).read_bytes()
    assert b"UPX!" in data
    assert b"UPX!" not in Path(plain["binary_path"]).read_bytes()
    report = json.loads(process.run([packed["binary_path"], "--format", "json"]).stdout)
    assert [t["msg"] for t in report["tasks"]] == ["post-processed"]
    again = cli_json("compile", "--plan", str(plan), "--profile", "debug", "--post", "upx")
    again = again["binaries"][0]
    assert again["cache_hit"] and again["checksum"] == packed["checksum"]
    assert again["post_processors"] == packed["post_processors"]
    # The chain edited a private copy: the plain build is untouched in cache and target dir.
    rebuilt = cli_json(
        "compile", "--plan", str(plan), "--profile", "debug", "--no-cache",
        "--out", str(plan.parent / "plain"),
    )["binaries"][0]  # fmt: skip
    assert rebuilt["checksum"] == plain["checksum"]
    leftovers = [p for p in projects_root(rustle_dirs["temp"]).iterdir() if p.is_dir()]
    assert leftovers == []


@needs_upx
def test_upx_failure_is_reported_with_its_output(tmp_path: Path) -> None:
    text = tmp_path / "not-an-executable"
    text.write_text("just text\n" * 4096)
    artifact = Artifact(text, "x86_64-unknown-linux-gnu", "debug", "cargo")
    with pytest.raises(PostProcessingFailed, match="post-processor 'upx' failed") as caught:
        UpxPostProcessor().process(artifact)
    assert "Exception" in caught.value.message  # upx's own reason, e.g. NotCompressible


def test_upx_refuses_apple_targets_before_building(plan: Path) -> None:
    result = cli(
        "compile", "--plan", str(plan), "--target", "aarch64-apple-darwin", "--post", "upx"
    )
    assert result.returncode == 2
    assert "macOS 13" in result.stderr and "Traceback" not in result.stderr
    assert "hint: drop upx from --post for Apple targets" in result.stderr


def test_a_missing_tool_is_named_with_how_to_install_it(plan: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "RUSTC": shutil.which("rustc") or "rustc"}
    result = cli("compile", "--plan", str(plan), "--dry-run", "--post", "upx", env=env)
    assert result.returncode == 4, result.stderr
    assert "error: upx is not installed or not on PATH" in result.stderr
    assert "hint: install UPX" in result.stderr


def test_a_failing_step_leaves_no_cache_entry_and_no_temp_project(
    plan: Path, tmp_path: Path, rustle_dirs: dict
) -> None:
    tools = _fake_tool(tmp_path / "bin", "upx", 'echo "upx: simulated failure" >&2\nexit 1\n')
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    dry = cli_json("compile", "--plan", str(plan), "--profile", "debug", "--post", "upx",
                   "--dry-run", env=env)  # fmt: skip
    result = cli("compile", "--plan", str(plan), "--profile", "debug", "--post", "upx", env=env)
    assert result.returncode == 4
    assert "post-processor 'upx' failed" in result.stderr
    assert "simulated failure" in result.stderr
    assert not (rustle_dirs["cache"] / "binaries" / dry["binaries"][0]["cache_key"]).exists()
    leftovers = [p for p in projects_root(rustle_dirs["temp"]).iterdir() if p.is_dir()]
    assert leftovers == []


def test_codesign_refuses_non_apple_targets(plan: Path) -> None:
    result = cli("compile", "--plan", str(plan), "--dry-run", "--post", "codesign")
    assert result.returncode == 2
    assert "codesign signs Apple binaries only" in result.stderr


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="rcodesign is for other systems")
def test_codesign_signs_ad_hoc_with_rcodesign(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "argv"
    tools = _fake_tool(tmp_path / "bin", "rcodesign", f'echo "$@" > {log}\n')
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xcf\xfa\xed\xfe")
    step = CodesignPostProcessor()
    step.check("aarch64-apple-darwin")
    step.process(Artifact(binary, "aarch64-apple-darwin", "release", "zigbuild"))
    assert log.read_text().split() == ["sign", str(binary)]


def test_codesign_without_its_tool_says_what_to_install(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainMissing) as caught:
        CodesignPostProcessor().check("x86_64-apple-darwin")
    assert caught.value.hint is not None and "install" in caught.value.hint


def test_config_enables_post_processors(plan: Path, tmp_path: Path) -> None:
    config = tmp_path / "rustle.yaml"
    config.write_text("rustle:\n  post_processors: [codesign]\n")
    result = cli("-f", str(config), "compile", "--plan", str(plan), "--dry-run")
    assert result.returncode == 2  # codesign, from the config, refuses this Linux target
    assert "codesign signs Apple binaries only" in result.stderr
