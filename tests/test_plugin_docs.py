"""Meta-tests: every public hook is documented in docs/plugins.md and exercised by a test."""

from __future__ import annotations

import inspect
import re

import pytest
from conftest import REPO

from rustle_invoke import hookspecs

HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("rustle_") and inspect.isfunction(value)
)
DOC = (REPO / "docs" / "plugins.md").read_text("utf-8")
# Where hooks are implemented for tests: the test files and the example plugin they install.
TEST_SOURCES = [
    *(REPO / "tests").glob("test_*.py"),
    *(REPO / "examples" / "plugin").rglob("*.py"),
]


def test_the_hook_list_is_not_empty() -> None:
    assert len(HOOKS) >= 9


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_the_plugin_docs(hook: str) -> None:
    assert re.search(rf"^### `{hook}\(", DOC, re.MULTILINE), f"docs/plugins.md lacks {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_implemented_by_a_test_plugin(hook: str) -> None:
    implemented = [
        path.name for path in TEST_SOURCES if re.search(rf"def {hook}\(", path.read_text("utf-8"))
    ]
    assert implemented, f"no test implements {hook}"


def test_documented_hooks_exist() -> None:
    documented = set(re.findall(r"^### `(rustle_\w+)\(", DOC, re.MULTILINE))
    assert documented == set(HOOKS)
