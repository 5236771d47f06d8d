"""Regular expressions parsed on the controller, lowered to a JSON IR the runtime executes.

Python's own parser (``re._parser``) reads the pattern; this module walks its op tree and
writes the small IR described in ``docs/regex-ir.md``. Everything that depends on flags is
decided here, so the runtime's matcher needs no flag logic: ``(?i)`` turns literals and
classes into their case-folded forms (computed the way CPython's ``re`` compiler does, with
its extra case table), ``(?m)``/``(?s)`` pick the anchor and dot variants, ``(?a)`` and
bytes patterns pick ASCII classes.

Two modes: ``"str"`` (a text pattern searched in text; Unicode ``\\d \\w \\s`` and case
folding) and ``"bytes"`` (the pattern encoded as UTF-8 and searched in bytes, ASCII classes;
this is what Ansible's lineinfile does: it compiles ``to_bytes(regexp)``).
"""

from __future__ import annotations

import _sre
import re
import warnings
from collections.abc import Callable, Iterable
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Literal

try:  # the extra case table of CPython's compiler (3.11+)
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover - older layouts
    _EXTRA_CASES = {}

from .lowering import has_jinja

IR_VERSION = 1
Mode = Literal["str", "bytes"]

_MAXREPEAT = C.MAXREPEAT
# Deepest IR nesting (the payload's JSON parser accepts 256 levels in all).
_MAX_DEPTH = 160
_BMP_LIMIT = 0x10000

_ASCII_CATEGORIES = {
    C.CATEGORY_DIGIT: "digit",
    C.CATEGORY_NOT_DIGIT: "not_digit",
    C.CATEGORY_SPACE: "space",
    C.CATEGORY_NOT_SPACE: "not_space",
    C.CATEGORY_WORD: "word",
    C.CATEGORY_NOT_WORD: "not_word",
}

_AT_NAMES = {
    C.AT_BEGINNING: "beginning",
    C.AT_BEGINNING_LINE: "beginning_line",
    C.AT_BEGINNING_STRING: "beginning_string",
    C.AT_END: "end",
    C.AT_END_LINE: "end_line",
    C.AT_END_STRING: "end_string",
    C.AT_BOUNDARY: "boundary",
    C.AT_NON_BOUNDARY: "non_boundary",
}


class RegexLoweringError(ValueError):
    """The pattern is invalid, templated, or uses a construct the runtime cannot honour."""


def lower_regex(
    pattern: str, *, mode: Mode = "str", what: str = "regular expression"
) -> dict[str, Any]:
    """The IR of ``pattern`` (see ``docs/regex-ir.md``).

    ``mode="bytes"`` lowers ``pattern.encode("utf-8")`` as a bytes pattern, searched in bytes.
    ``what`` names the pattern in error messages (``"regexp"``, ``"insertafter"``).
    """
    if not isinstance(pattern, str):
        raise RegexLoweringError(f"the {what} must be a string, got {type(pattern).__name__}")
    if has_jinja(pattern):
        raise RegexLoweringError(
            f"the {what} {pattern!r} contains a Jinja2 template, but regular expressions are "
            "parsed at build time: the regexp must be fixed at build time (write the pattern "
            "itself, without '{{ }}' or '{% %}')"
        )
    source: str | bytes = pattern
    if mode == "bytes":
        try:
            source = pattern.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:  # pragma: no cover - lone surrogates
            raise RegexLoweringError(f"the {what} {pattern!r} is not valid text: {exc}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            re.compile(source)
            tree = _parser.parse(source)
        except re.error as exc:
            raise RegexLoweringError(f"invalid {what} {pattern!r}: {exc}") from None
        except (OverflowError, RecursionError, ValueError) as exc:
            raise RegexLoweringError(f"invalid {what} {pattern!r}: {exc}") from None
    flags = tree.state.flags
    lowerer = _Lowerer(pattern, what, mode)
    node = lowerer.sequence(tree, flags)
    if _depth(node) > _MAX_DEPTH:
        raise RegexLoweringError(
            f"the {what} {pattern!r} nests groups and repeats more than {_MAX_DEPTH // 2} "
            "levels deep, more than the runtime accepts; flatten the pattern"
        )
    names = sorted(tree.state.groupdict.items(), key=lambda item: item[1])
    return {
        "v": IR_VERSION,
        "mode": mode,
        "groups": tree.state.groups - 1,
        "names": {name: index for name, index in names},
        "re": node,
    }


class _Lowerer:
    def __init__(self, pattern: str, what: str, mode: Mode) -> None:
        self.pattern = pattern
        self.what = what
        self.mode = mode

    def refuse(self, construct: str) -> RegexLoweringError:
        return RegexLoweringError(
            f"the {self.what} {self.pattern!r} uses {construct}, which the runtime's regex "
            "matcher does not support; rewrite the pattern without it"
        )

    # --- flags ---------------------------------------------------------------------

    def check_flags(self, flags: int) -> None:
        if flags & C.SRE_FLAG_LOCALE:
            raise self.refuse("the LOCALE flag (?L)")

    @staticmethod
    def unicode(flags: int) -> bool:
        return bool(flags & C.SRE_FLAG_UNICODE) and not flags & C.SRE_FLAG_ASCII

    def folding(self, flags: int) -> tuple[str, Callable[[int], bool], Callable[[int], int], dict]:
        """The fold kind, ``iscased``, ``tolower`` and extra cases for ignore-case matching."""
        if self.unicode(flags):
            return "u", _sre.unicode_iscased, _sre.unicode_tolower, _EXTRA_CASES
        return "a", _sre.ascii_iscased, _sre.ascii_tolower, {}

    # --- tree walk -------------------------------------------------------------------

    def sequence(self, items: Iterable[tuple[Any, Any]], flags: int) -> list[Any]:
        self.check_flags(flags)
        out: list[Any] = ["seq"]
        for op, av in items:
            node = self.node(op, av, flags)
            if node[0] == "seq":
                out.extend(node[1:])
            else:
                out.append(node)
        return out[1] if len(out) == 2 else out

    def node(self, op: Any, av: Any, flags: int) -> list[Any]:
        if op is C.LITERAL or op is C.NOT_LITERAL:
            return self.literal(av, op is C.NOT_LITERAL, flags)
        if op is C.ANY:
            return ["any_all"] if flags & C.SRE_FLAG_DOTALL else ["any"]
        if op is C.IN:
            return self.charset(av, flags)
        if op is C.AT:
            name = _AT_NAMES[av]
            if flags & C.SRE_FLAG_MULTILINE:
                name = {"beginning": "beginning_line", "end": "end_line"}.get(name, name)
            if name in ("boundary", "non_boundary") and self.unicode(flags):
                name = "uni_" + name
            return ["at", name]
        if op is C.BRANCH:
            return ["alt", *(self.sequence(branch, flags) for branch in av[1])]
        if op is C.SUBPATTERN:
            group, add_flags, del_flags, body = av
            inner = _combine_flags(flags, add_flags, del_flags)
            lowered = self.sequence(body, inner)
            return ["group", group, lowered] if group else lowered
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, body = av
            kind = {C.MAX_REPEAT: "greedy", C.MIN_REPEAT: "lazy"}.get(op, "possessive")
            return [
                "repeat",
                low,
                None if high == _MAXREPEAT else high,
                kind,
                self.sequence(body, flags),
            ]
        if op is C.GROUPREF:
            fold = self.folding(flags)[0] if flags & C.SRE_FLAG_IGNORECASE else None
            return ["backref", av, fold]
        if op is C.ASSERT or op is C.ASSERT_NOT:
            direction, body = av
            width = 0
            if direction < 0:
                low, high = body.getwidth()
                if low != high:  # pragma: no cover - re.compile refuses it first
                    raise self.refuse("a variable-width look-behind")
                width = low
            return [
                "look",
                "behind" if direction < 0 else "ahead",
                op is C.ASSERT_NOT,
                width,
                self.sequence(body, flags),
            ]
        if op is C.ATOMIC_GROUP:
            return ["atomic", self.sequence(av, flags)]
        if op is C.GROUPREF_EXISTS:
            group, yes, no = av
            return [
                "cond",
                group,
                self.sequence(yes, flags),
                self.sequence(no or [], flags),
            ]
        if op is C.FAILURE:
            return ["look", "ahead", True, 0, ["seq"]]
        raise self.refuse(f"the construct {op!s}")

    def literal(self, code: int, negated: bool, flags: int) -> list[Any]:
        if flags & C.SRE_FLAG_IGNORECASE:
            fold, iscased, tolower, fixes = self.folding(flags)
            if iscased(code):
                low = tolower(code)
                return ["not_fold" if negated else "char_fold", fold, [low, *fixes.get(low, ())]]
        return ["not" if negated else "char", code]

    def charset(self, items: list[tuple[Any, Any]], flags: int) -> list[Any]:
        unicode = self.unicode(flags)
        negated = False
        plain: list[Any] = []
        for op, av in items:
            if op is C.NEGATE:
                negated = True
            elif op is C.LITERAL:
                plain.append(av)
            elif op is C.RANGE:
                plain.append([av[0], av[1]])
            elif op is C.CATEGORY:
                plain.append(("uni_" if unicode else "") + _ASCII_CATEGORIES[av])
            else:  # pragma: no cover - the parser puts nothing else in a class
                raise self.refuse(f"the class item {op!s}")
        if flags & C.SRE_FLAG_IGNORECASE:
            folded = self.fold_charset(items, flags, unicode)
            if folded is not None:
                return ["set", self.folding(flags)[0], negated, folded]
        return ["set", None, negated, plain]

    def fold_charset(
        self, items: list[tuple[Any, Any]], flags: int, unicode: bool
    ) -> list[Any] | None:
        """Class items matched against the lower-cased subject, or None when nothing is cased.

        Mirrors what CPython's compiler builds for an ignore-case class: every literal and
        range member is lower-cased (plus the extra case table) into a map of the Basic
        Multilingual Plane; members whose lower case lies beyond it stay as they are
        (literals) or become ranges also tried against the upper case (``rfold``);
        categories are tested on the lower-cased subject.
        """
        _, iscased, tolower, fixes = self.folding(flags)
        members: set[int] = set()
        tail: list[Any] = []
        cased = False
        for op, av in items:
            if op is C.LITERAL:
                low = tolower(av)
                if low >= _BMP_LIMIT:
                    tail.append(av)
                    cased = True
                    continue
                members.add(low)
                members.update(fixes.get(low, ()))
                cased = cased or iscased(av)
            elif op is C.RANGE:
                first, last = av
                overflow = False
                for code in range(first, last + 1):
                    low = tolower(code)
                    if low >= _BMP_LIMIT:
                        overflow = True
                        break
                    members.add(low)
                    members.update(fixes.get(low, ()))
                if overflow:
                    tail.append(["rfold", first, last])
                    cased = True
                elif not cased:
                    cased = any(iscased(code) for code in range(first, last + 1))
            elif op is C.CATEGORY:
                tail.append(("uni_" if unicode else "") + _ASCII_CATEGORIES[av])
        if not cased:
            return None
        return [*_ranges(members), *tail]


def _depth(node: Any) -> int:
    if isinstance(node, list):
        return 1 + max((_depth(child) for child in node), default=0)
    return 0


def _combine_flags(flags: int, add_flags: int, del_flags: int) -> int:
    type_flags = C.SRE_FLAG_ASCII | C.SRE_FLAG_LOCALE | C.SRE_FLAG_UNICODE
    if add_flags & type_flags:
        flags &= ~type_flags
    return (flags | add_flags) & ~del_flags


def _ranges(codes: set[int]) -> list[Any]:
    """Sorted members as single codes and ``[first, last]`` runs."""
    out: list[Any] = []
    ordered = sorted(codes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(ordered[i] if i == j else [ordered[i], ordered[j]])
        i = j + 1
    return out


def check_template(pattern: str, template: str, *, mode: Mode = "str") -> None:
    """Checks a ``Match.expand`` template against ``pattern`` as Python parses it.

    Raises :class:`RegexLoweringError` with Python's message (bad escapes, unknown groups).
    ``pattern`` must be valid (lower it first).
    """
    compiled: re.Pattern[Any]
    source: str | bytes
    if mode == "bytes":
        compiled = re.compile(pattern.encode("utf-8", "surrogateescape"))
        source = template.encode("utf-8", "surrogateescape")
    else:
        compiled = re.compile(pattern)
        source = template
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _parser.parse_template(source, compiled)
        except (re.error, IndexError) as exc:
            raise RegexLoweringError(f"invalid replacement {template!r}: {exc}") from None
