"""The built-in runtime modules, registered as a plugin.

Each normalizer checks a task's arguments on the controller and returns the form the
runtime reads. A value that is a Jinja2 template passes through unchecked: it is lowered
afterwards and its rendered value is checked on the target.
"""

from __future__ import annotations

import keyword
import re
import shlex
from collections.abc import Mapping
from typing import Any

from .file_modules import (
    embed_copy,
    embed_template,
    normalize_copy,
    normalize_file,
    normalize_template,
)
from .hookspecs import hookimpl
from .lineinfile_module import normalize_lineinfile
from .lowering import has_jinja
from .modules import (
    ArgumentError,
    ModuleRegistry,
    RuntimeModule,
    as_bool,
    as_int,
    optional_str,
    reject_unknown,
)
from .stat_wait_modules import normalize_stat, normalize_wait_for
from .system_modules import (
    normalize_apk,
    normalize_apt,
    normalize_dnf,
    normalize_homebrew,
    normalize_launchd,
    normalize_package,
    normalize_pacman,
    normalize_service,
    normalize_systemd,
    normalize_sysvinit,
    normalize_yum,
    normalize_zypper,
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
    elif text is not None and has_jinja(text):
        # Ansible renders the string first and splits the result: so does the runtime.
        return {
            "cmd": text,
            "expand_argument_vars": as_bool(args, "expand_argument_vars", True),
            **_run_options(args),
        }
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


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def normalize_set_fact(args: Mapping[str, Any]) -> dict[str, Any]:
    facts = {key: value for key, value in args.items() if key != "cacheable"}
    if not facts:
        raise ArgumentError("(set_fact) needs at least one name=value pair")
    for name in facts:
        if not _IDENTIFIER.match(name) or keyword.iskeyword(name):
            raise ArgumentError(f"the variable name {name!r} is not valid")
    return {"facts": facts}


def normalize_assert(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("assert", args, {"that", "fail_msg", "msg", "success_msg", "quiet"})
    if "fail_msg" in args and "msg" in args:
        raise ArgumentError("parameters are mutually exclusive: fail_msg|msg")
    that = args.get("that")
    conditions = that if isinstance(that, list) else [that]
    if that is None or not conditions:
        raise ArgumentError("missing required arguments: that")
    if not all(isinstance(c, (str, bool)) for c in conditions):
        raise ArgumentError("'that' must be a condition or a list of conditions")
    fail_msg = args.get("fail_msg", args.get("msg", "Assertion failed"))
    return {
        "that": [c if isinstance(c, str) else str(c) for c in conditions],
        "fail_msg": fail_msg,
        "success_msg": args.get("success_msg", "All assertions passed"),
        "quiet": as_bool(args, "quiet", False),
    }


def normalize_fail(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("fail", args, {"msg"})
    return {"msg": args.get("msg", "Failed as requested from task")}


def normalize_ping(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("ping", args, {"data"})
    return {"data": args.get("data", "pong")}


def normalize_setup(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("setup", args, {"filter", "gather_subset", "gather_timeout", "fact_path"})
    patterns = args.get("filter", [])
    patterns = [patterns] if isinstance(patterns, str) else patterns
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ArgumentError("'filter' must be a pattern or a list of patterns")
    return {"filter": patterns}


BUILTIN_MODULES = (
    RuntimeModule("debug", normalize_debug, expressions=("var",)),
    RuntimeModule("command", normalize_command),
    RuntimeModule("shell", normalize_shell),
    RuntimeModule("set_fact", normalize_set_fact),
    RuntimeModule("assert", normalize_assert, expressions=("that",)),
    RuntimeModule("fail", normalize_fail),
    RuntimeModule("ping", normalize_ping),
    RuntimeModule("setup", normalize_setup, aliases=("gather_facts",)),
    RuntimeModule("stat", normalize_stat),
    RuntimeModule("wait_for", normalize_wait_for),
    RuntimeModule("file", normalize_file),
    RuntimeModule("copy", normalize_copy, embed=embed_copy),
    RuntimeModule("template", normalize_template, embed=embed_template),
    RuntimeModule("lineinfile", normalize_lineinfile),
    RuntimeModule("package", normalize_package),
    RuntimeModule("apt", normalize_apt),
    RuntimeModule("dnf", normalize_dnf, aliases=("dnf5",)),
    RuntimeModule("yum", normalize_yum),
    RuntimeModule("apk", normalize_apk, aliases=("community.general.apk",)),
    RuntimeModule("pacman", normalize_pacman, aliases=("community.general.pacman",)),
    RuntimeModule("zypper", normalize_zypper, aliases=("community.general.zypper",)),
    RuntimeModule("homebrew", normalize_homebrew, aliases=("brew", "community.general.homebrew")),
    RuntimeModule("service", normalize_service),
    RuntimeModule("systemd", normalize_systemd, aliases=("systemd_service",)),
    RuntimeModule("sysvinit", normalize_sysvinit),
    RuntimeModule("launchd", normalize_launchd, aliases=("community.general.launchd",)),
)


@hookimpl(trylast=True)
def rustle_register_modules(registry: ModuleRegistry) -> None:
    """Register the built-in modules."""
    for module in BUILTIN_MODULES:
        registry.add(module)
