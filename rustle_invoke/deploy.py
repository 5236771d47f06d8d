"""Deploy a plan over SSH: one upload and one process per host.

For every inventory host the plan targets (narrowed by ``--limit``):

1. connect (Fabric; host keys checked) and learn its Rust target: the inventory var
   ``rustle_target``, else ``uname -sm`` over SSH, remembered under the host's address and
   host key so later deploys skip the round trip;
2. compile one binary per distinct target (the binary cache makes a repeat free);
3. upload it over SFTP into a fresh private folder (0700) with the host's inventory
   variables beside it, run it with ``--host NAME --format json``, collect the report,
   remove the folder unless asked to keep it.

Hosts are handled in parallel, up to ``forks`` at a time. A host that cannot be reached is
reported as unreachable, never as failed; nothing is uploaded anywhere when the plan
fails validation.
"""

from __future__ import annotations

import io
import json
import secrets
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .config import CompilerConfig
from .errors import CompilationError, ConfigError
from .inventory import Host, Inventory, InventoryError, load_inventory, select_hosts
from .pipeline import CompiledBinary, CompileOptions
from .progress import Progress
from .remote import SshSettings, connect, detect_target, host_key_fingerprint

REMOTE_NAME = "rustle-plan"
INVENTORY_NAME = "inventory.json"
# Where the private run folders go unless a host's ansible_remote_tmp says otherwise
# (under the login's home, as Ansible's default: /tmp is often mounted noexec).
DEFAULT_REMOTE_TMP = "~/.rustle/tmp"
TARGET_VAR = "rustle_target"


@dataclass(frozen=True)
class DeployOptions:
    """One deploy request, as the ``deploy`` task's flags give it."""

    limit: str | None = None
    forks: int = 5
    check: bool = False
    diff: bool = False
    keep_remote: bool = False
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    check_host_keys: bool = True
    known_hosts: Path | None = None  # None: ~/.ssh/known_hosts
    connect_timeout: float = 10.0
    timeout: float | None = None  # seconds the binary may run on a host
    compile: CompileOptions = field(default_factory=CompileOptions)


@dataclass(frozen=True)
class HostRun:
    """What happened on one host."""

    host: str
    status: str  # "ok", "failed" or "unreachable"
    report: dict[str, Any] | None = None
    error: str | None = None
    exit_code: int | None = None
    remote_path: str | None = None
    target: str | None = None
    duration: float = 0.0

    def recap(self) -> dict[str, int]:
        """The host's line of the recap, with ansible-playbook's counters."""
        counts = dict.fromkeys(RECAP_KEYS, 0)
        if self.status == "unreachable":
            counts["unreachable"] = 1
            return counts
        reported = (self.report or {}).get("recap") or {}
        for key in RECAP_KEYS:
            counts[key] = int(reported.get(key) or 0)
        if self.status == "failed" and not counts["failed"]:
            counts["failed"] = 1  # it failed before any task could (upload, crash)
        return counts

    def to_json(self) -> dict[str, Any]:
        """The host's entry in ``--json``: the binary's report, or why there is none."""
        document: dict[str, Any] = dict(self.report or {"host": self.host})
        if self.report is None or self.error:
            document[self.status] = True
            document["msg"] = self.error or ""
        if self.remote_path:
            document["remote_path"] = self.remote_path
        return document


RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


@dataclass(frozen=True)
class DeployResult:
    hosts: tuple[HostRun, ...]
    binaries: tuple[CompiledBinary, ...] = ()
    # Inventory hosts the limit selected that no task of the plan targets (not contacted).
    not_targeted: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return any(run.status != "ok" for run in self.hosts)

    def to_json(self) -> dict[str, Any]:
        return {
            "hosts": {run.host: run.to_json() for run in self.hosts},
            "recap": {run.host: run.recap() for run in self.hosts},
        }


# -- which hosts, with which variables -----------------------------------------------------


def targeted_hosts(plan: Any) -> set[str] | None:
    """The hosts some task of ``plan`` runs on; None when a task runs on any host."""
    named: set[str] = set()
    for task in plan.all_tasks():
        if not task.hosts:
            return None
        named.update(task.hosts)
    return named


def inventory_documents(
    inventory: Inventory, hosts: Mapping[str, Host], names: Iterable[str]
) -> dict[str, bytes]:
    """Each host's ``--inventory`` document: its merged variables (templated ones lowered
    for the runtime, as plan variables are), ``groups`` and ``group_names``."""
    from .lowering import LoweringError, lower_value

    groups = {
        group: [name for name, host in hosts.items() if group == "all" or group in host.groups]
        for group in ["all", *(g for g in inventory.groups if g != "all")]
    }
    documents = {}
    for name in names:
        host = hosts[name]
        try:
            lowered = lower_value(dict(host.vars))
        except LoweringError as exc:
            raise InventoryError(
                f"host {name}: an inventory variable's template: {exc}",
                hint="docs/jinja-ir.md lists the Jinja2 constructs the runtime evaluates",
            ) from None
        document = {
            "vars": lowered.plain,
            "var_templates": lowered.templates,
            "groups": groups,
            "group_names": sorted(host.groups),
        }
        documents[name] = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return documents


# -- one host -------------------------------------------------------------------------


def _private_folder(sftp: Any, base: str) -> str:
    """A new folder only this login can enter, under ``base``; ``~/`` is the login's home,
    which is where SFTP and the command both start, so such paths stay relative.

    ``mkdir`` fails on an existing path, so nobody else's folder or link is ever reused,
    and the server's umask can only narrow 0700. Missing parents are made (0700) only when
    the first ``mkdir`` fails: one round trip in the usual case. Two hosts that share a
    file system may make the same parent at once; either one's ``mkdir`` is fine."""
    base = base.removeprefix("~/") if base != "~" else "."
    folder = str(PurePosixPath(base) / f"run-{secrets.token_hex(8)}")
    try:
        sftp.mkdir(folder, 0o700)
    except OSError:
        parents = reversed(PurePosixPath(folder).parents)
        for parent in (str(p) for p in parents if str(p) not in ("/", ".")):
            try:
                sftp.stat(parent)
            except OSError:
                try:
                    sftp.mkdir(parent, 0o700)
                except OSError as error:
                    _made_meanwhile(sftp, parent, error)
        sftp.mkdir(folder, 0o700)
    return folder


def _made_meanwhile(sftp: Any, path: str, error: OSError) -> None:
    """Accept a failed ``mkdir`` of ``path`` if another run made the folder meanwhile;
    otherwise raise that ``mkdir``'s own error."""
    try:
        sftp.stat(path)
    except OSError:
        raise error from None


def _remove(sftp: Any, folder: str) -> None:
    """Best-effort removal of a run folder through SFTP (its files, then itself)."""
    for name in (REMOTE_NAME, INVENTORY_NAME):
        try:
            sftp.remove(f"{folder}/{name}")
        except OSError:
            pass
    try:
        sftp.rmdir(folder)
    except OSError:
        pass


def run_binary(
    connection: Any,
    binary: Path,
    host: str,
    *,
    inventory: bytes | None = None,
    args: Sequence[str] = (),
    keep_remote: bool = False,
    timeout: float | None = None,
    remote_tmp: str = DEFAULT_REMOTE_TMP,
) -> HostRun:
    """Upload ``binary`` (and the host's inventory document) through ``connection``, run
    it for ``host`` with ``args`` added, collect its report.

    One SFTP session makes the folder and uploads; one command runs the binary and then
    removes the folder, so that a deploy costs two round trips after the login."""
    started = time.monotonic()
    folder = None
    sftp = None
    try:
        sftp = connection.sftp()
        folder = _private_folder(sftp, remote_tmp)
        remote = f"{folder}/{REMOTE_NAME}"
        sftp.put(str(binary), remote)
        sftp.chmod(remote, 0o700)
        argv = [remote, "--host", host, "--format", "json", *args]
        if inventory is not None:
            sftp.putfo(io.BytesIO(inventory), f"{folder}/{INVENTORY_NAME}")
            argv += ["--inventory", f"@{folder}/{INVENTORY_NAME}"]
        script = shlex.join(argv)
        if not keep_remote:
            script += f"; rc=$?; rm -rf {shlex.quote(folder)}; exit $rc"
        ran = connection.run(
            shlex.join(["sh", "-c", script]),
            hide=True,
            warn=True,
            in_stream=False,
            timeout=timeout,
        )
        kept = sftp.normalize(remote) if keep_remote else None
    except Exception as exc:  # SSH, SFTP or timeout: the host's run did not finish
        if sftp is not None and folder is not None and not keep_remote:
            _remove(sftp, folder)
        status = "failed" if connection.is_connected else "unreachable"
        return HostRun(host, status, error=_describe(exc), duration=time.monotonic() - started)
    elapsed = time.monotonic() - started
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        message = ran.stderr.strip()[-500:] or ran.stdout.strip()[-500:]
        return HostRun(
            host,
            "failed",
            error=f"the binary printed no report (exit {ran.exited}): {message}",
            exit_code=ran.exited,
            remote_path=kept,
            duration=elapsed,
        )
    status = "ok" if ran.exited == 0 else "failed"
    error = None if ran.exited in (0, 2) else f"the binary exited with code {ran.exited}"
    return HostRun(host, status, report, error, ran.exited, kept, duration=elapsed)


def _describe(exc: BaseException) -> str:
    from invoke.exceptions import CommandTimedOut

    if isinstance(exc, CommandTimedOut):
        return f"the binary ran past {exc.timeout:g} s and was stopped"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


# -- every host ------------------------------------------------------------------------


@dataclass(frozen=True)
class _HostSetup:
    """How to reach one host and what its binary is built for, settled from the inventory
    before any host is contacted (so a bad variable stops the deploy before it starts)."""

    name: str
    ssh: SshSettings
    target: str | None  # None: ask the host
    source: str  # where the target comes from: "--target", "inventory" or the host
    remote_tmp: str


def _setup(
    name: str, variables: Mapping[str, Any], options: DeployOptions, here: str
) -> _HostSetup:
    from .targets import resolve_alias

    target, source = None, "host"
    if options.compile.target:
        target, source = resolve_alias(options.compile.target, here), "--target"
    elif variables.get(TARGET_VAR):
        target, source = resolve_alias(str(variables[TARGET_VAR]), here), "inventory"
    remote_tmp = str(variables.get("ansible_remote_tmp") or DEFAULT_REMOTE_TMP)
    return _HostSetup(name, SshSettings.from_vars(name, variables), target, source, remote_tmp)


@dataclass(frozen=True)
class _Reached:
    """A host the deploy logged in to, with the target its binary is built for."""

    setup: _HostSetup
    connection: Any
    target: str
    source: str  # "--target", "inventory", "detected" or "remembered"

    @property
    def name(self) -> str:
        return self.setup.name


def _reach(setup: _HostSetup, options: DeployOptions) -> _Reached | HostRun:
    """Log in to one host and learn its target (from the inventory, from an earlier
    deploy to the same address and host key, or from ``uname -sm``)."""
    from .memo import fingerprint, remembered

    connection = connect(
        setup.ssh,
        check_host_keys=options.check_host_keys,
        known_hosts=options.known_hosts,
        timeout=options.connect_timeout,
    )
    try:
        connection.open()
        if setup.target is not None:
            return _Reached(setup, connection, setup.target, setup.source)
        asked: list[bool] = []

        def detect() -> str:
            asked.append(True)
            return detect_target(connection)

        ssh = setup.ssh
        key = fingerprint([ssh.address, str(ssh.port), host_key_fingerprint(connection)])
        target = remembered("host-target", key, detect)
        return _Reached(setup, connection, target, "detected" if asked else "remembered")
    except ConfigError as exc:  # reached, but its system has no Rust target
        connection.close()
        hint = f" ({exc.hint})" if exc.hint else ""
        return HostRun(setup.name, "failed", error=f"{exc.message}{hint}")
    except Exception as exc:
        connection.close()
        return HostRun(setup.name, "unreachable", error=_describe(exc))


def _binary_args(options: DeployOptions) -> list[str]:
    args = ["--check"] if options.check else []
    args += ["--diff"] if options.diff else []
    args += ["--tags", ",".join(options.tags)] if options.tags else []
    args += ["--skip-tags", ",".join(options.skip_tags)] if options.skip_tags else []
    return args


def deploy(
    plan_path: str | Path,
    inventory_path: str | Path,
    options: DeployOptions,
    config: CompilerConfig,
    progress: Progress | None = None,
    on_host: Callable[[HostRun], None] | None = None,
) -> DeployResult:
    """Run ``plan_path`` on the inventory's hosts (see the module's docstring).

    ``on_host`` hears each host's outcome as soon as it is known."""
    from .plan import load_plan
    from .toolchain import detect_toolchain

    progress = progress or Progress(quiet=True)
    if options.forks < 1:
        raise ConfigError(f"--forks must be at least 1, not {options.forks}")
    inventory = load_inventory(Path(inventory_path))
    loaded = load_plan(plan_path, size_limit=config.binary_size_limit)  # refuse bad plans first
    hosts = inventory.hosts()
    selected = select_hosts(inventory, options.limit, hosts)
    wanted = targeted_hosts(loaded.plan)
    names = [n for n in selected if wanted is None or n in wanted]
    if wanted is not None:
        missing = sorted(wanted - set(hosts))
        if missing:
            progress.warn(f"the plan names hosts the inventory does not have: {', '.join(missing)}")
    if not names:
        matching = " matching --limit" if options.limit else ""
        raise ConfigError(
            f"no host to deploy to: the inventory's hosts{matching} "
            f"({', '.join(selected) or 'none'}) are not among the plan's "
            f"({', '.join(sorted(wanted or ())) or 'none'})",
            hint="check --inventory and --limit against the hosts the plan was made for",
        )
    skipped = tuple(name for name in selected if name not in names)
    if skipped:
        progress.info(f"not contacted (no task of the plan runs there): {', '.join(skipped)}")
    documents = inventory_documents(inventory, hosts, names)
    here = detect_toolchain().host
    setups = [_setup(name, hosts[name].vars, options, here) for name in names]
    report = on_host or (lambda run: None)
    outcomes: dict[str, HostRun] = {}
    reached: list[_Reached] = []
    binaries: dict[str, CompiledBinary | str] = {}
    with ThreadPoolExecutor(max_workers=min(options.forks, len(names))) as pool:
        try:
            for got in pool.map(lambda setup: _reach(setup, options), setups):
                if isinstance(got, HostRun):
                    outcomes[got.host] = got
                    progress.info(_summary_line(got))
                    report(got)
                else:
                    reached.append(got)
                    progress.info(f"{got.name}: {got.target} ({got.source})")
            binaries = _compile_targets(plan_path, reached, options, config, progress)
            for run in pool.map(
                lambda r: _run_on(r, binaries, documents[r.name], options, progress, report),
                reached,
            ):
                outcomes[run.host] = run
        finally:
            for host in reached:
                host.connection.close()
    built = tuple(b for b in binaries.values() if isinstance(b, CompiledBinary))
    return DeployResult(tuple(outcomes[name] for name in names), built, skipped)


def _compile_targets(
    plan_path: str | Path,
    reached: list[_Reached],
    options: DeployOptions,
    config: CompilerConfig,
    progress: Progress,
) -> dict[str, CompiledBinary | str]:
    """One binary per distinct target; a target that cannot be built maps to why (its
    hosts fail, the others go on). A plan error stops the whole deploy."""
    from .pipeline import compile_plan

    targets: dict[str, list[str]] = {}
    for host in reached:
        targets.setdefault(host.target, []).append(host.name)
    out: dict[str, CompiledBinary | str] = {}
    for target, members in targets.items():
        compile_options = replace(options.compile, target=target, hosts=tuple(members))
        try:
            out[target] = compile_plan(plan_path, compile_options, config, progress)
        except CompilationError as exc:
            out[target] = f"cannot build for {target}: {exc.message}" + (
                f" ({exc.hint})" if exc.hint else ""
            )
            progress.warn(str(out[target]))
    return out


def _run_on(
    host: _Reached,
    binaries: Mapping[str, CompiledBinary | str],
    document: bytes,
    options: DeployOptions,
    progress: Progress,
    report: Callable[[HostRun], None],
) -> HostRun:
    binary = binaries[host.target]
    if isinstance(binary, str):
        run = HostRun(host.name, "failed", error=binary, target=host.target)
    else:
        run = run_binary(
            host.connection,
            binary.binary_path,
            host.name,
            inventory=document,
            args=_binary_args(options),
            keep_remote=options.keep_remote,
            timeout=options.timeout,
            remote_tmp=host.setup.remote_tmp,
        )
        run = replace(run, target=host.target)
    progress.info(_summary_line(run))
    report(run)
    return run


def _summary_line(run: HostRun) -> str:
    if run.status == "unreachable":
        return f"{run.host}: UNREACHABLE: {run.error}"
    counts = run.recap()
    line = (
        f"{run.host}: {run.status} (ok={counts['ok']} changed={counts['changed']} "
        f"failed={counts['failed']} skipped={counts['skipped']}, {run.duration:.2f} s)"
    )
    return f"{line}: {run.error}" if run.error else line
