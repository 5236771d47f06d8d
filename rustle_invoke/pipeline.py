"""The pipeline as plain functions: plan → payload → project → build → cache → run.

No Invoke objects in here: the tasks in :mod:`rustle_invoke.tasks` and the
:class:`~rustle_invoke.compiler.BinaryCompiler` API are thin layers over these.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, process
from .cache import BinaryCache, CacheEntry, CacheWarning, private_dir
from .config import CompilerConfig, OptimizationLevel, TargetSpecification, format_size
from .diskspace import build_needs, check_free_space
from .errors import BinaryTooLarge, ConfigError, ProjectCreationFailed
from .hashing import sha256_file, sha256_json
from .locks import hold, try_hold
from .postprocess import (
    Artifact,
    PostProcessor,
    PostProcessorRegistry,
    check_chain,
    run_chain,
)
from .progress import Progress
from .runtime_source import runtime_hash, runtime_source
from .targets import TargetGroup, deployment_targets, is_apple, resolve_alias
from .toolchain import Toolchain, check_target, detect_toolchain

if TYPE_CHECKING:  # validation, rendering and building are imported only when needed
    from .builders import Builder, BuilderRegistry, BuildRequest
    from .modules import ModuleRegistry
    from .payload import Payload
    from .plan import LoadedPlan
    from .render import RenderedProject

BUILD_LOCK_TIMEOUT = 3600


@dataclass(frozen=True)
class CompileOptions:
    """One compile request, as the ``compile`` task's flags give it."""

    target: str | None = None
    profile: OptimizationLevel | None = None
    builder: str = "auto"
    out: Path | None = None
    use_cache: bool | None = None
    timeout: float | None = None
    target_cpu: str | None = None
    features: tuple[str, ...] = ()
    post: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    keep: bool = False
    # Where relative copy/template sources resolve (default: the plan's folder).
    src_root: Path | None = None
    allow_src_outside_root: bool = False


@dataclass(frozen=True)
class CompiledBinary:
    """A built (or cached) binary; the bytes stay on disk and are read on demand."""

    binary_id: str
    target_triple: str
    binary_path: Path
    size: int
    checksum: str
    compilation_time: float
    optimization_level: OptimizationLevel
    template_hash: str
    created_at: str
    cache_key: str
    cache_hit: bool
    builder: str
    hosts: tuple[str, ...] = ()
    plan_name: str = ""
    # The post-processors that edited it, as name@version in the order they ran.
    post_processors: tuple[str, ...] = ()

    def read_bytes(self) -> bytes:
        return self.binary_path.read_bytes()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("plan_name")
        data["binary_path"] = str(self.binary_path)
        data["optimization_level"] = self.optimization_level.value
        data["hosts"] = list(self.hosts)
        data["post_processors"] = list(self.post_processors)
        data["compilation_time"] = round(self.compilation_time, 3)
        return data


@dataclass(frozen=True)
class BuildPlan:
    """What a compile would do: computed without building anything (``--dry-run``)."""

    loaded: LoadedPlan
    payload: Payload
    project: RenderedProject
    spec: TargetSpecification
    toolchain: Toolchain
    builder: Builder
    cache_key: str
    hosts: tuple[str, ...]
    post: tuple[PostProcessor, ...] = ()

    def build_request(
        self,
        config: CompilerConfig,
        manifest: Path,
        env: dict[str, str],
        timeout: float,
        on_progress: Any = None,
        on_warning: Any = None,
    ) -> BuildRequest:
        from .builders import BuildRequest

        return BuildRequest(
            manifest_path=manifest,
            binary_name=self.project.name,
            target=self.spec,
            target_dir=shared_target_dir(config, self.toolchain, self.spec, self.builder.name),
            env=env,
            timeout=timeout,
            on_progress=on_progress,
            settings=config,
            on_warning=on_warning,
        )


def _pm() -> Any:
    from .plugins import plugin_manager

    return plugin_manager()


def module_registry() -> ModuleRegistry:
    from .modules import ModuleRegistry

    registry = ModuleRegistry()
    _pm().hook.rustle_register_modules(registry=registry)
    return registry


def builder_registry() -> BuilderRegistry:
    from .builders import BuilderRegistry

    registry = BuilderRegistry()
    _pm().hook.rustle_register_builders(registry=registry)
    return registry


def postprocessor_registry() -> PostProcessorRegistry:
    registry = PostProcessorRegistry()
    _pm().hook.rustle_register_postprocessors(registry=registry)
    return registry


def prepare_payload(
    plan_path: str | Path,
    src_root: Path | None = None,
    allow_src_outside_root: bool = False,
    *,
    size_limit: int | None = None,
) -> tuple[LoadedPlan, Payload]:
    """Load, validate and lower a plan; read the files it ships. A plan or files larger
    than ``size_limit`` (the binary size limit; None: the environment's) are refused
    unread."""
    from .payload import build_payload
    from .plan import load_plan
    from .sources import SourceSettings

    loaded = load_plan(plan_path, size_limit=size_limit)
    if src_root is not None and not src_root.is_dir():
        raise ConfigError(f"--src-root {src_root} is not a folder")
    sources = SourceSettings(
        root=src_root if src_root is not None else loaded.base_dir,
        allow_outside=allow_src_outside_root,
        size_limit=size_limit,
    )
    return loaded, build_payload(loaded, module_registry(), sources)


def render(loaded: LoadedPlan, payload: Payload, spec: TargetSpecification) -> RenderedProject:
    from .render import render_project

    project = render_project(
        payload,
        runtime_source(),
        manifest_hook=lambda manifest: _pm().hook.rustle_cargo_manifest(
            manifest=manifest, plan=loaded, target=spec
        ),
    )
    missing = [f for f in spec.features if f not in project.manifest.get("features", {})]
    if missing:
        known = ", ".join(sorted(project.manifest.get("features", {}))) or "none"
        raise ConfigError(
            f"unknown feature(s) {', '.join(missing)} (this project's features: {known})"
        )
    return project


def shared_target_dir(
    config: CompilerConfig, toolchain: Toolchain, spec: TargetSpecification, builder: str = "cargo"
) -> Path:
    """One cargo target dir per (toolchain, target, profile, target-cpu, builder): the
    runtime is built once there and every plan's crate reuses it.

    The target keeps its glibc suffix (``x86_64-unknown-linux-gnu.2.17``) and a builder
    other than cargo gets its own folder (``debug-zigbuild``): a binary linked against
    another glibc, or by another linker, never shares outputs with cargo's."""
    name = spec.optimization_level.value
    if spec.target_cpu:
        name += f"-cpu-{spec.target_cpu}"
    if builder != "cargo":
        name += f"-{builder}"
    return config.cache_dir / "build" / toolchain.id / spec.target_triple / name


def plan_builds(
    plan_path: str | Path, options: CompileOptions, config: CompilerConfig
) -> list[BuildPlan]:
    """Everything up to (not including) the builds, one per distinct target
    (:func:`~rustle_invoke.targets.deployment_targets`): cheap enough for every cache hit."""
    loaded, payload = prepare_payload(
        plan_path,
        options.src_root,
        options.allow_src_outside_root,
        size_limit=config.binary_size_limit,
    )
    toolchain = detect_toolchain()
    groups = deployment_targets(options.target, loaded.plan, toolchain.host, options.hosts)
    builders = builder_registry()
    names, by_default = post_names(options, config)
    steps = postprocessor_registry().chain(names)
    return [
        _plan_target(
            loaded,
            payload,
            toolchain,
            group,
            options,
            config,
            builders,
            # upx cannot pack Apple binaries: the min-size default leaves them unpacked.
            () if by_default and is_apple(group.triple) else steps,
        )
        for group in groups
    ]


# Post-processors a profile runs when none are asked for: min-size packs with UPX.
PROFILE_POST = {OptimizationLevel.MINIMAL_SIZE: ("upx",)}
NO_POST = "none"


def post_names(options: CompileOptions, config: CompilerConfig) -> tuple[tuple[str, ...], bool]:
    """The post-processors to run, and whether they are the profile's default.

    ``--post`` (or the config) wins; ``--post none`` runs none. Otherwise the profile's
    default chain runs, each step only where its tool is installed (a warning says when
    one is missing: the binary is then just not packed)."""
    asked = options.post or config.post_processors
    if asked:
        return (() if tuple(asked) == (NO_POST,) else tuple(asked)), False
    profile = options.profile or config.default_optimization
    return tuple(n for n in PROFILE_POST.get(profile, ()) if _installed(n, profile)), True


@cache
def _installed(tool: str, profile: OptimizationLevel) -> bool:
    if process.which(tool) is not None:
        return True
    warnings.warn(
        f"{tool} is not installed, so the {profile.value} binary is not packed with it "
        f"(install {tool} for a smaller file, or pass --post none to silence this)",
        stacklevel=2,
    )
    return False


def _plan_target(
    loaded: LoadedPlan,
    payload: Payload,
    toolchain: Toolchain,
    group: TargetGroup,
    options: CompileOptions,
    config: CompilerConfig,
    builders: BuilderRegistry,
    post: tuple[PostProcessor, ...],
) -> BuildPlan:
    spec = TargetSpecification(
        target_triple=group.triple,
        optimization_level=options.profile or config.default_optimization,
        target_cpu=options.target_cpu,
        features=tuple(options.features),
    )
    name = options.builder
    if name == "auto":
        name = _pm().hook.rustle_select_builder(target=spec, settings=config) or "cargo"
    builder = builders.get(name)
    project = render(loaded, payload, spec)
    check_chain(post, spec.target_triple)
    extra = [
        p for p in _pm().hook.rustle_cache_key_parts(plan=loaded, target=spec) if p is not None
    ]
    key = sha256_json(
        {
            "template_hash": project.template_hash,
            "runtime": project.runtime.hash,
            "spec": spec.key_parts(),
            "rustc": toolchain.version_text,
            "builder": [builder.name, builder.version(builder_env(config))],
            "post": [[step.name, step.version] for step in post],
            "extra": extra,
            "rustle_invoke": __version__,
        }
    )
    return BuildPlan(loaded, payload, project, spec, toolchain, builder, key, group.hosts, post)


def builder_env(config: CompilerConfig) -> dict[str, str]:
    """The environment builders are asked about, with configured tool paths in it."""
    env = dict(os.environ)
    if config.zigbuild_path is not None:
        env["RUSTLE_ZIGBUILD_PATH"] = str(config.zigbuild_path)
    return env


def _uses_cache(options: CompileOptions, config: CompilerConfig) -> bool:
    return config.enable_cache if options.use_cache is None else options.use_cache


def dry_run(
    plan_path: str | Path, options: CompileOptions, config: CompilerConfig
) -> dict[str, Any]:
    """What ``compile`` would do, as data; nothing is built or written."""
    plans = plan_builds(plan_path, options, config)
    use_cache = _uses_cache(options, config)
    cache = BinaryCache(config.cache_dir)
    binaries = []
    for bp in plans:
        entry = cache.peek(bp.cache_key) if use_cache else None
        request = bp.build_request(config, Path("<temp project>") / "Cargo.toml", {}, 0)
        binaries.append(
            {
                "target_triple": bp.spec.target_triple,
                "hosts": list(bp.hosts),
                "optimization_level": bp.spec.optimization_level.value,
                "builder": bp.builder.name,
                "template_hash": bp.project.template_hash,
                "cache_key": bp.cache_key,
                "cache_hit": entry is not None,
                "cached_binary": str(entry.path) if entry else None,
                "command": bp.builder.command(request),
                "target_dir": str(request.target_dir),
                "post_processors": _chain_names(bp.post),
            }
        )
    return {
        "plan": str(plans[0].loaded.path),
        "plan_name": plans[0].loaded.name,
        "modules": list(plans[0].payload.modules),
        "binaries": binaries,
    }


def _install_copy(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` atomically (temp file beside it, then rename)."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ProjectCreationFailed(f"cannot write {dest}: {exc}") from exc


def _build(
    bp: BuildPlan, config: CompilerConfig, options: CompileOptions, progress: Progress
) -> tuple[Path, float, Any, BuildPlan]:
    """Run the builder; returns (executable, seconds, target-dir lock still held, the plan
    naming the builder that really built: zigbuild may hand the host's build to cargo)."""
    from .workspace import temp_project

    check_target(bp.spec.target_triple)
    check_free_space(
        build_needs(
            shared_target_dir(config, bp.toolchain, bp.spec, bp.builder.name),
            config.temp_dir,
            config.cache_dir if _uses_cache(options, config) else None,
            bp.spec.optimization_level,
            config.min_free_space,
        )
    )
    if config.sccache is not None:
        from .sccache import runtime_for_sccache

        # One path on every machine: sccache's keys hold the runtime's absolute path.
        runtime_path = runtime_for_sccache(bp.project.runtime, config.cache_dir, progress.warn)
    else:
        runtime_path = bp.project.runtime.materialize(config.cache_dir)
    timeout = options.timeout or config.compilation_timeout
    env = dict(os.environ)
    _pm().hook.rustle_build_env(target=bp.spec, env=env)
    with temp_project(config.temp_dir, keep=options.keep, name=bp.cache_key[:24]) as folder:
        manifest = bp.project.write(folder, runtime_path)
        request = bp.build_request(
            config,
            manifest,
            env,
            timeout,
            on_progress=lambda crate: progress.update(
                f"building {bp.loaded.name} for {bp.spec.target_triple}: {crate} compiled"
            ),
            on_warning=progress.warn,
        )
        private_dir(request.target_dir.parent)
        # Held across build and copy: no other build may touch this target dir meanwhile.
        lock = hold(str(request.target_dir) + ".lock", BUILD_LOCK_TIMEOUT, "the shared build dir")
        try:
            with progress.activity(f"building {bp.loaded.name} for {bp.spec.target_triple}"):
                output = bp.builder.build(request)
        except BaseException:
            lock.release()
            raise
    size = output.executable.stat().st_size
    if size > config.binary_size_limit:
        lock.release()
        raise BinaryTooLarge(
            f"the binary is {size} bytes, over the limit of {config.binary_size_limit} bytes",
            hint="use --profile min-size, or raise RUSTLE_BINARY_SIZE_LIMIT",
        )
    if output.builder is not None and output.builder != bp.builder.name:
        bp = replace(bp, builder=builder_registry().get(output.builder))
    return output.executable, output.duration, lock, bp


@contextmanager
def _finished(
    bp: BuildPlan, executable: Path, config: CompilerConfig, progress: Progress
) -> Iterator[Path]:
    """The built executable after the post-processor chain. The chain edits a private
    copy, so cargo's own output in the shared target dir stays as cargo left it (and
    is never packed or signed twice); the copy is removed after use."""
    if not bp.post:
        yield executable
        return
    from .workspace import temp_project

    with temp_project(config.temp_dir, prefix="post-") as folder:
        path = folder / executable.name
        shutil.copy2(executable, path)
        artifact = Artifact(
            path=path,
            target=bp.spec.target_triple,
            profile=bp.spec.optimization_level.value,
            builder=bp.builder.name,
        )
        names = ", ".join(step.name for step in bp.post)
        with progress.activity(f"post-processing {bp.loaded.name}: {names}"):
            run_chain(bp.post, artifact)
        yield path


def _input_key(
    plan_path: Path, plan_digest: str, options: CompileOptions, config: CompilerConfig
) -> str:
    """The cache index key of these exact inputs."""
    from .cache_index import input_key
    from .plugins import plugin_identity

    plugins = plugin_identity()
    toolchain = detect_toolchain()
    return input_key(
        {
            "plan": plan_digest,
            "plan_path": str(plan_path.resolve()),
            # None: the plan's deployments choose (the plan's digest is in the key).
            "target": resolve_alias(options.target, toolchain.host) if options.target else None,
            "profile": (options.profile or config.default_optimization).value,
            "target_cpu": options.target_cpu,
            "features": sorted(options.features),
            "post": _post_identity(post_names(options, config)[0]),
            "builder": options.builder,
            "hosts": list(options.hosts),
            "src_root": str(options.src_root.resolve()) if options.src_root else None,
            "allow_src_outside_root": options.allow_src_outside_root,
            "runtime": runtime_hash(),
            "rustc": toolchain.version_text,
            "plugins": plugins,
            "rustle_invoke": __version__,
        }
    )


def _post_identity(names: tuple[str, ...]) -> list[str]:
    """The chain as name@version (a new tool version must miss the index too)."""
    return _chain_names(postprocessor_registry().chain(names)) if names else []


def _cached_binary(
    cache: BinaryCache, key: str, progress: Progress, *, locked: bool = False
) -> CacheEntry | None:
    """The verified entry for ``key``; a corrupt one is evicted and reported."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CacheWarning)
        entry = cache.get(key, locked=locked)
    for warning in caught:
        progress.warn(str(warning.message))
    return entry


def _fast_hits(
    index_key: str, config: CompilerConfig, progress: Progress
) -> list[CompiledBinary] | None:
    """Every binary the index remembers for these inputs, if all are still cached and
    built by builders of the same versions; else None."""
    from .cache_index import CacheIndex

    record = CacheIndex(config.cache_dir).lookup(index_key)
    if record is None or not isinstance(record.get("binaries"), list):
        return None
    versions = record.get("builders", {})
    if versions:  # cargo's identity is rustc's, already in the key; others may move alone
        builders = builder_registry()
        env = builder_env(config)
        for name, version in versions.items():
            if builders.get(name).version(env) != version:
                return None
    cache = BinaryCache(config.cache_dir)
    found = []
    for item in record["binaries"]:
        # Lock-free: entries appear and disappear by rename, so no reader sees half of one.
        entry = _cached_binary(cache, item["cache_key"], progress)
        if entry is None:
            return None
        found.append(compiled_from_entry(entry, True, tuple(item["hosts"]), record["plan_name"]))
    return found


def _remember(
    index_key: str, plans: list[BuildPlan], built: list[CompiledBinary], config: CompilerConfig
) -> None:
    from .cache_index import CacheIndex

    env = builder_env(config)
    CacheIndex(config.cache_dir).record(
        index_key,
        {
            "binaries": [{"cache_key": b.cache_key, "hosts": list(b.hosts)} for b in built],
            "builders": {
                bp.builder.name: bp.builder.version(env)
                for bp in plans
                if bp.builder.name != "cargo"
            },
            "plan_name": plans[0].loaded.name,
            # Files the plan ships (its own digest is in the key already).
            "inputs": dict(plans[0].payload.inputs),
        },
    )


def _compile_cached(
    bp: BuildPlan, config: CompilerConfig, options: CompileOptions, progress: Progress
) -> tuple[CacheEntry, bool]:
    cache = BinaryCache(config.cache_dir)
    lock = cache.lock(bp.cache_key)
    try:
        entry = _cached_binary(cache, bp.cache_key, progress, locked=True)
        if entry is not None:
            return entry, True
        executable, seconds, build_lock, bp = _build(bp, config, options, progress)
        try:
            meta = {
                "target_triple": bp.spec.target_triple,
                "optimization_level": bp.spec.optimization_level.value,
                "template_hash": bp.project.template_hash,
                "builder": bp.builder.name,
                "plan_name": bp.loaded.name,
                "compilation_time": seconds,
                "created_at": _now(),
                "post_processors": _chain_names(bp.post),
            }
            with _finished(bp, executable, config, progress) as final:
                return cache.put(bp.cache_key, final, meta), False
        finally:
            build_lock.release()
    finally:
        lock.release()


def _compile_uncached(
    bp: BuildPlan, config: CompilerConfig, options: CompileOptions, progress: Progress, out: Path
) -> CompiledBinary:
    executable, seconds, build_lock, bp = _build(bp, config, options, progress)
    try:
        with _finished(bp, executable, config, progress) as final:
            _install_copy(final, out)
    finally:
        build_lock.release()
    path = out.resolve()
    return CompiledBinary(
        binary_id=bp.cache_key[:16],
        target_triple=bp.spec.target_triple,
        binary_path=path,
        size=path.stat().st_size,
        checksum=sha256_file(path),
        compilation_time=seconds,
        optimization_level=bp.spec.optimization_level,
        template_hash=bp.project.template_hash,
        created_at=_now(),
        cache_key=bp.cache_key,
        cache_hit=False,
        builder=bp.builder.name,
        hosts=bp.hosts,
        plan_name=bp.loaded.name,
        post_processors=tuple(_chain_names(bp.post)),
    )


def _chain_names(chain: tuple[PostProcessor, ...]) -> list[str]:
    """How the JSON and the cache entry name a chain: ``name@version`` in run order."""
    return [f"{step.name}@{step.version}" for step in chain]


def compile_plan(
    plan_path: str | Path,
    options: CompileOptions,
    config: CompilerConfig,
    progress: Progress | None = None,
) -> CompiledBinary:
    """Compile a plan into one binary (see :func:`compile_deployment`); a plan whose
    deployments need several targets is refused unless ``options.target`` picks one."""
    binaries = compile_deployment(plan_path, options, config, progress)
    if len(binaries) != 1:
        raise ConfigError(
            f"the plan needs {len(binaries)} binaries "
            f"({', '.join(b.target_triple for b in binaries)})",
            hint="pass a target to build one of them",
        )
    return binaries[0]


def compile_deployment(
    plan_path: str | Path,
    options: CompileOptions,
    config: CompilerConfig,
    progress: Progress | None = None,
) -> list[CompiledBinary]:
    """Compile a plan into one binary per distinct target of its deployments (or the one
    ``options.target`` names), each listing the hosts it serves; from the cache when an
    identical binary exists. Builds for different targets run in parallel, up to
    ``config.max_parallel_compilations``."""
    progress = progress or Progress(quiet=True)
    started = time.monotonic()
    plan_path = Path(plan_path)
    use_cache = _uses_cache(options, config)
    index_key = None
    results: list[CompiledBinary] | None = None
    if use_cache and _plain_file_within(plan_path, config.binary_size_limit):
        try:
            index_key = _input_key(plan_path, sha256_file(plan_path), options, config)
        except OSError:
            pass  # load_plan reports it, with the path
        results = _fast_hits(index_key, config, progress) if index_key else None
    if results is None:
        plans = plan_builds(plan_path, options, config)
        if options.out is not None and len(plans) > 1:
            raise ConfigError(
                f"--out takes one binary, and this plan needs {len(plans)} "
                f"({', '.join(bp.spec.target_triple for bp in plans)})",
                hint="pass --target to build one of them",
            )
        results = _build_all(plans, config, options, progress, use_cache)
        if index_key:
            _remember(index_key, plans, results, config)
    if use_cache and options.out is not None:
        _install_copy(results[0].binary_path, options.out)
        results = [replace(results[0], binary_path=options.out.resolve())]
    elapsed = time.monotonic() - started
    for result in results:
        if not result.cache_hit:
            _pm().hook.rustle_artifact_ready(artifact=result)
        what = "cache hit" if result.cache_hit else "built"
        progress.info(
            f"{what}: {result.plan_name} → {result.binary_path} ({format_size(result.size)}, "
            f"{result.target_triple}, {result.optimization_level.value}, {elapsed:.2f} s)"
        )
    return results


def _plain_file_within(path: Path, limit: int) -> bool:
    """Whether ``path`` is a regular file no larger than ``limit``: only such a plan is
    hashed for the index (a pipe or a huge file is left to load_plan to refuse)."""
    try:
        info = path.stat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= limit


def _build_all(
    plans: list[BuildPlan],
    config: CompilerConfig,
    options: CompileOptions,
    progress: Progress,
    use_cache: bool,
) -> list[CompiledBinary]:
    def one(bp: BuildPlan) -> CompiledBinary:
        if not use_cache:
            name = bp.project.name
            if len(plans) > 1:
                name += f"-{bp.spec.target_triple}"
            return _compile_uncached(bp, config, options, progress, options.out or Path(name))
        entry, hit = _compile_cached(bp, config, options, progress)
        return compiled_from_entry(entry, hit, bp.hosts, bp.loaded.name)

    if len(plans) == 1:
        return [one(plans[0])]
    workers = max(1, min(config.max_parallel_compilations, len(plans)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="build") as pool:
        return list(pool.map(one, plans))


def compiled_from_entry(
    entry: CacheEntry, hit: bool, hosts: tuple[str, ...] = (), plan_name: str | None = None
) -> CompiledBinary:
    """The :class:`CompiledBinary` that a cache entry describes."""
    return CompiledBinary(
        binary_id=entry.key[:16],
        target_triple=entry.target_triple,
        binary_path=entry.path,
        size=entry.size,
        checksum=entry.checksum,
        compilation_time=entry.compilation_time,
        optimization_level=OptimizationLevel.parse(entry.optimization_level),
        template_hash=entry.template_hash,
        created_at=entry.created_at,
        cache_key=entry.key,
        cache_hit=hit,
        builder=entry.builder,
        hosts=hosts,
        plan_name=entry.plan_name if plan_name is None else plan_name,
        post_processors=entry.post_processors,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- render, run, clean ------------------------------------------------------


def render_plan(
    plan_path: str | Path,
    out: Path | None = None,
    target: str | None = None,
    src_root: Path | None = None,
    allow_src_outside_root: bool = False,
    *,
    size_limit: int | None = None,
) -> dict[str, Any]:
    """Validate and render a plan; with ``out``, write a self-contained project there
    (the runtime inside) that builds with plain ``cargo build --offline``."""
    loaded, payload = prepare_payload(
        plan_path, src_root, allow_src_outside_root, size_limit=size_limit
    )
    project = render(loaded, payload, TargetSpecification(target_triple=target or "host"))
    summary: dict[str, Any] = {
        "binary_name": project.name,
        "template_hash": project.template_hash,
        "plan_hash": payload.plan_hash,
        "runtime_hash": project.runtime.hash,
        "modules": list(payload.modules),
        "files": [name for name, _ in project.sources] + ["Cargo.toml"],
    }
    if out is not None:
        if out.exists() and any(out.iterdir()):
            raise ProjectCreationFailed(
                f"{out} exists and is not empty", hint="choose an empty --out"
            )
        project.write(out)
        summary["out"] = str(out.resolve())
    return summary


def run_binary(
    binary: Path, args: list[str], *, timeout: float | None = None, stream: bool = False
) -> process.ProcessResult:
    """Run a compiled binary; with ``stream`` its stdout is echoed as it arrives."""
    return process.run(
        [binary, *args],
        timeout=timeout,
        on_stdout_line=(lambda line: print(line, flush=True)) if stream else None,
    )


def run_artifact(
    binary: CompiledBinary,
    args: list[str],
    config: CompilerConfig,
    *,
    timeout: float | None = None,
    stream: bool = False,
) -> process.ProcessResult:
    """Run a compiled binary: through the first plugin whose ``rustle_run_artifact``
    takes it (an emulator, a remote runner), else here with :func:`run_binary`."""
    result = _pm().hook.rustle_run_artifact(artifact=binary, argv=list(args), settings=config)
    if result is not None:
        return result
    return run_binary(binary.binary_path, args, timeout=timeout, stream=stream)


def clean(config: CompilerConfig, *, everything: bool = False) -> dict[str, Any]:
    """Remove temp projects no process is using and what killed processes left in the
    cache (half-written entries, runtime copies and index records); with ``everything``
    also the shared build dirs and outdated runtime copies (binaries stay: see
    ``cache --clear``)."""
    from .cache_index import CacheIndex
    from .runtime_source import sweep_runtime_copies
    from .workspace import clean_stale_projects

    removed = [str(p) for p in clean_stale_projects(config.temp_dir)]
    debris = [
        *BinaryCache(config.cache_dir).sweep(),
        *sweep_runtime_copies(config.cache_dir),
        *CacheIndex(config.cache_dir).sweep(),
    ]
    dropped: list[str] = []
    if everything:
        dropped += _drop_build_dirs(config.cache_dir / "build")
        runtime_root = config.cache_dir / "runtime"
        current = runtime_hash()
        if runtime_root.is_dir():
            for child in runtime_root.iterdir():
                if child.is_dir() and child.name != current and not child.name.startswith("."):
                    shutil.rmtree(child, ignore_errors=True)
                    dropped.append(str(child))
    return {
        "temp_projects_removed": removed,
        "debris_removed": debris,
        "build_dirs_removed": dropped,
    }


def _drop_build_dirs(root: Path) -> list[str]:
    dropped: list[str] = []
    if not root.is_dir():
        return dropped
    for target_dir in sorted(p for p in root.glob("*/*/*") if p.is_dir()):
        with try_hold(str(target_dir) + ".lock") as free:
            if free:  # else a build is running there
                shutil.rmtree(target_dir, ignore_errors=True)
                dropped.append(str(target_dir))
    return dropped
