"""The console script answers --help, --list and --version without importing Invoke,
with exactly the text Invoke would print."""

from __future__ import annotations

import sys

import pytest

from rustle_invoke import __version__, cli, process


@pytest.mark.parametrize("argv", sorted(cli.STORED_ANSWERS), ids=lambda a: " ".join(a) or "none")
def test_stored_answers_are_what_invoke_prints(argv):
    stored = (cli.TEXT_DIR / cli.STORED_ANSWERS[argv]).read_text(encoding="utf-8")
    assert stored == cli.invoke_answer(list(argv)), (
        "the stored CLI text is out of date: run `invoke cli-text` in the repo"
    )


def _imported_modules(argv: list[str]) -> tuple[str, set[str]]:
    result = process.run(
        [sys.executable, "-X", "importtime", "-m", "rustle_invoke", *argv],
        timeout=60,
        supervised=False,
    )
    assert result.returncode == 0, result.stderr
    modules = {
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    return result.stdout, modules


@pytest.mark.parametrize("argv", [["--help"], ["-l"], []])
def test_help_and_list_never_import_invoke(argv):
    stdout, modules = _imported_modules(argv)
    assert stdout == (cli.TEXT_DIR / cli.STORED_ANSWERS[tuple(argv)]).read_text(encoding="utf-8")
    assert "rustle_invoke.cli" in modules
    assert not {m for m in modules if m == "invoke" or m.startswith("invoke.")}
    assert "rustle_invoke.tasks" not in modules


def test_version_is_answered_without_invoke():
    stdout, modules = _imported_modules(["--version"])
    assert stdout == f"rustle-invoke {__version__}\n"
    assert "invoke" not in modules


def test_other_command_lines_go_through_invoke():
    stdout, modules = _imported_modules(["compile", "--help"])
    assert "--plan" in stdout
    assert "invoke" in modules


def test_a_terminal_of_another_width_gets_invokes_own_wrapping(monkeypatch):
    monkeypatch.setattr(cli, "_terminal_width", lambda: 132)
    assert cli._fast_answer(["--help"]) is None
    assert cli._fast_answer(["--version"]) == f"rustle-invoke {__version__}\n"
    monkeypatch.setattr(cli, "_terminal_width", lambda: cli.STORED_WIDTH)
    assert cli._fast_answer(["--help"]) is not None
    assert cli._fast_answer(["--help", "compile"]) is None


@pytest.mark.parametrize("task_name", ["compile", "render", "localhost-test"])
def test_plan_is_a_flag_so_task_help_works_and_a_missing_plan_is_one_error(task_name):
    helped = process.run(
        [sys.executable, "-m", "rustle_invoke", task_name, "--help"], timeout=60, supervised=False
    )
    assert helped.returncode == 0 and "--plan" in helped.stdout, helped.stderr
    missing = process.run(
        [sys.executable, "-m", "rustle_invoke", task_name], timeout=60, supervised=False
    )
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[0] == "error: --plan is required"
    assert "Traceback" not in missing.stderr
