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
from importlib.metadata import entry_points

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "rustle_invoke"

BUILTIN_PLUGINS = (
    "rustle_invoke.builtin_modules",
    "rustle_invoke.builders.cargo",
)


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded and was skipped."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def create_plugin_manager(*, autoload: bool | None = None) -> pluggy.PluginManager:
    """A fresh manager with the hook specs, the built-ins and the entry-point plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if autoload is None:
        autoload = not _truthy(os.environ.get("RUSTLE_DISABLE_PLUGIN_AUTOLOAD"))
    if autoload:
        _load_entry_points(pm)
    pm.check_pending()
    return pm


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    disabled = {
        name.strip()
        for name in os.environ.get("RUSTLE_DISABLED_PLUGINS", "").split(",")
        if name.strip()
    }
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in disabled or pm.get_plugin(ep.name) is not None:
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


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, created on first use."""
    return create_plugin_manager()
