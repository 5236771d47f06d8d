"""The normalized plan that the binary embeds (``payload.json``).

The payload is plain JSON data read by the runtime's decoder; plan text never
becomes Rust source. Everything that can be checked is checked here, on the
controller: module names, module arguments, condition kinds, and every Jinja2
string (templates in arguments and variables, ``when``/``changed_when``/
``failed_when`` expressions, loops), which is lowered to the IR of
docs/jinja-ir.md or refused with the task's name and the construct.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import PlanError, UnsupportedConstruct, UnsupportedModule
from .hashing import canonical_json, sha256_hex
from .lowering import TOO_DEEP, LoweringError, References, lower_condition, lower_value
from .modules import ArgumentError, ModuleRegistry, RuntimeModule
from .plan import Condition, ExecutionPlan, Handler, LoadedPlan, Task
from .plugin_modules import PluginCode, plugin_code
from .sources import SourceFiles, SourceSettings

PAYLOAD_FORMAT = 3
# Built-in modules that never read facts; any other module (setup, the package and service
# modules that pick a manager by fact, every plugin module) needs the gatherer compiled in.
FACT_FREE_MODULES = frozenset(
    {"debug", "command", "shell", "set_fact", "assert", "fail", "ping", "stat", "wait_for",
     "file", "copy", "template", "lineinfile"}
)
# ansible_* names that are magic variables or the facts dict itself, never gathered as facts.
_NOT_FACTS = {"facts", "check_mode", "verbosity", "loop_var", "index_var", "play_hosts"}


@dataclass(frozen=True)
class Payload:
    """The bytes embedded in the binary, with their hash and the plan's name."""

    data: bytes
    plan_hash: str
    plan_name: str
    modules: tuple[str, ...]
    # Embedded files by SHA-256 digest, and the source files read (path, input digest).
    blobs: tuple[tuple[str, bytes], ...] = ()
    inputs: tuple[tuple[str, str], ...] = ()
    # Rust code and crate dependencies of the plugin modules the plan uses.
    plugins: PluginCode = field(default_factory=PluginCode)
    # What the binary compiles in besides the plugins: the runtime's modules the plan uses
    # (the linker leaves the others out) and whether it needs the fact gatherer.
    builtin_modules: tuple[str, ...] = ()
    reads_facts: bool = True


_SURROGATE_HINT = (
    "UTF-8 cannot carry a lone surrogate (Jinja2 does not join \\uD83D\\uDE00 pairs): write "
    "the character itself or one \\U0001F600-style escape"
)


def _surrogate(exc: UnicodeEncodeError) -> str:
    return f"U+{ord(exc.object[exc.start]):04X}"


def _check_utf8(ir: Any, where: str, what: str) -> None:
    """Refuse IR holding a lone surrogate: a Jinja2 string literal can spell one
    (``'\\ud800'``), and neither the payload's UTF-8 nor the runtime's strings can hold it."""
    try:
        json.dumps(ir, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnsupportedConstruct(
            f"{where}: {what}: a string literal holds the lone surrogate {_surrogate(exc)}",
            hint=_SURROGATE_HINT,
        ) from None


def _encode(document: dict[str, Any]) -> bytes:
    """The payload's bytes; a lone surrogate that got past the per-template checks (a
    template file's literal) is a plan error, not a traceback."""
    try:
        return canonical_json(document)
    except UnicodeEncodeError as exc:
        raise UnsupportedConstruct(
            f"the plan holds the lone surrogate {_surrogate(exc)} (from a Jinja2 string literal)",
            hint=_SURROGATE_HINT,
        ) from None


def _where(item: Task | Handler) -> str:
    if isinstance(item, Task):
        return f"task {item.task_id} ({item.display_name!r})"
    return f"handler {item.handler_id} ({item.name!r})"


def _quoted(text: str, limit: int = 80) -> str:
    """``text`` as a repr for a message, its middle cut when it is long."""
    import reprlib

    shorten = reprlib.Repr()
    shorten.maxstring = limit
    return shorten.repr(text)


class _Lowering:
    """Lowers one plan's strings and remembers every reference, for the facts list; collects
    the files the plan embeds."""

    def __init__(self, sources: SourceSettings) -> None:
        self.references = References()
        self.sources = SourceFiles(sources, on_template=self.references.add)
        self.modules: dict[str, RuntimeModule] = {}

    def _fail(self, where: str, what: str, exc: LoweringError) -> UnsupportedConstruct:
        if exc.message == TOO_DEEP:
            hint = "split the expression, or compute the value in a variable first"
        else:
            hint = (
                "docs/jinja-ir.md lists the Jinja2 constructs, filters and tests the "
                "runtime evaluates"
            )
        return UnsupportedConstruct(f"{where}: {what}: {exc}", hint=hint)

    def value(self, value: Any, where: str, what: str) -> tuple[Any, list[list[Any]]]:
        try:
            lowered = lower_value(value)
        except LoweringError as exc:
            raise self._fail(where, what, exc) from None
        for _, ir in lowered.templates:
            _check_utf8(ir, where, what)
            self.references.add(ir)
        return lowered.plain, lowered.templates

    def condition(self, text: str, where: str, what: str) -> list[Any]:
        try:
            ir = lower_condition(text)
        except LoweringError as exc:
            raise self._fail(where, f"{what} {_quoted(text)}", exc) from None
        _check_utf8(ir, where, f"{what} {_quoted(text)}")
        self.references.add(ir)
        return ir

    def conditions(self, value: Any, where: str, what: str) -> list[list[Any]] | None:
        """``changed_when`` / ``failed_when``: a bool, an expression or a list (all must hold)."""
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        lowered = []
        for item in items:
            if isinstance(item, bool):
                lowered.append(["const", item])
            elif isinstance(item, str):
                lowered.append(self.condition(item, where, what))
            else:
                raise PlanError(f"{where}: {what} must be a condition or a list of conditions")
        return lowered

    def facts(self, required: Iterable[str]) -> list[str]:
        """Short names of the facts the plan reads; ``["*"]`` when it reads them all."""
        refs = self.references
        if "ansible_facts" in refs.whole:
            return ["*"]
        wanted = {n.removeprefix("ansible_") for n in required}
        wanted |= {n[len("ansible_") :] for n in refs.names if n.startswith("ansible_")}
        wanted |= {k.removeprefix("ansible_") for k in refs.direct.get("ansible_facts", ())}
        if "hostvars" in refs.names:
            wanted |= {k[len("ansible_") :] for k in refs.keys if k.startswith("ansible_")}
        return sorted(wanted - _NOT_FACTS - {""})


def _conditions(
    item: Task | Handler, lowering: _Lowering, conditions: Iterable[Condition]
) -> dict[str, Any]:
    where = _where(item)
    when: list[list[Any]] = []
    when_sources: list[str] = []
    tags: list[str] = []
    skip_tags: list[str] = []
    patterns: list[str] = []
    check_mode: bool | None = None
    for condition in conditions:
        if condition.kind == "When" and condition.expression is not None:
            when.append(lowering.condition(condition.expression, where, "when:"))
            when_sources.append(condition.expression)
        elif condition.kind == "Tag":
            tags.extend(condition.tags)
        elif condition.kind == "SkipTag":
            skip_tags.extend(condition.tags)
        elif condition.kind == "Host" and condition.pattern is not None:
            patterns.append(condition.pattern)
        elif condition.kind == "CheckMode":
            check_mode = condition.enabled
    return {
        "when": when,
        "when_sources": when_sources,
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
        f"{_where(task)}: ignore_errors: {value!r} is an expression; it takes true or false"
    )


def _module_entry(
    item: Task | Handler, registry: ModuleRegistry, lowering: _Lowering
) -> dict[str, Any]:
    """Module name, normalized arguments and their lowered templates and expressions."""
    where = _where(item)
    try:
        module = registry.resolve(item.module)
    except UnsupportedModule as exc:
        raise UnsupportedModule(f"{where}: {exc.message}", hint=exc.hint) from None
    lowering.modules[module.name] = module
    try:
        args = module.check_args(item.args)
        if module.embed is not None:
            args = module.embed(args, lowering.sources)
    except ArgumentError as exc:
        raise PlanError(f"{where}: {exc}") from None
    expressions: dict[str, Any] = {}
    for key in module.expressions:
        value = args.get(key)
        if isinstance(value, str):
            expressions[key] = lowering.condition(value, where, f"args.{key}")
        elif isinstance(value, list):
            expressions[key] = [
                lowering.condition(text, where, f"args.{key}[{i}]") for i, text in enumerate(value)
            ]
    templated = {k: v for k, v in args.items() if k not in expressions and not k.startswith("_")}
    _, templates = lowering.value(templated, where, "args")
    return {
        "module": module.name,
        "args": args,
        "arg_templates": templates,
        "expressions": expressions,
    }


def _loop(task: Task, lowering: _Lowering) -> dict[str, Any] | None:
    if task.loop is not None and task.with_items is not None:
        raise PlanError(f"{_where(task)}: use either loop or with_items, not both")
    kind, value = ("loop", task.loop) if task.loop is not None else ("with_items", task.with_items)
    if value is None:
        return None
    plain, templates = lowering.value(value, _where(task), kind)
    if kind == "loop" and not templates and not isinstance(plain, list):
        raise PlanError(
            f"{_where(task)}: loop needs a list, got {type(plain).__name__} {plain!r}",
            hint="for a single item write loop: [item]",
        )
    return {"kind": kind, "value": plain, "templates": templates}


def _vars(value: dict[str, Any] | None, lowering: _Lowering, where: str) -> dict[str, Any]:
    plain, templates = lowering.value(value or {}, where, "vars")
    return {"vars": plain, "var_templates": templates}


def _task_entry(task: Task, registry: ModuleRegistry, lowering: _Lowering) -> dict[str, Any]:
    where = _where(task)
    conditions = _conditions(task, lowering, task.conditions)
    return {
        "task_id": task.task_id,
        "name": task.display_name,
        **_module_entry(task, registry, lowering),
        "tags": list(dict.fromkeys([*task.tags, *conditions.pop("tags")])),
        **conditions,
        "notify": list(task.notify),
        "hosts": list(task.hosts),
        "ignore_errors": _ignore_errors(task),
        "register": task.register_as,
        "loop": _loop(task, lowering),
        "changed_when": lowering.conditions(task.changed_when, where, "changed_when:"),
        "failed_when": lowering.conditions(task.failed_when, where, "failed_when:"),
        "no_log": bool(task.no_log),
        **_vars(task.vars, lowering, where),
    }


def _handler_entry(
    handler: Handler, registry: ModuleRegistry, lowering: _Lowering
) -> dict[str, Any]:
    conditions = _conditions(handler, lowering, handler.conditions)
    return {
        "task_id": handler.handler_id,
        "name": handler.name,
        **_module_entry(handler, registry, lowering),
        **conditions,
        "notify": [],
        "hosts": [],
        "ignore_errors": False,
        "register": None,
        "loop": None,
        "changed_when": None,
        "failed_when": None,
        "no_log": False,
        "vars": {},
        "var_templates": [],
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


def _static_files(plan: ExecutionPlan, sources: SourceFiles) -> list[dict[str, str]]:
    """``embedded_data.static_files``: embedded (and checked) for every deployment."""
    entries: dict[tuple[str, str], dict[str, str]] = {}
    for deployment in plan.binary_deployments:
        for item in deployment.embedded_data.static_files:
            try:
                blob = sources.static_file(item.src_path, item.checksum, item.size)
            except ArgumentError as exc:
                raise PlanError(f"deployment {deployment.deployment_id}: {exc}") from None
            entries[(item.src_path, item.dest_path)] = {
                "src": item.src_path,
                "dest": item.dest_path,
                "blob": blob,
            }
    return list(entries.values())


def build_payload(
    loaded: LoadedPlan, registry: ModuleRegistry, sources: SourceSettings | None = None
) -> Payload:
    """Check every task against ``registry``, lower its Jinja2, read the files it ships,
    produce the embedded payload. Relative sources resolve against ``sources.root``
    (default: the plan's folder)."""
    plan = loaded.plan
    _check_notify(plan)
    lowering = _Lowering(sources or SourceSettings(root=loaded.base_dir))
    static_files = _static_files(plan, lowering.sources)
    plays: list[dict[str, Any]] = []
    for play in plan.plays:
        handlers = sorted(play.handlers, key=lambda h: h.execution_order)
        plays.append(
            {
                "play_id": play.play_id,
                "name": play.name or play.play_id,
                "hosts": list(play.hosts),
                "strategy": str(play.strategy),
                **_vars(play.vars, lowering, f"play {play.play_id}"),
                "tasks": [_task_entry(task, registry, lowering) for task in play.ordered_tasks()],
                "handlers": [_handler_entry(h, registry, lowering) for h in handlers],
            }
        )
    variables = _vars(plan.variables, lowering, "plan variables")
    required = [f for d in plan.binary_deployments for f in d.embedded_data.facts_required]
    body = {
        "variables": variables["vars"],
        "var_templates": variables["var_templates"],
        "facts": lowering.facts(required),
        "plays": plays,
        "templates": lowering.sources.templates,
        "static_files": static_files,
    }
    plan_hash = sha256_hex(_encode(body))
    document = {
        "format": PAYLOAD_FORMAT,
        "plan": {"name": loaded.name, "hash": plan_hash},
        **body,
    }
    modules = sorted({t["module"] for p in plays for t in (*p["tasks"], *p["handlers"])})
    plugins = plugin_code(lowering.modules.values())
    plugin_names = {name for module in plugins.modules for name in module.names}
    builtins = tuple(m for m in modules if m not in plugin_names)
    return Payload(
        data=_encode(document),
        plan_hash=plan_hash,
        plan_name=loaded.name,
        modules=tuple(modules),
        blobs=tuple(sorted(lowering.sources.blobs.items())),
        inputs=tuple(sorted({**lowering.sources.inputs, **dict(plugins.inputs)}.items())),
        plugins=plugins,
        builtin_modules=builtins,
        reads_facts=bool(body["facts"]) or not set(modules) <= FACT_FREE_MODULES,
    )
