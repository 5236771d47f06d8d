"""The ``rustle_example.keyvalue`` module: its build-time validator and its Rust code."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rustle_invoke.modules import (
    ArgumentError,
    RuntimeModule,
    as_bool,
    is_template,
    optional_str,
    reject_unknown,
)

RUST = Path(__file__).resolve().parent / "rust"
STATES = ("present", "absent")


def _required(args: Mapping[str, Any], key: str) -> str:
    value = optional_str(args, key)
    if value is None or value == "":
        raise ArgumentError(f"missing required arguments: {key}")
    return value


def _one_line(what: str, text: str) -> None:
    if not is_template(text) and ("\n" in text or "\r" in text):
        raise ArgumentError(f"{what} {text!r} must be a single line")


def normalize_keyvalue(args: Mapping[str, Any]) -> dict[str, Any]:
    """Checks a task's arguments on the controller; templated values pass through and
    are checked by the Rust code once rendered."""
    reject_unknown("rustle_example.keyvalue", args, {"path", "key", "value", "state", "create"})
    path = _required(args, "path")
    key = _required(args, "key")
    if not is_template(key):
        if key.strip() != key:
            raise ArgumentError(f"key {key!r} must not start or end with whitespace")
        if "=" in key:
            raise ArgumentError(f"key {key!r} must not contain '='")
        if key.startswith(("#", ";")):
            raise ArgumentError(f"key {key!r} must not start with a comment character")
    _one_line("key", key)
    state = optional_str(args, "state") or "present"
    if not is_template(state) and state not in STATES:
        raise ArgumentError(f"value of state must be one of: present, absent, got: {state}")
    value = optional_str(args, "value")
    if state == "present" and value is None:
        raise ArgumentError("state is present but all of the following are missing: value")
    if value is not None:
        _one_line("value", value)
    return {
        "path": path,
        "key": key,
        "value": value,
        "state": state,
        "create": as_bool(args, "create", True),
    }


KEYVALUE = RuntimeModule(
    name="rustle_example.keyvalue",
    aliases=("keyvalue",),
    normalize=normalize_keyvalue,
    rust_source=RUST / "keyvalue.rs",
    crate_dependencies={"rustle-example-kvfile": {"path": str(RUST / "kvfile")}},
)
