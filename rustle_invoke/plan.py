"""Load and validate rustle-plan's JSON into frozen models.

Validation is pydantic's; errors are reported with the JSON path of the
offending value (``$.plays[0].batches[0].tasks[2].module``) and the cause.
Unknown keys are ignored so that newer rustle-plan releases still load; the
optional task keys the runtime will need (``register``, ``loop``, ...) are kept.
"""

from __future__ import annotations

import math
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config import CompilerConfig, format_size
from .errors import PlanError

MAX_PLAN_BYTES = 64 * 1024 * 1024
# pydantic-core's JSON parser reads at most this many levels of arrays and objects.
MAX_JSON_DEPTH = 200
_I64 = (-(2**63), 2**63 - 1)

JsonValue = Any


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, populate_by_name=True)


class Duration(_Model):
    """A Rust ``std::time::Duration`` as serde writes it."""

    secs: int = Field(ge=0)
    nanos: int = Field(ge=0, lt=1_000_000_000)

    @property
    def seconds(self) -> float:
        return self.secs + self.nanos / 1e9


CONDITION_KINDS = ("When", "Tag", "Host", "SkipTag", "CheckMode")


class Condition(_Model):
    """One ``ExecutionCondition``: exactly one of the externally tagged variants."""

    kind: Literal["When", "Tag", "Host", "SkipTag", "CheckMode"]
    expression: str | None = None
    tags: list[str] = Field(default_factory=list)
    pattern: str | None = None
    enabled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _untag(cls, data: Any) -> Any:
        if not isinstance(data, dict) or len(data) != 1:
            raise ValueError(
                f"a condition is an object with exactly one of {', '.join(CONDITION_KINDS)}"
            )
        ((kind, body),) = data.items()
        if kind not in CONDITION_KINDS:
            raise ValueError(
                f"unknown condition kind {kind!r} (expected one of {', '.join(CONDITION_KINDS)})"
            )
        if not isinstance(body, dict):
            raise ValueError(f"the body of condition {kind!r} must be an object")
        required = {
            "When": "expression",
            "Tag": "tags",
            "Host": "pattern",
            "SkipTag": "tags",
            "CheckMode": "enabled",
        }[kind]
        if required not in body:
            raise ValueError(f"condition {kind!r} needs {required!r}")
        return {"kind": kind, required: body[required]}


STRATEGY_NAMES = ("Linear", "Free", "HostPinned", "BinaryHybrid", "BinaryOnly")


class Strategy(_Model):
    """``"Linear"`` and friends, or ``{"Rolling": {"batch_size": N}}``."""

    kind: Literal["Linear", "Rolling", "Free", "HostPinned", "BinaryHybrid", "BinaryOnly"]
    batch_size: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _untag(cls, data: Any) -> Any:
        if data is None:
            return {"kind": "Linear"}
        if isinstance(data, str):
            if data not in STRATEGY_NAMES:
                raise ValueError(
                    f"unknown strategy {data!r} (expected one of "
                    f'{", ".join(STRATEGY_NAMES)} or {{"Rolling": {{"batch_size": N}}}})'
                )
            return {"kind": data}
        if (
            isinstance(data, dict)
            and list(data) == ["Rolling"]
            and isinstance(data["Rolling"], dict)
        ):
            return {"kind": "Rolling", "batch_size": data["Rolling"].get("batch_size")}
        if isinstance(data, dict) and "kind" in data:
            return data
        raise ValueError('a strategy is a name or {"Rolling": {"batch_size": N}}')

    def __str__(self) -> str:
        return f"Rolling({self.batch_size})" if self.kind == "Rolling" else self.kind


RiskLevel = Literal["Low", "Medium", "High", "Critical"]


class Task(_Model):
    """A ``TaskPlan`` plus the optional keys the runtime honours."""

    task_id: str = Field(min_length=1)
    name: str = ""
    module: str = Field(min_length=1)
    args: dict[str, JsonValue] = Field(default_factory=dict)
    hosts: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    execution_order: int | None = Field(default=None, ge=0)
    can_run_parallel: bool = True
    estimated_duration: Duration | None = None
    risk_level: RiskLevel = "Low"
    # Ansible task keywords that rustle-plan passes through when present.
    register_as: str | None = Field(default=None, alias="register")
    loop: JsonValue = None
    with_items: JsonValue = None
    ignore_errors: bool | str | None = None
    changed_when: JsonValue = None
    failed_when: JsonValue = None
    vars: dict[str, JsonValue] | None = None
    no_log: bool | None = None

    @property
    def display_name(self) -> str:
        """What Ansible prints: the name, or the module when the task has none."""
        return self.name or self.module


class Handler(_Model):
    """A ``HandlerPlan``."""

    handler_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    module: str = Field(min_length=1)
    args: dict[str, JsonValue] = Field(default_factory=dict)
    conditions: list[Condition] = Field(default_factory=list)
    execution_order: int = Field(default=0, ge=0)


class ParallelGroup(_Model):
    group_id: str
    tasks: list[str] = Field(default_factory=list)
    max_parallelism: int = Field(default=1, ge=0)
    shared_resources: list[str] = Field(default_factory=list)


class Batch(_Model):
    batch_id: str
    hosts: list[str] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    parallel_groups: list[ParallelGroup] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    estimated_duration: Duration | None = None


class Play(_Model):
    play_id: str = Field(min_length=1)
    name: str = ""
    strategy: Strategy = Field(default_factory=lambda: Strategy(kind="Linear"))
    serial: int | None = Field(default=None, ge=0)
    hosts: list[str] = Field(default_factory=list)
    batches: list[Batch] = Field(default_factory=list)
    handlers: list[Handler] = Field(default_factory=list)
    estimated_duration: Duration | None = None
    vars: dict[str, JsonValue] | None = None

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        return Strategy.model_validate(value) if not isinstance(value, Strategy) else value

    def ordered_tasks(self) -> list[Task]:
        """All tasks of all batches, by ``execution_order`` (stable; missing = position)."""
        flat = [task for batch in self.batches for task in batch.tasks]
        return (
            [
                task
                for _, _, task in sorted(
                    (t.execution_order if t.execution_order is not None else i, i, t)
                    for i, t in enumerate(flat)
                )
            ]
            if flat
            else []
        )


class EmbeddedFile(_Model):
    src_path: str
    dest_path: str
    checksum: str = ""
    size: int = Field(default=0, ge=0)


class EmbeddedData(_Model):
    execution_plan: str = ""
    static_files: list[EmbeddedFile] = Field(default_factory=list)
    variables: dict[str, JsonValue] = Field(default_factory=dict)
    facts_required: list[str] = Field(default_factory=list)


class CompilationRequirements(_Model):
    target_arch: str
    target_os: str
    rust_version: str = ""
    cross_compilation: bool = False
    static_linking: bool = False


class BinaryDeployment(_Model):
    deployment_id: str
    target_hosts: list[str] = Field(default_factory=list)
    binary_name: str = ""
    tasks: list[str] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    embedded_data: EmbeddedData = Field(default_factory=EmbeddedData)
    execution_mode: Literal["Standalone", "Controller", "Hybrid"] = "Standalone"
    estimated_size: int = Field(default=0, ge=0)
    compilation_requirements: CompilationRequirements | None = None


class PlanningOptions(_Model):
    limit: str | None = None
    tags: list[str] = Field(default_factory=list)
    skip_tags: list[str] = Field(default_factory=list)
    check_mode: bool = False
    diff_mode: bool = False
    forks: int = Field(default=5, ge=0)
    serial: int | None = None
    strategy: Strategy | None = None
    binary_threshold: int = 0
    force_binary: bool = False
    force_ssh: bool = False

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        return Strategy.model_validate(value) if value is not None else None


class Metadata(_Model):
    created_at: str | None = None
    rustle_plan_version: str | None = None
    rustle_version: str | None = None
    playbook_hash: str | None = None
    inventory_hash: str | None = None
    planning_options: PlanningOptions | None = None


class ExecutionPlan(_Model):
    """rustle-plan's ``ExecutionPlan``."""

    metadata: Metadata | None = None
    plays: list[Play] = Field(min_length=1)
    binary_deployments: list[BinaryDeployment] = Field(default_factory=list)
    total_tasks: int | None = Field(default=None, ge=0)
    estimated_duration: Duration | None = None
    estimated_compilation_time: Duration | None = None
    parallelism_score: float | None = None
    network_efficiency_score: float | None = None
    hosts: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a plan is a JSON object, not {_json_type(data)}")
        if "plays" not in data and "tasks" in data:
            raise ValueError(
                "this is the legacy rustle-deploy shape (top-level 'tasks' and 'inventory'); "
                "rustle-invoke reads rustle-plan output, which has 'plays'"
            )
        return data

    def all_tasks(self) -> Iterator[Task]:
        for play in self.plays:
            yield from play.ordered_tasks()

    def all_handlers(self) -> Iterator[Handler]:
        for play in self.plays:
            yield from play.handlers

    @property
    def variables(self) -> dict[str, JsonValue]:
        """Variables from every binary deployment (later ones win)."""
        merged: dict[str, JsonValue] = {}
        for deployment in self.binary_deployments:
            merged.update(deployment.embedded_data.variables)
        return merged


@dataclass(frozen=True)
class LoadedPlan:
    """A validated plan and where it came from."""

    plan: ExecutionPlan
    path: Path
    name: str

    @property
    def base_dir(self) -> Path:
        """Where relative ``src`` paths resolve (the plan file's folder)."""
        return self.path.parent


def _json_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), "a value")


def _json_path(loc: tuple[int | str, ...]) -> str:
    path = "$"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part:  # pydantic's validator frames, e.g. "function-before[...]"
            continue
        else:
            path += f".{part}"
    return path


def format_validation_error(source: str, error: ValidationError, limit: int = 8) -> str:
    """One line per problem: ``plan.json: $.plays[0].name: Input should be a valid string``."""
    lines: list[str] = []
    for item in error.errors(include_url=False)[:limit]:
        if item["type"] == "json_invalid":
            ctx = str(item.get("ctx", {}).get("error", item["msg"]))
            if ctx.startswith("recursion limit exceeded"):
                where = ctx.removeprefix("recursion limit exceeded").strip()
                return (
                    f"{source}: the plan nests arrays and objects too deeply "
                    f"(more than {MAX_JSON_DEPTH} levels) {where}".rstrip()
                )
            return f"{source}: not valid JSON: {ctx}"
        msg = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {_json_path(item['loc'])}: {msg}")
    more = error.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more problem(s)")
    return "\n".join(lines)


def parse_plan(text: str | bytes, source: str = "<plan>") -> ExecutionPlan:
    """Validate plan JSON text; raises :class:`PlanError` with JSON paths."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise PlanError(f"{source}: the file is empty", hint="pass the JSON that rustle-plan wrote")
    try:
        plan = ExecutionPlan.model_validate_json(text)
    except ValidationError as exc:
        raise PlanError(
            format_validation_error(source, exc),
            hint="the plan must be rustle-plan's JSON output (plays → batches → tasks)",
        ) from None
    check_consistency(plan, source)
    return plan


def check_consistency(plan: ExecutionPlan, source: str) -> None:
    """Cross-field rules that a schema cannot express."""
    seen: dict[str, str] = {}
    for p, play in enumerate(plan.plays):
        _check_numbers(play.vars, f"$.plays[{p}].vars", source)
        for b, batch in enumerate(play.batches):
            for t, task in enumerate(batch.tasks):
                where = f"$.plays[{p}].batches[{b}].tasks[{t}]"
                if task.task_id in seen:
                    raise PlanError(
                        f"{source}: {where}.task_id: duplicate task id {task.task_id!r} "
                        f"(first at {seen[task.task_id]})"
                    )
                seen[task.task_id] = where
                for key in ("args", "loop", "with_items", "changed_when", "failed_when", "vars"):
                    _check_numbers(getattr(task, key), f"{where}.{key}", source)
        for h, handler in enumerate(play.handlers):
            _check_numbers(handler.args, f"$.plays[{p}].handlers[{h}].args", source)
    for d, deployment in enumerate(plan.binary_deployments):
        variables = deployment.embedded_data.variables
        _check_numbers(variables, f"$.binary_deployments[{d}].embedded_data.variables", source)


def _check_numbers(value: JsonValue, path: str, source: str) -> None:
    """Numbers the binary carries must be finite and integers 64-bit, as the runtime's are
    (JSON allows ``1e400`` and 30-digit integers; the payload could not hold them)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, _member(where, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, float) and math.isnan(item):
            raise PlanError(f"{source}: {where}: NaN is not a JSON number")
        elif isinstance(item, float) and math.isinf(item):
            raise PlanError(f"{source}: {where}: the number is out of range (beyond ±1.8e308)")
        elif isinstance(item, int) and not _I64[0] <= item <= _I64[1]:
            raise PlanError(
                f"{source}: {where}: the integer does not fit in 64 bits "
                f"(it needs {item.bit_length() + 1}; the runtime's integers are 64-bit)",
                hint="write it as a string if it is an identifier",
            )


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def load_plan(path: str | Path, *, size_limit: int | None = None) -> LoadedPlan:
    """Read, parse and validate a plan file.

    The binary embeds the plan, so a plan larger than ``size_limit`` (the binary size
    limit; default: ``RUSTLE_BINARY_SIZE_LIMIT`` or 50 MiB) is refused before it is read.
    """
    path = Path(path)
    data = _read_plan(path, plan_size_limit(size_limit))
    plan = parse_plan(data, str(path))
    return LoadedPlan(plan=plan, path=path.resolve(), name=plan_display_name(plan, path))


def plan_size_limit(binary_size_limit: int | None = None) -> int:
    """The binary size limit given, else the configured one (environment or default)."""
    if binary_size_limit is not None:
        return binary_size_limit
    return CompilerConfig.from_env().binary_size_limit


def _read_plan(path: Path, limit: int) -> bytes:
    """The plan's bytes, never more than the limits allow into memory: a regular file is
    measured first, a pipe or a device is read up to the limit."""
    cap = min(limit, MAX_PLAN_BYTES)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise PlanError(f"{path}: is a folder, not a plan file")
        if st.st_size > cap:
            raise _too_big(path, f"{st.st_size} bytes", limit)
        with path.open("rb") as handle:
            data = handle.read(cap + 1)
    except FileNotFoundError:
        raise PlanError(f"{path}: no such file", hint="check the --plan path") from None
    except OSError as exc:
        raise PlanError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > cap:  # not a regular file, or one that grew while being read
        raise _too_big(path, f"more than {cap} bytes", limit)
    return data


def _too_big(path: Path, size: str, limit: int) -> PlanError:
    if limit <= MAX_PLAN_BYTES:
        return PlanError(
            f"{path}: the plan is {size}, over the binary size limit of {_bytes(limit)}: "
            "the binary embeds the plan, so it could never fit",
            hint="raise RUSTLE_BINARY_SIZE_LIMIT if binaries this large are intended",
        )
    return PlanError(f"{path}: the plan is {size}, over the {_bytes(MAX_PLAN_BYTES)} limit")


def _bytes(size: int) -> str:
    return f"{size} bytes ({format_size(size)})"


def plan_display_name(plan: ExecutionPlan, path: Path) -> str:
    """The first play's name, else the file name without ``.json``."""
    for play in plan.plays:
        if play.name:
            return play.name
    return path.name.removesuffix(".json").removesuffix(".plan")
