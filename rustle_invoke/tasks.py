"""The Invoke tasks: thin wrappers over :mod:`rustle_invoke.pipeline`.

Use them from a repo's ``tasks.py`` (``from rustle_invoke.tasks import ns``) or
through the console script ``rustle-invoke``. With ``--json`` a task prints
exactly one JSON document on stdout; progress and messages go to stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json as _json
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from invoke import Collection, Program, task
from invoke.exceptions import Exit

from . import __version__
from .errors import RunFailed, RustleError

F = TypeVar("F", bound=Callable[..., Any])


def _debug() -> bool:
    return logging.getLogger().isEnabledFor(logging.DEBUG)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


class Terminated(BaseException):
    """SIGTERM arrived (raised like KeyboardInterrupt is for SIGINT)."""


@contextlib.contextmanager
def _stopping_children_on_signals() -> Iterator[None]:
    """While a task runs, SIGINT and SIGTERM are passed on to every command it started
    (cargo builds in worker threads too: commands run in their own sessions, so a
    terminal's Ctrl-C does not reach them; a compiled binary finishes its current task),
    then interrupt the task, whose cleanup runs; exit codes 130 and 143. Only the main
    thread may install handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from . import process

    def on_signal(signum: int, frame: Any) -> None:
        process.forward_signal(signum)
        if signum == signal.SIGTERM:
            raise Terminated()
        raise KeyboardInterrupt()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cli_errors(func: F) -> F:
    """Turn project errors into one clear message and their exit code (no traceback
    unless ``--debug``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _debug():
            warnings.showwarning = _show_warning
        try:
            with _stopping_children_on_signals():
                return func(*args, **kwargs)
        except RustleError as exc:
            if _debug():
                raise
            text = f"error: {exc.message}"
            if exc.hint:
                text += f"\nhint: {exc.hint}"
            raise Exit(text, code=exc.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("interrupted", code=130) from None
        except Terminated:
            raise Exit("terminated", code=143) from None

    return wrapper  # type: ignore[return-value]


def _config(c: Any) -> Any:
    """Settings from the environment over the Invoke config's ``rustle`` key."""
    from .config import CompilerConfig

    return CompilerConfig.resolve(dict(c.config.get("rustle", {}) or {}))


def _emit(document: Any) -> None:
    print(_json.dumps(document, indent=2, ensure_ascii=False))


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _progress() -> Any:
    from .progress import Progress

    return Progress()


def _positive(value: Any, flag: str, unit: str = "seconds") -> float | None:
    """A positive number from a flag, or None when the flag is absent."""
    if value in (None, ""):
        return None
    from .errors import ConfigError

    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{flag} takes a number of {unit}, not {value!r}") from None
    if seconds <= 0:
        raise ConfigError(f"{flag} must be positive, not {value!r}")
    return seconds


@task(
    help={
        "plan": "the rustle-plan JSON file",
        "out": "write the self-contained project here (it builds with plain `cargo build`)",
        "target": "target triple (recorded; the project builds for any target cargo is given)",
        "src_root": "folder that relative copy/template sources resolve against "
        "(default: the plan's folder)",
        "allow_src_outside_root": "embed sources that lie outside the source root",
        "json": "print one JSON document",
    }
)
@cli_errors
def render(
    c, plan=None, out=None, target=None, src_root=None, allow_src_outside_root=False, json=False
):
    """Render a plan's Rust project (validate it; with --out, write it)."""
    plan = _required_plan(plan)
    from . import pipeline

    summary = pipeline.render_plan(
        plan,
        Path(out) if out else None,
        target,
        Path(src_root) if src_root else None,
        allow_src_outside_root,
        size_limit=_config(c).binary_size_limit,
    )
    if json:
        _emit(summary)
    elif out:
        print(summary["out"])
        print(
            f"rendered {summary['binary_name']} (template {summary['template_hash'][:12]}); "
            f"build it with: cargo build --offline --manifest-path {out}/Cargo.toml",
            file=sys.stderr,
        )
    else:
        print(
            f"plan is valid: {summary['binary_name']} (template {summary['template_hash'][:12]},"
            f" modules: {', '.join(summary['modules'])})"
        )


def _required(value: str | None, flag: str, what: str) -> str:
    """A required flag's value (flags, not positionals, so that `TASK --help` shows help)."""
    if not value:
        from .errors import ConfigError

        raise ConfigError(f"{flag} is required", hint=f"pass {flag} PATH to {what}")
    return value


def _required_plan(plan: str | None) -> str:
    return _required(plan, "--plan", "a rustle-plan JSON file")


def _compile_options(**kw: Any) -> Any:
    from .config import OptimizationLevel
    from .pipeline import CompileOptions

    return CompileOptions(
        target=kw.get("target"),
        profile=OptimizationLevel.parse(kw["profile"]) if kw.get("profile") else None,
        builder=kw.get("builder") or "auto",
        out=Path(kw["out"]) if kw.get("out") else None,
        use_cache=False if kw.get("no_cache") else None,
        timeout=_positive(kw.get("timeout"), "--timeout"),
        target_cpu=kw.get("target_cpu"),
        features=_split(kw.get("features")),
        post=_split(kw.get("post")),
        hosts=_split(kw.get("hosts")),
        keep=bool(kw.get("keep")),
        src_root=Path(kw["src_root"]) if kw.get("src_root") else None,
        allow_src_outside_root=bool(kw.get("allow_src_outside_root")),
    )


@task(
    help={
        "plan": "the rustle-plan JSON file",
        "target": "target triple or alias (linux-x64, linux-arm64-musl, macos-arm64, host ...); "
        "default: one binary per target the plan's binary_deployments name, else this machine",
        "profile": "debug | release | release-debuginfo | min-size",
        "builder": "auto (zigbuild where the target needs zig, else cargo) | cargo | zigbuild "
        "| a plugin's builder",
        "out": "copy the binary here",
        "no_cache": "build even if the cache has it, and do not store the result",
        "timeout": "seconds before the build is killed (default 300)",
        "target_cpu": "rustc -C target-cpu",
        "features": "cargo features, comma-separated",
        "post": "post-processors to run, comma-separated (signing ones run last)",
        "hosts": "build for these hosts only (each binary lists its hosts in the JSON)",
        "dry_run": "show what would be built, build nothing",
        "keep": "keep the temporary project (for debugging)",
        "src_root": "folder that relative copy/template sources resolve against "
        "(default: the plan's folder)",
        "allow_src_outside_root": "embed sources that lie outside the source root",
        "json": "print one JSON document",
    }
)
@cli_errors
def compile(
    c,
    plan=None,
    target=None,
    profile=None,
    builder="auto",
    out=None,
    no_cache=False,
    timeout=None,
    target_cpu=None,
    features=None,
    post=None,
    hosts=None,
    dry_run=False,
    keep=False,
    src_root=None,
    allow_src_outside_root=False,
    json=False,
):
    """Compile a plan into a native binary (cached by content)."""
    plan = _required_plan(plan)
    from .toolchain import prefetch_toolchain

    prefetch_toolchain()  # `rustc -vV` runs while the pipeline and the plugins load
    from . import pipeline

    options = _compile_options(**locals())
    config = _config(c)
    if dry_run:
        report = pipeline.dry_run(plan, options, config)
        if json:
            _emit(report)
            return
        print(f"plan: {report['plan']} ({report['plan_name']})")
        print(f"modules: {', '.join(report['modules'])}")
        for binary in report["binaries"]:
            print(f"binary for {binary['target_triple']}:")
            for key, value in binary.items():
                if key == "command" or isinstance(value, list):
                    value = " ".join(value)
                print(f"    {key}: {value}")
        return
    binaries = pipeline.compile_deployment(plan, options, config, _progress())
    if json:
        _emit({"binaries": [binary.to_json() for binary in binaries]})
    else:
        for binary in binaries:
            hosts = f"  ({', '.join(binary.hosts)})" if len(binaries) > 1 else ""
            print(f"{binary.binary_path}{hosts}")


@task(
    name="cache",
    help={
        "list": "list the cached binaries (the default)",
        "verify": "check every entry's size and sha256; evict bad ones",
        "prune": "remove old entries (with --max-size and/or --max-age)",
        "max_size": "with --prune: shrink the cache to this size (e.g. 500M)",
        "max_age": "with --prune: remove entries unused for this many days",
        "clear": "remove every cached binary",
        "json": "print one JSON document",
    },
)
@cli_errors
def cache_task(
    c, list_=False, verify=False, prune=False, max_size=None, max_age=None, clear=False, json=False
):
    """Inspect and maintain the binary cache."""
    from .cache import BinaryCache, CacheEntry
    from .config import parse_size
    from .errors import ConfigError

    config = _config(c)
    cache = BinaryCache(config.cache_dir)
    document: dict[str, Any] = {"cache_dir": str(config.cache_dir)}
    if (max_size or max_age) and not prune:
        raise ConfigError("--max-size and --max-age go with --prune")
    if verify:
        good, bad, busy = cache.verify_all()
        document["verified"] = len(good)
        document["evicted"] = bad
        document["busy"] = busy
        for key in bad:
            print(f"warning: cache entry {key} failed verification; evicted", file=sys.stderr)
    if prune:
        if not (max_size or max_age):
            raise ConfigError("--prune needs --max-size and/or --max-age")
        document["pruned"] = cache.prune(
            max_size=parse_size(max_size) if max_size else None,
            max_age_days=_positive(max_age, "--max-age", "days"),
        )
    if clear:
        document["cleared"] = cache.clear()
    entries = [e for e in cache.entries() if isinstance(e, CacheEntry)]
    if list_ or not (verify or prune or clear):
        document["entries"] = [e.to_json() for e in entries]
    document["total_size"] = sum(e.size for e in entries)
    if json:
        _emit(document)
        return
    for key in ("verified", "evicted", "busy", "pruned", "cleared"):
        if key in document:
            value = document[key]
            print(f"{key}: {len(value) if isinstance(value, list) else value}")
    if "entries" in document:
        for e in entries:
            print(
                f"{e.key[:16]}  {e.size:>10}  {e.target_triple:<28} "
                f"{e.optimization_level:<17} {e.created_at}  {e.plan_name}"
            )
        print(
            f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, "
            f"{document['total_size']} bytes in {config.cache_dir}",
            file=sys.stderr,
        )


@task(
    name="localhost-test",
    help={
        "plan": "the rustle-plan JSON file",
        "profile": "debug | release | release-debuginfo | min-size",
        "check": "check mode: change nothing, report what would change",
        "diff": "show differences",
        "tags": "run only tasks with these tags",
        "skip_tags": "skip tasks with these tags",
        "timeout": "seconds the binary may run (default: no limit)",
        "verbose": "show each task's result (the binary's -v)",
        "src_root": "folder that relative copy/template sources resolve against "
        "(default: the plan's folder)",
        "allow_src_outside_root": "embed sources that lie outside the source root",
        "json": "print one JSON document (the build and the binary's report)",
    },
)
@cli_errors
def localhost_test(
    c,
    plan=None,
    profile=None,
    check=False,
    diff=False,
    tags=None,
    skip_tags=None,
    timeout=None,
    verbose=False,
    src_root=None,
    allow_src_outside_root=False,
    json=False,
):
    """Compile a plan for this machine and run it here."""
    plan = _required_plan(plan)
    from .toolchain import prefetch_toolchain

    prefetch_toolchain()
    from . import pipeline

    config = _config(c)
    options = _compile_options(
        target="host",  # it runs here, whatever the plan's deployments ask for
        profile=profile,
        src_root=src_root,
        allow_src_outside_root=allow_src_outside_root,
    )
    binary = pipeline.compile_plan(plan, options, config, _progress())
    argv = ["--format", "json" if json else "text"]
    argv += ["--check"] if check else []
    argv += ["--diff"] if diff else []
    argv += ["-v"] if verbose else []
    argv += ["--tags", tags] if tags else []
    argv += ["--skip-tags", skip_tags] if skip_tags else []
    result = pipeline.run_artifact(
        binary, argv, config, timeout=_positive(timeout, "--timeout"), stream=not json
    )
    if result.stderr:
        sys.stderr.write(result.stderr)
    if json:
        try:
            report = _json.loads(result.stdout)
        except ValueError:
            report = None
        _emit({"binary": binary.to_json(), "exit_code": result.returncode, "report": report})
    if result.timed_out:
        raise RunFailed(f"the binary ran past {timeout} s and was killed")
    if result.returncode == 2:
        raise RunFailed("some tasks failed")
    if result.returncode != 0:
        raise RunFailed(f"the binary exited with code {result.returncode}")


@task(
    help={
        "plan": "the rustle-plan JSON file",
        "inventory": "an Ansible inventory (INI, or YAML when it ends in .yml/.yaml)",
        "limit": "deploy only to hosts matching this pattern (web:&prod, all:!db, web*)",
        "forks": "hosts handled at the same time (default 5)",
        "check": "check mode: change nothing, report what would change",
        "diff": "show differences",
        "keep_remote": "leave the binary on the hosts (its path is in the JSON)",
        "tags": "run only tasks with these tags",
        "skip_tags": "skip tasks with these tags",
        "profile": "debug | release | release-debuginfo | min-size",
        "target": "build one binary for this target for every host (no detection)",
        "timeout": "seconds the binary may run on a host (default: no limit)",
        "connect_timeout": "seconds to wait for each SSH login (default 10)",
        "known_hosts": "check host keys against this file (default ~/.ssh/known_hosts)",
        "no_host_key_check": "accept any host key (unknown or changed): trusts the network",
        "json": 'print one JSON document: {"hosts": {NAME: report}, "recap": {...}}',
    },
)
@cli_errors
def deploy(
    c,
    plan=None,
    inventory=None,
    limit=None,
    forks=5,
    check=False,
    diff=False,
    keep_remote=False,
    tags=None,
    skip_tags=None,
    profile=None,
    target=None,
    timeout=None,
    connect_timeout=None,
    known_hosts=None,
    no_host_key_check=False,
    json=False,
):
    """Run a plan on inventory hosts over SSH: one upload and one process per host."""
    plan = _required_plan(plan)
    inventory = _required(inventory, "--inventory", "an Ansible inventory")
    from .toolchain import prefetch_toolchain

    prefetch_toolchain()
    from . import deploy as deploying
    from .deploy_report import deploy_text

    options = deploying.DeployOptions(
        limit=limit,
        forks=int(_positive(forks, "--forks", "hosts") or 5),
        check=check,
        diff=diff,
        keep_remote=keep_remote,
        tags=_split(tags),
        skip_tags=_split(skip_tags),
        check_host_keys=not no_host_key_check,
        known_hosts=Path(known_hosts).expanduser() if known_hosts else None,
        connect_timeout=_positive(connect_timeout, "--connect-timeout") or 10.0,
        timeout=_positive(timeout, "--timeout"),
        compile=_compile_options(target=target, profile=profile),
    )
    result = deploying.deploy(plan, inventory, options, _config(c), _progress())
    if json:
        _emit(result.to_json())
    else:
        print(deploy_text(result, show_diff=diff), end="")
    if result.failed:
        raise RunFailed("some hosts failed or were unreachable")


@task(
    help={
        "all": "also remove shared build dirs and outdated runtime copies",
        "json": "print one JSON document",
    }
)
@cli_errors
def clean(c, all=False, json=False):
    """Remove temporary projects and unfinished cache writes left by builds that are gone."""
    from . import pipeline

    report = pipeline.clean(_config(c), everything=all)
    if json:
        _emit(report)
    else:
        print(
            f"removed {len(report['temp_projects_removed'])} temporary project(s), "
            f"{len(report['debris_removed'])} unfinished cache write(s), "
            f"{len(report['build_dirs_removed'])} build dir(s)"
        )


@task(help={"json": "print one JSON document"})
@cli_errors
def plugins(c, json=False):
    """List the loaded plugins and what each one adds.

    For each plugin: its version, its hooks, and the builders, post-processors and
    modules it adds; plugins that failed to load are named too."""
    from . import plugins as plugin_loading

    pm = plugin_loading.plugin_manager()
    report = {
        "autoload": not plugin_loading.autoload_disabled(),
        "plugins": plugin_loading.describe_plugins(pm),
        "failed": [vars(f) for f in plugin_loading.load_failures],
    }
    if json:
        _emit(report)
        return
    for item in report["plugins"]:
        version = f" {item['version']}" if item["version"] else ""
        print(f"{item['name']}{version} ({item['origin']})")
        print(f"    hooks: {', '.join(item['hooks']) or 'none'}")
        for kind, names in item["provides"].items():
            print(f"    {kind.replace('postprocessors', 'post-processors')}: {', '.join(names)}")
    for failure in report["failed"]:
        print(f"{failure['name']} FAILED TO LOAD ({failure['value']}): {failure['error']}")
    if not report["autoload"]:
        print("(entry points are off: RUSTLE_DISABLE_PLUGIN_AUTOLOAD is set)")


ns = Collection(render, compile, cache_task, localhost_test, deploy, clean, plugins)
ns.configure({"rustle": {}})

program = Program(namespace=ns, version=__version__, name="rustle-invoke", binary="rustle-invoke")


def main() -> None:
    """The ``rustle-invoke`` console script."""
    # Invoke stops Python writing .pyc files (for a repo's tasks.py); this package's own
    # modules, imported lazily by the tasks, are cached like any installed module's.
    program.run([sys.argv[0], "--write-pyc", *sys.argv[1:]])
