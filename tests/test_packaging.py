"""The wheel ships the templates: build it, install it in a fresh venv, render."""

from __future__ import annotations

import json
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO, task, write_plan

from rustle_invoke import process


def test_wheel_contains_templates_and_renders(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = process.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(REPO),
        ],
        timeout=300,
    )
    if built.returncode != 0 and "hatchling" in built.stderr:
        pytest.skip("hatchling is not installed (pip install -e '.[test]')")
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("rustle_invoke-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "rustle_invoke/templates/runtime/Cargo.toml" in names
    assert "rustle_invoke/templates/project/src/main.rs.j2" in names
    assert not [n for n in names if "/target/" in n or n.endswith("Cargo.lock")]

    env_dir = tmp_path / "venv"
    # The dependencies come from this interpreter's site-packages: no download needed.
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = process.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], timeout=300
    )
    assert installed.returncode == 0, installed.stderr
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "from the wheel"})])
    out = tmp_path / "rendered"
    # Run from a folder without the checkout so the installed copy is the one imported.
    rendered = process.run(
        [env_dir / "bin" / "rustle-invoke", "render", "--plan", plan, "--out", out, "--json"],
        cwd=tmp_path,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    summary = json.loads(rendered.stdout)
    where = process.run(
        [python, "-c", "import rustle_invoke; print(rustle_invoke.__file__)"], cwd=tmp_path
    )
    assert str(env_dir) in where.stdout
    assert (out / "runtime" / "src" / "lib.rs").is_file()
    assert json.loads((out / "payload.json").read_text())["plays"][0]["tasks"][0]["args"] == {
        "msg": "from the wheel",
        "verbosity": 0,
    }
    assert summary["binary_name"].startswith("rustle-")
