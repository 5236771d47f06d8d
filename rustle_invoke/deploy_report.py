"""The text a deploy prints on stdout: what went wrong or changed on each host, then the
PLAY RECAP in ansible-playbook's layout."""

from __future__ import annotations

import difflib
from typing import Any

from .deploy import RECAP_KEYS, DeployResult, HostRun

_WIDTH = 79


def _banner(title: str) -> str:
    return f"{title} {'*' * max(3, _WIDTH - len(title) - 1)}"


def _task_lines(run: HostRun, show_diff: bool) -> list[str]:
    if run.status == "unreachable":
        return [f"fatal: [{run.host}]: UNREACHABLE! => {run.error}"]
    lines = []
    report = run.report or {}
    for record in [*report.get("tasks", ()), *report.get("handlers", ())]:
        status = record.get("status")
        if status == "failed":
            lines.append(f"fatal: [{run.host}]: FAILED! {record.get('name')}: {record.get('msg')}")
        elif status == "changed" and show_diff:
            lines.append(f"changed: [{run.host}] {record.get('name')}")
            lines += _diff_lines(record.get("diff"))
    if run.error:
        lines.append(f"fatal: [{run.host}]: FAILED! {run.error}")
    return lines


def _diff_lines(diff: Any) -> list[str]:
    """A task's ``diff`` (one ``{before, after}`` or a list of them) as unified diffs."""
    parts = diff if isinstance(diff, list) else [diff]
    lines: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        before, after = part.get("before"), part.get("after")
        if isinstance(before, str) and isinstance(after, str):
            lines += difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                str(part.get("before_header") or "before"),
                str(part.get("after_header") or "after"),
                lineterm="",
            )
        elif before != after:
            lines += [f"--- before: {before}", f"+++ after: {after}"]
    return lines


def deploy_text(result: DeployResult, *, show_diff: bool = False) -> str:
    """Failed tasks (and with ``show_diff`` the changes), then the recap."""
    lines: list[str] = []
    for run in result.hosts:
        lines += _task_lines(run, show_diff)
    if lines:
        lines.append("")
    lines.append(_banner("PLAY RECAP"))
    for run in result.hosts:
        counts = run.recap()
        cells = [f"{key}={counts[key]:<4}" for key in RECAP_KEYS[:-1]]
        lines.append(f"{run.host:<26} : {' '.join(cells)} ignored={counts['ignored']}")
    return "\n".join(lines) + "\n"
