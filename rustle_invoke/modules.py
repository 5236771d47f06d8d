"""Runtime modules known at build time: names, aliases and argument normalization.

The controller checks every task's arguments here and hands the runtime a
normalized form, so a typo fails the build with the task's name instead of
failing on the target. Built-in modules are registered by the built-in plugin
``rustle_invoke.builtin_modules``; third parties add theirs, with the Rust code
that runs them, through the ``rustle_register_modules`` hook (see
docs/plugin-modules.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UnsupportedModule
from .lowering import has_jinja

Normalizer = Callable[[Mapping[str, Any]], dict[str, Any]]
# Adds what a module ships from the controller (sources.SourceFiles) to its normalized args.
Embedder = Callable[[dict[str, Any], Any], dict[str, Any]]

COLLECTION_PREFIXES = ("ansible.builtin.", "ansible.legacy.")


class ArgumentError(ValueError):
    """A module argument is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class RuntimeModule:
    """A module the runtime can execute.

    ``normalize`` is the build-time validator: it turns a task's ``args`` into the
    form the runtime reads and raises :class:`ArgumentError` for bad input, which
    fails the build naming the task. Without one, the arguments go to the runtime
    as given. Strings in the normalized arguments are templates, except under the
    keys named by ``expressions``, which hold bare expressions (one string or a list
    of them). ``embed(args, sources)``, when given, runs after ``normalize`` and adds
    files read on the controller (through :class:`rustle_invoke.sources.SourceFiles`)
    under internal ``_``-prefixed keys.

    Built-in modules live in the runtime crate. A plugin's module brings its Rust
    code: ``rust_source`` (the text, or the :class:`~pathlib.Path` of a ``.rs``
    file) must define ``pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome``;
    ``crate_dependencies`` maps crate names to Cargo dependency specs (a version
    string or a table; a ``path`` must be absolute). See docs/plugin-modules.md.
    """

    name: str
    normalize: Normalizer | None = None
    aliases: tuple[str, ...] = ()
    # Arguments holding bare expressions (``assert``'s ``that``), not templates.
    expressions: tuple[str, ...] = ()
    embed: Embedder | None = None
    rust_source: str | Path | None = None
    crate_dependencies: Mapping[str, Any] = field(default_factory=dict)

    def check_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The task's arguments as the runtime gets them (``normalize``'s result)."""
        if self.normalize is None:
            return dict(args)
        return self.normalize(args)


class ModuleRegistry:
    """Modules by name and alias; the ``registry`` argument of ``rustle_register_modules``."""

    def __init__(self) -> None:
        self._by_name: dict[str, RuntimeModule] = {}

    def add(self, module: RuntimeModule) -> None:
        for name in (module.name, *module.aliases):
            self._by_name.setdefault(name, module)

    def __iter__(self) -> Iterator[RuntimeModule]:
        seen: set[str] = set()
        for module in self._by_name.values():
            if module.name not in seen:
                seen.add(module.name)
                yield module

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def resolve(self, name: str) -> RuntimeModule:
        """The module for ``name`` (collection prefixes allowed), or a clear error."""
        short = name
        for prefix in COLLECTION_PREFIXES:
            if name.startswith(prefix):
                short = name[len(prefix) :]
        if short in self._by_name:
            return self._by_name[short]
        close = difflib.get_close_matches(short, self._by_name, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        available = ", ".join(sorted({m.name for m in self}))
        raise UnsupportedModule(
            f"module {name!r} is not available in the runtime (available: {available})",
            hint=hint,
        )


# --- argument helpers ----------------------------------------------------------


def reject_unknown(module: str, args: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ArgumentError(
            f"unsupported parameters for ({module}) module: {', '.join(unknown)}; "
            f"supported: {', '.join(sorted(allowed))}"
        )


def optional_str(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ArgumentError(f"{key!r} must be a string, got {type(value).__name__}")
    return value


def is_template(value: Any) -> bool:
    """A string with Jinja2 markers: rendered, and so checkable, only on the target."""
    return isinstance(value, str) and has_jinja(value)


def as_bool(args: Mapping[str, Any], key: str, default: bool) -> bool | str:
    """Ansible's booleans: true/false, yes/no, on/off, 1/0 (a template is checked on the target)."""
    value = args.get(key, default)
    if isinstance(value, bool) or is_template(value):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "on", "1", "y", "t"):
        return True
    if text in ("no", "false", "off", "0", "n", "f"):
        return False
    raise ArgumentError(f"{key!r} must be a boolean, got {value!r}")


def as_int(args: Mapping[str, Any], key: str, default: int) -> int | str:
    """An integer, or a template that renders to one on the target."""
    value = args.get(key, default)
    if is_template(value):
        return value
    if isinstance(value, bool):
        raise ArgumentError(f"{key!r} must be an integer, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{key!r} must be an integer, got {value!r}") from None
