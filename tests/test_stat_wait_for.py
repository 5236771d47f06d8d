"""The `stat` and `wait_for` modules against the real thing.

`stat`: one tree of real files (regular, setuid, empty, binary, UTF-8, directory, symlinks,
a dangling link, a fifo, a socket, a hard link) is examined by ansible-playbook (ansible-core on
localhost) and by one compiled binary; the registered `stat` dicts must have the same keys and
the same values (only `atime` is left out: reading a file for its checksum or MIME type may move
it).

`wait_for`: real listening sockets and real files that appear and disappear while the binary
waits; short timeouts.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from ansible_play import ansible_playbook
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process

pytestmark = pytest.mark.cargo


def _make_tree(root: Path) -> None:
    (root / "f").write_text("hello\n")
    os.chmod(root / "f", 0o640)
    (root / "exe").write_text("#!/bin/sh\n")
    os.chmod(root / "exe", 0o4755)
    (root / "empty").write_bytes(b"")
    (root / "bin").write_bytes(bytes(range(256)) * 4)
    (root / "utf8").write_text("caf\u00e9 \u2603\n", encoding="utf-8")
    (root / "d").mkdir()
    os.chmod(root / "d", 0o2750)
    os.symlink("f", root / "lnk")
    os.symlink("d", root / "dirlnk")
    os.symlink("nowhere/x", root / "dangling")
    os.mkfifo(root / "fifo")
    os.link(root / "f", root / "hard")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(root / "sock"))
    sock.close()


# (register name, stat arguments relative to the tree, expect failure)
STAT_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("s_f", {"path": "f"}, False),
    ("s_exe", {"path": "exe"}, False),
    ("s_empty", {"path": "empty"}, False),
    ("s_bin", {"path": "bin"}, False),
    ("s_utf8", {"path": "utf8"}, False),
    ("s_d", {"path": "d"}, False),
    ("s_lnk", {"path": "lnk"}, False),
    ("s_lnk_follow", {"path": "lnk", "follow": True}, False),
    ("s_dirlnk", {"path": "dirlnk"}, False),
    ("s_dangling", {"path": "dangling"}, False),
    ("s_dangling_follow", {"path": "dangling", "follow": True}, False),
    ("s_fifo", {"path": "fifo"}, False),
    ("s_sock", {"path": "sock"}, False),
    ("s_hard", {"dest": "hard"}, False),
    ("s_missing", {"path": "missing"}, False),
    ("s_sha256", {"name": "f", "checksum_algorithm": "sha256"}, False),
    ("s_md5", {"path": "bin", "checksum_algorithm": "md5"}, False),
    ("s_sha512", {"path": "bin", "checksum": "sha512"}, False),
    (
        "s_bare",
        {"path": "f", "get_checksum": False, "get_mime": "no", "get_attributes": False},
        False,
    ),
    ("s_notdir", {"path": "f/x"}, True),
]


def _stat_args(root: Path, args: dict[str, Any]) -> dict[str, Any]:
    out = dict(args)
    for key in ("path", "dest", "name"):
        if key in out:
            out[key] = str(root / out[key])
    return out


@pytest.fixture(scope="module")
def stat_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("stat")
    root = base / "tree"
    root.mkdir()
    _make_tree(root)

    # ansible-playbook: every case registered, then all of them written as JSON.
    ansible_tasks: list[dict[str, Any]] = []
    for name, args, fails in STAT_CASES:
        entry: dict[str, Any] = {"stat": _stat_args(root, args), "register": name}
        if fails:
            entry["ignore_errors"] = True
        ansible_tasks.append(entry)
    everything = "{{ {" + ", ".join(f"'{n}': {n}" for n, _, _ in STAT_CASES) + "} | to_json }}"
    ansible_out = base / "ansible.json"
    ansible_tasks.append({"copy": {"content": everything, "dest": str(ansible_out)}})
    ran = ansible_playbook({"tasks": ansible_tasks}, base, callback="default")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    ansible = json.loads(ansible_out.read_text())

    # The binary: the same cases, each shown by a debug task.
    tasks = []
    for index, (name, args, fails) in enumerate(STAT_CASES):
        extra: dict[str, Any] = {"register": name}
        if fails:
            extra["ignore_errors"] = True
        tasks.append(task(f"t_{2 * index}", "stat", _stat_args(root, args), **extra))
        tasks.append(task(f"t_{2 * index + 1}", "debug", {"var": name}))
    plan = write_plan(base / "plan.json", tasks)
    binary = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    result = process.run([binary["binary_path"], "--format", "json"], timeout=120)
    report = json.loads(result.stdout)
    ours = {}
    for index, (name, _, _) in enumerate(STAT_CASES):
        record = report["tasks"][2 * index + 1]
        ours[name] = record["msg"]
    return {"ansible": ansible, "ours": ours, "report": report, "rc": result.returncode}


@pytest.mark.parametrize("case", [c[0] for c in STAT_CASES])
def test_stat_matches_ansible(stat_results: dict[str, Any], case: str) -> None:
    expected = stat_results["ansible"][case]
    got = stat_results["ours"][case]
    assert got["changed"] is False
    if expected.get("failed"):
        assert got["failed"] is True
        assert got["msg"] == expected["msg"]
        return
    want = dict(expected["stat"])
    have = dict(got["stat"])
    assert sorted(have) == sorted(want)
    if "atime" in want:
        assert isinstance(have.pop("atime"), float)
        want.pop("atime")
    assert have == want


def test_stat_types_and_never_changed(stat_results: dict[str, Any]) -> None:
    st = stat_results["ours"]["s_f"]["stat"]
    assert st["mode"] == "0640" and st["exists"] is True and st["isreg"] is True
    assert isinstance(st["mtime"], float) and isinstance(st["size"], int)
    assert st["checksum"] == "f572d396fae9206628714fb2ce00f72e94f2258f"  # sha1("hello\n")
    assert stat_results["ours"]["s_exe"]["stat"]["isuid"] is True
    assert stat_results["ours"]["s_missing"]["stat"] == {"exists": False}
    assert stat_results["rc"] == 0
    assert stat_results["report"]["recap"]["changed"] == 0


def test_stat_rejects_bad_arguments(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.json", [task("t_0", "stat", {"path": "/x", "checksum_algorithm": "crc"})]
    )
    result = cli("compile", "--plan", str(plan), "--profile", "debug")
    assert result.returncode == 3, result.stdout + result.stderr
    assert (
        "value of checksum_algorithm must be one of: md5, sha1, sha224, sha256, sha384, "
        "sha512, got: crc" in result.stdout + result.stderr
    )
    plan = write_plan(tmp_path / "plan2.json", [task("t_0", "stat", {"follow": True})])
    result = cli("compile", "--plan", str(plan), "--profile", "debug")
    assert result.returncode == 3
    assert "missing required arguments: path" in result.stdout + result.stderr


# --- wait_for ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def wait_binary(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One binary whose tasks read their target from variables (`-e`)."""
    base = tmp_path_factory.mktemp("wait_for")
    tasks = [
        task(
            "t_0",
            "wait_for",
            {
                "host": "{{ host | default('127.0.0.1') }}",
                "port": "{{ port | default(omit) }}",
                "path": "{{ path | default(omit) }}",
                "state": "{{ state | default('started') }}",
                "timeout": "{{ timeout | default(3) }}",
                "delay": "{{ delay | default(0) }}",
                "msg": "{{ msg | default(omit) }}",
            },
            register="waited",
        ),
        task(
            "t_1",
            "wait_for",
            {"path": "{{ path | default('/') }}", "search_regex": r"ready (?P<word>\w+) (\d+)$"},
            register="searched",
            conditions=[{"When": {"expression": "regex | default(false) | bool"}}],
        ),
        task("t_2", "debug", {"var": "waited"}),
        task(
            "t_3",
            "debug",
            {"var": "searched"},
            conditions=[{"When": {"expression": "regex | default(false) | bool"}}],
        ),
    ]
    tasks.append(
        task(
            "t_4",
            "wait_for",
            {"port": "{{ port | default(1) }}", "search_regex": "SSH-2\\.0", "timeout": 3},
            register="banner",
            conditions=[{"When": {"expression": "banner | default(false) | bool"}}],
        )
    )
    plan = write_plan(base / "plan.json", tasks)
    return str(
        cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]["binary_path"]
    )


def _run_wait(binary: str, *extra: str, check: bool = False) -> tuple[int, dict[str, Any], float]:
    args = [binary, "--format", "json"]
    if check:
        args.append("--check")
    for item in extra:
        args += ["-e", item]
    started = time.monotonic()
    result = process.run(args, timeout=60)
    took = time.monotonic() - started
    return result.returncode, json.loads(result.stdout), took


def _later(delay: float, action: Any) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay), action()), daemon=True)
    thread.start()
    return thread


def test_wait_for_port_that_starts_listening_later(wait_binary: str) -> None:
    port = _free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    thread = _later(1.2, lambda: server.listen(5))
    try:
        rc, report, took = _run_wait(wait_binary, f"port={port}", "timeout=3")
    finally:
        thread.join()
        server.close()
    assert rc == 0, report
    record = report["tasks"][0]
    assert record["status"] == "ok" and record["changed"] is False
    waited = report["tasks"][2]["msg"]
    assert waited["port"] == port and waited["state"] == "started"
    assert waited["elapsed"] in (1, 2) and waited["path"] is None
    assert waited["match_groups"] == [] and waited["match_groupdict"] == {}
    assert 1.0 <= took < 3.0


def test_wait_for_port_timeout_message(wait_binary: str) -> None:
    port = _free_port()
    rc, report, _ = _run_wait(wait_binary, f"port={port}", "timeout=1")
    assert rc == 2
    record = report["tasks"][0]
    assert record["status"] == "failed"
    assert record["msg"] == f"Timeout when waiting for 127.0.0.1:{port}"
    rc, report, _ = _run_wait(wait_binary, f"port={port}", "timeout=1", "msg=not up")
    assert report["tasks"][0]["msg"] == "not up"


def test_wait_for_port_to_stop(wait_binary: str) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    # Still listening: times out with Ansible's message.
    rc, report, _ = _run_wait(wait_binary, f"port={port}", "state=stopped", "timeout=1")
    assert report["tasks"][0]["msg"] == f"Timeout when waiting for 127.0.0.1:{port} to stop."
    thread = _later(1.2, server.close)
    rc, report, took = _run_wait(wait_binary, f"port={port}", "state=stopped", "timeout=3")
    thread.join()
    assert rc == 0, report
    assert report["tasks"][2]["msg"]["state"] == "stopped"
    assert took >= 1.0


def test_wait_for_files_appearing_and_disappearing(wait_binary: str, tmp_path: Path) -> None:
    target = tmp_path / "flag"
    thread = _later(1.2, lambda: target.write_text("x"))
    rc, report, took = _run_wait(wait_binary, f"path={target}", "timeout=3")
    thread.join()
    assert rc == 0, report
    waited = report["tasks"][2]["msg"]
    # Ansible adds the path's facts: `state` becomes the file's type.
    assert waited["state"] == "file" and waited["path"] == str(target)
    assert waited["size"] == 1 and waited["mode"] == "0%03o" % (target.stat().st_mode & 0o7777)
    assert took >= 1.0

    thread = _later(1.2, target.unlink)
    rc, report, _ = _run_wait(wait_binary, f"path={target}", "state=absent", "timeout=3")
    thread.join()
    assert rc == 0, report
    assert report["tasks"][2]["msg"]["state"] == "absent"

    rc, report, _ = _run_wait(wait_binary, f"path={target}", "timeout=1")
    assert rc == 2
    assert report["tasks"][0]["msg"] == f"Timeout when waiting for file {target}"
    target.write_text("x")
    rc, report, _ = _run_wait(wait_binary, f"path={target}", "state=absent", "timeout=1")
    assert report["tasks"][0]["msg"] == f"Timeout when waiting for {target} to be absent."


def test_wait_for_search_regex_in_a_file(wait_binary: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("starting\n")
    thread = _later(1.2, lambda: log.write_text("starting\nready now 42\nmore\n"))
    rc, report, _ = _run_wait(wait_binary, f"path={log}", "timeout=3", "regex=true")
    thread.join()
    assert rc == 0, report
    searched = report["tasks"][3]["msg"]
    assert searched["match_groups"] == ["now", "42"]
    assert searched["match_groupdict"] == {"word": "now"}
    assert searched["search_regex"] == r"ready (?P<word>\w+) (\d+)$"


def _serve(server: socket.socket, replies: list[bytes | None]) -> threading.Thread:
    """Answers one connection per reply (None: close at once), with a pause before replying."""

    def run() -> None:
        for reply in replies:
            try:
                conn, _ = server.accept()
            except OSError:  # the test closed the server: fewer probes came than replies
                return
            if reply is not None:
                time.sleep(0.3)
                conn.sendall(reply)
                time.sleep(0.3)
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_wait_for_search_regex_on_a_port(wait_binary: str) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    # The first task's probe, then a reply without the banner (closed: tried again after
    # `sleep`), then the banner.
    thread = _serve(server, [None, b"nothing here\n", b"hello\nSSH-2.0-OpenSSH\n"])
    try:
        rc, report, took = _run_wait(wait_binary, f"port={port}", "banner=true")
        assert rc == 0, report
        assert report["tasks"][4]["status"] == "ok", report["tasks"][4]
        assert took >= 1.0
    finally:
        thread.join(5)
    # The banner never comes: Ansible's message for a search on a port (timeout 3).
    thread = _serve(server, [None] + [b"nope\n"] * 3)
    try:
        rc, report, _ = _run_wait(wait_binary, f"port={port}", "banner=true")
    finally:
        server.close()
    record = report["tasks"][4]
    assert record["status"] == "failed", record
    assert record["msg"] == f"Timeout when waiting for search string SSH-2\\.0 in 127.0.0.1:{port}"


def test_wait_for_check_mode_skips(wait_binary: str, tmp_path: Path) -> None:
    rc, report, took = _run_wait(wait_binary, f"path={tmp_path}/never", check=True)
    assert rc == 0
    record = report["tasks"][0]
    assert record["status"] == "skipped"
    assert record["msg"] == "remote module (wait_for) does not support check mode"
    assert took < 2


def test_wait_for_rejects_bad_arguments(tmp_path: Path) -> None:
    cases = [
        ({"path": "/x", "port": 80}, "port and path parameter can not both be passed"),
        ({"path": "/x", "state": "stopped"}, "state=stopped should only be used"),
        ({"port": 80, "state": "up"}, "value of state must be one of"),
        ({"path": "/x", "search_regex": "(unclosed"}, "search_regex"),
        ({"port": 80, "bogus": 1}, "bogus"),
    ]
    for index, (args, message) in enumerate(cases):
        plan = write_plan(tmp_path / f"plan{index}.json", [task("t_0", "wait_for", args)])
        result = cli("compile", "--plan", str(plan), "--profile", "debug")
        assert result.returncode == 3, (args, result.stdout + result.stderr)
        assert message in result.stdout + result.stderr, (args, result.stdout + result.stderr)
