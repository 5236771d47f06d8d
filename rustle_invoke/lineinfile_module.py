"""The ``lineinfile`` module's arguments, checked and lowered on the controller.

Arguments are Ansible's (aliases included). ``regexp`` and an ``insertafter`` /
``insertbefore`` that is not ``EOF`` / ``BOF`` are parsed here with Python's own regex parser
and lowered (as bytes patterns, as Ansible compiles them) under the internal keys
``_regexp``, ``_insertafter`` and ``_insertbefore``; a pattern that is invalid, templated or
uses a construct the runtime cannot honour fails the build. With ``backrefs``, a fixed
``line`` is checked as a ``Match.expand`` template too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .lowering import has_jinja
from .modules import ArgumentError, as_bool, optional_str, reject_unknown
from .regex_lowering import RegexLoweringError, check_template, lower_regex

_ALIASES = {
    "path": ("path", "dest", "destfile", "name"),
    "regexp": ("regexp", "regex"),
    "line": ("line", "value"),
}
# SELinux options are accepted and ignored, as Ansible does on hosts without SELinux (and as
# the file modules do); chattr attributes are refused.
_IGNORED_FILE_ARGS = ("seuser", "serole", "setype", "selevel")
_UNSUPPORTED_FILE_ARGS = ("attributes", "attr")
_KEYS = {
    *(alias for names in _ALIASES.values() for alias in names),
    "state",
    "search_string",
    "insertafter",
    "insertbefore",
    "backrefs",
    "create",
    "backup",
    "firstmatch",
    "validate",
    "mode",
    "owner",
    "group",
    "unsafe_writes",
    *_IGNORED_FILE_ARGS,
    *_UNSUPPORTED_FILE_ARGS,
}


def _canonical(args: Mapping[str, Any], key: str) -> Any:
    """The value of ``key`` given under any of its aliases (the first one given wins)."""
    for name in _ALIASES[key]:
        if name in args:
            return args[name]
    return None


def _pattern(value: str | None, what: str) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        return lower_regex(value, mode="bytes", what=what)
    except RegexLoweringError as exc:
        raise ArgumentError(str(exc)) from None


def _text(args: Mapping[str, Any], key: str, value: Any) -> str | None:
    return optional_str({key: value}, key)


def normalize_lineinfile(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("lineinfile", args, _KEYS)
    for key in _UNSUPPORTED_FILE_ARGS:
        if key in args:
            raise ArgumentError(
                f"(lineinfile) the argument {key!r} (chattr file attributes) is not supported "
                "by this runtime"
            )
    for first, second in (
        ("insertbefore", "insertafter"),
        ("regexp", "search_string"),
        ("backrefs", "search_string"),
    ):
        given = [k for k in (first, second) if _given(args, k)]
        if len(given) == 2:
            raise ArgumentError(f"parameters are mutually exclusive: {first}|{second}")
    path = _text(args, "path", _canonical(args, "path"))
    if not path:
        raise ArgumentError("missing required arguments: path")
    state = optional_str(args, "state") or "present"
    if state not in ("present", "absent") and not has_jinja(state):
        raise ArgumentError(f"value of state must be one of: absent, present, got: {state}")
    regexp = _text(args, "regexp", _canonical(args, "regexp"))
    line = _text(args, "line", _canonical(args, "line"))
    search_string = optional_str(args, "search_string")
    insertafter = optional_str(args, "insertafter")
    insertbefore = optional_str(args, "insertbefore")
    backrefs = as_bool(args, "backrefs", False)
    if state == "present":
        if backrefs is True and regexp is None:
            raise ArgumentError("regexp is required with backrefs=true")
        if line is None:
            raise ArgumentError("line is required with state=present")
    elif state == "absent" and (regexp, search_string, line) == (None, None, None):
        raise ArgumentError("one of line, search_string, or regexp is required with state=absent")
    lowered_regexp = _pattern(regexp, "regexp")
    lowered_after = None
    lowered_before = None
    if insertafter is not None and insertafter not in ("BOF", "EOF"):
        lowered_after = _pattern(insertafter, "insertafter")
    elif insertbefore is not None and insertbefore != "BOF":
        lowered_before = _pattern(insertbefore, "insertbefore")
    if backrefs is True and regexp is not None and line is not None and not has_jinja(line):
        try:
            check_template(regexp, line, mode="bytes")
        except RegexLoweringError as exc:
            raise ArgumentError(f"line (with backrefs): {exc}") from None
    return {
        "path": path,
        "state": state,
        "regexp": regexp,
        "search_string": search_string,
        "line": line,
        "insertafter": insertafter,
        "insertbefore": insertbefore,
        "backrefs": backrefs,
        "create": as_bool(args, "create", False),
        "backup": as_bool(args, "backup", False),
        "firstmatch": as_bool(args, "firstmatch", False),
        "validate": optional_str(args, "validate"),
        "mode": args.get("mode"),
        "owner": args.get("owner"),
        "group": args.get("group"),
        "unsafe_writes": as_bool(args, "unsafe_writes", False),
        "_regexp": lowered_regexp,
        "_insertafter": lowered_after,
        "_insertbefore": lowered_before,
    }


def _given(args: Mapping[str, Any], key: str) -> bool:
    names = _ALIASES.get(key, (key,))
    return any(name in args and args[name] is not None for name in names)
