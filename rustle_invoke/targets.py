"""Which target triple a compile is for: aliases, and a plan's compilation requirements.

``--target`` takes a triple or a short alias (``macos-arm64``, ``linux-x64-musl``, ``host``
...). Without it, each of a plan's ``binary_deployments`` is built for the triple its
``compilation_requirements`` (``target_arch``, ``target_os``, ``static_linking``) describe,
one binary per distinct triple; a plan without them is built for this machine. Whether
rustc knows a triple and has its standard library is checked later, by
:func:`rustle_invoke.toolchain.check_target`.

Two names only cargo-zigbuild understands are accepted too: a ``-linux-gnu`` triple with a
glibc version suffix (``x86_64-unknown-linux-gnu.2.17``: link against that glibc) and
``universal2-apple-darwin`` (one macOS binary for arm64 and x86_64). rustc knows neither:
:func:`rust_triple` and :func:`std_triples` say what to ask rustc about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ConfigError, UnsupportedTarget

if TYPE_CHECKING:
    from .plan import CompilationRequirements, ExecutionPlan

HOST = "host"
UNIVERSAL2 = "universal2-apple-darwin"
UNIVERSAL2_PARTS = ("aarch64-apple-darwin", "x86_64-apple-darwin")

# ``<triple>.<major>.<minor>[.<patch>]``: cargo-zigbuild's way of naming a glibc version.
_VERSION_SUFFIX = re.compile(r"^(?P<base>[^.]+)\.(?P<version>\d+\.\d+(?:\.\d+)?)$")

ALIASES = {
    "linux-x64": "x86_64-unknown-linux-gnu",
    "linux-x64-musl": "x86_64-unknown-linux-musl",
    "linux-arm64": "aarch64-unknown-linux-gnu",
    "linux-arm64-musl": "aarch64-unknown-linux-musl",
    "linux-armv7": "armv7-unknown-linux-gnueabihf",
    "macos-arm64": "aarch64-apple-darwin",
    "macos-x64": "x86_64-apple-darwin",
    "macos-universal": UNIVERSAL2,
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


def is_apple(target: str) -> bool:
    """An Apple target (or the universal2 pseudo-target)."""
    return "-apple-" in target or target.startswith("universal2-apple")


def resolve_alias(name: str, host: str) -> str:
    """The triple ``name`` stands for (``host`` is this machine's); a glibc suffix is
    kept (``linux-x64.2.17`` → ``x86_64-unknown-linux-gnu.2.17``)."""
    base, glibc = split_glibc(name)
    if base == HOST:
        triple = host
    else:
        triple = ALIASES.get(base.lower(), base)
    return f"{triple}.{glibc}" if glibc else triple


def split_glibc(triple: str) -> tuple[str, str | None]:
    """``x86_64-unknown-linux-gnu.2.17`` → (``x86_64-unknown-linux-gnu``, ``2.17``)."""
    match = _VERSION_SUFFIX.match(triple)
    if match is None:
        return triple, None
    return match["base"], match["version"]


def rust_triple(triple: str) -> str:
    """The triple rustc and cargo know: without a glibc suffix. It names the folder cargo
    writes to (``target/x86_64-unknown-linux-gnu/...``)."""
    return split_glibc(triple)[0]


def std_triples(triple: str) -> tuple[str, ...]:
    """The triples whose standard library a build for ``triple`` needs."""
    if triple == UNIVERSAL2:
        return UNIVERSAL2_PARTS
    return (rust_triple(triple),)


def check_glibc_suffix(triple: str) -> None:
    """Refuse a version suffix on a triple that does not link against glibc."""
    base, glibc = split_glibc(triple)
    if glibc and "-linux-gnu" not in base:
        raise UnsupportedTarget(
            f"{triple!r}: a glibc version suffix (.{glibc}) applies only to -linux-gnu targets",
            hint=f"drop the suffix: --target {base}",
        )


def needs_zig_only(triple: str) -> bool:
    """True for names only cargo-zigbuild can build (a glibc suffix, universal2)."""
    return triple == UNIVERSAL2 or split_glibc(triple)[1] is not None


def _arch_and_os(triple: str) -> tuple[str, str]:
    parts = triple.split("-")
    if len(parts) < 3:
        return parts[0], parts[-1]
    return parts[0], parts[2]


def is_cross(triple: str, host: str) -> bool:
    """True when ``triple`` runs on another architecture or system than ``host``."""
    if triple == UNIVERSAL2:
        return not host.endswith("-apple-darwin")
    return _arch_and_os(rust_triple(triple)) != _arch_and_os(rust_triple(host))


def wants_zig(triple: str, host: str) -> bool:
    """True when ``--builder auto`` should use cargo-zigbuild for ``triple`` (if present)."""
    return needs_zig_only(triple) or is_cross(triple, host)


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
    return _triple(arch, system, static=requirements.static_linking)


def _triple(arch: str, system: str, *, static: bool) -> str:
    if system == "darwin":
        return f"{arch}-apple-darwin"
    if system == "windows":
        return f"{arch}-pc-windows-gnu"
    if system == "freebsd":
        return f"{arch}-unknown-freebsd"
    libc = "musl" if static else "gnu"
    if arch == "armv7":
        libc += "eabihf"
    return f"{arch}-unknown-linux-{libc}"


def triple_for_host(uname_sm: str, *, musl: bool = False) -> str:
    """The triple for a host from what ``uname -sm`` prints there (``Linux x86_64``,
    ``Darwin arm64``, ``FreeBSD amd64``); ``musl``: its C library is musl (Alpine)."""
    words = uname_sm.split()
    if len(words) != 2:
        raise ConfigError(
            f"cannot read `uname -sm` output {uname_sm.strip()!r}",
            hint="set the host's rustle_target inventory variable to its Rust triple",
        )
    system, arch = _OS.get(words[0].lower()), _ARCHES.get(words[1].lower())
    if arch is None or system is None:
        raise ConfigError(
            f"no Rust target for a {words[0]} {words[1]} host",
            hint="set the host's rustle_target inventory variable to its Rust triple",
        )
    return _triple(arch, system, static=musl)


@dataclass(frozen=True)
class TargetGroup:
    """One binary to build: its triple and the hosts it serves."""

    triple: str
    hosts: tuple[str, ...]


def deployment_targets(
    requested: str | None, plan: ExecutionPlan, host: str, hosts: Sequence[str] = ()
) -> list[TargetGroup]:
    """The binaries a compile builds, one per distinct target (the spec's
    compile_for_deployment).

    With ``--target`` one binary serves every host (``hosts``, else the plan's). Without
    it, each binary deployment's ``compilation_requirements`` choose the target of its
    ``target_hosts`` (this machine's when it has none), and deployments with the same
    target share a binary. ``hosts`` narrows the deployments' hosts; a plan without
    deployments gets one binary for this machine.
    """
    wanted = tuple(dict.fromkeys(hosts))
    if requested:
        return [TargetGroup(resolve_alias(requested, host), wanted or tuple(plan.hosts))]
    if not plan.binary_deployments:
        return [TargetGroup(host, wanted or tuple(plan.hosts))]
    groups: dict[str, list[str]] = {}
    target_of: dict[str, str] = {}
    for deployment in plan.binary_deployments:
        requirements = deployment.compilation_requirements
        triple = triple_for(requirements) if requirements is not None else host
        members = groups.setdefault(triple, [])
        for name in deployment.target_hosts:
            if wanted and name not in wanted:
                continue
            if target_of.setdefault(name, triple) != triple:
                raise ConfigError(
                    f"host {name!r} is in binary deployments for two targets "
                    f"({target_of[name]} and {triple})",
                    hint="pass --target to build one binary for every host",
                )
            if name not in members:
                members.append(name)
    missing = [name for name in wanted if name not in target_of]
    if missing:
        raise ConfigError(
            f"--hosts names {', '.join(missing)}, which no binary deployment of the plan serves",
            hint="pass --target to build a binary for them anyway",
        )
    return [
        TargetGroup(triple, tuple(members))
        for triple, members in groups.items()
        if members or not wanted
    ]
