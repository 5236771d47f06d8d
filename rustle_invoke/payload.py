"""The normalized plan that the binary embeds (``payload.json``).

The payload is plain JSON data read by the runtime's decoder; plan text never
becomes Rust source. Everything that can be checked is checked here, on the
controller: module names, module arguments, condition kinds. Expressions
(``{{ … }}``, ``when:``) are refused with the task's name, because this
runtime executes literal values only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import PlanError, UnsupportedConstruct, UnsupportedModule
from .hashing import canonical_json, sha256_hex
from .modules import ArgumentError, ModuleRegistry
from .plan import Condition, ExecutionPlan, Handler, LoadedPlan, Task

PAYLOAD_FORMAT = 1
_JINJA_MARKERS = re.compile(r"\{\{|\{%|\{#")
_RUNTIME_KEYWORDS = ("loop", "with_items", "changed_when", "failed_when")


@dataclass(frozen=True)
class Payload:
    """The bytes embedded in the binary, with their hash and the plan's name."""

    data: bytes
    plan_hash: str
    plan_name: str
    modules: tuple[str, ...]


def _where(item: Task | Handler) -> str:
    if isinstance(item, Task):
        return f"task {item.task_id} ({item.display_name!r})"
    return f"handler {item.handler_id} ({item.name!r})"


def _find_expression(value: Any, path: str) -> str | None:
    """The path of the first string holding Jinja markers, if any."""
    if isinstance(value, str):
        return path if _JINJA_MARKERS.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _find_expression(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_expression(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _refuse_expressions(item: Task | Handler) -> None:
    found = _find_expression(item.args, "args")
    if found:
        raise UnsupportedConstruct(
            f"{_where(item)}: {found} holds a Jinja2 expression; this release compiles "
            "literal values only",
            hint="replace the expression with its value, or run the play with ansible-playbook",
        )


def _conditions(item: Task | Handler, conditions: Iterable[Condition]) -> dict[str, Any]:
    tags: list[str] = []
    skip_tags: list[str] = []
    patterns: list[str] = []
    check_mode: bool | None = None
    for condition in conditions:
        if condition.kind == "When":
            raise UnsupportedConstruct(
                f"{_where(item)}: the condition `when: {condition.expression}` needs the "
                "expression compiler, which this release does not include",
                hint="remove the condition or evaluate it before planning",
            )
        if condition.kind == "Tag":
            tags.extend(condition.tags)
        elif condition.kind == "SkipTag":
            skip_tags.extend(condition.tags)
        elif condition.kind == "Host" and condition.pattern is not None:
            patterns.append(condition.pattern)
        elif condition.kind == "CheckMode":
            check_mode = condition.enabled
    return {
        "tags": tags,
        "skip_tags": skip_tags,
        "host_patterns": patterns,
        "check_mode": check_mode,
    }


def _ignore_errors(task: Task) -> bool:
    value = task.ignore_errors
    if value is None or isinstance(value, bool):
        return bool(value)
    text = value.strip().lower()
    if text in ("yes", "true", "on", "1"):
        return True
    if text in ("no", "false", "off", "0", ""):
        return False
    raise UnsupportedConstruct(
        f"{_where(task)}: ignore_errors: {value!r} is an expression; this release takes "
        "true or false only"
    )


def _normalize_args(item: Task | Handler, registry: ModuleRegistry) -> tuple[str, dict]:
    try:
        module = registry.resolve(item.module)
    except UnsupportedModule as exc:
        raise UnsupportedModule(f"{_where(item)}: {exc.message}", hint=exc.hint) from None
    _refuse_expressions(item)
    try:
        return module.name, module.normalize(item.args)
    except ArgumentError as exc:
        raise PlanError(f"{_where(item)}: {exc}") from None


def _task_entry(task: Task, registry: ModuleRegistry) -> dict[str, Any]:
    for keyword in _RUNTIME_KEYWORDS:
        if getattr(task, keyword) is not None:
            raise UnsupportedConstruct(
                f"{_where(task)}: the task keyword {keyword!r} needs the expression "
                "compiler, which this release does not include"
            )
    module, args = _normalize_args(task, registry)
    conditions = _conditions(task, task.conditions)
    return {
        "task_id": task.task_id,
        "name": task.display_name,
        "module": module,
        "args": args,
        "tags": list(dict.fromkeys([*task.tags, *conditions.pop("tags")])),
        **conditions,
        "notify": list(task.notify),
        "hosts": list(task.hosts),
        "ignore_errors": _ignore_errors(task),
        "register": task.register_as,
        "vars": task.vars or {},
    }


def _handler_entry(handler: Handler, registry: ModuleRegistry) -> dict[str, Any]:
    module, args = _normalize_args(handler, registry)
    conditions = _conditions(handler, handler.conditions)
    return {
        "task_id": handler.handler_id,
        "name": handler.name,
        "module": module,
        "args": args,
        "tags": conditions.pop("tags"),
        **conditions,
        "notify": [],
        "hosts": [],
        "ignore_errors": False,
        "register": None,
        "vars": {},
    }


def _check_notify(plan: ExecutionPlan) -> None:
    for play in plan.plays:
        names = {h.name for h in play.handlers} | {h.handler_id for h in play.handlers}
        for task in play.ordered_tasks():
            for target in task.notify:
                if target not in names:
                    known = ", ".join(sorted(h.name for h in play.handlers)) or "none"
                    raise PlanError(
                        f"{_where(task)}: notify names {target!r}, which is no handler of "
                        f"play {play.play_id!r} (handlers: {known})"
                    )


def build_payload(loaded: LoadedPlan, registry: ModuleRegistry) -> Payload:
    """Check every task against ``registry`` and produce the embedded payload."""
    plan = loaded.plan
    _check_notify(plan)
    plays: list[dict[str, Any]] = []
    for play in plan.plays:
        handlers = sorted(play.handlers, key=lambda h: h.execution_order)
        plays.append(
            {
                "play_id": play.play_id,
                "name": play.name or play.play_id,
                "hosts": list(play.hosts),
                "strategy": str(play.strategy),
                "vars": play.vars or {},
                "tasks": [_task_entry(task, registry) for task in play.ordered_tasks()],
                "handlers": [_handler_entry(handler, registry) for handler in handlers],
            }
        )
    body = {"variables": plan.variables, "plays": plays}
    plan_hash = sha256_hex(canonical_json(body))
    document = {
        "format": PAYLOAD_FORMAT,
        "plan": {"name": loaded.name, "hash": plan_hash},
        **body,
    }
    modules = sorted({t["module"] for p in plays for t in (*p["tasks"], *p["handlers"])})
    return Payload(
        data=canonical_json(document),
        plan_hash=plan_hash,
        plan_name=loaded.name,
        modules=tuple(modules),
    )
