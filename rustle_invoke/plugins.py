"""The plugin manager: built-ins first, then entry points one by one.

Environment switches: ``RUSTLE_DISABLE_PLUGIN_AUTOLOAD=1`` loads no entry
points; ``RUSTLE_DISABLED_PLUGINS=a,b`` skips the named ones. A plugin that
fails to load is named in a warning and the others still load.
"""

from __future__ import annotations

import importlib
import os
import warnings
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pluggy and the built-ins load with the manager, not with this module
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


def enabled_entry_points() -> list[EntryPoint]:
    """The plugin entry points that the environment switches leave on."""
    if _truthy(os.environ.get("RUSTLE_DISABLE_PLUGIN_AUTOLOAD")):
        return []
    disabled = {
        name.strip()
        for name in os.environ.get("RUSTLE_DISABLED_PLUGINS", "").split(",")
        if name.strip()
    }
    return [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in disabled]


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    for ep in enabled_entry_points():
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not take the others down
            warnings.warn(
                f"rustle-invoke plugin {ep.name!r} ({ep.value}) failed to load: "
                f"{type(exc).__name__}: {exc}",
                PluginLoadWarning,
                stacklevel=2,
            )


def plugin_identity() -> list[str]:
    """What identifies the active third-party plugins, without importing any of them:
    each entry point with its distribution's version, plus plugins registered in this
    process (when the manager already exists)."""
    names: list[str] = []
    for ep in enabled_entry_points():
        version = ep.dist.version if ep.dist is not None else "?"
        names.append(f"{ep.name}={ep.value}@{version}")
    if plugin_manager.cache_info().currsize:
        known = {ep.name for ep in enabled_entry_points()} | set(BUILTIN_PLUGINS)
        names += [n for n, _ in plugin_manager().list_name_plugin() if n not in known]
    return sorted(names)


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, created on first use."""
    return create_plugin_manager()
