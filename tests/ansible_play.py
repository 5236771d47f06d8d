"""Running a play under ansible-playbook and as a rustle-plan plan (shared by the tests).

A scenario is written once, in Ansible's playbook syntax (a dict with ``tasks``, optional
``handlers`` and ``vars``). :func:`run_ansible` runs it on localhost with the recording stdout
callback in tests/ansible_callback (one JSON document shaped like the binary's report);
:func:`to_plan` converts it to a rustle-plan plan for the compiled binary.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from conftest import cli_json, plan_document, task

from rustle_invoke import process

CALLBACKS = Path(__file__).parent / "ansible_callback"
KEYWORDS = {
    "name", "when", "tags", "notify", "register", "loop", "with_items", "ignore_errors",
    "changed_when", "failed_when", "vars", "no_log",
}  # fmt: skip


def to_plan(play: dict[str, Any]) -> dict[str, Any]:
    """A rustle-plan plan for an Ansible play (the subset the scenarios use)."""
    tasks = []
    for index, source in enumerate(play["tasks"]):
        module = next(k for k in source if k not in KEYWORDS)
        args = source[module]
        if isinstance(args, str):
            args = {"_raw_params": args}
        when = source.get("when", [])
        when = [when] if isinstance(when, (str, bool)) else when
        extra = {k: source[k] for k in ("register", "loop", "with_items", "vars") if k in source}
        for key in ("ignore_errors", "changed_when", "failed_when", "no_log"):
            if key in source:
                extra[key] = source[key]
        notify = source.get("notify", [])
        tasks.append(
            task(
                f"t_{index}",
                module,
                args or {},
                name=source["name"],
                tags=source.get("tags", []),
                notify=[notify] if isinstance(notify, str) else notify,
                conditions=[{"When": {"expression": str(w)}} for w in when],
                **extra,
            )
        )
    handlers = []
    for index, source in enumerate(play.get("handlers", [])):
        module = next(k for k in source if k not in KEYWORDS)
        args = source[module]
        handlers.append(
            {
                "handler_id": f"h_{index}",
                "name": source["name"],
                "module": module,
                "args": {"_raw_params": args} if isinstance(args, str) else args,
                "conditions": [],
                "execution_order": index,
            }
        )
    document = plan_document(tasks, handlers=handlers, name=play.get("name", "play"))
    document["plays"][0]["vars"] = play.get("vars", {})
    return document


def ansible_playbook(
    play: dict[str, Any], folder: Path, *args: str, callback: str = "rustle_record"
) -> process.ProcessResult:
    """Run ``play`` on localhost under ansible-playbook with stdout callback ``callback``."""
    playbook = folder / "playbook.json"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, **play}]))
    env = {
        **os.environ,
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_STDOUT_CALLBACK": callback,
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_HOME": str(folder / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-tmp"),
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
    }
    return process.run(
        [
            sys.executable, "-m", "ansible", "playbook", "-i", "localhost,", "-c", "local",
            "-e", f"ansible_python_interpreter={sys.executable}", *args, str(playbook),
        ],
        env=env,
        timeout=300,
    )  # fmt: skip


def run_ansible(play: dict[str, Any], folder: Path, *args: str) -> tuple[int, dict]:
    """Exit code and the recording callback's report of ``play``."""
    result = ansible_playbook(play, folder, *args)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout + result.stderr
    return result.returncode, json.loads(lines[-1])


def compile_debug(plan: Path) -> Path:
    """The debug binary of ``plan`` (from the session's cache when built before)."""
    document = cli_json("compile", "--plan", str(plan), "--profile", "debug")
    return Path(document["binaries"][0]["binary_path"])


def run_report(binary: Path, root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run a binary whose plan takes its target folder as the variable ``root``."""
    result = process.run([binary, "--format", "json", "-e", f"root={root}", *args], timeout=300)
    assert result.stdout.startswith("{"), result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)
