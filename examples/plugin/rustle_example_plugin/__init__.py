"""An example rustle-invoke plugin.

It adds the runtime module ``rustle_example.keyvalue`` (alias ``keyvalue``), written in
Rust, and the post-processor ``example-stamp``. rustle-invoke loads this module through
the entry point ``example`` in the group ``rustle_invoke``.
"""

from __future__ import annotations

from importlib.metadata import version

from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.modules import ModuleRegistry
from rustle_invoke.postprocess import PostProcessorRegistry

from .keyvalue import KEYVALUE
from .stamp import StampPostProcessor

__version__ = version("rustle-example-plugin")


@hookimpl
def rustle_register_modules(registry: ModuleRegistry) -> None:
    registry.add(KEYVALUE)


@hookimpl
def rustle_register_postprocessors(registry: PostProcessorRegistry) -> None:
    registry.add(StampPostProcessor(__version__))
