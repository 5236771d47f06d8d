"""Jinja2 in Python, set up as Ansible sets it up: the oracle of the differential tests.

Filters and tests come from Jinja2 and from ansible-core's own plugins; undefined values are
strict but chain through attribute access, as Ansible's are.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jinja2
from ansible.plugins.filter.core import FilterModule
from ansible.plugins.test.core import TestModule
from ansible.plugins.test.files import TestModule as FileTestModule

from rustle_invoke.jinja_support import FILTERS, TEST_ALIASES, TESTS


class AnsibleLikeUndefined(jinja2.ChainableUndefined, jinja2.StrictUndefined):
    """Attribute access chains; every other use raises."""


def _lookup(plugin: str, *terms: str, **_: Any) -> str:
    assert plugin == "env"
    return ",".join(os.environ.get(term, "") for term in terms)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(undefined=AnsibleLikeUndefined)
    ansible_filters = FilterModule().filters()
    env.filters.update({k: v for k, v in ansible_filters.items() if k in FILTERS})
    ansible_tests = {**TestModule().tests(), **FileTestModule().tests()}
    env.tests.update({k: v for k, v in ansible_tests.items() if k in TESTS or k in TEST_ALIASES})
    env.globals["lookup"] = _lookup
    return env


ENV = environment()


def render(source: str, variables: dict[str, Any]) -> tuple[bool, Any]:
    """(True, text) or (False, the error's message)."""
    try:
        return True, ENV.from_string(source).render(**variables)
    except Exception as exc:  # noqa: BLE001 - any error is an expected outcome here
        return False, str(exc)


def evaluate(expression: str, variables: dict[str, Any]) -> tuple[bool, Any]:
    """(True, the value as JSON data) or (False, the error's message)."""
    try:
        value = ENV.compile_expression(expression, undefined_to_none=False)(**variables)
        if isinstance(value, jinja2.Undefined):
            str(value)  # raises
        return True, json.loads(json.dumps(value))
    except Exception as exc:  # noqa: BLE001
        return False, str(exc)
