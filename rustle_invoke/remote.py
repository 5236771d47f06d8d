"""SSH to inventory hosts with Fabric: connections whose host keys are checked, and the
one round trip that tells a host's Rust target.

Fabric accepts unknown host keys by default (paramiko's AutoAddPolicy); a deploy does not.
Host keys are checked against ``~/.ssh/known_hosts`` (or the given file) and an unknown or
changed key refuses the host, unless checking is turned off explicitly.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .targets import triple_for_host

# One round trip: the system and machine, then whether the C library is musl.
DETECT_COMMAND = "uname -sm; ls /lib/ld-musl-*.so.1 2>/dev/null | head -n 1"


@dataclass(frozen=True)
class SshSettings:
    """How to reach one host, from its inventory variables."""

    name: str
    address: str
    port: int = 22
    user: str | None = None
    key_file: Path | None = None
    common_args: tuple[str, ...] = ()

    @classmethod
    def from_vars(cls, name: str, variables: Mapping[str, Any]) -> SshSettings:
        key = variables.get("ansible_ssh_private_key_file")
        return cls(
            name=name,
            address=str(variables.get("ansible_host") or name),
            port=int(variables.get("ansible_port") or 22),
            user=str(variables["ansible_user"]) if variables.get("ansible_user") else None,
            key_file=Path(str(key)).expanduser() if key else None,
            common_args=tuple(shlex.split(str(variables.get("ansible_ssh_common_args") or ""))),
        )


def connect(
    settings: SshSettings,
    *,
    check_host_keys: bool = True,
    known_hosts: Path | None = None,
    timeout: float = 10.0,
) -> Any:
    """A Fabric connection (opened on first use) to ``settings``' host."""
    from fabric import Connection
    from paramiko import RejectPolicy, WarningPolicy

    connect_kwargs: dict[str, Any] = {"look_for_keys": settings.key_file is None}
    if settings.key_file is not None:
        connect_kwargs["key_filename"] = str(settings.key_file)
    connection = Connection(
        settings.address,
        user=settings.user,
        port=settings.port,
        connect_timeout=timeout,
        connect_kwargs=connect_kwargs,
    )
    client = connection.client
    if check_host_keys:
        client.set_missing_host_key_policy(RejectPolicy())
        if known_hosts is not None:
            if known_hosts.is_file():
                client.load_host_keys(str(known_hosts))
        else:
            client.load_system_host_keys()
    else:
        client.set_missing_host_key_policy(WarningPolicy())
    return connection


def detect_target(connection: Any) -> str:
    """The host's Rust triple, from ``uname -sm`` and the presence of musl's loader."""
    result = connection.run(DETECT_COMMAND, hide=True, warn=True, in_stream=False)
    lines = result.stdout.splitlines()
    if result.failed or not lines:
        raise ConnectionError(f"`uname -sm` failed: {result.stderr.strip()[-300:]}")
    return triple_for_host(lines[0], musl=len(lines) > 1 and "musl" in lines[1])
