"""Fabric connections to real sshd servers on loopback: host keys are checked by default,
and one round trip tells a host's Rust target."""

from __future__ import annotations

from pathlib import Path

import pytest
from sshd import SSHD, Sshd, keypair, start_sshd

from rustle_invoke.remote import SshSettings, connect, detect_target
from rustle_invoke.toolchain import detect_toolchain

pytestmark = pytest.mark.skipif(not SSHD.exists(), reason="openssh-server is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ssh")
    client_key = keypair(folder / "client_ed25519")
    running = start_sshd(folder / "server", client_key)
    yield running
    running.stop()


def _settings(server: Sshd) -> SshSettings:
    return SshSettings.from_vars(
        "web1",
        {
            "ansible_host": "127.0.0.1",
            "ansible_port": server.port,
            "ansible_user": server.user,
            "ansible_ssh_private_key_file": str(server.client_key),
        },
    )


def test_a_known_host_is_reached_and_its_target_detected(server: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line())
    with connect(_settings(server), known_hosts=known) as connection:
        assert detect_target(connection) == detect_toolchain().host
        assert connection.run("echo hi", hide=True, in_stream=False).stdout == "hi\n"


def test_an_unknown_host_key_is_refused_by_default(server: Sshd, tmp_path: Path) -> None:
    from paramiko.ssh_exception import SSHException

    with pytest.raises(SSHException, match="not found in known_hosts"):
        with connect(_settings(server), known_hosts=tmp_path / "empty") as connection:
            connection.run("true", hide=True, in_stream=False)


def test_a_changed_host_key_is_refused(server: Sshd, tmp_path: Path) -> None:
    from paramiko.ssh_exception import BadHostKeyException

    other = keypair(tmp_path / "other")
    public = other.with_suffix(".pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {public[0]} {public[1]}\n")
    with pytest.raises(BadHostKeyException):
        with connect(_settings(server), known_hosts=known) as connection:
            connection.run("true", hide=True, in_stream=False)


def test_checking_can_be_turned_off_explicitly(server: Sshd, tmp_path: Path) -> None:
    settings = _settings(server)
    with connect(settings, check_host_keys=False, known_hosts=tmp_path / "none") as connection:
        with pytest.warns(UserWarning, match="Unknown ssh-ed25519 host key"):
            connection.open()
        assert connection.run("uname -s", hide=True, in_stream=False).stdout.strip() == "Linux"


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import json

    from conftest import cli_json, plan_document, task

    folder = tmp_path_factory.mktemp("plan")
    tasks = [
        task("t_0", "debug", {"msg": "on {{ inventory_hostname }}"}),
        task("t_1", "file", {"path": str(folder / "touched"), "state": "touch"}),
    ]
    plan = folder / "p.json"  # every task, batch and play for host web1
    plan.write_text(json.dumps(plan_document(tasks)).replace('"localhost"', '"web1"'))
    cli_json("compile", "--plan", str(plan), "--profile", "debug", "--out", str(folder / "bin"))
    return folder / "bin"


def test_a_binary_runs_on_the_host_and_leaves_nothing(server: Sshd, binary: Path, tmp_path):
    from rustle_invoke.deploy import DEFAULT_REMOTE_TMP, run_binary

    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line())
    with connect(_settings(server), known_hosts=known) as connection:
        outcome = run_binary(connection, binary, "web1")
        home = connection.sftp().normalize(".")
    remote_tmp = Path(home) / DEFAULT_REMOTE_TMP.removeprefix("~/")
    assert outcome.status == "ok", outcome.error
    assert outcome.report is not None and outcome.report["host"] == "web1"
    assert [t["msg"] for t in outcome.report["tasks"]][0] == "on web1"
    assert (binary.parent / "touched").exists()
    assert remote_tmp.stat().st_mode & 0o777 == 0o700  # made private on first use
    assert not any(remote_tmp.glob("run-*"))  # the run folder is gone


def test_check_mode_changes_nothing_and_keep_remote_keeps_a_private_copy(
    server: Sshd, binary: Path, tmp_path: Path
) -> None:
    from rustle_invoke.deploy import run_binary

    (binary.parent / "touched").unlink(missing_ok=True)
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line())
    with connect(_settings(server), known_hosts=known) as connection:
        outcome = run_binary(
            connection,
            binary,
            "web1",
            args=["--check"],
            keep_remote=True,
            remote_tmp=str(tmp_path / "remote"),
        )
    assert outcome.status == "ok", outcome.error
    assert outcome.report is not None and outcome.report["check_mode"] is True
    assert not (binary.parent / "touched").exists()
    assert outcome.remote_path is not None
    kept = Path(outcome.remote_path)
    assert kept.parent.parent == tmp_path / "remote"
    assert kept.parent.stat().st_mode & 0o777 == 0o700
    assert kept.stat().st_mode & 0o777 == 0o700


def test_an_unreachable_host_is_reported_as_such(tmp_path: Path) -> None:
    from sshd import free_port

    from rustle_invoke.deploy import run_binary

    settings = SshSettings("gone", "127.0.0.1", free_port(), None, None)
    with connect(settings, check_host_keys=False, timeout=3) as connection:
        outcome = run_binary(connection, tmp_path / "unused", "gone")
    assert outcome.status == "unreachable"
    assert "Connection refused" in (outcome.error or "") or "Errno" in (outcome.error or "")
