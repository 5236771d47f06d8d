"""The built-in runtime modules (debug, command, shell), registered as a plugin."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from .hookspecs import hookimpl
from .modules import (
    ArgumentError,
    ModuleRegistry,
    RuntimeModule,
    as_bool,
    as_int,
    optional_str,
    reject_unknown,
)

_RUN_KEYS = {"chdir", "creates", "removes", "stdin", "stdin_add_newline", "strip_empty_ends"}


def _run_options(args: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "chdir": optional_str(args, "chdir"),
        "creates": optional_str(args, "creates"),
        "removes": optional_str(args, "removes"),
        "stdin": optional_str(args, "stdin"),
        "stdin_add_newline": as_bool(args, "stdin_add_newline", True),
        "strip_empty_ends": as_bool(args, "strip_empty_ends", True),
    }


def _command_text(args: Mapping[str, Any], module: str) -> str | None:
    raw = optional_str(args, "_raw_params")
    cmd = optional_str(args, "cmd")
    if raw is not None and cmd is not None:
        raise ArgumentError(f"({module}) takes either a free-form command or 'cmd', not both")
    return raw if raw is not None else cmd


def normalize_debug(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("debug", args, {"msg", "var", "verbosity"})
    if "msg" in args and "var" in args:
        raise ArgumentError("parameters are mutually exclusive: msg|var")
    verbosity = as_int(args, "verbosity", 0)
    if "var" in args:
        var = optional_str(args, "var")
        if not var:
            raise ArgumentError("'var' must name a variable")
        return {"var": var, "verbosity": verbosity}
    return {"msg": args.get("msg", "Hello world!"), "verbosity": verbosity}


def normalize_command(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown(
        "command", args, _RUN_KEYS | {"_raw_params", "cmd", "argv", "expand_argument_vars"}
    )
    text = _command_text(args, "command")
    argv = args.get("argv")
    if argv is not None and text is not None:
        raise ArgumentError("(command) takes a command string or 'argv', not both")
    if argv is not None:
        if not isinstance(argv, list) or not all(isinstance(a, (str, int, float)) for a in argv):
            raise ArgumentError("'argv' must be a list of strings")
        words = [str(a) for a in argv]
    elif text is not None:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise ArgumentError(f"cannot split the command {text!r}: {exc}") from None
    else:
        raise ArgumentError("(command) needs a command: a free-form string, 'cmd' or 'argv'")
    if not words:
        raise ArgumentError("(command) was given an empty command")
    return {
        "argv": words,
        "expand_argument_vars": as_bool(args, "expand_argument_vars", True),
        **_run_options(args),
    }


def normalize_shell(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("shell", args, _RUN_KEYS | {"_raw_params", "cmd", "executable"})
    text = _command_text(args, "shell")
    if text is None or not text.strip():
        raise ArgumentError("(shell) needs a command: a free-form string or 'cmd'")
    return {"cmd": text, "executable": optional_str(args, "executable"), **_run_options(args)}


BUILTIN_MODULES = (
    RuntimeModule("debug", normalize_debug),
    RuntimeModule("command", normalize_command),
    RuntimeModule("shell", normalize_shell),
)


@hookimpl(trylast=True)
def rustle_register_modules(registry: ModuleRegistry) -> None:
    """Register debug, command and shell."""
    for module in BUILTIN_MODULES:
        registry.add(module)
