"""Run a compiled plan on one host over SSH: one upload, one process, one report.

The binary goes to a private temp folder (``mktemp -d``: mode 0700) over SFTP, runs with
``--host NAME --format json``, and the folder is removed afterwards unless asked to keep
it. A host that cannot be reached is reported as unreachable, never as failed.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REMOTE_NAME = "rustle-plan"


@dataclass(frozen=True)
class HostRun:
    """What happened on one host."""

    host: str
    status: str  # "ok", "failed" or "unreachable"
    report: dict[str, Any] | None = None
    error: str | None = None
    exit_code: int | None = None
    remote_path: str | None = None


def run_binary(
    connection: Any,
    binary: Path,
    host: str,
    *,
    check: bool = False,
    diff: bool = False,
    keep_remote: bool = False,
) -> HostRun:
    """Upload ``binary`` through ``connection``, run it for ``host``, collect its report."""
    try:
        made = connection.run(
            "mktemp -d /tmp/rustle.XXXXXXXX", hide=True, warn=True, in_stream=False
        )
    except Exception as exc:  # paramiko/socket errors: the host cannot be reached
        return HostRun(host, "unreachable", error=f"{type(exc).__name__}: {exc}")
    if made.failed or not made.stdout.strip():
        return HostRun(host, "failed", error=f"mktemp failed: {made.stderr.strip()[-300:]}")
    folder = made.stdout.strip()
    remote = f"{folder}/{REMOTE_NAME}"
    try:
        connection.put(str(binary), remote)
        connection.run(f"chmod 0700 {shlex.quote(remote)}", hide=True, in_stream=False)
        argv = [remote, "--host", host, "--format", "json"]
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        ran = connection.run(shlex.join(argv), hide=True, warn=True, in_stream=False)
    finally:
        if not keep_remote:
            connection.run(f"rm -rf {shlex.quote(folder)}", hide=True, warn=True, in_stream=False)
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        return HostRun(
            host,
            "failed",
            error=f"the binary printed no report (exit {ran.exited}): {ran.stderr.strip()[-500:]}",
            exit_code=ran.exited,
            remote_path=remote if keep_remote else None,
        )
    status = "ok" if ran.exited == 0 else "failed"
    return HostRun(host, status, report, None, ran.exited, remote if keep_remote else None)
