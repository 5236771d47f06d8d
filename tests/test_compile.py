"""End to end with real cargo builds and real binaries (one runtime build per session)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO, cli, cli_json, task, write_plan

from rustle_invoke import process
from rustle_invoke.cache import BinaryCache
from rustle_invoke.config import CompilerConfig, OptimizationLevel
from rustle_invoke.errors import CargoCompilationFailed
from rustle_invoke.hookspecs import hookimpl
from rustle_invoke.pipeline import CompileOptions, compile_plan
from rustle_invoke.plugins import plugin_manager
from rustle_invoke.workspace import projects_root

pytestmark = pytest.mark.cargo

HOSTILE = [
    "double \"quotes\" and 'single'",
    "back\\slash \\n not a newline",
    'raw-string breaker "# and "## and }} and {x}',
    "unicode: é ñ 中文 \U0001f600 RTL\u200fmark",
    "tab\tand\nnewline",
]


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    tasks = [task(f"t_{i}", "debug", {"msg": s}, name=f"debug {i}") for i, s in enumerate(HOSTILE)]
    base = len(tasks)
    tasks += [
        task(f"t_{base + i}", "command", {"argv": ["printf", "%s", s]}, name=f"cmd {i}")
        for i, s in enumerate(HOSTILE)
    ]
    tasks.append(
        task(
            f"t_{len(tasks)}",
            "shell",
            {"cmd": "printf '%s' \"$0\" | tr a-z A-Z"},
            name="shell pipeline",
        )
    )
    return write_plan(folder / "hostile.plan.json", tasks, name='hostile "# play')


@pytest.fixture(scope="module")
def hostile_binary(hostile_plan: Path) -> dict:
    document = cli_json("compile", "--plan", str(hostile_plan), "--profile", "debug")
    return document["binaries"][0]


def run(binary: str | Path, *args: str) -> process.ProcessResult:
    return process.run([str(binary), *args], timeout=120)


def test_compile_json_contract(hostile_binary: dict) -> None:
    keys = {
        "binary_id",
        "target_triple",
        "binary_path",
        "size",
        "checksum",
        "compilation_time",
        "optimization_level",
        "template_hash",
        "cache_key",
        "cache_hit",
        "builder",
        "created_at",
        "hosts",
    }
    assert keys <= set(hostile_binary)
    path = Path(hostile_binary["binary_path"])
    assert path.is_file() and os.access(path, os.X_OK)
    assert hostile_binary["size"] == path.stat().st_size
    from rustle_invoke.hashing import sha256_file

    assert hostile_binary["checksum"] == sha256_file(path)
    assert hostile_binary["optimization_level"] == "debug"
    assert hostile_binary["builder"] == "cargo"
    assert hostile_binary["created_at"].endswith("Z")
    assert hostile_binary["hosts"] == ["localhost"]


def test_hostile_strings_arrive_byte_for_byte(hostile_binary: dict) -> None:
    result = run(hostile_binary["binary_path"], "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    tasks = report["tasks"]
    assert [t["msg"] for t in tasks[: len(HOSTILE)]] == HOSTILE
    assert [t["stdout"] for t in tasks[len(HOSTILE) : 2 * len(HOSTILE)]] == [
        s.rstrip("\n") for s in HOSTILE
    ]
    assert tasks[-1]["stdout"] == "/BIN/SH"
    assert report["plan"]["name"] == 'hostile "# play'
    assert report["recap"] == {
        "ok": len(tasks),
        "changed": len(HOSTILE) + 1,
        "failed": 0,
        "skipped": 0,
        "ignored": 0,
    }


def test_second_compile_is_a_cache_hit(hostile_plan: Path, hostile_binary: dict) -> None:
    again = cli_json("compile", "--plan", str(hostile_plan), "--profile", "debug")["binaries"][0]
    assert again["cache_hit"] is True
    assert again["checksum"] == hostile_binary["checksum"]
    assert again["cache_key"] == hostile_binary["cache_key"]


def test_cache_list_shows_the_entry(hostile_binary: dict) -> None:
    listing = cli_json("cache", "--list")
    keys = [e["key"] for e in listing["entries"]]
    assert hostile_binary["cache_key"] in keys
    entry = next(e for e in listing["entries"] if e["key"] == hostile_binary["cache_key"])
    assert entry["checksum"] == hostile_binary["checksum"]
    assert entry["plan_name"] == 'hostile "# play'


def test_binary_version_list_and_dump(hostile_binary: dict, hostile_plan: Path) -> None:
    binary = hostile_binary["binary_path"]
    version = run(binary, "--version")
    assert version.returncode == 0 and version.stdout.startswith("rustle-runtime ")
    listing = run(binary, "--list-tasks")
    assert listing.returncode == 0
    assert "debug 0" in listing.stdout and "shell pipeline" in listing.stdout
    dump = run(binary, "--dump-plan")
    assert json.loads(dump.stdout)["plays"][0]["tasks"][0]["args"]["msg"] == HOSTILE[0]
    usage = run(binary, "--no-such-flag")
    assert usage.returncode == 1 and "error" in usage.stderr.lower()
    assert "panicked" not in usage.stderr


def test_text_report_looks_like_ansible(hostile_binary: dict) -> None:
    result = run(hostile_binary["binary_path"])
    assert result.returncode == 0
    assert 'PLAY [hostile "# play]' in result.stdout
    assert "TASK [cmd 0]" in result.stdout
    assert "PLAY RECAP" in result.stdout
    assert "failed=0" in result.stdout


def test_failures_exit_2_and_stop_the_host(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "fail.json",
        [
            task("t_0", "command", {"_raw_params": "true"}),
            task("t_1", "shell", {"cmd": "echo broken >&2; exit 3"}, name="breaks"),
            task(
                "t_2", "command", {"_raw_params": "touch should-not-exist", "chdir": str(tmp_path)}
            ),
        ],
    )
    result = cli("localhost-test", "--plan", str(plan), "--profile", "debug", "--json")
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    report = document["report"]
    assert [t["status"] for t in report["tasks"]] == ["changed", "failed"]
    assert report["tasks"][1]["rc"] == 3 and report["tasks"][1]["stderr"] == "broken"
    assert report["recap"]["failed"] == 1
    assert not (tmp_path / "should-not-exist").exists()
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_creates_removes_chdir_and_check_mode(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    plan = write_plan(
        tmp_path / "idem.json",
        [
            task("t_0", "command", {"_raw_params": f"touch {marker}", "creates": str(marker)}),
            task("t_1", "shell", {"cmd": "pwd", "chdir": str(tmp_path)}),
            task("t_2", "command", {"_raw_params": "false", "removes": str(tmp_path / "absent")}),
        ],
    )
    check = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug", "--check")
    assert [t["status"] for t in check["report"]["tasks"]] == ["skipped", "skipped", "ok"]
    assert not marker.exists()
    first = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug")
    assert [t["status"] for t in first["report"]["tasks"]] == ["changed", "changed", "ok"]
    assert first["report"]["tasks"][1]["stdout"] == str(tmp_path)
    assert marker.exists()
    second = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug")
    assert second["report"]["tasks"][0]["status"] == "ok"
    assert "exists" in second["report"]["tasks"][0]["msg"]


def test_tags_select_tasks(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "tags.json",
        [
            task("t_0", "debug", {"msg": "a"}, tags=["web"]),
            task("t_1", "debug", {"msg": "b"}, tags=["db"]),
            task("t_2", "debug", {"msg": "c"}, tags=["always"]),
            task("t_3", "debug", {"msg": "d"}, tags=["never", "debug"]),
        ],
    )
    # As in ansible-playbook, tasks outside the selection are neither shown nor counted.
    web = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug", "--tags", "web")
    assert [t["task_id"] for t in web["report"]["tasks"]] == ["t_0", "t_2"]
    assert web["report"]["recap"]["skipped"] == 0
    skip = cli_json(
        "localhost-test", "--plan", str(plan), "--profile", "debug", "--skip-tags", "web"
    )
    assert [t["task_id"] for t in skip["report"]["tasks"]] == ["t_1", "t_2"]


def test_handlers_run_once_only_when_notified_by_a_change(tmp_path: Path) -> None:
    handler = {
        "handler_id": "h_0",
        "name": "say restarted",
        "module": "debug",
        "args": {"msg": "restarted"},
        "conditions": [],
        "execution_order": 0,
    }
    unused = {**handler, "handler_id": "h_1", "name": "never", "execution_order": 1}
    plan = write_plan(
        tmp_path / "handlers.json",
        [
            task("t_0", "command", {"_raw_params": "true"}, notify=["say restarted"]),
            task("t_1", "command", {"_raw_params": "true"}, notify=["say restarted"]),
            task("t_2", "debug", {"msg": "no change"}, notify=["never"]),
        ],
        handlers=[handler, unused],
    )
    report = cli_json("localhost-test", "--plan", str(plan), "--profile", "debug")["report"]
    assert [h["name"] for h in report["handlers"]] == ["say restarted"]
    assert report["handlers"][0]["msg"] == "restarted"


def test_shared_fixture_plan_runs(shared_fixtures: Path) -> None:
    document = cli_json(
        "localhost-test",
        "--plan",
        str(shared_fixtures / "plans" / "test_debug_only.json"),
        "--profile",
        "debug",
    )
    assert document["exit_code"] == 0
    assert document["report"]["tasks"][0]["msg"] == "hello world"


def test_render_out_builds_by_itself_offline(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "standalone"})])
    out = tmp_path / "project"
    summary = cli_json("render", "--plan", str(plan), "--out", str(out))
    assert (out / "runtime" / "Cargo.toml").is_file()
    result = process.run(
        ["cargo", "build", "--offline", "--manifest-path", str(out / "Cargo.toml")],
        env={**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target")},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    binary = tmp_path / "target" / "debug" / summary["binary_name"]
    report = json.loads(run(binary, "--format", "json").stdout)
    assert report["tasks"][0]["msg"] == "standalone"


def test_compile_out_copies_the_binary(tmp_path: Path, hostile_plan: Path) -> None:
    out = tmp_path / "bin" / "deploy-me"
    document = cli_json(
        "compile", "--plan", str(hostile_plan), "--profile", "debug", "--out", str(out)
    )
    assert document["binaries"][0]["binary_path"] == str(out)
    assert run(out, "--version").returncode == 0


def test_malformed_plan_gives_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"plays": [{"play_id": 1}]}')
    result = cli("compile", "--plan", str(bad))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "$.plays[0].play_id: Input should be a valid string" in result.stderr
    assert result.stdout == ""
    debug = cli("--debug", "compile", "--plan", str(bad))
    assert "Traceback" in debug.stderr


def test_unknown_target_suggests_the_nearest(tmp_path: Path, hostile_plan: Path) -> None:
    result = cli("compile", "--plan", str(hostile_plan), "--target", "x86_64-unknown-linux-gnux")
    assert result.returncode != 0
    assert "unknown target" in result.stderr and "x86_64-unknown-linux-gnu" in result.stderr
    missing = cli("compile", "--plan", str(hostile_plan), "--target", "aarch64-apple-darwin")
    assert missing.returncode != 0
    assert "rustup target add aarch64-apple-darwin" in missing.stderr


def test_dry_run_builds_nothing(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "dry"})])
    document = cli_json("compile", "--plan", str(plan), "--dry-run", "--profile", "min-size")
    assert document["plan_name"] == "test play" and document["modules"] == ["debug"]
    (report,) = document["binaries"]
    assert report["cache_hit"] is False
    assert report["command"][:2] == ["cargo", "build"]
    assert "--message-format=json-render-diagnostics" in report["command"]
    assert report["command"][report["command"].index("--profile") + 1] == "min-size"
    keys = [e["key"] for e in cli_json("cache", "--list")["entries"]]
    assert report["cache_key"] not in keys


def test_failed_build_leaves_nothing_behind(tmp_path: Path, rustle_dirs: dict) -> None:
    class BrokenDependency:
        @hookimpl
        def rustle_cargo_manifest(self, manifest: dict, plan, target) -> None:
            manifest["dependencies"]["no-such-crate-rustle-test"] = {"path": "/nonexistent"}

    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "broken"})])
    config = CompilerConfig.from_env()
    pm = plugin_manager()
    pm.register(BrokenDependency(), name="broken-dependency")
    try:
        with pytest.raises(CargoCompilationFailed) as info:
            compile_plan(plan, CompileOptions(profile=OptimizationLevel.DEBUG), config)
    finally:
        pm.unregister(name="broken-dependency")
    assert "nonexistent" in str(info.value)
    assert '"reason"' not in str(info.value)  # rustc's words, not JSON noise
    leftovers = [p for p in projects_root(config.temp_dir).iterdir() if p.is_dir()]
    assert leftovers == []
    cache = BinaryCache(config.cache_dir)
    assert not [p for p in cache.root.iterdir() if p.name.startswith(".")]


def test_a_different_plan_reuses_the_runtime_build(tmp_path: Path, hostile_binary: dict) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "another plan"})])
    seen: list[str] = []
    config = CompilerConfig.from_env()
    from rustle_invoke.progress import Progress

    class Recorder(Progress):
        def update(self, message: str) -> None:
            seen.append(message)

    compile_plan(plan, CompileOptions(profile=OptimizationLevel.DEBUG), config, Recorder())
    # Recompiled crates are reported through progress; the shared runtime is fresh.
    assert all("rustle_runtime" not in m and "rustle-runtime" not in m for m in seen)


def test_no_cache_writes_the_binary_to_out(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "uncached"})])
    out = tmp_path / "uncached"
    document = cli_json(
        "compile", "--plan", str(plan), "--profile", "debug", "--no-cache", "--out", str(out)
    )
    entry = document["binaries"][0]
    assert entry["cache_hit"] is False and entry["binary_path"] == str(out)
    keys = [e["key"] for e in cli_json("cache", "--list")["entries"]]
    assert entry["cache_key"] not in keys


def test_repo_tasks_py_exposes_the_collection() -> None:
    result = process.run([shutil.which("invoke") or "invoke", "--list"], cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    for name in ("render", "compile", "cache", "localhost-test", "clean", "test"):
        assert name in result.stdout


def test_variables_follow_ansible_precedence(tmp_path: Path) -> None:
    plan_path = write_plan(
        tmp_path / "vars.json",
        [
            task("t_0", "debug", {"var": "who"}),
            task("t_1", "debug", {"var": "where"}, vars={"where": "task"}),
            task("t_2", "debug", {"var": "what"}),
            task("t_3", "command", {"argv": ["printf", "%s", "$HOME"]}),
            task("t_4", "command", {"_raw_params": "cat", "stdin": "fed"}, register="fed"),
            task("t_5", "debug", {"var": "fed.stdout"}),
        ],
        variables={"who": "plan", "where": "plan", "what": "plan"},
    )
    document = json.loads(plan_path.read_text())
    document["plays"][0]["vars"] = {"where": "play", "what": "play"}
    plan_path.write_text(json.dumps(document))
    binary = cli_json("compile", "--plan", str(plan_path), "--profile", "debug")
    path = binary["binaries"][0]["binary_path"]
    report = json.loads(run(path, "--format", "json").stdout)
    messages = [t["msg"] for t in report["tasks"]]
    assert [messages[0], messages[1], messages[2], messages[5]] == ["plan", "task", "play", "fed"]
    assert report["tasks"][3]["stdout"] == os.environ["HOME"]
    override = json.loads(run(path, "--format", "json", "-e", "who=cli").stdout)
    assert override["tasks"][0]["msg"] == "cli"


def test_binary_compiler_api(tmp_path: Path) -> None:
    from rustle_invoke import BinaryCompiler, TargetSpecification
    from rustle_invoke.toolchain import detect_toolchain

    plan = write_plan(tmp_path / "api.json", [task("t_0", "debug", {"msg": "api"})])
    spec = TargetSpecification(detect_toolchain().host, OptimizationLevel.DEBUG)
    compiler = BinaryCompiler(CompilerConfig.from_env())
    binaries = compiler.compile_for_deployment(plan, {"web1": spec, "web2": spec})
    assert len(binaries) == 1
    assert binaries[0].hosts == ("web1", "web2")
    assert binaries[0].read_bytes()[:4] == b"\x7fELF"
    cached = compiler.check_cache(binaries[0].template_hash, spec)
    assert cached is not None and cached.checksum == binaries[0].checksum
    assert compiler.check_cache("0" * 64, spec) is None
    # Without a host map the plan's deployments choose (here: one, for this machine).
    (planned,) = BinaryCompiler(
        CompilerConfig.resolve({"profile": "debug"})
    ).compile_for_deployment(plan)
    assert planned.hosts == ("localhost",) and planned.target_triple == spec.target_triple


def test_invoke_config_env_and_flag_precedence(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "config"})])
    config = tmp_path / "rustle.yaml"
    config.write_text("rustle:\n  profile: debug\n  cache_dir: /nonexistent/never-used\n")
    document = cli_json("-f", str(config), "compile", "--plan", str(plan))
    entry = document["binaries"][0]
    assert entry["optimization_level"] == "debug"  # from the Invoke config
    assert entry["binary_path"].startswith(os.environ["RUSTLE_CACHE_DIR"])  # env beats config
    flagged = cli_json(
        "-f", str(config), "compile", "--plan", str(plan), "--dry-run", "--profile", "release"
    )
    assert flagged["binaries"][0]["optimization_level"] == "release"  # the flag beats both


def test_cache_and_clean_tasks(tmp_path: Path, rustle_dirs: dict) -> None:
    verified = cli_json("cache", "--verify")
    assert verified["evicted"] == [] and verified["verified"] >= 1
    kept = projects_root(rustle_dirs["temp"]) / "left-by-a-dead-build"
    kept.mkdir(parents=True)
    cleaned = cli_json("clean")
    assert str(kept) in cleaned["temp_projects_removed"]
    assert not kept.exists()
    bad = cli("cache", "--prune")
    assert bad.returncode == 2 and "--max-size" in bad.stderr


def test_keep_leaves_the_project_and_clean_all_drops_build_dirs(
    tmp_path: Path, rustle_dirs: dict
) -> None:
    plan = write_plan(tmp_path / "keep.json", [task("t_0", "debug", {"msg": "keep"})])
    cli_json(
        "compile",
        "--plan",
        str(plan),
        "--profile",
        "debug",
        "--no-cache",
        "--keep",
        "--out",
        str(tmp_path / "kept-binary"),
    )
    kept = [p for p in projects_root(rustle_dirs["temp"]).iterdir() if p.is_dir()]
    assert len(kept) == 1 and (kept[0] / "payload.json").is_file()
    # clean --all against a separate cache: the session's shared build stays warm.
    other_cache = tmp_path / "other-cache"
    stale_build = other_cache / "build" / "toolchain" / "triple" / "debug"
    stale_build.mkdir(parents=True)
    stale_runtime = other_cache / "runtime" / "0123456789abcdef"
    stale_runtime.mkdir(parents=True)
    report = cli_json("clean", "--all", env={"RUSTLE_CACHE_DIR": str(other_cache)})
    assert str(kept[0]) in report["temp_projects_removed"]
    assert str(stale_build) in report["build_dirs_removed"]
    assert str(stale_runtime) in report["build_dirs_removed"]
    assert not stale_build.exists() and not stale_runtime.exists() and not kept[0].exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "soon"), "--timeout takes a number of seconds"),
        (("--profile", "turbo"), "unknown profile 'turbo'"),
        (("--builder", "zig"), "unknown builder 'zig'"),
        (("--features", "x"), "unknown feature(s) x"),
        (("--post", "strip"), "unknown post-processor 'strip' (installed: codesign, upx)"),
    ],
)
def test_bad_flags_are_one_clear_error(tmp_path: Path, args: tuple, message: str) -> None:
    plan = write_plan(tmp_path / "p.json", [task("t_0", "debug", {"msg": "flags"})])
    result = cli("compile", "--plan", str(plan), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_ignored_failures_continue_and_are_counted_as_ansible_does(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "ignore.json",
        [
            task("t_0", "shell", {"cmd": "exit 4"}, ignore_errors=True, register="outcome"),
            task("t_1", "debug", {"var": "outcome.rc"}),
        ],
    )
    result = cli("localhost-test", "--plan", str(plan), "--profile", "debug", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["report"]
    assert [t["status"] for t in report["tasks"]] == ["failed", "ok"]
    assert report["tasks"][1]["msg"] == 4  # the value, with its type
    assert report["recap"] == {"ok": 2, "changed": 1, "failed": 0, "skipped": 0, "ignored": 1}


def test_an_edited_plan_is_never_served_from_the_old_entry(tmp_path: Path) -> None:
    path = tmp_path / "edited.json"
    write_plan(path, [task("t_0", "debug", {"msg": "before"})])
    before = cli_json("compile", "--plan", str(path), "--profile", "debug")["binaries"][0]
    write_plan(path, [task("t_0", "debug", {"msg": "after"})])
    after = cli_json("compile", "--plan", str(path), "--profile", "debug")["binaries"][0]
    assert after["cache_hit"] is False and after["cache_key"] != before["cache_key"]
    report = json.loads(run(after["binary_path"], "--format", "json").stdout)
    assert report["tasks"][0]["msg"] == "after"
