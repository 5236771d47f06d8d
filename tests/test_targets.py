"""Choosing the target triple: aliases, plan requirements, and refusals without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import cli, cli_json, plan_document, task

from rustle_invoke.errors import ConfigError
from rustle_invoke.plan import CompilationRequirements, ExecutionPlan
from rustle_invoke.targets import (
    TargetGroup,
    deployment_targets,
    needs_zig_only,
    resolve_alias,
    rust_triple,
    std_triples,
    triple_for,
    wants_zig,
)

HOST = "x86_64-unknown-linux-gnu"


@pytest.mark.parametrize(
    ("name", "triple"),
    [
        ("macos-arm64", "aarch64-apple-darwin"),
        ("linux-x64-musl", "x86_64-unknown-linux-musl"),
        ("LINUX-ARM64", "aarch64-unknown-linux-gnu"),
        ("host", HOST),
        ("riscv64gc-unknown-linux-gnu", "riscv64gc-unknown-linux-gnu"),
        ("x86_64-unknown-linux-gnu.2.17", "x86_64-unknown-linux-gnu.2.17"),
        ("linux-arm64.2.28", "aarch64-unknown-linux-gnu.2.28"),
        ("host.2.17", "x86_64-unknown-linux-gnu.2.17"),
        ("macos-universal", "universal2-apple-darwin"),
        ("thumbv8m.main-none-eabi", "thumbv8m.main-none-eabi"),
    ],
)
def test_aliases(name: str, triple: str) -> None:
    assert resolve_alias(name, HOST) == triple


@pytest.mark.parametrize(
    ("arch", "system", "static", "triple"),
    [
        ("x86_64", "linux", False, "x86_64-unknown-linux-gnu"),
        ("x86_64", "linux", True, "x86_64-unknown-linux-musl"),
        ("arm64", "darwin", False, "aarch64-apple-darwin"),
        ("amd64", "Windows", False, "x86_64-pc-windows-gnu"),
        ("armv7l", "linux", False, "armv7-unknown-linux-gnueabihf"),
    ],
)
def test_requirements_name_a_triple(arch: str, system: str, static: bool, triple: str) -> None:
    requirements = CompilationRequirements(
        target_arch=arch, target_os=system, static_linking=static
    )
    assert triple_for(requirements) == triple


def test_unknown_requirements_are_a_clear_error() -> None:
    requirements = CompilationRequirements(target_arch="vax", target_os="vms")
    with pytest.raises(ConfigError, match="cannot map to a Rust target"):
        triple_for(requirements)


def _plan(
    folder: Path, *requirements: tuple[str, str], hosts: list[list[str]] | None = None
) -> Path:
    """A plan with one binary deployment per (arch, system), serving ``hosts[i]``."""
    document = plan_document([task("task_0", "debug", {"msg": "here"})])
    deployment = document["binary_deployments"][0]
    document["binary_deployments"] = []
    for i, (arch, system) in enumerate(requirements):
        document["binary_deployments"].append(
            {
                **deployment,
                "deployment_id": f"group_{i}",
                "target_hosts": hosts[i] if hosts else ["localhost"],
                "compilation_requirements": {"target_arch": arch, "target_os": system},
            }
        )
    document["hosts"] = sorted({h for group in hosts or [["localhost"]] for h in group})
    plan = folder / "plan.json"
    plan.write_text(json.dumps(document))
    return plan


def test_the_plans_requirements_choose_the_target(tmp_path: Path) -> None:
    plan = _plan(tmp_path, ("aarch64", "darwin"))
    dry = cli_json("compile", "--plan", str(plan), "--dry-run")["binaries"]
    assert [b["target_triple"] for b in dry] == ["aarch64-apple-darwin"]
    override = cli_json("compile", "--plan", str(plan), "--dry-run", "--target", "linux-x64")
    assert override["binaries"][0]["target_triple"] == "x86_64-unknown-linux-gnu"

    refused = cli("compile", "--plan", str(plan))
    assert refused.returncode == 4
    assert "rustup target add aarch64-apple-darwin" in refused.stderr
    assert "Traceback" not in refused.stderr

    # localhost-test runs the plan here, whatever its deployments ask for.
    ran = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug")
    assert ran["exit_code"] == 0 and ran["binary"]["target_triple"] == HOST


def _plan_object(*deployments: tuple[dict | None, list[str]], hosts: list[str]) -> Any:
    document = plan_document([task("task_0", "debug", {"msg": "here"})])
    template = document["binary_deployments"][0]
    document["binary_deployments"] = [
        {**template, "deployment_id": f"d{i}", "target_hosts": names,
         "compilation_requirements": requirements}
        for i, (requirements, names) in enumerate(deployments)
    ]  # fmt: skip
    document["hosts"] = hosts
    return ExecutionPlan.model_validate(document)


LINUX = {"target_arch": "x86_64", "target_os": "linux"}
MUSL = {**LINUX, "static_linking": True}
MAC = {"target_arch": "aarch64", "target_os": "darwin"}


def test_one_binary_per_distinct_target_with_its_hosts() -> None:
    plan = _plan_object(
        (LINUX, ["web1", "web2"]), (MAC, ["mac1"]), (None, ["db1"]), (MUSL, ["edge1"]),
        hosts=["web1", "web2", "mac1", "db1", "edge1", "ssh-only"],
    )  # fmt: skip
    groups = deployment_targets(None, plan, HOST)
    assert groups == [
        TargetGroup(HOST, ("web1", "web2", "db1")),  # no requirements: this machine's
        TargetGroup("aarch64-apple-darwin", ("mac1",)),
        TargetGroup("x86_64-unknown-linux-musl", ("edge1",)),
    ]
    # --hosts narrows the deployments; a target left without hosts is not built.
    assert deployment_targets(None, plan, HOST, ["mac1", "web2"]) == [
        TargetGroup(HOST, ("web2",)),
        TargetGroup("aarch64-apple-darwin", ("mac1",)),
    ]
    # --target: one binary for every host (or the ones named).
    assert deployment_targets("linux-x64", plan, HOST) == [
        TargetGroup(HOST, ("web1", "web2", "mac1", "db1", "edge1", "ssh-only"))
    ]
    assert deployment_targets("host", plan, HOST, ["ssh-only"]) == [
        TargetGroup(HOST, ("ssh-only",))
    ]


def test_hosts_outside_the_deployments_or_in_two_targets_are_refused() -> None:
    plan = _plan_object((LINUX, ["web1"]), (MAC, ["web1", "mac1"]), hosts=["web1", "mac1"])
    with pytest.raises(ConfigError, match="'web1' is in binary deployments for two targets"):
        deployment_targets(None, plan, HOST)
    plan = _plan_object((LINUX, ["web1"]), hosts=["web1", "ssh-only"])
    with pytest.raises(ConfigError, match="--hosts names ssh-only, which no binary deployment"):
        deployment_targets(None, plan, HOST, ["web1", "ssh-only"])
    # A plan without deployments: one binary for this machine.
    bare = _plan_object(hosts=["a", "b"])
    assert deployment_targets(None, bare, HOST) == [TargetGroup(HOST, ("a", "b"))]


def test_deployments_for_several_targets_give_several_binaries(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path, ("x86_64", "linux"), ("aarch64", "darwin"), ("x86_64", "linux"),
        hosts=[["web1"], ["mac1"], ["web2"]],
    )  # fmt: skip
    dry = cli_json("compile", "--plan", str(plan), "--dry-run")["binaries"]
    assert [(b["target_triple"], b["hosts"]) for b in dry] == [
        (HOST, ["web1", "web2"]),
        ("aarch64-apple-darwin", ["mac1"]),
    ]
    assert dry[0]["cache_key"] != dry[1]["cache_key"]
    # --out takes one binary; --target or --hosts pick one.
    out = cli("compile", "--plan", str(plan), "--out", str(tmp_path / "bin"))
    assert out.returncode == 2 and "--out takes one binary" in out.stderr
    built = cli_json("compile", "--plan", str(plan), "--hosts", "web2,web1", "--profile", "debug")[
        "binaries"
    ]
    assert [(b["target_triple"], b["hosts"]) for b in built] == [(HOST, ["web1", "web2"])]
    # Every binary is built, in parallel; the one this machine cannot build says why.
    both = cli("compile", "--plan", str(plan), "--profile", "debug", "--json")
    assert both.returncode == 4 and "rustup target add aarch64-apple-darwin" in both.stderr


def test_aliases_and_unknown_triples_on_the_command_line(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    result = cli("compile", "--plan", str(plan), "--target", "macos-arm64")
    assert result.returncode == 4
    assert "hint: rustup target add aarch64-apple-darwin" in result.stderr
    typo = cli("compile", "--plan", str(plan), "--target", "x86_64-unknown-linx-gnu")
    assert typo.returncode == 4
    assert "unknown target 'x86_64-unknown-linx-gnu'" in typo.stderr
    assert "did you mean 'x86_64-unknown-linux-gnu'?" in typo.stderr
    assert "Traceback" not in result.stderr + typo.stderr


@pytest.mark.parametrize(
    ("triple", "rust", "std"),
    [
        ("x86_64-unknown-linux-gnu.2.17", HOST, (HOST,)),
        (
            "armv7-unknown-linux-gnueabihf.2.28.1",
            "armv7-unknown-linux-gnueabihf",
            ("armv7-unknown-linux-gnueabihf",),
        ),
        (
            "universal2-apple-darwin",
            "universal2-apple-darwin",
            ("aarch64-apple-darwin", "x86_64-apple-darwin"),
        ),
        ("thumbv8m.main-none-eabi", "thumbv8m.main-none-eabi", ("thumbv8m.main-none-eabi",)),
    ],
)
def test_zig_names_and_what_rustc_is_asked(triple: str, rust: str, std: tuple) -> None:
    assert rust_triple(triple) == rust
    assert std_triples(triple) == std


@pytest.mark.parametrize(
    ("triple", "zig_only", "wanted"),
    [
        (HOST, False, False),
        ("x86_64-unknown-linux-musl", False, False),  # same system and arch: cargo
        ("x86_64-unknown-linux-gnu.2.17", True, True),
        ("universal2-apple-darwin", True, True),
        ("aarch64-unknown-linux-gnu", False, True),
        ("x86_64-apple-darwin", False, True),
        ("x86_64-pc-windows-gnu", False, True),
    ],
)
def test_which_targets_want_zig(triple: str, zig_only: bool, wanted: bool) -> None:
    assert needs_zig_only(triple) is zig_only
    assert wants_zig(triple, HOST) is wanted


def test_glibc_suffix_refusals(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    musl = cli("compile", "--plan", str(plan), "--target", "x86_64-unknown-linux-musl.2.17")
    assert musl.returncode == 4
    assert "a glibc version suffix (.2.17) applies only to -linux-gnu targets" in musl.stderr
    assert "hint: drop the suffix: --target x86_64-unknown-linux-musl" in musl.stderr
    cargo = cli("compile", "--plan", str(plan), "--target", "linux-x64.2.17", "--builder", "cargo")
    assert cargo.returncode == 4
    assert "the cargo builder cannot build x86_64-unknown-linux-gnu.2.17" in cargo.stderr
    assert "Traceback" not in musl.stderr + cargo.stderr
