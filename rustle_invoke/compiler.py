"""``BinaryCompiler``: the Python API over the pipeline, for plugins and tasks files."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .cache import BinaryCache
from .config import CompilerConfig, TargetSpecification
from .pipeline import (
    CompiledBinary,
    CompileOptions,
    compile_deployment,
    compile_plan,
    compiled_from_entry,
)
from .progress import Progress
from .workspace import clean_stale_projects


class BinaryCompiler:
    """Compile plans with one configuration.

    >>> compiler = BinaryCompiler(CompilerConfig.from_env())
    >>> spec = TargetSpecification("x86_64-unknown-linux-gnu")
    >>> binary = compiler.compile_binary("plan.json", spec)
    """

    def __init__(self, config: CompilerConfig | None = None, progress: Progress | None = None):
        self.config = config or CompilerConfig.from_env()
        self.progress = progress or Progress(quiet=True)

    def _options(
        self, spec: TargetSpecification | None, hosts: tuple[str, ...] = ()
    ) -> CompileOptions:
        if spec is None:
            return CompileOptions(hosts=hosts)
        return CompileOptions(
            target=spec.target_triple,
            profile=spec.optimization_level,
            target_cpu=spec.target_cpu,
            features=spec.features,
            hosts=hosts,
        )

    def compile_binary(
        self, plan: str | Path, target_spec: TargetSpecification | None = None
    ) -> CompiledBinary:
        """One binary for ``target_spec`` (default: this machine, the configured profile)."""
        return compile_plan(plan, self._options(target_spec), self.config, self.progress)

    def compile_for_deployment(
        self, plan: str | Path, hosts: dict[str, TargetSpecification] | None = None
    ) -> list[CompiledBinary]:
        """One binary per distinct target, built in parallel up to
        ``max_parallel_compilations``; each lists the hosts it serves. The targets come
        from ``hosts`` (name → target) when given, else from the plan's
        ``binary_deployments``."""
        if hosts is None:
            return compile_deployment(plan, CompileOptions(), self.config, self.progress)
        groups: dict[TargetSpecification, list[str]] = {}
        for host, spec in hosts.items():
            groups.setdefault(spec, []).append(host)
        jobs = [(spec, tuple(names)) for spec, names in groups.items()]
        workers = max(1, min(self.config.max_parallel_compilations, len(jobs)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(
                    compile_plan, plan, self._options(spec, names), self.config, self.progress
                )
                for spec, names in jobs
            ]
            return [future.result() for future in futures]

    def check_cache(
        self, template_hash: str, target: TargetSpecification | str
    ) -> CompiledBinary | None:
        """A verified cached binary built from ``template_hash`` for ``target``, if any."""
        triple = target if isinstance(target, str) else target.target_triple
        profile = None if isinstance(target, str) else target.optimization_level.value
        cache = BinaryCache(self.config.cache_dir)
        for item in cache.entries():
            if isinstance(item, str) or item.template_hash != template_hash:
                continue
            if item.target_triple != triple or (profile and item.optimization_level != profile):
                continue
            entry = cache.get(item.key)
            if entry is not None:
                return compiled_from_entry(entry, hit=True)
        return None

    def cleanup_temp_projects(self) -> list[Path]:
        """Remove temporary projects that no running build holds."""
        return clean_stale_projects(self.config.temp_dir)
