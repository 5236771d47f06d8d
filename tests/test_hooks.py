"""Each public hook, implemented by an in-process plugin, changes what a real compile does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import task, write_plan

from rustle_invoke import process
from rustle_invoke.builders import BuildOutput, BuildRequest
from rustle_invoke.builders.cargo import CargoBuilder
from rustle_invoke.config import CompilerConfig, OptimizationLevel
from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.pipeline import (
    CompiledBinary,
    CompileOptions,
    compile_plan,
    dry_run,
    run_artifact,
)
from rustle_invoke.plugins import describe_plugins, plugin_manager

pytestmark = pytest.mark.cargo

DEBUG = CompileOptions(profile=OptimizationLevel.DEBUG)


class RecordingBuilder(CargoBuilder):
    """cargo, under another name, remembering the environment of each build."""

    name = "recording-cargo"

    def __init__(self) -> None:
        super().__init__()
        self.envs: list[dict[str, str]] = []

    def version(self, env: Any) -> str:
        return "recording/" + super().version(env)

    def build(self, request: BuildRequest) -> BuildOutput:
        self.envs.append(dict(request.env))
        return super().build(request)


class TeamPlugin:
    """A plugin implementing every build and run hook, recording what it saw."""

    def __init__(self) -> None:
        self.builder = RecordingBuilder()
        self.ready: list[CompiledBinary] = []
        self.ran: list[list[str]] = []
        self.take_runs = False

    @hookimpl
    def rustle_register_builders(self, registry) -> None:
        registry.add(self.builder)

    @hookimpl
    def rustle_select_builder(self, target, settings) -> str | None:
        return self.builder.name if target.optimization_level.value == "debug" else None

    @hookimpl
    def rustle_build_env(self, target, env: dict) -> None:
        env["RUSTLE_TEAM_MARK"] = f"built for {target.target_triple}"

    @hookimpl
    def rustle_artifact_ready(self, artifact: CompiledBinary) -> None:
        self.ready.append(artifact)

    @hookimpl
    def rustle_run_artifact(self, artifact: CompiledBinary, argv: list, settings) -> Any:
        if not self.take_runs:
            return None
        self.ran.append(argv)
        return process.run([artifact.binary_path, *argv, "-e", "who=the plugin's runner"])


@pytest.fixture
def team() -> Iterator[TeamPlugin]:
    plugin = TeamPlugin()
    pm = plugin_manager()
    pm.register(plugin, name="team")
    try:
        yield plugin
    finally:
        pm.unregister(name="team")


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    greeting = task("t_0", "debug", {"msg": "run by {{ who | default('rustle-invoke') }}"})
    return write_plan(tmp_path / "plan.json", [greeting])


def test_a_plugin_builder_is_selected_and_gets_the_plugin_env(team: TeamPlugin, plan: Path) -> None:
    config = CompilerConfig.from_env()
    assert dry_run(plan, DEBUG, config)["binaries"][0]["builder"] == "recording-cargo"
    built = compile_plan(plan, DEBUG, config)
    assert built.builder == "recording-cargo" and not built.cache_hit
    assert len(team.builder.envs) == 1
    assert team.builder.envs[0]["RUSTLE_TEAM_MARK"] == f"built for {built.target_triple}"
    # Ready once, for the build; a cache hit is not announced again.
    assert [b.checksum for b in team.ready] == [built.checksum]
    again = compile_plan(plan, DEBUG, config)
    assert again.cache_hit and len(team.ready) == 1 and len(team.builder.envs) == 1
    # The builder (and its version) is in the cache key: plain cargo is another entry.
    cargo = dry_run(plan, CompileOptions(profile=DEBUG.profile, builder="cargo"), config)
    assert cargo["binaries"][0]["cache_key"] != built.cache_key


def test_select_builder_may_decline(team: TeamPlugin, plan: Path) -> None:
    release = CompileOptions(profile=OptimizationLevel.RELEASE)
    planned = dry_run(plan, release, CompilerConfig.from_env())
    assert planned["binaries"][0]["builder"] == "cargo"


def test_run_artifact_takes_the_run_or_leaves_it(team: TeamPlugin, plan: Path) -> None:
    config = CompilerConfig.from_env()
    built = compile_plan(plan, DEBUG, config)
    here = run_artifact(built, ["--format", "json"], config)
    assert json.loads(here.stdout)["tasks"][0]["msg"] == "run by rustle-invoke"
    team.take_runs = True
    remote = run_artifact(built, ["--format", "json"], config)
    assert team.ran == [["--format", "json"]]
    assert json.loads(remote.stdout)["tasks"][0]["msg"] == "run by the plugin's runner"


def test_the_plugin_listing_names_hooks_and_what_each_adds(team: TeamPlugin) -> None:
    listed = {item["name"]: item for item in describe_plugins(plugin_manager())}
    assert listed["team"]["origin"] == "registered in this process"
    assert listed["team"]["provides"] == {"builders": ["recording-cargo"]}
    assert "rustle_run_artifact" in listed["team"]["hooks"]
    assert listed["rustle_invoke.builtin_postprocessors"]["provides"] == {
        "postprocessors": ["codesign", "upx"]
    }
