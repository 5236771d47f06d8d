"""The ``cargo`` builder: ``cargo build`` with JSON messages, registered as a built-in plugin."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rustle_invoke import process
from rustle_invoke.builders import BuilderRegistry, BuildOutput, BuildRequest
from rustle_invoke.cargo_messages import CargoMessages
from rustle_invoke.errors import (
    BinaryNotFound,
    CargoCompilationFailed,
    CompilationTimeout,
    ToolchainMissing,
    UnsupportedTarget,
)
from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.targets import needs_zig_only
from rustle_invoke.toolchain import INSTALL_HINT

_NOISE_PREFIXES = ("Compiling ", "Finished ", "Blocking ", "Running ", "Fresh ", "Dirty ")


@cache
def cargo_version(cargo: str) -> str:
    """``cargo -V`` (empty when it fails)."""
    result = process.run([cargo, "-V"], timeout=60, supervised=False)
    return result.stdout.strip() if result.ok else ""


def _rendered_errors(stderr: str) -> str:
    """rustc's and cargo's messages without the progress chatter."""
    lines = [line for line in stderr.splitlines() if not line.strip().startswith(_NOISE_PREFIXES)]
    text = "\n".join(lines).strip()
    return text[-8000:] if len(text) > 8000 else text


# --- shared by every builder that drives cargo (cargo, zigbuild) -------------------


def cargo_build_args(request: BuildRequest, triple: str) -> list[str]:
    """The arguments after ``build`` that cargo and cargo-zigbuild both take."""
    argv = [
        "--manifest-path",
        str(request.manifest_path),
        "--message-format=json-render-diagnostics",
        "--target",
        triple,
        "--profile",
        request.target.optimization_level.cargo_profile,
        "--bin",
        request.binary_name,
    ]
    if request.target.features:
        argv += ["--features", ",".join(request.target.features)]
    if _sccache(request) is not None:
        # Not CARGO_TARGET_DIR: sccache keys each compile by the CARGO_* variables rustc
        # sees, and a cache dir's path there would tie its entries to that path.
        argv += ["--target-dir", str(request.target_dir)]
    return argv


def _sccache(request: BuildRequest) -> Path | None:
    return request.settings.sccache if request.settings is not None else None


def cargo_env(request: BuildRequest) -> dict[str, str]:
    """The request's environment (inherited as is) plus the target dir (or, with
    sccache on, ``RUSTC_WRAPPER``: the target dir is then a flag) and target-cpu."""
    env = dict(request.env)
    sccache = _sccache(request)
    if sccache is None:
        env["CARGO_TARGET_DIR"] = str(request.target_dir)
    else:
        from rustle_invoke.sccache import build_env

        env.pop("CARGO_TARGET_DIR", None)
        env.update(build_env(sccache))
    if request.target.target_cpu:
        flags = env.get("RUSTFLAGS", "")
        env["RUSTFLAGS"] = f"{flags} -C target-cpu={request.target.target_cpu}".strip()
    return env


@dataclass(frozen=True)
class CargoRun:
    """A finished cargo (or cargo wrapper) run and the JSON messages it printed."""

    tool: str
    result: process.ProcessResult
    messages: CargoMessages

    @property
    def ok(self) -> bool:
        return self.result.ok

    def failure(self) -> CargoCompilationFailed:
        """The error to raise for a failed run, with rustc's rendered messages."""
        return CargoCompilationFailed(
            f"{self.tool} failed (exit {self.result.returncode}):\n"
            f"{_rendered_errors(self.result.stderr)}"
        )

    def executable(self, name: str) -> Path:
        """The executable cargo reported for binary ``name``."""
        executable = self.messages.executable(name)
        if executable is None or not executable.is_file():
            raise BinaryNotFound(
                f"{self.tool} reported no executable for {name!r} "
                f"(artifacts: {', '.join(self.messages.compiled) or 'none'})"
            )
        return executable


def run_cargo(
    argv: list[str],
    request: BuildRequest,
    env: Mapping[str, str],
    *,
    tool: str,
    install_hint: str = INSTALL_HINT,
) -> CargoRun:
    """Run a cargo command line, reporting each freshly compiled crate to the request's
    progress callback; a timeout or a missing program is raised, a failed build is not."""
    messages = CargoMessages()

    def on_line(line: str) -> None:
        message = messages.feed(line)
        if (
            message
            and message.get("reason") == "compiler-artifact"
            and not message.get("fresh")
            and request.on_progress
        ):
            request.on_progress((message.get("target") or {}).get("name", "?"))

    try:
        result = process.run(argv, env=env, timeout=request.timeout, on_stdout_line=on_line)
    except ToolchainMissing as exc:
        raise ToolchainMissing(exc.message, hint=install_hint) from None
    if result.timed_out:
        raise CompilationTimeout(
            f"the build ran past {request.timeout:g} s and was stopped (its whole "
            "process group was killed)",
            hint="raise --timeout or RUSTLE_COMPILE_TIMEOUT",
        )
    return CargoRun(tool=tool, result=result, messages=messages)


class CargoBuilder:
    name = "cargo"

    def __init__(self, cargo: str = "cargo") -> None:
        self.cargo = cargo

    def available(self, env: Mapping[str, str]) -> bool:
        return process.which(self.cargo, env) is not None

    def version(self, env: Mapping[str, str]) -> str:
        return cargo_version(self.cargo)

    def command(self, request: BuildRequest) -> list[str]:
        triple = request.target.target_triple
        if needs_zig_only(triple):
            raise UnsupportedTarget(
                f"the cargo builder cannot build {triple}: only cargo-zigbuild can",
                hint="use --builder zigbuild or --builder auto (pip install 'rustle-invoke[zig]')",
            )
        return [self.cargo, "build", *cargo_build_args(request, triple)]

    def build(self, request: BuildRequest) -> BuildOutput:
        argv = self.command(request)
        started = time.monotonic()
        run = run_cargo(argv, request, cargo_env(request), tool="cargo build")
        if not run.ok:
            raise run.failure()
        return BuildOutput(
            executable=run.executable(request.binary_name),
            duration=time.monotonic() - started,
            command=tuple(argv),
        )


@hookimpl(trylast=True)
def rustle_register_builders(registry: BuilderRegistry) -> None:
    """Register the ``cargo`` builder."""
    registry.add(CargoBuilder())


@hookimpl(trylast=True)
def rustle_select_builder(target, settings) -> str:
    """Default choice: cargo builds every target it has a standard library for."""
    return "cargo"
