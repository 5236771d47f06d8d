"""SSH to inventory hosts with Fabric: connections whose host keys are checked, and the
one round trip that tells a host's Rust target.

Fabric accepts unknown host keys by default (paramiko's AutoAddPolicy); a deploy does not.
Host keys are checked against ``~/.ssh/known_hosts`` (or the given file) and an unknown or
changed key refuses the host, unless checking is turned off explicitly (the deploy task's
``--no-host-key-check``, or ``-o StrictHostKeyChecking=no`` in the host's
``ansible_ssh_common_args``).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .hashing import sha256_hex
from .inventory import InventoryError
from .targets import triple_for_host

# One round trip: the system and machine, then whether the C library is musl.
DETECT_COMMAND = "uname -sm; ls /lib/ld-musl-*.so.1 2>/dev/null | head -n 1"

# ssh(1) flags of ansible_ssh_common_args that take a value, as the ssh_config keyword
# each stands for; "-o Keyword=value" gives any keyword.
_VALUE_FLAGS = {"-J": "proxyjump", "-p": "port", "-l": "user", "-i": "identityfile"}
# The ssh_config keywords a deploy honours (Fabric reads the first six itself).
HONOURED_OPTIONS = frozenset(
    {
        "proxyjump",
        "proxycommand",
        "port",
        "user",
        "identityfile",
        "connecttimeout",
        "stricthostkeychecking",
        "userknownhostsfile",
    }
)


@dataclass(frozen=True)
class SshSettings:
    """How to reach one host, from its inventory variables."""

    name: str
    address: str
    port: int | None = None  # None: ~/.ssh/config's, else 22
    user: str | None = None
    key_file: Path | None = None
    # ssh_config keywords (lower case) from ansible_ssh_common_args, in the order given.
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_vars(cls, name: str, variables: Mapping[str, Any]) -> SshSettings:
        key = variables.get("ansible_ssh_private_key_file")
        port = variables.get("ansible_port")
        try:
            port_number = int(port) if port not in (None, "") else None
        except (TypeError, ValueError):
            raise InventoryError(f"host {name}: ansible_port is not a number: {port!r}") from None
        common = str(variables.get("ansible_ssh_common_args") or "")
        return cls(
            name=name,
            address=str(variables.get("ansible_host") or name),
            port=port_number,
            user=str(variables["ansible_user"]) if variables.get("ansible_user") else None,
            key_file=Path(str(key)).expanduser() if key else None,
            options=ssh_options(shlex.split(common), f"host {name}: ansible_ssh_common_args"),
        )

    def option(self, keyword: str) -> str | None:
        """The first value given for ``keyword`` (as ssh takes the first)."""
        return next((value for key, value in self.options if key == keyword), None)

    @property
    def host_key_policy(self) -> str | None:
        """The host's own StrictHostKeyChecking (``yes``, ``no`` or ``accept-new``)."""
        value = (self.option("stricthostkeychecking") or "").lower()
        return {"no": "no", "off": "no", "accept-new": "accept-new"}.get(value, value or None)


def ssh_options(args: Sequence[str], where: str) -> tuple[tuple[str, str], ...]:
    """The ssh_config keywords ``args`` (ssh's command-line flags) set.

    ``-o Keyword=value`` (or ``-oKeyword=value``, ``-o "Keyword value"``), ``-J``,
    ``-p``, ``-l``, ``-i`` and ``-A`` are understood. Keywords the deploy cannot honour
    through Fabric (ControlMaster, ControlPersist, ...) only concern OpenSSH's client and
    are dropped; any other flag is an error naming it.
    """
    options: list[tuple[str, str]] = []
    words = iter(args)
    for word in words:
        if word == "-A":
            options.append(("forwardagent", "yes"))
            continue
        flag, attached = word[:2], word[2:]
        if flag != "-o" and flag not in _VALUE_FLAGS:
            raise InventoryError(
                f"{where}: {word!r} is not an ssh option a deploy understands",
                hint="use -o Keyword=value, -J, -p, -l, -i or -A",
            )
        value = attached or next(words, "")
        if not value:
            raise InventoryError(f"{where}: {flag} needs a value")
        if flag != "-o":
            options.append((_VALUE_FLAGS[flag], value))
            continue
        keyword, _, setting = value.replace("=", " ", 1).partition(" ")
        if not setting.strip():
            raise InventoryError(f"{where}: -o {value!r} has no value (write -o Keyword=value)")
        if keyword.lower() in HONOURED_OPTIONS:
            options.append((keyword.lower(), setting.strip()))
    return tuple(options)


def _ssh_config(settings: SshSettings) -> Any:
    """The user's and the system's ssh_config, with ``settings.options`` first (ssh takes
    the first value it finds: options on the command line win, as they do for ssh)."""
    from paramiko import SSHConfig

    lines = ["Host *"]
    lines += [f"    {key} {value}" for key, value in settings.options if key in HONOURED_OPTIONS]
    return SSHConfig.from_text("\n".join([*lines, _config_files_text()]) + "\n")


@cache
def _config_files_text() -> str:
    """``~/.ssh/config`` then ``/etc/ssh/ssh_config``, read once for all hosts; each starts
    with ``Host *`` so that its leading lines apply to every host, as when parsed alone."""
    texts = []
    for path in (Path("~/.ssh/config").expanduser(), Path("/etc/ssh/ssh_config")):
        try:
            texts.append("Host *\n" + path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return "\n".join(texts)


def connect(
    settings: SshSettings,
    *,
    check_host_keys: bool = True,
    known_hosts: Path | None = None,
    timeout: float = 10.0,
) -> Any:
    """A Fabric connection (opened on first use) to ``settings``' host."""
    from fabric import Config, Connection
    from paramiko import AutoAddPolicy, RejectPolicy, WarningPolicy

    connect_kwargs: dict[str, Any] = {}
    if settings.key_file is not None:
        connect_kwargs["key_filename"] = str(settings.key_file)
        connect_kwargs["look_for_keys"] = False
    connection = Connection(
        settings.address,
        user=settings.user,
        port=settings.port,
        # A host's own ConnectTimeout wins; Fabric takes whole seconds.
        connect_timeout=None if settings.option("connecttimeout") else max(1, math.ceil(timeout)),
        connect_kwargs=connect_kwargs,
        config=Config(ssh_config=_ssh_config(settings)),
    )
    client = connection.client
    policy = settings.host_key_policy
    if not check_host_keys or policy == "no":
        client.set_missing_host_key_policy(WarningPolicy())
        return connection
    # An unknown key is refused (accept-new: taken for this run); a changed one always is.
    client.set_missing_host_key_policy(
        AutoAddPolicy() if policy == "accept-new" else RejectPolicy()
    )
    files = (settings.option("userknownhostsfile") or "").split()
    if files:
        known_hosts = Path(files[0]).expanduser()
    if known_hosts is not None:
        if known_hosts.is_file():
            client.load_host_keys(str(known_hosts))
    else:
        client.load_system_host_keys()
    return connection


def detect_target(connection: Any) -> str:
    """The host's Rust triple, from ``uname -sm`` and the presence of musl's loader."""
    result = connection.run(DETECT_COMMAND, hide=True, warn=True, in_stream=False)
    lines = result.stdout.splitlines()
    if result.failed or not lines:
        raise ConnectionError(f"`uname -sm` failed: {result.stderr.strip()[-300:]}")
    return triple_for_host(lines[0], musl=len(lines) > 1 and "musl" in lines[1])


def host_key_fingerprint(connection: Any) -> str:
    """The SHA-256 of the connected host's key (what the target cache is keyed by)."""
    key = connection.transport.get_remote_server_key()
    return f"{key.get_name()}:{sha256_hex(key.asbytes())}"
