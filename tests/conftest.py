"""Shared test setup: one cache (so one runtime build) for the whole session."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rustle_invoke import process

REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """The upstream rustle fixtures beside the checkout; skip when they are absent."""
    if not (SHARED_FIXTURES / "plans").is_dir():
        pytest.skip("../shared/fixtures is not present")
    return SHARED_FIXTURES


@pytest.fixture(scope="session", autouse=True)
def rustle_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Every test shares one cache dir (the runtime is compiled once per profile)
    and one temp dir; nothing touches the user's real cache."""
    base = tmp_path_factory.mktemp("rustle")
    dirs = {"cache": base / "cache", "temp": base / "tmp"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUSTLE_CACHE_DIR", str(dirs["cache"]))
        mp.setenv("RUSTLE_COMPILE_TEMP_DIR", str(dirs["temp"]))
        mp.setenv("RUSTLE_DISABLE_PLUGIN_AUTOLOAD", "1")
        mp.delenv("RUSTLE_COMPILE_CACHE", raising=False)
        yield dirs


def task(task_id: str, module: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A rustle-plan TaskPlan with the usual keys."""
    return {
        "task_id": task_id,
        "name": extra.pop("name", f"{module} {task_id}"),
        "module": module,
        "args": args,
        "hosts": ["localhost"],
        "dependencies": [],
        "conditions": extra.pop("conditions", []),
        "tags": extra.pop("tags", []),
        "notify": extra.pop("notify", []),
        "execution_order": extra.pop("execution_order", int(task_id.rsplit("_", 1)[-1])),
        "can_run_parallel": True,
        "estimated_duration": {"secs": 1, "nanos": 0},
        "risk_level": "Low",
        **extra,
    }


def plan_document(
    tasks: list[dict],
    handlers: list[dict] | None = None,
    name: str = "test play",
    variables: dict | None = None,
) -> dict[str, Any]:
    """A rustle-plan ExecutionPlan around ``tasks``."""
    return {
        "metadata": {
            "created_at": "2026-01-01T00:00:00Z",
            "rustle_plan_version": "0.1.0",
            "playbook_hash": "0" * 32,
            "inventory_hash": "0" * 32,
            "planning_options": {
                "limit": None,
                "tags": [],
                "skip_tags": [],
                "check_mode": False,
                "diff_mode": False,
                "forks": 5,
                "serial": None,
                "strategy": "Linear",
                "binary_threshold": 1,
                "force_binary": False,
                "force_ssh": False,
            },
        },
        "plays": [
            {
                "play_id": "play-0",
                "name": name,
                "strategy": "Linear",
                "serial": None,
                "hosts": ["localhost"],
                "batches": [
                    {
                        "batch_id": "batch-0",
                        "hosts": ["localhost"],
                        "tasks": tasks,
                        "parallel_groups": [],
                        "dependencies": [],
                        "estimated_duration": None,
                    }
                ],
                "handlers": handlers or [],
                "estimated_duration": None,
            }
        ],
        "binary_deployments": [
            {
                "deployment_id": "group_0",
                "target_hosts": ["localhost"],
                "binary_name": "rustle-runner-group_0",
                "tasks": [t["task_id"] for t in tasks],
                "modules": [t["module"] for t in tasks],
                "embedded_data": {
                    "execution_plan": "{}",
                    "static_files": [],
                    "variables": variables or {},
                    "facts_required": [],
                },
                "execution_mode": "Standalone",
                "estimated_size": 0,
                "compilation_requirements": {
                    "target_arch": "x86_64",
                    "target_os": "linux",
                    "rust_version": "1.70.0",
                    "cross_compilation": False,
                    "static_linking": False,
                },
            }
        ],
        "total_tasks": len(tasks),
        "estimated_duration": None,
        "estimated_compilation_time": None,
        "parallelism_score": 1.0,
        "network_efficiency_score": 1.0,
        "hosts": ["localhost"],
    }


def write_plan(path: Path, tasks: list[dict], **kwargs: Any) -> Path:
    path.write_text(json.dumps(plan_document(tasks, **kwargs), indent=2), "utf-8")
    return path


def cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 900
) -> process.ProcessResult:
    """Run ``rustle-invoke ARGS`` as a real process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return process.run(
        [sys.executable, "-m", "rustle_invoke", *args], env=full_env, cwd=cwd, timeout=timeout
    )


def cli_json(*args: str, **kwargs: Any) -> Any:
    result = cli(*args, "--json", **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
