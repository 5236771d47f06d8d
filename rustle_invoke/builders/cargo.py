"""The ``cargo`` builder: ``cargo build`` with JSON messages, registered as a built-in plugin."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache

from rustle_invoke import process
from rustle_invoke.builders import BuilderRegistry, BuildOutput, BuildRequest
from rustle_invoke.cargo_messages import CargoMessages
from rustle_invoke.errors import (
    BinaryNotFound,
    CargoCompilationFailed,
    CompilationTimeout,
    ToolchainMissing,
)
from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.toolchain import INSTALL_HINT

_NOISE_PREFIXES = ("Compiling ", "Finished ", "Blocking ", "Running ", "Fresh ", "Dirty ")


@cache
def _cargo_version(cargo: str) -> str:
    result = process.run([cargo, "-V"], timeout=60)
    return result.stdout.strip() if result.ok else ""


def _rendered_errors(stderr: str) -> str:
    """rustc's and cargo's messages without the progress chatter."""
    lines = [line for line in stderr.splitlines() if not line.strip().startswith(_NOISE_PREFIXES)]
    text = "\n".join(lines).strip()
    return text[-8000:] if len(text) > 8000 else text


class CargoBuilder:
    name = "cargo"

    def __init__(self, cargo: str = "cargo") -> None:
        self.cargo = cargo

    def available(self, env: Mapping[str, str]) -> bool:
        return process.which(self.cargo, env) is not None

    def version(self, env: Mapping[str, str]) -> str:
        return _cargo_version(self.cargo)

    def command(self, request: BuildRequest) -> list[str]:
        argv = [
            self.cargo,
            "build",
            "--manifest-path",
            str(request.manifest_path),
            "--message-format=json-render-diagnostics",
            "--target",
            request.target.target_triple,
            "--profile",
            request.target.optimization_level.cargo_profile,
            "--bin",
            request.binary_name,
        ]
        if request.target.features:
            argv += ["--features", ",".join(request.target.features)]
        return argv

    def build(self, request: BuildRequest) -> BuildOutput:
        argv = self.command(request)
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

        env = dict(request.env)
        env["CARGO_TARGET_DIR"] = str(request.target_dir)
        if request.target.target_cpu:
            flags = env.get("RUSTFLAGS", "")
            env["RUSTFLAGS"] = f"{flags} -C target-cpu={request.target.target_cpu}".strip()
        started = time.monotonic()
        try:
            result = process.run(argv, env=env, timeout=request.timeout, on_stdout_line=on_line)
        except ToolchainMissing as exc:
            raise ToolchainMissing(exc.message, hint=INSTALL_HINT) from None
        if result.timed_out:
            raise CompilationTimeout(
                f"the build ran past {request.timeout:g} s and was stopped (its whole "
                "process group was killed)",
                hint="raise --timeout or RUSTLE_COMPILE_TIMEOUT",
            )
        if not result.ok:
            raise CargoCompilationFailed(
                f"cargo build failed (exit {result.returncode}):\n{_rendered_errors(result.stderr)}"
            )
        executable = messages.executable(request.binary_name)
        if executable is None or not executable.is_file():
            raise BinaryNotFound(
                f"cargo reported no executable for {request.binary_name!r} "
                f"(artifacts: {', '.join(messages.compiled) or 'none'})"
            )
        return BuildOutput(
            executable=executable, duration=time.monotonic() - started, command=tuple(argv)
        )


@hookimpl(trylast=True)
def rustle_register_builders(registry: BuilderRegistry) -> None:
    """Register the ``cargo`` builder."""
    registry.add(CargoBuilder())


@hookimpl(trylast=True)
def rustle_select_builder(target, settings) -> str:
    """Default choice: cargo builds every target it has a standard library for."""
    return "cargo"
