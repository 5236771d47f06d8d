"""Real OpenSSH servers on loopback for the deploy tests: each with its own host key,
config, port and authorized client key, started daemonized and stopped by its pid file."""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from rustle_invoke import process

SSHD = Path("/usr/sbin/sshd")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keypair(path: Path) -> Path:
    """An ed25519 key at ``path`` (and ``path.pub``)."""
    result = process.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        timeout=60,
        supervised=False,
    )
    assert result.returncode == 0, result.stderr
    return path


@dataclass
class Sshd:
    """One running server: connect as ``user`` to 127.0.0.1:``port`` with ``client_key``;
    ``known_hosts`` holds its host key."""

    folder: Path
    port: int
    user: str
    client_key: Path
    host_key: Path

    @property
    def pid_file(self) -> Path:
        return self.folder / "sshd.pid"

    def known_hosts_line(self) -> str:
        public = (self.host_key.with_suffix(".pub")).read_text().split()
        return f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n"

    def stop(self) -> None:
        try:
            os.kill(int(self.pid_file.read_text().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass


def start_sshd(folder: Path, client_key: Path, extra_config: str = "") -> Sshd:
    folder.mkdir(parents=True)
    host_key = keypair(folder / "host_ed25519")
    authorized = folder / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "PermitRootLogin yes\n"
        "StrictModes no\n"
        "UsePAM no\n"
        "Subsystem sftp internal-sftp\n"
        "LogLevel ERROR\n" + extra_config
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
    result = process.run([str(SSHD), "-f", str(config)], timeout=60, supervised=False)
    assert result.returncode == 0, result.stderr
    server = Sshd(folder, port, os.environ.get("USER") or "root", client_key, host_key)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.stop()
    raise AssertionError(f"sshd on port {port} did not start")
