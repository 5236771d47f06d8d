"""Ansible inventories in their INI and YAML forms: hosts, groups, children, variables.

The result is what ``ansible-inventory --list`` reports: every host with its groups and
its variables merged the way Ansible merges inventory variables (``all``'s first, then
each group from the shallowest to the deepest, groups of one depth by
``ansible_group_priority`` and then name, the host's own last). tests/test_inventory.py
compares both with ansible-core's own parser.

INI: ``[group]`` sections of host lines (``name[:port] [key=value ...]``), ``[group:vars]``
and ``[group:children]``, values read as Python literals when they are one (as
ansible-core does, in both places); hosts before the first section are ``ungrouped``. Host names may
hold ranges: ``web[01:03]``, ``db-[a:c]``, ``n[0:10:5]``. YAML: ``all`` (or any top-level
group) with ``hosts``, ``vars`` and ``children``, nested to any depth.
"""

from __future__ import annotations

import ast
import re
import shlex
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

ALL, UNGROUPED = "all", "ungrouped"
PRIORITY = "ansible_group_priority"
_SECTION = re.compile(r"^\[([^\]:\s]+)(?::(\w+))?\]\s*$")
_RANGE = re.compile(r"\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\]")


class InventoryError(ConfigError):
    """The inventory cannot be read: the message names the file and line."""


@dataclass
class Group:
    name: str
    vars: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Host:
    """One inventory host: its groups (with their ancestors, ``all`` included) and its
    variables merged with its groups' as Ansible merges them."""

    name: str
    groups: tuple[str, ...]
    vars: Mapping[str, Any]


@dataclass
class Inventory:
    groups: dict[str, Group] = field(default_factory=dict)
    host_vars: dict[str, dict[str, Any]] = field(default_factory=dict)

    def group(self, name: str) -> Group:
        if name not in self.groups:
            self.groups[name] = Group(name)
        return self.groups[name]

    def add_host(self, group: str, host: str, variables: Mapping[str, Any]) -> None:
        members = self.group(group).hosts
        if host not in members:
            members.append(host)
        self.host_vars.setdefault(host, {}).update(variables)

    def add_child(self, parent: str, child: str, where: str) -> None:
        if child == parent:
            raise InventoryError(f"{where}: group {parent!r} cannot be its own child")
        if child not in self.group(parent).children:
            self.group(parent).children.append(child)
        if parent not in self.group(child).parents:
            self.group(child).parents.append(parent)

    # -- the finished view -------------------------------------------------------------

    def finish(self, source: str) -> None:
        """Attach top-level groups to ``all`` and groupless hosts to ``ungrouped`` (hosts
        named directly under ``all`` included, as Ansible lists them)."""
        self.group(ALL)
        self.group(UNGROUPED)
        self.groups[ALL].hosts.clear()
        for name, group in self.groups.items():
            if name != ALL and not group.parents:
                self.add_child(ALL, name, "inventory")
        grouped = {h for n, g in self.groups.items() if n not in (ALL, UNGROUPED) for h in g.hosts}
        ungrouped = self.groups[UNGROUPED].hosts
        ungrouped[:] = [host for host in ungrouped if host not in grouped]
        for host in self.host_vars:
            if host not in grouped and host not in self.groups[UNGROUPED].hosts:
                self.groups[UNGROUPED].hosts.append(host)
        self._check_cycles(source)

    def _check_cycles(self, source: str) -> None:
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                loop = " → ".join([*path[path.index(name) :], name])
                raise InventoryError(f"{source}: groups contain each other: {loop}")
            state[name] = 1
            for child in self.groups[name].children:
                visit(child, [*path, name])
            state[name] = 2

        for name in self.groups:
            visit(name, [])

    def _ancestors(self, group: str) -> set[str]:
        found: set[str] = set()
        pending = [group]
        while pending:
            for parent in self.groups[pending.pop()].parents:
                if parent not in found:
                    found.add(parent)
                    pending.append(parent)
        return found

    def _depth(self, group: str) -> int:
        parents = self.groups[group].parents
        return 0 if not parents else 1 + max(self._depth(p) for p in parents)

    def hosts(self) -> dict[str, Host]:
        """Every host by name, in the order the inventory names them."""
        out: dict[str, Host] = {}
        for name in self.host_vars:
            direct = [g for g, group in self.groups.items() if name in group.hosts]
            member = set(direct) | {a for g in direct for a in self._ancestors(g)} | {ALL}
            ordered = sorted(
                member,
                key=lambda g: (
                    self._depth(g),
                    _priority(self.groups[g].vars.get(PRIORITY)),
                    g,
                ),
            )
            merged: dict[str, Any] = {}
            for group in ordered:
                merged.update(self.groups[group].vars)
            merged.pop(PRIORITY, None)  # a group setting, not a variable
            merged.update(self.host_vars[name])
            out[name] = Host(name, tuple(g for g in ordered if g != ALL), merged)
        return out


def _priority(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


# -- host names -----------------------------------------------------------------------


def expand_host_pattern(pattern: str, where: str) -> list[str]:
    """``web[01:03]`` → web01, web02, web03 (zero padding kept); letters range too."""
    match = _RANGE.search(pattern)
    if match is None:
        return [pattern]
    start, end, step_text = match.groups()
    step = int(step_text) if step_text else 1
    head, tail = pattern[: match.start()], pattern[match.end() :]
    if start.isdigit() and end.isdigit():
        width = len(start) if start.startswith("0") else 0
        numbers = range(int(start), int(end) + 1, step)
        items = [str(n).zfill(width) for n in numbers]
    elif len(start) == 1 and len(end) == 1 and start.isalpha() and end.isalpha():
        letters = string.ascii_letters
        items = list(letters[letters.index(start) : letters.index(end) + 1 : step])
    else:
        raise InventoryError(f"{where}: cannot expand the host range [{start}:{end}]")
    if not items:
        raise InventoryError(f"{where}: the host range [{start}:{end}] is empty")
    return [host for item in items for host in expand_host_pattern(f"{head}{item}{tail}", where)]


def _split_port(name: str) -> tuple[str, int | None]:
    """``host:2222`` → (host, 2222); IPv6 addresses and bracketed ranges are kept whole."""
    if name.count(":") == 1 and not name.endswith("]"):
        host, port = name.split(":")
        if port.isdigit():
            return host, int(port)
    return name, None


# -- INI ------------------------------------------------------------------------------


def _literal(text: str) -> Any:
    """An inline host variable: a Python literal when it is one, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _assignments(words: Iterable[str], where: str, *, literal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InventoryError(f"{where}: expected key=value, found {word!r}")
        out[key] = _literal(value) if literal else value
    return out


def parse_ini(text: str, source: str = "inventory") -> Inventory:
    inventory = Inventory()
    group, kind = UNGROUPED, "hosts"
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        section = _SECTION.match(line)
        if section:
            group, kind = section.group(1), section.group(2) or "hosts"
            if kind not in ("hosts", "vars", "children"):
                raise InventoryError(
                    f"{where}: unknown section kind {kind!r} (use :vars or :children)"
                )
            inventory.group(group)
            continue
        if line.startswith("["):
            raise InventoryError(f"{where}: cannot read the section header {line!r}")
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise InventoryError(f"{where}: {exc}") from None
        if not words:
            continue
        if kind == "vars":
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise InventoryError(f"{where}: expected key=value, found {line!r}")
            inventory.group(group).vars[key.strip()] = _literal(value.strip())
        elif kind == "children":
            for child in words:
                inventory.add_child(group, child, where)
        else:
            variables = _assignments(words[1:], where, literal=True)
            for name in expand_host_pattern(words[0], where):
                host, port = _split_port(name)
                extra = {"ansible_port": port} if port is not None else {}
                inventory.add_host(group, host, {**extra, **variables})
    inventory.finish(source)
    return inventory


# -- YAML -----------------------------------------------------------------------------


def _yaml_group(inventory: Inventory, name: str, body: Any, where: str) -> None:
    inventory.group(name)
    if body is None:
        return
    if not isinstance(body, Mapping):
        raise InventoryError(f"{where}: group {name!r} must be a mapping")
    unknown = set(body) - {"hosts", "vars", "children"}
    if unknown:
        raise InventoryError(
            f"{where}: group {name!r} has unknown keys: {', '.join(sorted(map(str, unknown)))}"
        )
    variables = body.get("vars") or {}
    if not isinstance(variables, Mapping):
        raise InventoryError(f"{where}: vars of group {name!r} must be a mapping")
    inventory.group(name).vars.update(variables)
    hosts = body.get("hosts") or {}
    if not isinstance(hosts, Mapping):
        raise InventoryError(f"{where}: hosts of group {name!r} must be a mapping")
    for pattern, host_vars in hosts.items():
        if host_vars is not None and not isinstance(host_vars, Mapping):
            raise InventoryError(f"{where}: variables of host {pattern!r} must be a mapping")
        for expanded in expand_host_pattern(str(pattern), where):
            host, port = _split_port(expanded)
            extra = {"ansible_port": port} if port is not None else {}
            inventory.add_host(name, host, {**extra, **(host_vars or {})})
    children = body.get("children") or {}
    if not isinstance(children, Mapping):
        raise InventoryError(f"{where}: children of group {name!r} must be a mapping")
    for child, child_body in children.items():
        inventory.add_child(name, str(child), where)
        _yaml_group(inventory, str(child), child_body, where)


def parse_yaml(text: str, source: str = "inventory") -> Inventory:
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InventoryError(f"{source}: not valid YAML: {exc}") from None
    inventory = Inventory()
    if document is not None:
        if not isinstance(document, Mapping):
            raise InventoryError(f"{source}: the top level must map group names to groups")
        for name, body in document.items():
            _yaml_group(inventory, str(name), body, source)
    inventory.finish(source)
    return inventory


def load_inventory(path: Path) -> Inventory:
    """Read ``path``: YAML when it ends in .yml/.yaml or its text parses as a YAML mapping
    of groups, else INI."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(
            f"{path}: cannot read the inventory ({exc.strerror or exc})",
            hint="check the --inventory path",
        ) from None
    if path.suffix in (".yml", ".yaml"):
        return parse_yaml(text, str(path))
    return parse_ini(text, str(path))


# -- host patterns (--limit) ----------------------------------------------------------


def _matches(inventory: Inventory, hosts: Mapping[str, Host], term: str) -> list[str]:
    """The hosts one pattern term names: a group, a host, a glob or ``~regex``."""
    if term in ("all", "*"):
        return list(hosts)
    if term in inventory.groups:
        return [name for name, host in hosts.items() if term in host.groups]
    if term in hosts:
        return [term]
    if term.startswith("~"):
        try:
            regex = re.compile(term[1:])
        except re.error as exc:
            raise InventoryError(f"--limit: bad regular expression {term[1:]!r}: {exc}") from None

        def test(name: str) -> bool:
            return regex.match(name) is not None

    else:
        import fnmatch

        def test(name: str) -> bool:
            return fnmatch.fnmatchcase(name, term)

    named = [g for g in inventory.groups if test(g)]
    return [
        name for name, host in hosts.items() if test(name) or any(g in host.groups for g in named)
    ]


def select_hosts(
    inventory: Inventory, pattern: str | None, hosts: Mapping[str, Host] | None = None
) -> list[str]:
    """The hosts an Ansible host pattern selects (``web:db``, ``web:&prod``, ``all:!db``,
    ``web*``, ``~web\\d+``, commas as colons), in inventory order. Unions first, then
    intersections, then exclusions, as Ansible applies them. ``hosts`` is
    ``inventory.hosts()``, for a caller that has it already."""
    hosts = inventory.hosts() if hosts is None else hosts
    if pattern is None or not pattern.strip():
        return list(hosts)
    terms = [t.strip() for t in re.split(r"[,:](?=[&!~\w*.\[\-])", pattern) if t.strip()]
    if not terms:
        raise InventoryError(f"--limit: empty host pattern {pattern!r}")
    included: set[str] = set()
    intersections: list[set[str]] = []
    excluded: set[str] = set()
    for term in terms:
        if term.startswith("&"):
            intersections.append(set(_matches(inventory, hosts, term[1:])))
        elif term.startswith("!"):
            excluded |= set(_matches(inventory, hosts, term[1:]))
        else:
            included |= set(_matches(inventory, hosts, term))
    if all(t.startswith(("&", "!")) for t in terms):
        included = set(hosts)
    for subset in intersections:
        included &= subset
    return [name for name in hosts if name in included and name not in excluded]
