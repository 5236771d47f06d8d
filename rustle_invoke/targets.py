"""Which target triple a compile is for: aliases, and a plan's compilation requirements.

``--target`` takes a triple or a short alias (``macos-arm64``, ``linux-x64-musl``, ``host``
...). Without it, a plan whose ``binary_deployments`` all state the same
``compilation_requirements`` (``target_arch``, ``target_os``, ``static_linking``) is built for
the triple they describe; otherwise for this machine. Whether rustc knows the triple and has
its standard library is checked later, by :func:`rustle_invoke.toolchain.check_target`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from .plan import CompilationRequirements, ExecutionPlan

HOST = "host"

ALIASES = {
    "linux-x64": "x86_64-unknown-linux-gnu",
    "linux-x64-musl": "x86_64-unknown-linux-musl",
    "linux-arm64": "aarch64-unknown-linux-gnu",
    "linux-arm64-musl": "aarch64-unknown-linux-musl",
    "linux-armv7": "armv7-unknown-linux-gnueabihf",
    "macos-arm64": "aarch64-apple-darwin",
    "macos-x64": "x86_64-apple-darwin",
    "windows-x64": "x86_64-pc-windows-gnu",
    "freebsd-x64": "x86_64-unknown-freebsd",
}

# How plans and Ansible facts name architectures and systems, in Rust's words.
_ARCHES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "i386": "i686",
    "i686": "i686",
    "x86": "i686",
    "armv7": "armv7",
    "armv7l": "armv7",
    "riscv64": "riscv64gc",
    "ppc64le": "powerpc64le",
    "powerpc64le": "powerpc64le",
    "s390x": "s390x",
}
_OS = {
    "linux": "linux",
    "darwin": "darwin",
    "macos": "darwin",
    "osx": "darwin",
    "windows": "windows",
    "win32": "windows",
    "freebsd": "freebsd",
}


def resolve_alias(name: str, host: str) -> str:
    """The triple ``name`` stands for (``host`` is this machine's)."""
    if name == HOST:
        return host
    return ALIASES.get(name.lower(), name)


def triple_for(requirements: CompilationRequirements) -> str:
    """The triple a deployment's ``compilation_requirements`` describe."""
    arch = _ARCHES.get(requirements.target_arch.lower())
    system = _OS.get(requirements.target_os.lower())
    if arch is None or system is None:
        raise ConfigError(
            f"compilation_requirements name {requirements.target_arch}/{requirements.target_os}, "
            "which rustle-invoke cannot map to a Rust target",
            hint="pass --target with a triple from `rustc --print target-list`",
        )
    if system == "darwin":
        return f"{arch}-apple-darwin"
    if system == "windows":
        return f"{arch}-pc-windows-gnu"
    if system == "freebsd":
        return f"{arch}-unknown-freebsd"
    libc = "musl" if requirements.static_linking else "gnu"
    if arch == "armv7":
        libc += "eabihf"
    return f"{arch}-unknown-linux-{libc}"


def choose_target(requested: str | None, plan: ExecutionPlan, host: str) -> str:
    """``--target`` (resolved), else the triple the deployments require, else ``host``."""
    if requested:
        return resolve_alias(requested, host)
    wanted = {
        triple_for(d.compilation_requirements)
        for d in plan.binary_deployments
        if d.compilation_requirements is not None
    }
    if len(wanted) > 1:
        raise ConfigError(
            f"the plan's deployments need different targets ({', '.join(sorted(wanted))})",
            hint="pass --target to build one of them",
        )
    return wanted.pop() if wanted else host
