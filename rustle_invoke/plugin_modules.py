"""Runtime modules from plugins: their Rust code and crate dependencies in the plan crate.

Only the modules a plan uses are compiled in. Each one's source becomes
``src/plugins/<ident>.rs`` of the plan crate, and the generated ``main.rs`` registers
its ``run`` function under the module's name and aliases. Crate dependencies are
merged into the plan crate's ``[dependencies]``; a path dependency's files are read
here, so that they are part of the template hash (and copied into a self-contained
project), and the folder is recorded as an input of the cache index.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from .errors import ConfigError
from .hashing import input_digest
from .modules import RuntimeModule
from .runtime_source import RUNTIME_PACKAGE

# Where a self-contained project keeps copies of path dependencies: crates/<name>.
CRATES_DIR = "crates"
_NAME = re.compile(r"[A-Za-z0-9_.\-]+\Z")
_CRATE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
# Build output and tool state in a path dependency, never sources (cargo ignores a
# dependency's Cargo.lock).
_SKIPPED_DIRS = {"target", "__pycache__"}
_SKIPPED_FILES = {"Cargo.lock"}
_DISABLE_HINT = "fix or update the plugin, or switch it off with RUSTLE_DISABLED_PLUGINS=<name>"


@dataclass(frozen=True)
class PluginModule:
    """One module's Rust code: ``src/plugins/<ident>.rs``, Rust module ``plugin_<ident>``."""

    ident: str
    names: tuple[str, ...]
    source: bytes

    @property
    def file(self) -> str:
        return f"src/plugins/{self.ident}.rs"

    @property
    def rust_module(self) -> str:
        return f"plugin_{self.ident}"


@dataclass(frozen=True)
class PathCrate:
    """A path dependency: its folder and the files it consists of (relative path, bytes)."""

    dependency: str
    folder: Path
    files: tuple[tuple[str, bytes], ...]

    @property
    def self_contained_path(self) -> str:
        return f"{CRATES_DIR}/{self.dependency}"


@dataclass(frozen=True)
class PluginCode:
    """Everything the plugin modules of one plan add to its crate."""

    modules: tuple[PluginModule, ...] = ()
    # Cargo dependency specs by crate name; path dependencies carry their absolute path.
    dependencies: Mapping[str, Any] = field(default_factory=dict)
    path_crates: tuple[PathCrate, ...] = ()
    # Files and folders read (path, input digest), for the cache index.
    inputs: tuple[tuple[str, str], ...] = ()


def _ident(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^0-9a-z_]", "_", name.lower())
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


def _read_source(module: RuntimeModule, inputs: dict[str, str]) -> bytes:
    source = module.rust_source
    if isinstance(source, str):
        return source.encode("utf-8")
    assert source is not None
    path = Path(source)
    if not path.is_absolute():
        raise ConfigError(
            f"module {module.name!r}: rust_source {str(path)!r} must be an absolute path",
            hint="build it from the plugin's own folder: Path(__file__).parent / 'module.rs'",
        )
    try:
        data = path.read_bytes()
        inputs[str(path)] = input_digest(path)
    except OSError as exc:
        raise ConfigError(
            f"module {module.name!r}: cannot read its Rust source {path}: {exc.strerror or exc}",
            hint=_DISABLE_HINT,
        ) from None
    return data


def _crate_files(folder: Path) -> tuple[tuple[str, bytes], ...]:
    """The files of a path dependency: all but hidden ones, ``target/`` and Cargo.lock."""
    files: list[tuple[str, bytes]] = []
    for root, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        base = Path(root)
        for name in sorted(names):
            if not name.startswith(".") and name not in _SKIPPED_FILES:
                path = base / name
                files.append((path.relative_to(folder).as_posix(), path.read_bytes()))
    return tuple(files)


def _path_crate(module: str, dependency: str, spec: dict[str, Any]) -> PathCrate:
    raw = spec["path"]
    if not isinstance(raw, (str, os.PathLike)):
        raise ConfigError(f"module {module!r}: crate {dependency!r}: path must be a string")
    folder = Path(raw)
    if not folder.is_absolute():
        raise ConfigError(
            f"module {module!r}: crate {dependency!r}: path {str(folder)!r} must be absolute",
            hint="build it from the plugin's own folder: str(Path(__file__).parent / 'crate')",
        )
    folder = folder.resolve()
    if not (folder / "Cargo.toml").is_file():
        raise ConfigError(
            f"module {module!r}: crate {dependency!r}: {folder} holds no Cargo.toml",
            hint=_DISABLE_HINT,
        )
    try:
        files = _crate_files(folder)
    except OSError as exc:
        raise ConfigError(
            f"module {module!r}: crate {dependency!r}: cannot read {folder}: {exc}"
        ) from None
    spec["path"] = str(folder)
    return PathCrate(dependency, folder, files)


def _spec(module: str, dependency: str, spec: Any) -> dict[str, Any] | str:
    """A plain, TOML-writable copy of one dependency spec."""
    if not isinstance(dependency, str) or not _CRATE_NAME.match(dependency):
        raise ConfigError(f"module {module!r}: {dependency!r} is not a valid crate name")
    if dependency.replace("-", "_") == RUNTIME_PACKAGE.replace("-", "_"):
        raise ConfigError(
            f"module {module!r} declares a dependency on {dependency!r}, the runtime's own "
            "crate, which every plan crate already depends on",
            hint="drop it from crate_dependencies; plugin code uses `rustle_runtime::...`",
        )
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"module {module!r}: crate {dependency!r}: the spec must be a version string "
            f"or a table, not {type(spec).__name__}"
        )
    plain = dict(spec)
    try:
        tomli_w.dumps({"dependency": plain})
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"module {module!r}: crate {dependency!r}: the spec cannot be written to "
            f"Cargo.toml: {exc}"
        ) from None
    return plain


def runtime_builtins() -> set[str]:
    """Names of the modules the runtime crate itself implements."""
    from .builtin_modules import BUILTIN_MODULES

    return {module.name for module in BUILTIN_MODULES}


def plugin_code(
    modules: Iterable[RuntimeModule], builtin_names: Iterable[str] | None = None
) -> PluginCode:
    """The crate parts of the plugin modules among ``modules`` (the modules a plan uses).

    A module without Rust code must be one the runtime implements (``builtin_names``,
    default :func:`runtime_builtins`); two modules may share a dependency only with
    the same spec.
    """
    builtins = runtime_builtins() if builtin_names is None else set(builtin_names)
    inputs: dict[str, str] = {}
    taken: set[str] = set()
    compiled: list[PluginModule] = []
    dependencies: dict[str, Any] = {}
    owners: dict[str, tuple[str, str]] = {}  # extern crate name → (dependency, module)
    crates: dict[str, PathCrate] = {}
    for module in sorted(modules, key=lambda m: m.name):
        if module.rust_source is None:
            if module.name not in builtins:
                raise ConfigError(
                    f"module {module.name!r} has no Rust source and is not built into the "
                    "runtime, so the binary could not run it",
                    hint="give its RuntimeModule a rust_source (docs/plugin-modules.md)",
                )
            continue
        names = (module.name, *module.aliases)
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise ConfigError(
                f"module {module.name!r}: {bad[0]!r} is not a valid module name "
                "(letters, digits, '_', '-' and '.')"
            )
        source = _read_source(module, inputs)
        compiled.append(PluginModule(_ident(module.name, taken), names, source))
        for dependency, raw in sorted(module.crate_dependencies.items()):
            spec = _spec(module.name, dependency, raw)
            crate = None
            if isinstance(spec, dict) and "path" in spec:
                crate = _path_crate(module.name, dependency, spec)
            extern = dependency.replace("-", "_")
            if extern in owners:
                first_dep, first_module = owners[extern]
                if first_dep != dependency or dependencies[first_dep] != spec:
                    raise ConfigError(
                        f"modules {first_module!r} and {module.name!r} declare crate "
                        f"{dependency!r} differently ({dependencies[first_dep]!r} and {spec!r})",
                        hint="plugins that share a crate must declare the same spec; "
                        "switch one off with RUSTLE_DISABLED_PLUGINS=<name>",
                    )
                continue
            owners[extern] = (dependency, module.name)
            dependencies[dependency] = spec
            if crate is not None:
                crates[dependency] = crate
                try:
                    inputs[str(crate.folder)] = input_digest(crate.folder)
                except OSError as exc:
                    raise ConfigError(
                        f"module {module.name!r}: crate {dependency!r}: cannot read "
                        f"{crate.folder}: {exc}"
                    ) from None
    return PluginCode(
        modules=tuple(compiled),
        dependencies=dependencies,
        path_crates=tuple(crates[name] for name in sorted(crates)),
        inputs=tuple(sorted(inputs.items())),
    )
