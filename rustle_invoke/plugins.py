"""The plugin manager: built-ins first, then entry points one by one.

Environment switches: ``RUSTLE_DISABLE_PLUGIN_AUTOLOAD=1`` loads no entry
points; ``RUSTLE_DISABLED_PLUGINS=a,b`` skips the named ones. A plugin that
fails to load is named in a warning and the others still load.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import memo

if TYPE_CHECKING:  # pluggy and the built-ins load with the manager, not with this module
    from importlib.metadata import EntryPoint

    import pluggy

ENTRY_POINT_GROUP = "rustle_invoke"

BUILTIN_PLUGINS = (
    "rustle_invoke.builtin_modules",
    "rustle_invoke.builders.cargo",
    "rustle_invoke.builders.zigbuild",
    "rustle_invoke.builtin_postprocessors",
)


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded and was skipped."""


@dataclass(frozen=True)
class LoadFailure:
    """An entry point that failed to load, and why."""

    name: str
    value: str
    error: str


# Entry points the last created manager could not load (the ``plugins`` task lists them).
load_failures: list[LoadFailure] = []


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def create_plugin_manager(*, autoload: bool | None = None) -> pluggy.PluginManager:
    """A fresh manager with the hook specs, the built-ins and the entry-point plugins."""
    import pluggy

    from . import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if autoload is not False:
        _load_entry_points(pm)
    pm.check_pending()
    return pm


def autoload_disabled() -> bool:
    """``RUSTLE_DISABLE_PLUGIN_AUTOLOAD`` is on: no entry point is loaded."""
    return _truthy(os.environ.get("RUSTLE_DISABLE_PLUGIN_AUTOLOAD"))


def enabled_entry_points() -> list[EntryPoint]:
    """The plugin entry points that the environment switches leave on."""
    if autoload_disabled():
        return []
    disabled = {
        name.strip()
        for name in os.environ.get("RUSTLE_DISABLED_PLUGINS", "").split(",")
        if name.strip()
    }
    from importlib.metadata import entry_points

    return [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in disabled]


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    load_failures.clear()
    for ep in enabled_entry_points():
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not take the others down
            error = f"{type(exc).__name__}: {exc}"
            load_failures.append(LoadFailure(ep.name, ep.value, error))
            warnings.warn(
                f"rustle-invoke plugin {ep.name!r} ({ep.value}) failed to load: {error}",
                PluginLoadWarning,
                stacklevel=2,
            )


def plugin_identity() -> list[str]:
    """What identifies the active third-party plugins, without importing any of them:
    each entry point with its distribution's version, plus plugins registered in this
    process (when the manager already exists)."""
    names = _entry_point_identity()
    if plugin_manager.cache_info().currsize:
        known = {ep.name for ep in enabled_entry_points()} | set(BUILTIN_PLUGINS)
        names += [n for n, _ in plugin_manager().list_name_plugin() if n not in known]
    return sorted(names)


def _entry_point_identity() -> list[str]:
    """Each enabled entry point as ``name=value@version:location``. Scanning every
    installed distribution is slow, so the answer is kept (:mod:`rustle_invoke.memo`)
    under a fingerprint of every distribution's entry_points.txt on sys.path."""
    if autoload_disabled():
        return []
    facts = [os.environ.get("RUSTLE_DISABLED_PLUGINS", "")]
    for entry in sys.path:
        folder = Path(entry or ".")
        try:
            children = sorted(os.listdir(folder))
        except OSError:
            continue
        facts.append(str(folder.resolve()))
        facts += [
            f"{child}={memo.stat_text(folder / child / 'entry_points.txt')}"
            for child in children
            if child.endswith((".dist-info", ".egg-info"))
        ]
    answer = memo.remembered(
        "entry-points", memo.fingerprint(facts), lambda: json.dumps(_scan_entry_points())
    )
    return list(json.loads(answer))


def _scan_entry_points() -> list[str]:
    names: list[str] = []
    for ep in enabled_entry_points():
        if ep.dist is None:
            names.append(f"{ep.name}={ep.value}")
            continue
        # Where it is installed too: the same version installed twice may ship other files.
        where = ep.dist.locate_file("")
        names.append(f"{ep.name}={ep.value}@{ep.dist.version}:{where}")
    return names


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, created on first use."""
    return create_plugin_manager()


def describe_plugins(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Every registered plugin: where it comes from, its version, the hooks it implements
    and what its registration hooks add (builders, post-processors, modules)."""
    from . import __version__

    entry_points_by_name = {ep.name: ep for ep in enabled_entry_points()}
    described = []
    for name, plugin in pm.list_name_plugin():
        ep = entry_points_by_name.get(name)
        version: str | None
        if name in BUILTIN_PLUGINS:
            origin, version = "built-in", __version__
        elif ep is not None:
            origin = f"entry point {ep.value}"
            version = ep.dist.version if ep.dist is not None else None
        else:
            origin, version = "registered in this process", getattr(plugin, "__version__", None)
        described.append(
            {
                "name": name,
                "origin": origin,
                "version": version,
                "hooks": sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()),
                "provides": _provided(pm, plugin),
            }
        )
    return described


def _provided(pm: pluggy.PluginManager, plugin: object) -> dict[str, list[str]]:
    """Run this plugin's registration hooks alone, into fresh registries."""
    from .builders import BuilderRegistry
    from .modules import ModuleRegistry
    from .postprocess import PostProcessorRegistry

    registries: dict[str, Any] = {
        "rustle_register_builders": BuilderRegistry(),
        "rustle_register_postprocessors": PostProcessorRegistry(),
        "rustle_register_modules": ModuleRegistry(),
    }
    provided: dict[str, list[str]] = {}
    for hook_name, registry in registries.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin is plugin:
                # As pluggy calls it: only the arguments the implementation names.
                impl.function(**{name: registry for name in impl.argnames})
                kind = hook_name.removeprefix("rustle_register_")
                provided[kind] = sorted({item.name for item in registry})
    return provided
