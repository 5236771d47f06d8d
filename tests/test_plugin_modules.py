"""Runtime modules and post-processors from an installed third-party plugin.

The example plugin (examples/plugin) is installed for real with pip into a folder on
PYTHONPATH, and the CLI finds it through its entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, cli, cli_json, task, write_plan

from rustle_invoke import process
from rustle_invoke.errors import ConfigError
from rustle_invoke.modules import RuntimeModule
from rustle_invoke.payload import Payload
from rustle_invoke.plugin_modules import plugin_code
from rustle_invoke.render import render_project
from rustle_invoke.runtime_source import runtime_source

MODULE = "rustle_example.keyvalue"
STAMP = "example-stamp"
STAMP_MARKER = b"\nRUSTLE-EXAMPLE-STAMP "


def _plugin_env(site: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, "RUSTLE_DISABLE_PLUGIN_AUTOLOAD": "0", **extra}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/plugin, installed with pip into a folder of its own."""
    target = tmp_path_factory.mktemp("plugin-site")
    result = process.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO / "examples" / "plugin"),
        ],
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return target


@pytest.fixture(scope="module")
def env(site: Path) -> dict[str, str]:
    return _plugin_env(site)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keyvalue")


def _keyvalue_tasks(conf: Path) -> list[dict[str, Any]]:
    return [
        task("t_1", MODULE, {"path": str(conf), "key": "port", "value": 8080}),
        task("t_2", "keyvalue", {"path": str(conf), "key": "debug", "value": "true"}),
        task("t_3", MODULE, {"path": str(conf), "key": "host", "state": "absent"}),
        task(
            "t_4",
            MODULE,
            {"path": str(conf.with_name("gone.conf")), "key": "a", "value": "1", "create": False},
            ignore_errors=True,
        ),
        task(
            "t_5",
            MODULE,
            {"path": str(conf), "key": "{{ bad_key }}", "value": "1"},
            ignore_errors=True,
        ),
    ]


@pytest.fixture(scope="module")
def plan(workdir: Path) -> Path:
    return write_plan(
        workdir / "plan.json",
        _keyvalue_tasks(workdir / "app.conf"),
        variables={"bad_key": "a=b"},
    )


@pytest.fixture(scope="module")
def compiled(plan: Path, env: dict[str, str]) -> dict[str, Any]:
    """The plan compiled once, without post-processors."""
    document = cli_json("compile", "--plan", str(plan), "--profile", "debug", env=env)
    return document["binaries"][0]


def _run(binary: str | Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = process.run([str(binary), "--format", "json", *args], timeout=120)
    return result.returncode, json.loads(result.stdout)


def _tasks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["task_id"]: t for t in report["tasks"]}


ORIGINAL = "# settings\nport = 80\nhost=a\n"
EXPECTED = "# settings\nport=8080\ndebug=true\n"


@pytest.mark.cargo
def test_the_module_edits_files_idempotently(compiled: dict[str, Any], workdir: Path) -> None:
    conf = workdir / "app.conf"
    conf.write_text(ORIGINAL)
    code, report = _run(compiled["binary_path"])
    assert code == 0
    tasks = _tasks(report)
    assert [tasks[t]["status"] for t in ("t_1", "t_2", "t_3")] == ["changed"] * 3
    assert [tasks[t]["msg"] for t in ("t_1", "t_2", "t_3")] == [
        "key updated",
        "key added",
        "key removed",
    ]
    assert conf.read_text() == EXPECTED
    # Bad input found only on the target fails the task with the reason.
    assert tasks["t_4"]["status"] == "failed"
    assert tasks["t_4"]["msg"] == f"Destination {conf.with_name('gone.conf')} does not exist !"
    assert not conf.with_name("gone.conf").exists()
    assert tasks["t_5"]["msg"] == "key \"a=b\" must not contain '='"

    code, again = _run(compiled["binary_path"])
    assert code == 0
    assert [_tasks(again)[t]["status"] for t in ("t_1", "t_2", "t_3")] == ["ok"] * 3
    assert again["recap"]["changed"] == 0
    assert conf.read_text() == EXPECTED


@pytest.mark.cargo
def test_check_mode_changes_nothing_and_diff_shows_the_edit(
    compiled: dict[str, Any], workdir: Path
) -> None:
    conf = workdir / "app.conf"
    conf.write_text(ORIGINAL)
    code, report = _run(compiled["binary_path"], "--check", "--diff")
    assert code == 0
    tasks = _tasks(report)
    assert [tasks[t]["status"] for t in ("t_1", "t_2", "t_3")] == ["changed"] * 3
    assert tasks["t_1"]["diff"]["before"] == ORIGINAL
    assert tasks["t_1"]["diff"]["after"] == "# settings\nport=8080\nhost=a\n"
    assert conf.read_text() == ORIGINAL


def test_the_validator_fails_the_build_naming_the_task(tmp_path: Path, env: dict[str, str]) -> None:
    conf = str(tmp_path / "app.conf")
    bad = write_plan(
        tmp_path / "bad.json",
        [task("t_7", MODULE, {"path": conf, "key": "a=b", "value": "1"}, name="set it")],
    )
    result = cli("compile", "--plan", str(bad), "--profile", "debug", env=env)
    assert result.returncode == 3
    assert "task t_7 ('set it'): key 'a=b' must not contain '='" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = write_plan(
        tmp_path / "unknown.json", [task("t_1", "keyvalue", {"path": conf, "key": "a", "val": 1})]
    )
    result = cli("render", "--plan", str(unknown), env=env)
    assert result.returncode == 3
    assert "unsupported parameters for (rustle_example.keyvalue) module: val" in result.stderr


@pytest.mark.cargo
def test_the_post_processor_stamps_the_binary(
    plan: Path, compiled: dict[str, Any], env: dict[str, str], workdir: Path
) -> None:
    args = ("compile", "--plan", str(plan), "--profile", "debug", "--post", STAMP)
    stamped = cli_json(*args, env=env)["binaries"][0]
    assert stamped["cache_hit"] is False
    assert stamped["cache_key"] != compiled["cache_key"]
    assert stamped["checksum"] != compiled["checksum"]
    assert stamped["template_hash"] == compiled["template_hash"]
    assert stamped["post_processors"] == [f"{STAMP}@0.1.0"]
    data = Path(stamped["binary_path"]).read_bytes()
    trailer = json.loads(data[data.rindex(STAMP_MARKER) + len(STAMP_MARKER) :])
    assert trailer == {
        "plugin": "rustle-example-plugin",
        "target": stamped["target_triple"],
        "version": "0.1.0",
    }
    assert data.endswith(b"\n") and data.startswith(b"\x7fELF")
    (workdir / "app.conf").write_text(ORIGINAL)
    code, report = _run(stamped["binary_path"])
    assert code == 0 and report["recap"]["changed"] == 3
    assert (workdir / "app.conf").read_text() == EXPECTED

    again = cli_json(*args, env=env)["binaries"][0]
    assert again["cache_hit"] is True
    assert (again["cache_key"], again["checksum"]) == (stamped["cache_key"], stamped["checksum"])


def test_a_disabled_plugin_takes_its_module_and_post_processor_away(
    plan: Path, env: dict[str, str]
) -> None:
    off = {**env, "RUSTLE_DISABLED_PLUGINS": "example"}
    result = cli("compile", "--plan", str(plan), "--profile", "debug", env=off)
    assert result.returncode == 3
    assert f"module '{MODULE}' is not available in the runtime" in result.stderr
    assert "Traceback" not in result.stderr
    hello = REPO / "examples" / "hello.plan.json"
    result = cli("compile", "--plan", str(hello), "--post", STAMP, "--dry-run", env=off)
    assert result.returncode == 2
    assert f"unknown post-processor '{STAMP}'" in result.stderr


@pytest.mark.cargo
def test_the_key_follows_the_support_crates_contents_not_its_place(
    site: Path, tmp_path: Path, compiled: dict[str, Any], plan: Path, workdir: Path
) -> None:
    """The plugin installed elsewhere builds the same binary (same key); editing its
    support crate afterwards rebuilds, never serving the binary of the old contents."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    moved_plan = tmp_path / "plan.json"
    shutil.copyfile(plan, moved_plan)
    args = ("compile", "--plan", str(moved_plan), "--profile", "debug")
    moved = cli_json(*args, env=_plugin_env(copy))["binaries"][0]
    assert moved["cache_hit"] is True
    assert moved["cache_key"] == compiled["cache_key"]

    lib = copy / "rustle_example_plugin" / "rust" / "kvfile" / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace('"key added"', '"key appended"'))
    edited = cli_json(*args, env=_plugin_env(copy))["binaries"][0]
    assert edited["cache_hit"] is False
    assert edited["template_hash"] != compiled["template_hash"]
    (workdir / "app.conf").write_text(ORIGINAL)
    _, report = _run(edited["binary_path"])
    assert _tasks(report)["t_2"]["msg"] == "key appended"


@pytest.mark.cargo
def test_render_out_copies_the_support_crate_and_builds_offline(
    tmp_path: Path, plan: Path, env: dict[str, str], compiled: dict[str, Any], workdir: Path
) -> None:
    out = tmp_path / "project"
    summary = cli_json("render", "--plan", str(plan), "--out", str(out), env=env)
    assert summary["template_hash"] == compiled["template_hash"]
    assert "src/plugins/rustle_example_keyvalue.rs" in summary["files"]
    crate = out / "crates" / "rustle-example-kvfile"
    assert (crate / "src" / "lib.rs").is_file()
    manifest = (out / "Cargo.toml").read_text()
    assert 'path = "crates/rustle-example-kvfile"' in manifest
    result = process.run(
        ["cargo", "build", "--offline", "--manifest-path", str(out / "Cargo.toml")],
        env={**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target")},
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    (workdir / "app.conf").write_text(ORIGINAL)
    code, report = _run(tmp_path / "target" / "debug" / summary["binary_name"])
    assert code == 0 and report["recap"]["changed"] == 3
    assert (workdir / "app.conf").read_text() == EXPECTED


BROKEN_PLUGIN = '''
from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.modules import RuntimeModule

SOURCE = """
use rustle_runtime::json::Value;
use rustle_runtime::modules::{ModuleContext, Outcome};

pub fn run(_args: &Value, _ctx: &ModuleContext) -> Outcome {
    Outcome::ok(no_such_value)
}
"""


@hookimpl
def rustle_register_modules(registry):
    registry.add(RuntimeModule("broken.oops", rust_source=SOURCE))
'''


PANICKING_PLUGIN = BROKEN_PLUGIN.replace("Outcome::ok(no_such_value)", 'panic!("plugin bug")')


def _installed_plugin(tmp_path: Path, code: str) -> Path:
    """A folder for PYTHONPATH holding ``code`` as an entry-point plugin named broken."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken_rustle_module.py").write_text(code)
    dist = site / "broken_rustle_module-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-rustle-module\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text("[rustle_invoke]\nbroken = broken_rustle_module\n")
    return site


@pytest.mark.cargo
def test_a_panicking_plugin_module_fails_its_task_and_the_play_goes_on(tmp_path: Path) -> None:
    site = _installed_plugin(tmp_path, PANICKING_PLUGIN)
    tasks = [
        task("t_1", "broken.oops", {}, ignore_errors=True),
        task("t_2", "debug", {"msg": "still running"}),
    ]
    plan = write_plan(tmp_path / "p.json", tasks)
    out = tmp_path / "bin"
    built = cli("compile", "--plan", str(plan), "--profile", "debug", "--out", str(out),
                env=_plugin_env(site))  # fmt: skip
    assert built.returncode == 0, built.stderr
    ran = process.run([str(out), "--format", "json"], timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert "internal error" not in ran.stderr and "panicked at" not in ran.stderr
    report = json.loads(ran.stdout)
    results = {t["name"]: t for t in report["tasks"]}
    assert results["broken.oops t_1"]["status"] == "failed"
    assert results["broken.oops t_1"]["msg"] == "module 'broken.oops' panicked: plugin bug"
    assert results["debug t_2"]["status"] == "ok"


@pytest.mark.cargo
def test_rust_that_does_not_compile_fails_the_build_with_rustcs_message(
    tmp_path: Path,
) -> None:
    site = _installed_plugin(tmp_path, BROKEN_PLUGIN)
    plan = write_plan(tmp_path / "p.json", [task("t_1", "broken.oops", {"any": ["thing"]})])
    result = cli("compile", "--plan", str(plan), "--profile", "debug", env=_plugin_env(site))
    assert result.returncode == 4, result.stderr
    assert "src/plugins/broken_oops.rs" in result.stderr
    assert "no_such_value" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plugin_module_without_rust_code_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "rustless_module.py").write_text(
        "from rustle_invoke.hookspecs import hookimpl\n"
        "from rustle_invoke.modules import RuntimeModule\n"
        "@hookimpl\n"
        "def rustle_register_modules(registry):\n"
        "    registry.add(RuntimeModule('rustless'))\n"
    )
    dist = site / "rustless_module-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rustless-module\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rustle_invoke]\nrustless = rustless_module\n")
    plan = write_plan(tmp_path / "p.json", [task("t_1", "rustless", {})])
    result = cli("render", "--plan", str(plan), env=_plugin_env(site))
    assert result.returncode == 2
    assert "module 'rustless' has no Rust source" in result.stderr


def _crate(folder: Path, name: str = "support") -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\n')
    (folder / "src" / "lib.rs").write_text("pub fn answer() -> i32 { 42 }\n")
    return folder


# Only merged and checked here, never compiled: the body does not matter.
SOURCE = "pub fn run(a: &Value, c: &ModuleContext) -> Outcome { Outcome::ok(\"\") }"


def test_crate_dependencies_are_merged_and_checked(tmp_path: Path) -> None:
    support = _crate(tmp_path / "support")
    first = RuntimeModule(
        "one.mod", rust_source=SOURCE, crate_dependencies={"support": {"path": str(support)}}
    )
    same = RuntimeModule(
        "two.mod", rust_source=SOURCE, crate_dependencies={"support": {"path": str(support)}}
    )
    code = plugin_code([first, same], builtin_names=())
    assert [m.ident for m in code.modules] == ["one_mod", "two_mod"]
    assert code.dependencies == {"support": {"path": str(support.resolve())}}
    assert [c.dependency for c in code.path_crates] == ["support"]
    assert dict(code.inputs).keys() == {str(support.resolve())}

    other = RuntimeModule("two.mod", rust_source=SOURCE, crate_dependencies={"support": "1.0"})
    with pytest.raises(ConfigError, match="modules 'one.mod' and 'two.mod' declare crate"):
        plugin_code([first, other], builtin_names=())
    runtime = RuntimeModule("x", rust_source=SOURCE, crate_dependencies={"rustle_runtime": "1"})
    with pytest.raises(ConfigError, match="the runtime's own crate"):
        plugin_code([runtime], builtin_names=())
    relative = RuntimeModule(
        "x", rust_source=SOURCE, crate_dependencies={"support": {"path": "support"}}
    )
    with pytest.raises(ConfigError, match="must be absolute"):
        plugin_code([relative], builtin_names=())
    empty = RuntimeModule(
        "x", rust_source=SOURCE, crate_dependencies={"support": {"path": str(tmp_path)}}
    )
    with pytest.raises(ConfigError, match="holds no Cargo.toml"):
        plugin_code([empty], builtin_names=())
    missing = RuntimeModule("x", rust_source=tmp_path / "nope.rs")
    with pytest.raises(ConfigError, match="cannot read its Rust source"):
        plugin_code([missing], builtin_names=())


def test_path_crates_are_hashed_and_placed_by_layout(tmp_path: Path) -> None:
    support = _crate(tmp_path / "support")
    (support / "target").mkdir()
    (support / "target" / "junk").write_text("build output")
    module = RuntimeModule(
        "one.mod", rust_source=SOURCE, crate_dependencies={"support": {"path": str(support)}}
    )

    def project() -> Any:
        payload = Payload(
            data=b"{}",
            plan_hash="0" * 64,
            plan_name="p",
            modules=("one.mod",),
            plugins=plugin_code([module], builtin_names=()),
        )
        return render_project(payload, runtime_source())

    first = project()
    assert ("src/plugins/one_mod.rs", SOURCE.encode()) in first.sources
    shared = first.manifest_text("/shared/runtime").decode()
    assert f'path = "{support.resolve()}"' in shared
    first.write(tmp_path / "out")
    assert (tmp_path / "out" / "crates" / "support" / "src" / "lib.rs").is_file()
    assert not (tmp_path / "out" / "crates" / "support" / "target").exists()
    assert 'path = "crates/support"' in (tmp_path / "out" / "Cargo.toml").read_text()

    (support / "target" / "junk").write_text("other build output")
    assert project().template_hash == first.template_hash
    (support / "src" / "lib.rs").write_text("pub fn answer() -> i32 { 43 }\n")
    assert project().template_hash != first.template_hash
