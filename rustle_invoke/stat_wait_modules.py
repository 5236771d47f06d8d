"""Normalizers of the ``stat`` and ``wait_for`` modules.

Both take Ansible's arguments (aliases included) and hand the runtime one canonical key per
option. Values that are Jinja2 templates pass through and are checked again on the target.
``wait_for``'s ``search_regex`` is parsed here (Python's own regex parser) and shipped as the
IR the runtime's matcher executes, so it must be fixed at build time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .lowering import has_jinja
from .modules import ArgumentError, as_bool, as_int, optional_str, reject_unknown
from .regex_lowering import RegexLoweringError, lower_regex

CHECKSUM_ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")

_STAT_ALIASES: dict[str, tuple[str, ...]] = {
    "path": ("path", "dest", "name"),
    "follow": ("follow",),
    "get_checksum": ("get_checksum",),
    "get_mime": ("get_mime", "mime", "mime_type", "mime-type"),
    "get_attributes": ("get_attributes", "attr", "attributes"),
    "checksum_algorithm": ("checksum_algorithm", "checksum", "checksum_algo"),
}

WAIT_FOR_STATES = ("absent", "drained", "present", "started", "stopped")
CONNECTION_STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT")
DEFAULT_ACTIVE_STATES = [
    "ESTABLISHED",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "SYN_RECV",
    "SYN_SENT",
    "TIME_WAIT",
]


def _canonical(
    module: str, args: Mapping[str, Any], aliases: dict[str, tuple[str, ...]]
) -> dict[str, Any]:
    """``args`` keyed by canonical option names; two spellings of one option are an error."""
    allowed = {name for names in aliases.values() for name in names}
    reject_unknown(module, args, allowed)
    out: dict[str, Any] = {}
    for canonical, names in aliases.items():
        given = [name for name in names if name in args]
        if len(given) > 1:
            raise ArgumentError(
                f"({module}) option {canonical!r} is given more than once: {', '.join(given)}"
            )
        if given:
            out[canonical] = args[given[0]]
    return out


def _choice(value: Any, key: str, choices: tuple[str, ...]) -> Any:
    if isinstance(value, str) and has_jinja(value):
        return value
    if value not in choices:
        raise ArgumentError(f"value of {key} must be one of: {', '.join(choices)}, got: {value}")
    return value


def normalize_stat(args: Mapping[str, Any]) -> dict[str, Any]:
    params = _canonical("stat", args, _STAT_ALIASES)
    path = optional_str(params, "path")
    if path is None:
        raise ArgumentError("missing required arguments: path")
    algorithm = params.get("checksum_algorithm", "sha1")
    if not isinstance(algorithm, str):
        raise ArgumentError(f"'checksum_algorithm' must be a string, got {algorithm!r}")
    return {
        "path": path,
        "follow": as_bool(params, "follow", False),
        "get_checksum": as_bool(params, "get_checksum", True),
        "get_mime": as_bool(params, "get_mime", True),
        "get_attributes": as_bool(params, "get_attributes", True),
        "checksum_algorithm": _choice(algorithm, "checksum_algorithm", CHECKSUM_ALGORITHMS),
    }


_WAIT_FOR_KEYS = {
    "host",
    "port",
    "path",
    "state",
    "timeout",
    "delay",
    "sleep",
    "connect_timeout",
    "msg",
    "search_regex",
    "exclude_hosts",
    "active_connection_states",
}


def _str_list(value: Any, key: str) -> list[str] | str:
    """Ansible's ``list`` of ``str``: a list or a comma-separated string."""
    if isinstance(value, str):
        if has_jinja(value):
            return value
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [v if isinstance(v, str) else str(v) for v in value]
    raise ArgumentError(f"{key!r} must be a list of strings, got {value!r}")


def normalize_wait_for(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("wait_for", args, _WAIT_FOR_KEYS)
    state = _choice(args.get("state", "started"), "state", WAIT_FOR_STATES)
    port = args.get("port")
    if port is not None:
        port = as_int(args, "port", 0)
    path = optional_str(args, "path")
    out: dict[str, Any] = {
        "host": optional_str(args, "host") if args.get("host") is not None else "127.0.0.1",
        "port": port,
        "path": path,
        "state": state,
        "timeout": as_int(args, "timeout", 300),
        "delay": as_int(args, "delay", 0),
        "sleep": as_int(args, "sleep", 1),
        "connect_timeout": as_int(args, "connect_timeout", 5),
        "msg": optional_str(args, "msg"),
        "search_regex": None,
        "exclude_hosts": None,
        "active_connection_states": DEFAULT_ACTIVE_STATES,
    }
    if args.get("exclude_hosts") is not None:
        out["exclude_hosts"] = _str_list(args["exclude_hosts"], "exclude_hosts")
    if args.get("active_connection_states") is not None:
        states = _str_list(args["active_connection_states"], "active_connection_states")
        for item in states if isinstance(states, list) else []:
            if item not in CONNECTION_STATES:
                raise ArgumentError(f"unknown active_connection_state ({item}) defined")
        out["active_connection_states"] = states
    pattern = args.get("search_regex")
    if pattern is not None:
        if not isinstance(pattern, str):
            raise ArgumentError(f"'search_regex' must be a string, got {pattern!r}")
        try:
            # Python's own check first, so messages quote the pattern as written; Ansible
            # compiles the bytes of the pattern with re.MULTILINE.
            lower_regex(pattern, mode="bytes", what="search_regex")
            ir = lower_regex("(?m)" + pattern, mode="bytes", what="search_regex")
        except RegexLoweringError as exc:
            raise ArgumentError(str(exc)) from None
        out["search_regex"] = pattern
        out["_search_regex_ir"] = ir
    # The checks Ansible's module makes before waiting (values known at build time).
    static_path = path is not None and not has_jinja(path)
    static_port = port is not None and not isinstance(port, str)
    static_state = not has_jinja(state)
    if static_path and static_port and port:
        raise ArgumentError("port and path parameter can not both be passed to wait_for")
    if static_path and path and static_state and state in ("stopped", "drained"):
        raise ArgumentError(
            f"state={state} should only be used for checking a port in the wait_for module"
        )
    if out["exclude_hosts"] is not None and static_state and state != "drained":
        raise ArgumentError("exclude_hosts should only be with state=drained")
    return out
