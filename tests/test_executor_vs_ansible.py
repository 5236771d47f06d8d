"""The same plays under ansible-playbook and as compiled binaries: same results, task by task.

Each scenario is written once, in Ansible's playbook syntax. It runs under ansible-playbook on
localhost (a small stdout callback in tests/ansible_callback prints one JSON document), and is
converted to a rustle-plan plan that is compiled and run. Statuses, `changed`, ignored failures,
messages, loop item results, handlers, the recap and the exit code must agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible_play import KEYWORDS, run_ansible, to_plan
from conftest import cli_json

from rustle_invoke import process

pytestmark = pytest.mark.cargo

# Modules whose messages are compared (command output differs by nature: timings, paths).
MESSAGE_MODULES = {"debug", "assert", "fail", "set_fact"}


def run_binary(play: dict[str, Any], folder: Path, *args: str) -> tuple[int, dict]:
    plan = folder / "plan.json"
    plan.write_text(json.dumps(to_plan(play)))
    binary = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    result = process.run([binary["binary_path"], "--format", "json", *args], timeout=120)
    return result.returncode, json.loads(result.stdout)


def comparable(record: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    out = {k: record[k] for k in ("name", "status", "changed", "ignored")}
    module = next(k for k in source if k not in KEYWORDS)
    # `debug: var=` has no msg in Ansible's result; our report shows the value there.
    if module in MESSAGE_MODULES and "var" not in source[module]:
        out["msg"] = record["msg"]
    out["results"] = [
        {
            "item": r.get("item"),
            "changed": bool(r.get("changed")),
            "failed": bool(r.get("failed")),
            "skipped": bool(r.get("skipped")),
        }
        for r in record.get("results") or []
    ]
    return out


def assert_same(play: dict[str, Any], folder: Path, *args: str) -> dict:
    ansible_rc, ansible = run_ansible(play, folder, *args)
    ours_rc, ours = run_binary(play, folder, *args)
    sources = {t["name"]: t for t in (*play["tasks"], *play.get("handlers", []))}
    for key in ("tasks", "handlers"):
        theirs = [comparable(r, sources[r["name"]]) for r in ansible[key]]
        mine = [comparable(r, sources[r["name"]]) for r in ours[key]]
        assert mine == theirs, key
    assert ours["recap"] == ansible["recap"]
    assert ours_rc == ansible_rc
    return ours


SEMANTICS = {
    "name": "semantics",
    "vars": {
        "packages": ["nginx", "redis"],
        "greeting": "hello {{ who }}",
        "who": "world",
        "limits": {"cpu": 2, "mem": "1G"},
    },
    "tasks": [
        {"name": "templated var", "debug": {"msg": "{{ greeting }} x{{ packages | length }}"}},
        {"name": "native list", "set_fact": {"copy": "{{ packages + ['extra'] }}", "n": 3}},
        {
            "name": "native survives",
            "debug": {"msg": "{{ copy[2] }} {{ n + 1 }} {{ copy | length }}"},
        },
        {"name": "debug var", "debug": {"var": "limits.cpu"}},
        {
            "name": "loop with register",
            "command": "echo {{ item }}",
            "loop": "{{ packages }}",
            "register": "echoed",
            "changed_when": "item == 'redis'",
        },
        {
            "name": "loop results",
            "debug": {"msg": "{{ echoed.results | map(attribute='stdout') | join(',') }}"},
        },
        {"name": "with_items flattens", "debug": {"msg": "{{ item }}"}, "with_items": [[1, 2], 3]},
        {"name": "when false", "debug": {"msg": "never"}, "when": "packages | length > 5"},
        {
            "name": "when per item",
            "debug": {"msg": "{{ item }}"},
            "loop": [1, 2, 3, 4],
            "when": "item is even",
        },
        {"name": "ignored failure", "command": "false", "ignore_errors": True, "register": "bad"},
        {
            "name": "after failure",
            "debug": {"msg": "{{ bad.rc }} {{ bad is failed }} {{ bad.changed }}"},
        },
        {
            "name": "failed_when rc",
            "command": "sh -c 'exit 3'",
            "register": "three",
            "failed_when": "three.rc not in [0, 3]",
        },
        {"name": "changed_when false", "command": "true", "changed_when": False, "notify": "first"},
        {"name": "changed notifies", "command": "true", "notify": ["second", "first"]},
        {
            "name": "assert",
            "assert": {"that": ["three.rc == 3", "'ngi' in packages[0]"], "quiet": True},
        },
        {"name": "assert msg", "assert": {"that": "limits.mem == '1G'", "success_msg": "fine"}},
        {"name": "never tagged", "debug": {"msg": "not run"}, "tags": ["never"]},
        {
            "name": "task vars",
            "debug": {"msg": "{{ local }}"},
            "vars": {"local": "{{ who | upper }}"},
        },
        {"name": "failed_when false", "command": "false", "failed_when": False},
        {"name": "skipped register", "debug": {"msg": "x"}, "when": False, "register": "sk"},
        {"name": "skipped is skipped", "debug": {"msg": "{{ sk is skipped }} {{ sk.changed }}"}},
        {"name": "set_fact in a loop", "set_fact": {"last": "{{ item * 10 }}"}, "loop": [1, 2, 3]},
        {"name": "last item wins", "debug": {"msg": "{{ last }}!"}},
        {"name": "omit drops an argument", "debug": {"msg": "{{ nothing_here | default(omit) }}"}},
        {"name": "loop over dict items", "debug": {"msg": "{{ item.key }}={{ item.value }}"}, "loop": "{{ limits | dict2items }}"},
        {"name": "failed_when per item", "command": "echo {{ item }}", "loop": ["a", "b"], "register": "per", "failed_when": "per.stdout == 'x'", "ignore_errors": True},
    ],
    "handlers": [
        {"name": "first", "debug": {"msg": "first handler"}},
        {"name": "second", "debug": {"msg": "second handler"}},
        {"name": "unused", "debug": {"msg": "never notified"}},
    ],
}

FAILURE = {
    "name": "failure",
    "tasks": [
        {"name": "change", "command": "true", "notify": "h"},
        {"name": "loop fails on one item", "command": "test {{ item }} -lt 2", "loop": [1, 2, 3]},
        {"name": "not reached", "debug": {"msg": "no"}},
    ],
    "handlers": [{"name": "h", "debug": {"msg": "handler"}}],
}

UNDEFINED = {
    "name": "undefined",
    "tasks": [
        {"name": "default works", "debug": {"msg": "{{ missing | default('dflt') }}"}},
        {"name": "defined test", "debug": {"msg": "{{ missing is defined }}"}},
        {"name": "uses undefined", "debug": {"msg": "{{ missing }}"}},
    ],
}

TAGGED = {
    "name": "tags",
    "tasks": [
        {"name": "web", "debug": {"msg": "web"}, "tags": ["web"]},
        {"name": "db", "debug": {"msg": "db"}, "tags": ["db"]},
        {"name": "always", "debug": {"msg": "always"}, "tags": ["always"]},
        {"name": "never debug", "debug": {"msg": "debug"}, "tags": ["never", "debug"]},
        {"name": "untagged", "debug": {"msg": "plain"}},
        {"name": "fail", "fail": {"msg": "custom failure"}, "tags": ["boom"]},
    ],
}


def test_semantics_match_ansible_playbook(tmp_path: Path) -> None:
    ours = assert_same(SEMANTICS, tmp_path)
    assert [h["name"] for h in ours["handlers"]] == ["first", "second"]


def test_a_failure_stops_the_host_as_in_ansible(tmp_path: Path) -> None:
    ours = assert_same(FAILURE, tmp_path)
    assert ours["recap"]["failed"] == 1 and ours["handlers"] == []


def test_undefined_variables_fail_the_task_as_in_ansible(tmp_path: Path) -> None:
    ours = assert_same(UNDEFINED, tmp_path)
    assert "'missing' is undefined" in ours["tasks"][-1]["msg"]


@pytest.mark.parametrize(
    "args",
    [(), ("--tags", "web"), ("--tags", "debug"), ("--skip-tags", "web,always"), ("--tags", "boom")],
)
def test_tag_selection_matches_ansible(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert_same(TAGGED, tmp_path, *args)


def test_facts_are_the_hosts_and_gathered_lazily(tmp_path: Path) -> None:
    import getpass
    import platform
    import socket

    play = {
        "name": "facts",
        "tasks": [
            {
                "name": "names",
                "debug": {
                    "msg": "{{ ansible_hostname }}|{{ ansible_system }}|{{ ansible_architecture }}"
                },
            },
            {
                "name": "dict",
                "debug": {"msg": "{{ ansible_facts.user_id }}|{{ ansible_facts['kernel'] }}"},
            },
            {
                "name": "hostvars",
                "debug": {"msg": "{{ hostvars[inventory_hostname]['ansible_system'] }}"},
            },
            {
                "name": "os family is set",
                "assert": {
                    "that": ["ansible_os_family | length > 0", "ansible_distribution is string"]
                },
            },
            {"name": "setup", "setup": {"filter": ["ansible_user_*"]}, "register": "gathered"},
            {
                "name": "setup result",
                "debug": {
                    "msg": "{{ gathered.ansible_facts.ansible_user_id }} {{ gathered.ansible_facts | length > 1 }}"
                },
            },
        ],
    }
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(to_plan(play)))
    report = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug")["report"]
    msgs = [t["msg"] for t in report["tasks"]]
    assert report["recap"]["failed"] == 0, msgs
    hostname = socket.gethostname().split(".")[0]
    assert msgs[0] == f"{hostname}|{platform.system()}|{platform.machine()}"
    assert msgs[1] == f"{getpass.getuser()}|{platform.release()}"
    assert msgs[2] == platform.system()
    assert msgs[5] == f"{getpass.getuser()} True"
    # The payload names only the facts the plan reads (setup gathers the rest itself).
    dumped = json.loads(process.run([*_binary_of(plan), "--dump-plan"], timeout=60).stdout)
    assert dumped["facts"] == [
        "architecture",
        "distribution",
        "hostname",
        "kernel",
        "os_family",
        "system",
        "user_id",
    ]


def _binary_of(plan: Path) -> list[str]:
    return [
        cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]["binary_path"]
    ]
