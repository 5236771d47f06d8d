"""The deploy benchmark's work, written for both tools from one task list: a rustle-plan
JSON, the equivalent Ansible playbook (same modules, same arguments), and one INI inventory
that both read.

Every file task writes ``{{ out_dir }}/{{ inventory_hostname }}-NN...``; ``out_dir`` is an
inventory variable, so each timed run gets its own empty folder without a new plan (a new
plan would be a compile, not a deploy).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from conftest import plan_document, task  # noqa: E402

HOSTS = ("web1", "web2")
GROUP = "web"
TASKS = 50
MODULES = ("copy", "command", "file", "debug")
# One module per task, in turns: of 50, 10 copy, 20 command, 10 file, 10 debug.
_CYCLE = ("copy", "command", "file", "debug", "command")


@dataclass(frozen=True)
class WorkTask:
    """One task of the work: what both tools run."""

    task_id: str
    module: str
    args: Mapping[str, str]

    @property
    def writes(self) -> bool:
        """Whether the task leaves an entry named after the host in ``out_dir``."""
        return self.module in ("copy", "file")


def work(count: int = TASKS) -> tuple[WorkTask, ...]:
    """``count`` tasks: copy (templated content), command (``echo``), file (a directory or
    a touched file) and debug (a templated message)."""
    tasks = []
    for n in range(count):
        module = _CYCLE[n % len(_CYCLE)]
        name = f"{{{{ out_dir }}}}/{{{{ inventory_hostname }}}}-{n:02d}"
        args: dict[str, str]
        if module == "copy":
            args = {"dest": f"{name}.txt", "content": f"task {n} on {{{{ inventory_hostname }}}}\n"}
        elif module == "file":
            state = "directory" if n % 2 else "touch"
            args = {"path": f"{name}.{state}", "state": state}
        elif module == "command":
            args = {"cmd": f"echo {n}"}
        else:
            args = {"msg": f"task {n} on {{{{ inventory_hostname }}}}"}
        tasks.append(WorkTask(f"t_{n}", module, args))
    return tuple(tasks)


def written_per_host(tasks: Sequence[WorkTask]) -> int:
    """How many entries one host's run leaves in ``out_dir``."""
    return sum(1 for t in tasks if t.writes)


def write_plan(path: Path, tasks: Sequence[WorkTask], hosts: Sequence[str] = HOSTS) -> Path:
    """The rustle-plan JSON: one play, one batch, every task on ``hosts``."""
    targets = list(hosts)
    items = [dict(task(t.task_id, t.module, dict(t.args)), hosts=targets) for t in tasks]
    document: dict[str, Any] = plan_document(items, name="bench deploy")
    document["hosts"] = targets
    for play in document["plays"]:
        play["hosts"] = targets
        for batch in play["batches"]:
            batch["hosts"] = targets
    for deployment in document["binary_deployments"]:
        deployment["target_hosts"] = targets
    path.write_text(json.dumps(document, indent=2), "utf-8")
    return path


def write_playbook(path: Path, tasks: Sequence[WorkTask], group: str = GROUP) -> Path:
    """The Ansible playbook: one play on ``group``, no fact gathering, each task with the
    same name, module and arguments as in the plan."""
    import yaml

    play = {
        "name": "bench deploy",
        "hosts": group,
        "gather_facts": False,
        "tasks": [
            {"name": f"{t.module} {t.task_id}", f"ansible.builtin.{t.module}": dict(t.args)}
            for t in tasks
        ],
    }
    path.write_text(yaml.safe_dump([play], sort_keys=False, width=1000), "utf-8")
    return path


@dataclass(frozen=True)
class HostAddress:
    """How both tools reach one host."""

    name: str
    port: int
    user: str


def write_inventory(
    path: Path,
    hosts: Sequence[HostAddress],
    *,
    key: Path,
    known_hosts: Path,
    python: str,
    remote_tmp: Path,
    out_dir: Path,
) -> Path:
    """One INI inventory for both tools: the hosts in group ``web``, the login, the host
    keys checked against ``known_hosts`` (strictly: an unknown key fails), the remote
    temp folder and ``out_dir``."""
    lines = [f"[{GROUP}]"]
    for host in hosts:
        lines.append(
            f"{host.name} ansible_host=127.0.0.1 ansible_port={host.port} ansible_user={host.user}"
        )
    ssh_args = f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes"
    lines += [
        f"[{GROUP}:vars]",
        f"ansible_ssh_private_key_file={key}",
        f"ansible_ssh_common_args='{ssh_args}'",
        f"ansible_python_interpreter={python}",
        f"ansible_remote_tmp={remote_tmp}",
        f"out_dir={out_dir}",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def written(out_dir: Path, hosts: Sequence[str] = HOSTS) -> dict[str, int]:
    """Per host, the entries its run left in ``out_dir``."""
    names = [p.name for p in out_dir.iterdir()] if out_dir.is_dir() else []
    return {host: sum(1 for n in names if n.startswith(f"{host}-")) for host in hosts}
