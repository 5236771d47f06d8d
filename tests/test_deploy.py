"""`deploy` end to end: real sshd servers on loopback (two hosts and one that is not
there), real binaries uploaded and run, real files checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import cli, plan_document, task
from sshd import SSHD, Sshd, free_port, keypair, start_sshd

pytestmark = pytest.mark.skipif(not SSHD.exists(), reason="openssh-server is not installed")

HOSTS = ["web1", "web2"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ssh")
    client_key = keypair(folder / "client_ed25519")
    running = [start_sshd(folder / name, client_key) for name in HOSTS]
    yield running
    for server in running:
        server.stop()


@pytest.fixture(scope="module")
def known_hosts(servers: list[Sshd], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("known") / "known_hosts"
    path.write_text("".join(server.known_hosts_line() for server in servers))
    return path


def _host_line(name: str, server: Sshd, remote_tmp: Path, **more: Any) -> str:
    values = {
        "ansible_host": "127.0.0.1",
        "ansible_port": server.port,
        "ansible_user": server.user,
        "ansible_ssh_private_key_file": server.client_key,
        "ansible_remote_tmp": remote_tmp,
        **more,
    }
    return " ".join([name, *(f"{k}={v}" for k, v in values.items())])


def write_inventory(
    folder: Path, servers: list[Sshd], *, unreachable: bool = False, **web2: Any
) -> Path:
    """web1 and web2 in group [web] (with a group var), and gone (nothing listens there)."""
    remote_tmp = folder / "remote-tmp"
    lines = ["[web]"]
    lines.append(_host_line("web1", servers[0], remote_tmp, colour="blue"))
    lines.append(_host_line("web2", servers[1], remote_tmp, **web2))
    if unreachable:
        lines += ["[spare]", _host_line("gone", servers[0], remote_tmp, ansible_port=free_port())]
    lines += ["[web:vars]", f"out_dir={folder / 'out'}", "colour=green", "greeting=hello"]
    path = folder / "hosts.ini"
    path.write_text("\n".join(lines) + "\n")
    (folder / "out").mkdir(exist_ok=True)
    return path


def write_plan(folder: Path, tasks: list[dict], hosts: list[str]) -> Path:
    """A plan whose every play, batch and task runs on ``hosts``."""
    document = plan_document(tasks)
    text = json.dumps(document).replace('["localhost"]', json.dumps(hosts))
    path = folder / "plan.json"
    path.write_text(text)
    return path


def fifty_tasks() -> list[dict]:
    """Two tasks that write a file per host (from inventory variables), 48 that report."""
    tasks = [
        task(
            "t_0",
            "copy",
            {
                "dest": "{{ out_dir }}/{{ inventory_hostname }}.txt",
                "content": "{{ greeting }} from {{ inventory_hostname }} in {{ colour }} "
                "({{ group_names | join(',') }})\n",
            },
        ),
        task(
            "t_1",
            "file",
            {"path": "{{ out_dir }}/{{ inventory_hostname }}.d", "state": "directory"},
        ),
    ]
    for n in range(2, 50):
        module = "command" if n % 4 == 0 else "debug"
        args = {"cmd": f"echo {n}"} if module == "command" else {"msg": f"task {n}"}
        tasks.append(task(f"t_{n}", module, args))
    return tasks


def deploy(*args: str, **kwargs: Any):
    return cli("deploy", "--profile", "debug", *args, **kwargs)


def deploy_with_keys(plan: Path, inventory: Path, known_hosts: Path, *more: str):
    """``deploy`` of ``plan`` to ``inventory``'s hosts, their keys checked in ``known_hosts``."""
    args = ["--plan", str(plan), "--inventory", str(inventory), "--known-hosts", str(known_hosts)]
    return deploy(*args, *more)


def test_fifty_tasks_land_on_two_hosts_and_an_unreachable_one_is_reported(
    servers: list[Sshd], known_hosts: Path, tmp_path: Path
) -> None:
    inventory = write_inventory(tmp_path, servers, unreachable=True)
    plan = write_plan(tmp_path, fifty_tasks(), ["web1", "web2", "gone"])
    result = deploy_with_keys(
        plan,
        inventory,
        known_hosts,
        "--connect-timeout",
        "3",
        "--json",
    )
    assert result.returncode == 2, result.stderr  # one host was unreachable
    document = json.loads(result.stdout)
    assert set(document["hosts"]) == {"web1", "web2", "gone"}
    for name in HOSTS:
        report = document["hosts"][name]
        assert report["host"] == name
        assert len(report["tasks"]) == 50
        assert {t["status"] for t in report["tasks"]} <= {"ok", "changed"}
        assert document["recap"][name]["ok"] == 50
        assert document["recap"][name]["failed"] == 0
        assert document["recap"][name]["unreachable"] == 0
    assert (tmp_path / "out/web1.txt").read_text() == "hello from web1 in blue (web)\n"
    assert (tmp_path / "out/web2.txt").read_text() == "hello from web2 in green (web)\n"
    assert (tmp_path / "out/web1.d").is_dir() and (tmp_path / "out/web2.d").is_dir()
    assert document["hosts"]["gone"]["unreachable"] is True
    assert document["recap"]["gone"] == {
        "ok": 0,
        "changed": 0,
        "unreachable": 1,
        "failed": 0,
        "skipped": 0,
        "rescued": 0,
        "ignored": 0,
    }
    assert "gone: UNREACHABLE" in result.stderr
    assert list((tmp_path / "remote-tmp").iterdir()) == []  # every run folder was removed

    # Again: the same binary from the cache, the targets remembered, nothing changed.
    again = deploy_with_keys(
        plan,
        inventory,
        known_hosts,
        "--limit",
        "web",
        "--json",
    )
    assert again.returncode == 0, again.stderr
    recap = json.loads(again.stdout)["recap"]
    assert set(recap) == {"web1", "web2"}
    assert recap["web1"]["changed"] == recap["web2"]["changed"] == 12  # the commands
    assert "web1: x86_64-unknown-linux-gnu (remembered)" in again.stderr
    assert "cache hit" in again.stderr


def test_a_failing_task_fails_its_host_only_and_the_recap_says_so(
    servers: list[Sshd], known_hosts: Path, tmp_path: Path
) -> None:
    # "gone" is in the inventory but not in the plan: it is not contacted at all.
    inventory = write_inventory(tmp_path, servers, unreachable=True)
    tasks = [
        task("t_0", "command", {"cmd": "test {{ inventory_hostname }} != web2"}),
        task(
            "t_1",
            "file",
            {"path": "{{ out_dir }}/{{ inventory_hostname }}.after", "state": "touch"},
        ),
    ]
    plan = write_plan(tmp_path, tasks, HOSTS)
    result = deploy_with_keys(plan, inventory, known_hosts)
    assert result.returncode == 2
    assert "fatal: [web2]: FAILED! command t_0" in result.stdout
    lines = result.stdout.splitlines()
    recap = lines[lines.index(next(x for x in lines if x.startswith("PLAY RECAP"))) + 1 :]
    assert recap[0].split() == [
        "web1",
        ":",
        "ok=2",
        "changed=2",
        "unreachable=0",
        "failed=0",
        "skipped=0",
        "rescued=0",
        "ignored=0",
    ]
    assert recap[1].split()[2:6] == ["ok=0", "changed=0", "unreachable=0", "failed=1"]
    assert len(recap) == 2
    assert "not contacted (no task of the plan runs there): gone" in result.stderr
    assert (tmp_path / "out/web1.after").exists()
    assert not (tmp_path / "out/web2.after").exists()  # the host stopped at its failure


def test_check_mode_changes_nothing_and_keep_remote_leaves_a_private_binary(
    servers: list[Sshd], known_hosts: Path, tmp_path: Path
) -> None:
    inventory = write_inventory(tmp_path, servers)
    plan = write_plan(tmp_path, fifty_tasks()[:2], HOSTS)
    result = deploy_with_keys(
        plan,
        inventory,
        known_hosts,
        "--check",
        "--keep-remote",
        "--limit",
        "web2",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document["hosts"]) == ["web2"]
    report = document["hosts"]["web2"]
    assert report["check_mode"] is True
    assert [t["status"] for t in report["tasks"]] == ["changed", "changed"]
    assert list((tmp_path / "out").iterdir()) == []  # nothing written
    kept = Path(report["remote_path"])
    assert kept.is_file() and kept.stat().st_mode & 0o777 == 0o700
    assert kept.parent.stat().st_mode & 0o777 == 0o700
    assert kept.parent.parent == tmp_path / "remote-tmp"


def test_inventory_variables_have_the_lowest_precedence_and_targets_can_be_set(
    servers: list[Sshd], known_hosts: Path, tmp_path: Path
) -> None:
    # web2 asks for a target whose standard library is not installed here: it fails with
    # the reason, web1 still runs.
    inventory = write_inventory(tmp_path, servers, rustle_target="aarch64-unknown-linux-gnu")
    document = plan_document([task("t_0", "debug", {"msg": "{{ greeting }} {{ colour }}"})])
    document["plays"][0]["vars"] = {"greeting": "play says hi"}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(document).replace('["localhost"]', json.dumps(HOSTS)))
    result = deploy_with_keys(
        plan,
        inventory,
        known_hosts,
        "--json",
    )
    assert result.returncode == 2
    hosts = json.loads(result.stdout)["hosts"]
    assert hosts["web1"]["tasks"][0]["msg"] == "play says hi blue"
    assert hosts["web2"]["failed"] is True
    assert "cannot build for aarch64-unknown-linux-gnu" in hosts["web2"]["msg"]
    assert "rustup target add aarch64-unknown-linux-gnu" in hosts["web2"]["msg"]


def test_an_unknown_host_key_makes_the_host_unreachable_unless_checking_is_off(
    servers: list[Sshd], tmp_path: Path
) -> None:
    inventory = write_inventory(tmp_path, servers)
    plan = write_plan(tmp_path, fifty_tasks()[:1], HOSTS)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    refused = deploy_with_keys(plan, inventory, empty, "--limit", "web1", "--json")
    assert refused.returncode == 2
    entry = json.loads(refused.stdout)["hosts"]["web1"]
    assert entry["unreachable"] is True and "not found in known_hosts" in entry["msg"]
    assert not (tmp_path / "out/web1.txt").exists()
    trusted = deploy_with_keys(plan, inventory, empty, "--limit", "web1", "--no-host-key-check")
    assert trusted.returncode == 0, trusted.stderr
    assert (tmp_path / "out/web1.txt").exists()


def test_bad_input_stops_before_any_host_is_contacted(
    servers: list[Sshd], known_hosts: Path, tmp_path: Path
) -> None:
    inventory = write_inventory(tmp_path, servers)
    bad_plan = tmp_path / "bad.json"
    bad_plan.write_text("{not json")
    result = deploy("--plan", str(bad_plan), "--inventory", str(inventory))
    assert result.returncode == 3 and "error:" in result.stderr
    assert "Traceback" not in result.stderr

    plan = write_plan(tmp_path, fifty_tasks()[:1], HOSTS)
    bad_inventory = tmp_path / "bad.ini"
    bad_inventory.write_text("[web]\nweb1 ansible_port=twenty-two\n")
    result = deploy("--plan", str(plan), "--inventory", str(bad_inventory))
    assert result.returncode == 2
    assert "error: host web1: ansible_port is not a number: 'twenty-two'" in result.stderr

    bad_template = tmp_path / "template.ini"
    bad_template.write_text("[web]\nweb1 url='{{ port | no_such_filter }}'\n")
    result = deploy("--plan", str(plan), "--inventory", str(bad_template))
    assert result.returncode == 2
    assert "error: host web1: an inventory variable's template: url:" in result.stderr
    assert "no_such_filter" in result.stderr

    no_match = deploy("--plan", str(plan), "--inventory", str(inventory), "--limit", "db*")
    assert no_match.returncode == 2
    assert "no host to deploy to" in no_match.stderr
    missing = deploy("--plan", str(plan))
    assert missing.returncode == 2 and "--inventory is required" in missing.stderr
    assert not (tmp_path / "remote-tmp").exists()  # no host was contacted


def test_a_host_whose_system_has_no_rust_target_fails_with_the_fix(
    servers: list[Sshd], tmp_path: Path
) -> None:
    # A real sshd whose every command answers what an unknown system would print.
    odd = start_sshd(tmp_path / "odd", servers[0].client_key, "ForceCommand echo Plan9 mips\n")
    try:
        known = tmp_path / "known_hosts"
        known.write_text(odd.known_hosts_line())
        inventory = tmp_path / "hosts.ini"
        inventory.write_text(_host_line("odd", odd, tmp_path / "remote-tmp") + "\n")
        plan = write_plan(tmp_path, fifty_tasks()[2:3], ["odd"])
        result = deploy_with_keys(plan, inventory, known, "--json")
    finally:
        odd.stop()
    assert result.returncode == 2
    entry = json.loads(result.stdout)["hosts"]["odd"]
    assert entry["failed"] is True and "unreachable" not in entry
    assert "no Rust target for a Plan9 mips host" in entry["msg"]
    assert "rustle_target" in entry["msg"]
