"""What the runtime's Jinja evaluator implements: filters, tests, globals, methods.

Each entry is a signature: the parameter names in order and how many of them are required.
The lowering checks every call against these tables, so an unknown name or a call that does
not fit is a build-time error, and the runtime never meets one. Aliases map to the canonical
name the runtime knows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """Parameters after the operand: names in order; the first ``required`` must be given."""

    params: tuple[str, ...] = ()
    required: int = 0
    varargs: bool = False


def _sig(*params: str, required: int = 0, varargs: bool = False) -> Signature:
    return Signature(tuple(params), required, varargs)


FILTERS: dict[str, Signature] = {
    # Jinja2's built-ins
    "abs": _sig(),
    "batch": _sig("linecount", "fill_with", required=1),
    "capitalize": _sig(),
    "center": _sig("width"),
    "default": _sig("default_value", "boolean"),
    "dictsort": _sig("case_sensitive", "by", "reverse"),
    "escape": _sig(),
    "first": _sig(),
    "float": _sig("default"),
    "format": _sig(varargs=True),
    "indent": _sig("width", "first", "blank"),
    "int": _sig("default", "base"),
    "items": _sig(),
    "join": _sig("d", "attribute"),
    "last": _sig(),
    "length": _sig(),
    "list": _sig(),
    "lower": _sig(),
    "map": _sig(varargs=True),
    "max": _sig("case_sensitive", "attribute"),
    "min": _sig("case_sensitive", "attribute"),
    "reject": _sig(varargs=True),
    "rejectattr": _sig(varargs=True),
    "replace": _sig("old", "new", "count", required=2),
    "reverse": _sig(),
    "round": _sig("precision", "method"),
    "select": _sig(varargs=True),
    "selectattr": _sig(varargs=True),
    "sort": _sig("reverse", "case_sensitive", "attribute"),
    "string": _sig(),
    "sum": _sig("attribute", "start"),
    "title": _sig(),
    "tojson": _sig("indent"),
    "trim": _sig("chars"),
    "truncate": _sig("length", "killwords", "end", "leeway"),
    "unique": _sig("case_sensitive", "attribute"),
    "upper": _sig(),
    "wordcount": _sig(),
    # Ansible's
    "basename": _sig(),
    "bool": _sig(),
    "combine": _sig(varargs=True),
    "dict2items": _sig("key_name", "value_name"),
    "dirname": _sig(),
    "from_json": _sig(),
    "items2dict": _sig("key_name", "value_name"),
    "mandatory": _sig("msg"),
    "ternary": _sig("true_val", "false_val", "none_val", required=2),
    "to_json": _sig("indent", "sort_keys"),
    "to_nice_json": _sig("indent", "sort_keys"),
}

FILTER_ALIASES = {"d": "default", "count": "length", "e": "escape"}

TESTS: dict[str, Signature] = {
    "abs": _sig(),
    "boolean": _sig(),
    "callable": _sig(),
    "changed": _sig(),
    "defined": _sig(),
    "directory": _sig(),
    "divisibleby": _sig("num", required=1),
    "eq": _sig("other", required=1),
    "escaped": _sig(),
    "even": _sig(),
    "exists": _sig(),
    "failed": _sig(),
    "false": _sig(),
    "file": _sig(),
    "float": _sig(),
    "ge": _sig("other", required=1),
    "gt": _sig("other", required=1),
    "in": _sig("seq", required=1),
    "integer": _sig(),
    "iterable": _sig(),
    "le": _sig("other", required=1),
    "link": _sig(),
    "lower": _sig(),
    "lt": _sig("other", required=1),
    "mapping": _sig(),
    "ne": _sig("other", required=1),
    "none": _sig(),
    "number": _sig(),
    "odd": _sig(),
    "sameas": _sig("other", required=1),
    "sequence": _sig(),
    "skipped": _sig(),
    "string": _sig(),
    "succeeded": _sig(),
    "true": _sig(),
    "undefined": _sig(),
    "upper": _sig(),
}

TEST_ALIASES = {
    "==": "eq",
    "equalto": "eq",
    "!=": "ne",
    "<": "lt",
    "lessthan": "lt",
    "<=": "le",
    ">": "gt",
    "greaterthan": "gt",
    ">=": "ge",
    "success": "succeeded",
    "failure": "failed",
    "change": "changed",
    "skip": "skipped",
    "is_abs": "abs",
    "is_dir": "directory",
    "is_file": "file",
    "is_link": "link",
}

GLOBALS: dict[str, Signature] = {
    "dict": _sig(varargs=True),
    "lookup": _sig(varargs=True),
    "namespace": _sig(varargs=True),
    "range": _sig(varargs=True),
}

# Lookups the runtime answers on the target.
LOOKUPS = ("env",)

METHODS = frozenset(
    {
        # str
        "capitalize", "center", "count", "endswith", "find", "format", "index", "isalnum",
        "isalpha", "isdigit", "islower", "isspace", "isupper", "join", "ljust", "lower",
        "lstrip", "replace", "rfind", "rjust", "rsplit", "rstrip", "split", "splitlines",
        "startswith", "strip", "title", "upper", "zfill",
        # dict
        "copy", "get", "items", "keys", "values",
        # loop
        "changed", "cycle",
    }
)  # fmt: skip
