"""rustle-invoke: compile rustle-plan execution plans into native binaries, from Invoke."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The public API, imported on first use so that `rustle-invoke --help` stays fast.
_LAZY = {
    "CompilerConfig": "rustle_invoke.config",
    "OptimizationLevel": "rustle_invoke.config",
    "TargetSpecification": "rustle_invoke.config",
    "CompiledBinary": "rustle_invoke.pipeline",
    "BinaryCompiler": "rustle_invoke.compiler",
    "ProjectManager": "rustle_invoke.workspace",
    "ProcessExecutor": "rustle_invoke.process",
    "TemplateWriter": "rustle_invoke.render",
    "CargoTomlGenerator": "rustle_invoke.render",
    "load_plan": "rustle_invoke.plan",
    "hookimpl": "rustle_invoke.hookspecs",
    "RustleError": "rustle_invoke.errors",
    "CompilationError": "rustle_invoke.errors",
    "ProjectError": "rustle_invoke.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rustle_invoke' has no attribute {name!r}")
