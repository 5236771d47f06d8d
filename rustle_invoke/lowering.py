"""Jinja2 source → the JSON IR the runtime evaluates (see docs/jinja-ir.md).

Parsing uses Jinja2's own lexer and parser, so whitespace control, comments and ``{% raw %}``
behave exactly as in Jinja2. Every node is checked here: a construct, filter, test, global or
method the runtime does not implement raises :class:`LoweringError` with the line and the
construct, at build time.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.parser import Parser

from .jinja_support import (
    FILTER_ALIASES,
    FILTERS,
    GLOBALS,
    LOOKUPS,
    METHODS,
    TEST_ALIASES,
    TESTS,
    Signature,
)

JINJA_MARKERS = re.compile(r"\{\{|\{%|\{#")
_I64 = (-(2**63), 2**63 - 1)
_BINARY = {
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**",
}  # fmt: skip
# Methods take what their Python counterparts take; the runtime checks the arguments.
_ANY_ARGUMENTS = Signature(varargs=True)
_COMPARE = {"eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin"}
# The deepest IR (levels of JSON arrays) one template or expression may lower to. The
# runtime's JSON decoder reads at most 256 levels (templates/runtime/src/json.rs) and the
# payload holds an IR at most 9 levels down, so every accepted IR decodes on the target.
MAX_IR_DEPTH = 200
TOO_DEEP = f"expression nested too deeply (more than {MAX_IR_DEPTH} levels)"
# Statements Jinja2 parses that have no place in a plan (with the name users wrote).
_STATEMENT_NAMES = {
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "FilterBlock": "{% filter %}",
    "Extends": "{% extends %}",
    "Block": "{% block %}",
    "Include": "{% include %}",
    "Import": "{% import %}",
    "FromImport": "{% from ... import %}",
    "Scope": "a scope block",
    "ScopedEvalContextModifier": "{% autoescape %}",
    "EvalContextModifier": "{% autoescape %}",
    "ExprStmt": "{% do %}",
    "Break": "{% break %}",
    "Continue": "{% continue %}",
}


class LoweringError(Exception):
    """A Jinja2 construct the runtime cannot evaluate, or a syntax error."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno

    def __str__(self) -> str:
        where = f"line {self.lineno}: " if self.lineno else ""
        return f"{where}{self.message}"


@dataclass(frozen=True)
class TemplateOptions:
    """Lexer settings; Jinja2's defaults for plan strings, the template module's for files."""

    trim_blocks: bool = False
    lstrip_blocks: bool = False
    keep_trailing_newline: bool = False
    # What the lexer turns every line ending of the template text into (template's
    # newline_sequence); values substituted into the text keep theirs.
    newline_sequence: str = "\n"


@lru_cache(maxsize=8)
def environment(options: TemplateOptions = TemplateOptions()) -> jinja2.Environment:
    """The Jinja2 environment whose lexer and parser define the accepted syntax."""
    return jinja2.Environment(
        trim_blocks=options.trim_blocks,
        lstrip_blocks=options.lstrip_blocks,
        keep_trailing_newline=options.keep_trailing_newline,
        newline_sequence=options.newline_sequence,  # type: ignore[arg-type]
        autoescape=False,
    )


def has_jinja(text: str) -> bool:
    """Whether ``text`` holds a Jinja2 marker (``{{``, ``{%`` or ``{#``)."""
    return bool(JINJA_MARKERS.search(text))


def lower_template(source: str, options: TemplateOptions = TemplateOptions()) -> list[Any]:
    """The statement list of a template."""
    try:
        tree = environment(options).parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise LoweringError(f"Jinja2 syntax error: {exc.message}", exc.lineno) from None
    except RecursionError:  # Jinja2's parser recurses once or more per nesting level
        raise LoweringError(TOO_DEEP) from None
    except ValueError as exc:  # Jinja2's lexer converts integer literals with int()
        raise _literal_error(exc) from None
    return _checked(lambda: _Lowerer().body(tree.body))


def lower_expression(source: str) -> list[Any]:
    """One bare expression, as in ``when:``, ``changed_when:`` or ``assert``'s ``that``."""
    try:
        parser = Parser(environment(), source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            token = parser.stream.current
            raise LoweringError(
                f"Jinja2 syntax error: unexpected {token.value!r} after the expression",
                token.lineno,
            )
    except jinja2.TemplateSyntaxError as exc:
        raise LoweringError(f"Jinja2 syntax error: {exc.message}", exc.lineno) from None
    except RecursionError:
        raise LoweringError(TOO_DEEP) from None
    except ValueError as exc:
        raise _literal_error(exc) from None
    return _checked(lambda: _Lowerer().expr(expr))


def _literal_error(exc: ValueError) -> LoweringError:
    """Jinja2's lexer fails with ValueError on an integer literal Python will not convert."""
    if "integer string conversion" in str(exc):
        return LoweringError("an integer literal does not fit in 64 bits")
    return LoweringError(f"Jinja2 syntax error: {exc}")


def _checked(lower: Callable[[], list[Any]]) -> list[Any]:
    """The IR ``lower`` builds, refused when it nests deeper than the runtime reads."""
    try:
        ir = lower()
    except RecursionError:
        raise LoweringError(TOO_DEEP) from None
    if ir_depth(ir) > MAX_IR_DEPTH:
        raise LoweringError(TOO_DEEP)
    return ir


def ir_depth(value: Any) -> int:
    """Levels of JSON arrays and objects in ``value`` (iterative: any depth is safe)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            depth += 1
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return deepest


def lower_condition(source: str) -> list[Any]:
    """A ``when``-style condition. A string that is exactly ``{{ expr }}`` is that expression."""
    text = source.strip()
    if has_jinja(text):
        body = lower_template(text)
        if len(body) == 1 and body[0][0] == "out":
            return body[0][1]
        raise LoweringError(
            "a condition is a bare expression; Jinja2 delimiters inside it are not supported",
        )
    return lower_expression(text)


@dataclass
class TemplatedValue:
    """A JSON value whose strings with Jinja2 markers were lowered.

    ``plain`` is the value with those strings left as they were; ``templates`` lists
    ``[path, ir]`` pairs, the path being the keys and indexes that lead to each string.
    """

    plain: Any
    templates: list[list[Any]] = field(default_factory=list)


# Plan strings (arguments, variables): Ansible's templar keeps a string's trailing
# newlines, which Jinja2 alone would drop ("{{ a }}\n" renders as "1\n").
PLAN_STRINGS = TemplateOptions(keep_trailing_newline=True)


def lower_value(value: Any, options: TemplateOptions = PLAN_STRINGS) -> TemplatedValue:
    """Lower every string with Jinja2 markers inside ``value`` (dict keys stay literal)."""
    result = TemplatedValue(value)
    for path, text in _strings(value, ()):
        if has_jinja(text):
            try:
                ir = lower_template(text, options)
            except LoweringError as exc:
                raise LoweringError(f"{_path_text(path)}: {exc}") from None
            result.templates.append([list(path), ir])
    return result


def _strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _path_text(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "value"


@dataclass
class References:
    """What IR reads: variable names, constant attribute/item keys, whole-object uses."""

    names: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    # Constant keys read directly on a variable (`ansible_facts.system`), by variable.
    direct: dict[str, set[str]] = field(default_factory=dict)
    # Variables used other than through a constant key (``ansible_facts[k]``, ``x | list``).
    whole: set[str] = field(default_factory=set)

    def add(self, ir: Any) -> References:
        """Walk one IR tree (a template, an expression or any part of them)."""
        if not isinstance(ir, list) or not ir:
            return self
        tag = ir[0]
        if not isinstance(tag, str):
            for part in ir:
                self.add(part)
            return self
        if tag == "var":
            self.names.add(ir[1])
            self.whole.add(ir[1])
            return self
        if tag in ("attr", "item"):
            key: str | None = ir[2] if tag == "attr" else _const_str(ir[2])
            if tag == "item":
                self.add(ir[2])
            if key is not None:
                self.keys.add(key)
                if isinstance(ir[1], list) and ir[1][:1] == ["var"]:
                    self.names.add(ir[1][1])
                    self.direct.setdefault(ir[1][1], set()).add(key)
                    return self
            self.add(ir[1])
            return self
        for part in ir[1:]:
            self.add(part)
        return self


def _const_str(ir: Any) -> str | None:
    if isinstance(ir, list) and len(ir) == 2 and ir[0] == "const" and isinstance(ir[1], str):
        return ir[1]
    return None


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Lowerer:
    """Walks Jinja2's syntax tree; one method per node family."""

    def __init__(self) -> None:
        # Nested expressions and statement bodies being lowered: each one is at least one
        # more level of IR, so past MAX_IR_DEPTH the IR is too deep whatever comes next.
        self.nesting = 0

    def _enter(self, lineno: int | None) -> None:
        self.nesting += 1
        if self.nesting > MAX_IR_DEPTH:
            raise LoweringError(TOO_DEEP, lineno)

    # statements -------------------------------------------------------------------------

    def body(self, statements: Sequence[nodes.Node]) -> list[Any]:
        self._enter(statements[0].lineno if statements else None)
        try:
            return self._body(statements)
        finally:
            self.nesting -= 1

    def _body(self, statements: Sequence[nodes.Node]) -> list[Any]:
        out: list[Any] = []
        for node in statements:
            for item in self.statement(node):
                if item[0] == "text" and out and out[-1][0] == "text":
                    out[-1] = ["text", out[-1][1] + item[1]]
                elif item[0] != "text" or item[1]:
                    out.append(item)
        return out

    def statement(self, node: nodes.Node) -> list[Any]:
        if isinstance(node, nodes.Output):
            return [
                ["text", child.data] if isinstance(child, nodes.TemplateData)
                else ["out", self.expr(child)]
                for child in node.nodes
            ]  # fmt: skip
        if isinstance(node, nodes.If):
            branches = [[self.expr(node.test), self.body(node.body)]]
            for branch in node.elif_:
                branches.append([self.expr(branch.test), self.body(branch.body)])
            return [["if", branches, self.body(node.else_)]]
        if isinstance(node, nodes.For):
            if node.recursive:
                raise LoweringError("recursive for loops are not supported", node.lineno)
            test = self.expr(node.test) if node.test is not None else None
            return [
                [
                    "for",
                    self.target(node.target),
                    self.expr(node.iter),
                    test,
                    self.body(node.body),
                    self.body(node.else_),
                ]
            ]
        if isinstance(node, nodes.Assign):
            return [["set", self.target(node.target), self.expr(node.node)]]
        if isinstance(node, nodes.AssignBlock):
            if node.filter is not None:
                raise LoweringError("a filter on {% set %} blocks is not supported", node.lineno)
            if not isinstance(node.target, nodes.Name):
                raise LoweringError("{% set %} blocks assign to a plain name only", node.lineno)
            return [["setblock", node.target.name, self.body(node.body)]]
        if isinstance(node, nodes.With):
            pairs = []
            for target, value in zip(node.targets, node.values, strict=True):
                if not isinstance(target, nodes.Name):
                    raise LoweringError("{% with %} assigns to plain names only", node.lineno)
                pairs.append([target.name, self.expr(value)])
            return [["with", pairs, self.body(node.body)]]
        name = _STATEMENT_NAMES.get(type(node).__name__, type(node).__name__)
        raise LoweringError(f"{name} is not supported", node.lineno)

    def target(self, node: nodes.Node) -> Any:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Tuple):
            return [self.target(item) for item in node.items]
        if isinstance(node, nodes.NSRef):
            return ["ns", node.name, node.attr]
        raise LoweringError(f"cannot assign to {type(node).__name__}", node.lineno)

    # expressions ------------------------------------------------------------------------

    def expr(self, node: nodes.Node) -> list[Any]:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise LoweringError(
                f"the expression {type(node).__name__} is not supported", node.lineno
            )
        self._enter(node.lineno)
        try:
            return cast(list[Any], method(node))
        finally:
            self.nesting -= 1

    def _Const(self, node: nodes.Const) -> list[Any]:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return ["const", value]
        if isinstance(value, int):
            if not _I64[0] <= value <= _I64[1]:
                raise LoweringError(f"the integer {value} does not fit in 64 bits", node.lineno)
            return ["const", value]
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise LoweringError(f"the number {value} is not finite", node.lineno)
            return ["const", value]
        raise LoweringError(f"the literal {value!r} is not supported", node.lineno)

    def _Name(self, node: nodes.Name) -> list[Any]:
        return ["var", node.name]

    def _Getattr(self, node: nodes.Getattr) -> list[Any]:
        return ["attr", self.expr(node.node), node.attr]

    def _Getitem(self, node: nodes.Getitem) -> list[Any]:
        if isinstance(node.arg, nodes.Slice):
            bounds = (node.arg.start, node.arg.stop, node.arg.step)
            return [
                "slice",
                self.expr(node.node),
                *(self.expr(p) if p is not None else None for p in bounds),
            ]
        return ["item", self.expr(node.node), self.expr(node.arg)]

    def _List(self, node: nodes.List) -> list[Any]:
        return ["list", [self.expr(item) for item in node.items]]

    def _Tuple(self, node: nodes.Tuple) -> list[Any]:
        return ["tuple", [self.expr(item) for item in node.items]]

    def _Dict(self, node: nodes.Dict) -> list[Any]:
        return ["dict", [[self.expr(pair.key), self.expr(pair.value)] for pair in node.items]]

    def _binary(self, node: nodes.BinExpr) -> list[Any]:
        return ["bin", _BINARY[type(node).__name__], self.expr(node.left), self.expr(node.right)]

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _Pow = _binary

    def _Concat(self, node: nodes.Concat) -> list[Any]:
        return ["concat", [self.expr(item) for item in node.nodes]]

    def _Neg(self, node: nodes.Neg) -> list[Any]:
        return ["neg", self.expr(node.node)]

    def _Pos(self, node: nodes.Pos) -> list[Any]:
        return ["pos", self.expr(node.node)]

    def _Not(self, node: nodes.Not) -> list[Any]:
        return ["not", self.expr(node.node)]

    def _And(self, node: nodes.And) -> list[Any]:
        return ["and", self.expr(node.left), self.expr(node.right)]

    def _Or(self, node: nodes.Or) -> list[Any]:
        return ["or", self.expr(node.left), self.expr(node.right)]

    def _Compare(self, node: nodes.Compare) -> list[Any]:
        ops = []
        for operand in node.ops:
            if operand.op not in _COMPARE:
                raise LoweringError(f"the operator {operand.op!r} is not supported", node.lineno)
            ops.append([operand.op, self.expr(operand.expr)])
        return ["cmp", self.expr(node.expr), ops]

    def _CondExpr(self, node: nodes.CondExpr) -> list[Any]:
        other = self.expr(node.expr2) if node.expr2 is not None else None
        return ["cond", self.expr(node.test), self.expr(node.expr1), other]

    def _Filter(self, node: nodes.Filter) -> list[Any]:
        if node.node is None:
            raise LoweringError("filter blocks are not supported", node.lineno)
        name = FILTER_ALIASES.get(node.name, node.name)
        signature = FILTERS.get(name)
        if signature is None:
            raise LoweringError(
                f"the filter {node.name!r} is not supported{_suggest(node.name, list(FILTERS))}",
                node.lineno,
            )
        if name in ("map", "select", "reject", "selectattr", "rejectattr"):
            self._check_named_callee(name, node)
        args, kwargs = self.arguments(node, f"filter {node.name!r}", signature)
        return ["filter", name, self.expr(node.node), args, kwargs]

    def _Test(self, node: nodes.Test) -> list[Any]:
        name = TEST_ALIASES.get(node.name, node.name)
        signature = TESTS.get(name)
        if signature is None:
            raise LoweringError(
                f"the test {node.name!r} is not supported{_suggest(node.name, list(TESTS))}",
                node.lineno,
            )
        args, kwargs = self.arguments(node, f"test {node.name!r}", signature)
        return ["test", name, self.expr(node.node), args, kwargs]

    def _Call(self, node: nodes.Call) -> list[Any]:
        callee = node.node
        if isinstance(callee, nodes.Name):
            signature = GLOBALS.get(callee.name)
            if signature is None:
                raise LoweringError(
                    f"the function {callee.name!r} is not supported"
                    f"{_suggest(callee.name, list(GLOBALS))}",
                    node.lineno,
                )
            args, kwargs = self.arguments(node, f"function {callee.name!r}", signature)
            if callee.name == "lookup":
                self._check_lookup(node)
            return ["call", callee.name, args, kwargs]
        if isinstance(callee, nodes.Getattr):
            if callee.attr not in METHODS:
                raise LoweringError(
                    f"the method {callee.attr!r} is not supported"
                    f"{_suggest(callee.attr, sorted(METHODS))}",
                    node.lineno,
                )
            args, kwargs = self.arguments(node, f"method {callee.attr!r}", _ANY_ARGUMENTS)
            return ["method", self.expr(callee.node), callee.attr, args, kwargs]
        raise LoweringError("only functions and methods can be called", node.lineno)

    # arguments --------------------------------------------------------------------------

    def arguments(
        self, node: nodes.Filter | nodes.Test | nodes.Call, what: str, signature: Signature
    ) -> tuple[list[Any], list[Any]]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise LoweringError(f"*args and **kwargs in the {what} are not supported", node.lineno)
        names = [cast(nodes.Keyword, kw).key for kw in node.kwargs]
        if not signature.varargs:
            if len(node.args) > len(signature.params):
                raise LoweringError(
                    f"the {what} takes at most {len(signature.params)} argument(s), "
                    f"{len(node.args)} given",
                    node.lineno,
                )
            bound = set(signature.params[: len(node.args)])
            for key in names:
                if key not in signature.params:
                    raise LoweringError(
                        f"the {what} has no argument {key!r}"
                        f" (it takes {', '.join(signature.params) or 'none'})",
                        node.lineno,
                    )
                if key in bound:
                    raise LoweringError(f"the {what} got {key!r} twice", node.lineno)
                bound.add(key)
            missing = [p for p in signature.params[: signature.required] if p not in bound]
            if missing:
                raise LoweringError(
                    f"the {what} needs the argument(s) {', '.join(missing)}", node.lineno
                )
        return (
            [self.expr(arg) for arg in node.args],
            [[kw.key, self.expr(kw.value)] for kw in node.kwargs],
        )

    def _check_named_callee(self, name: str, node: nodes.Filter) -> None:
        """``map('upper')``, ``select('odd')``, ``selectattr('x', 'eq', 1)``: check the name."""
        position = 1 if name.endswith("attr") else 0
        if name == "map" and not node.args:
            if not any(kw.key == "attribute" for kw in node.kwargs):
                raise LoweringError("map needs a filter name or attribute=", node.lineno)
            return
        if name.endswith("attr") and not node.args:
            raise LoweringError(f"{name} needs an attribute name", node.lineno)
        if len(node.args) <= position:
            return  # select() / selectattr('x'): truthiness
        callee = node.args[position]
        if not isinstance(callee, nodes.Const) or not isinstance(callee.value, str):
            kind = "filter" if name == "map" else "test"
            raise LoweringError(f"{name} needs the {kind} name as a string literal", node.lineno)
        table, aliases, kind = (
            (FILTERS, FILTER_ALIASES, "filter") if name == "map" else (TESTS, TEST_ALIASES, "test")
        )
        canonical = aliases.get(callee.value, callee.value)
        if canonical not in table:
            raise LoweringError(
                f"the {kind} {callee.value!r} (used by {name}) is not supported"
                f"{_suggest(callee.value, list(table))}",
                node.lineno,
            )
        callee.value = canonical

    def _check_lookup(self, node: nodes.Call) -> None:
        first = node.args[0] if node.args else None
        if not isinstance(first, nodes.Const) or first.value not in LOOKUPS:
            plugin = first.value if isinstance(first, nodes.Const) else "?"
            raise LoweringError(
                f"the lookup {plugin!r} is not supported on the target "
                f"(supported: {', '.join(LOOKUPS)})",
                node.lineno,
            )
