"""The public plugin hooks (pluggy, project name ``rustle_invoke``).

Hooks are called with keyword arguments only. Built-in behaviour is itself a
set of plugins registered ``trylast``, so a third-party plugin can override it.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "rustle_invoke"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def rustle_register_builders(registry: Any) -> None:
    """Add builders with ``registry.add(builder)``.

    A builder has ``name``, ``version(env)``, ``available(env)``,
    ``command(request)`` and ``build(request)``; see ``rustle_invoke.builders``.
    """


@hookspec(firstresult=True)
def rustle_select_builder(target: Any, settings: Any) -> Any:
    """Return the name of the builder to use for ``target`` when ``--builder auto``."""


@hookspec
def rustle_register_postprocessors(registry: Any) -> None:
    """Add post-processors with ``registry.add(pp)``; each has ``name``, ``version``
    and ``process(artifact)``, which edits ``artifact.path`` in place."""


@hookspec
def rustle_register_modules(registry: Any) -> None:
    """Add runtime modules with ``registry.add(RuntimeModule(...))``: a name and aliases,
    an optional build-time argument validator (``normalize``), and for modules the runtime
    does not have, their Rust code (``rust_source``) and crate dependencies; see
    docs/plugin-modules.md."""


@hookspec
def rustle_cargo_manifest(manifest: dict, plan: Any, target: Any) -> None:
    """Edit the generated crate's Cargo.toml (a dict) in place before it is written."""


@hookspec
def rustle_build_env(target: Any, env: dict) -> None:
    """Edit the environment the builder runs with, in place."""


@hookspec
def rustle_cache_key_parts(plan: Any, target: Any) -> Any:
    """Return extra JSON-able data that must change the binary cache key."""


@hookspec
def rustle_artifact_ready(artifact: Any) -> None:
    """Called once a binary is built, post-processed and cached (not on cache hits)."""


@hookspec(firstresult=True)
def rustle_run_artifact(artifact: Any, argv: list, settings: Any) -> Any:
    """Run ``artifact`` (e.g. under qemu or over ssh); return a finished process result."""
