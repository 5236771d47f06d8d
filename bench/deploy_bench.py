"""The ``deploy`` section: ``rustle-invoke deploy`` against ``ansible-playbook``, the same
50 tasks on two real OpenSSH servers on loopback (tests/sshd.py), both tools reading one
inventory and checking host keys against one known_hosts file.

Every timed run writes into a new ``out_dir`` and is checked before its time counts: exit
code 0, a recap of ``ok=50 failed=0 unreachable=0`` for exactly the hosts it was given,
the files of every host on disk (and none of a host it was not given), nothing left in the
remote temp folder. The settings are timed in turns, so a slower minute of the machine
falls on every setting alike.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustle_invoke import process
from rustle_invoke.errors import ToolchainMissing

from . import deploy_work as work
from .measure import (
    BenchEnv,
    BenchError,
    Stats,
    cli_argv,
    command_text,
    fresh_env,
    progress,
    spread,
    timed,
)
from .measure import seconds as seconds_text

_TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

import sshd  # noqa: E402

NAME = "deploy"
# The timed settings, in the order they run in each turn; "hosts" counts are 1 and 2.
ANSIBLE = "ansible_playbook"
ANSIBLE_PIPELINING = "ansible_playbook_pipelining"
RUSTLE = "rustle_deploy_cached"
SETTINGS = (ANSIBLE, ANSIBLE_PIPELINING, RUSTLE)
HOST_COUNTS = (1, 2)
ANSIBLE_TIMEOUT = 1800.0

_RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=\d+\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)
# The deploy's own line per host: "web1: ok (ok=50 changed=40 ..., 0.56 s)".
_HOST_LINE = re.compile(r"^(?P<host>\S+): ok \(ok=\d+ .*, (?P<seconds>[\d.]+) s\)$", re.MULTILINE)
# The compile's line: "built: NAME → PATH (1.4 MiB, TRIPLE, release, 44.38 s)" (or "cache hit").
_BINARY_LINE = re.compile(
    r"^(?:built|cache hit): .* \((?P<size>[^,]+), (?P<target>[^,]+), (?P<profile>[^,]+), "
    r"[\d.]+ s\)$",
    re.MULTILINE,
)


def _ansible_playbook() -> Path:
    """ansible-playbook beside this Python (a pyenv shim on PATH would add its own
    start-up to every Ansible run), else on PATH."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = process.which("ansible-playbook")
    if found is None:
        raise BenchError(
            "ansible-playbook is not installed",
            hint="pip install -e '.[test]' installs ansible-core",
        )
    return found


def _python_for_ansible() -> str:
    """The target-side interpreter Ansible is told to use: the system's Python 3 (what a
    fresh host has; a pyenv shim needs the login's pyenv set-up), else this Python."""
    system = Path("/usr/bin/python3")
    return str(system) if system.is_file() else sys.executable


def _first_line(argv: Sequence[str]) -> str:
    try:
        result = process.run(argv, timeout=60, supervised=False)
    except ToolchainMissing:
        return "not found"
    text = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return text[0] if text else "unknown"


@dataclass(frozen=True)
class Lab:
    """The servers, the client key, the known_hosts file and the work, ready to run."""

    env: BenchEnv
    hosts: tuple[work.HostAddress, ...]
    key: Path
    known_hosts: Path
    plan: Path
    playbook: Path
    python: str
    ansible: Path
    control_dir: Path
    tasks: tuple[work.WorkTask, ...]

    @property
    def remote_tmp(self) -> Path:
        return self.env.root / "remote-tmp"

    def inventory(self, label: str) -> tuple[Path, Path]:
        """A new inventory whose ``out_dir`` is a new empty folder; both paths."""
        out_dir = self.env.work / "out" / label
        out_dir.mkdir(parents=True)
        path = work.write_inventory(
            self.env.work / "inventories" / f"{label}.ini",
            self.hosts,
            key=self.key,
            known_hosts=self.known_hosts,
            python=self.python,
            remote_tmp=self.remote_tmp,
            out_dir=out_dir,
        )
        return path, out_dir

    def ansible_env(self, pipelining: bool) -> BenchEnv:
        """Ansible's defaults (an empty config file; no ANSIBLE_* variable from outside),
        with pipelining set, host keys checked, and the ControlPersist sockets in a folder
        of their own so that the masters can be stopped at the end."""
        variables = {k: v for k, v in self.env.variables.items() if not k.startswith("ANSIBLE_")}
        variables.pop("PYTHONPATH", None)  # the suite's, for rustle-invoke only
        if os.environ.get("PYTHONPATH"):
            variables["PYTHONPATH"] = os.environ["PYTHONPATH"]
        variables.update(
            ANSIBLE_CONFIG=str(self.env.work / "ansible.cfg"),
            ANSIBLE_PIPELINING=str(pipelining),
            ANSIBLE_HOST_KEY_CHECKING="True",
            ANSIBLE_SSH_CONTROL_PATH_DIR=str(self.control_dir),
        )
        return dataclasses.replace(self.env, variables=variables)

    def argv(self, setting: str, inventory: Path, hosts: int) -> list[str]:
        """The command of ``setting`` for the first ``hosts`` hosts."""
        return command(
            setting, hosts, inventory, self.plan, self.playbook, self.known_hosts, self.ansible
        )


def command(
    setting: str,
    hosts: int,
    inventory: Path | str = "INVENTORY",
    plan: Path | str = "PLAN",
    playbook: Path | str = "PLAYBOOK",
    known_hosts: Path | str = "KNOWN_HOSTS",
    ansible: Path | str = "ansible-playbook",
) -> list[str]:
    """The argv of ``setting`` for the first ``hosts`` hosts (by default with the names
    the docs use for the files)."""
    limit = ["--limit", work.HOSTS[0]] if hosts == 1 else []
    if setting == RUSTLE:
        return [
            *cli_argv(),
            "deploy",
            "--plan",
            str(plan),
            "--inventory",
            str(inventory),
            "--known-hosts",
            str(known_hosts),
            *limit,
        ]
    return [str(ansible), "-i", str(inventory), str(playbook), *limit]


@contextmanager
def _lab(settings_root: Path) -> Iterator[Lab]:
    """Two sshd servers, a client key, known_hosts, the plan and the playbook; the servers
    and any Ansible ControlPersist master are stopped on the way out."""
    if not sshd.SSHD.exists():
        raise BenchError(f"{sshd.SSHD} is not installed", hint="apt-get install openssh-server")
    ansible = _ansible_playbook()
    env = fresh_env(settings_root, NAME)
    servers: list[sshd.Sshd] = []
    # ssh's control socket paths must stay short (about 100 bytes): not under --root.
    control_dir = Path(tempfile.mkdtemp(prefix="rustle-bench-cp-"))
    try:
        try:
            key = sshd.keypair(env.root / "client_ed25519")
            for name in work.HOSTS:
                servers.append(sshd.start_sshd(env.root / name, key))
        except AssertionError as exc:  # tests/sshd.py's way of failing
            raise BenchError(f"the ssh servers did not start: {exc}") from None
        known_hosts = env.root / "known_hosts"
        known_hosts.write_text("".join(s.known_hosts_line() for s in servers))
        tasks = work.work()
        (env.work / "ansible.cfg").write_text("")
        pairs = zip(work.HOSTS, servers, strict=True)
        yield Lab(
            env,
            tuple(work.HostAddress(name, s.port, s.user) for name, s in pairs),
            key,
            known_hosts,
            work.write_plan(env.work / "plan.json", tasks),
            work.write_playbook(env.work / "playbook.yml", tasks),
            _python_for_ansible(),
            ansible,
            control_dir,
            tasks,
        )
    finally:
        for socket in control_dir.iterdir():
            process.run(
                ["ssh", "-O", "exit", "-o", f"ControlPath={socket}", "bench"],
                timeout=30,
                supervised=False,
            )
        shutil.rmtree(control_dir, ignore_errors=True)
        for server in servers:
            server.stop()


def _check(lab: Lab, what: str, output: str, out_dir: Path, hosts: int) -> None:
    """A run counts only if it did all the work on exactly its hosts and left nothing in
    the remote temp folder."""
    wanted = work.HOSTS[:hosts]
    recap = {m["host"]: m for m in _RECAP.finditer(output)}
    if set(recap) != set(wanted):
        raise BenchError(f"{what}: recap for {sorted(recap)}, expected {list(wanted)}")
    for host, line in recap.items():
        counts = (int(line["ok"]), int(line["failed"]), int(line["unreachable"]))
        if counts != (len(lab.tasks), 0, 0):
            raise BenchError(f"{what}: {host}: {line.group(0).strip()}")
    per_host = work.written_per_host(lab.tasks)
    expected = {h: per_host if h in wanted else 0 for h in work.HOSTS}
    found = work.written(out_dir)
    if found != expected:
        raise BenchError(f"{what}: files per host {found}, expected {expected}")
    left = sorted(p.name for p in lab.remote_tmp.iterdir()) if lab.remote_tmp.is_dir() else []
    if left:
        raise BenchError(f"{what}: left in the remote temp folder: {', '.join(left[:5])}")


@dataclass(frozen=True)
class Run:
    """One checked run: its wall time, the CPU time of the tool's process tree on the
    controller, and for a deploy the slowest host's upload and run as the deploy itself
    measured it."""

    seconds: float
    cpu: float
    remote: float | None = None
    binary: dict[str, str] | None = None


def _run(lab: Lab, setting: str, hosts: int, label: str, *, warm: bool = True) -> Run:
    inventory, out_dir = lab.inventory(label)
    argv = lab.argv(setting, inventory, hosts)
    what = f"{setting}, {hosts} host{'s' if hosts > 1 else ''} ({label})"
    before = _children_cpu()
    if setting == RUSTLE:
        elapsed, result = timed(argv, lab.env, cwd=lab.env.work)
    else:
        env = lab.ansible_env(pipelining=setting == ANSIBLE_PIPELINING)
        elapsed, result = timed(argv, env, cwd=lab.env.work, timeout=ANSIBLE_TIMEOUT)
    cpu = _children_cpu() - before
    _check(lab, what, result.stdout, out_dir, hosts)
    if setting != RUSTLE:
        return Run(elapsed, cpu)
    if warm:
        for host in work.HOSTS[:hosts]:
            if not re.search(rf"^{host}: \S+ \(remembered\)$", result.stderr, re.MULTILINE):
                raise BenchError(f"{what}: {host}'s target was not remembered")
        if not re.search(r"^cache hit: ", result.stderr, re.MULTILINE):
            raise BenchError(f"{what}: the binary was not a cache hit", hint=result.stderr[-800:])
    durations = [float(m["seconds"]) for m in _HOST_LINE.finditer(result.stderr)]
    binary = _BINARY_LINE.search(result.stderr)
    if len(durations) != hosts or binary is None:
        raise BenchError(
            f"{what}: expected {hosts} host lines and the binary's line",
            hint=result.stderr[-800:],
        )
    return Run(elapsed, cpu, max(durations), binary.groupdict())


def _children_cpu() -> float:
    """User + system seconds of every finished child process (and the children they
    waited for): the difference around a run is its process tree's CPU time. Processes
    that detach (Ansible's ControlPersist master) and the servers are not counted."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(root: Path, runs: int) -> dict[str, Any]:
    """The section's results (see the module's docstring)."""
    load_before = os.getloadavg()
    with _lab(root) as lab:
        cold = _run(lab, RUSTLE, 2, "cold", warm=False)
        progress(
            NAME, f"cold deploy (runtime + plan compiled), 2 hosts: {seconds_text(cold.seconds)}"
        )
        for hosts in HOST_COUNTS:  # untimed: caches each --limit's binary
            _run(lab, RUSTLE, hosts, f"warm-up-{hosts}")
        measured: dict[tuple[str, int], list[Run]] = {}
        for turn in range(runs):
            for setting in SETTINGS:
                for hosts in HOST_COUNTS:
                    got = _run(lab, setting, hosts, f"{setting}-{hosts}-{turn}")
                    measured.setdefault((setting, hosts), []).append(got)
                    progress(
                        NAME,
                        f"run {turn + 1}/{runs}: {setting}, {hosts} host(s): "
                        f"{seconds_text(got.seconds)}",
                    )
        facts = {
            "ansible": _first_line([str(lab.ansible), "--version"]),
            "ansible_python_interpreter": lab.python,
            "target_python": _first_line([lab.python, "--version"]),
            "openssh": _first_line(["ssh", "-V"]),
            "tasks": len(lab.tasks),
            "modules": {m: sum(t.module == m for t in lab.tasks) for m in work.MODULES},
            "files_per_host": work.written_per_host(lab.tasks),
        }
    results: dict[str, Any] = {}
    cpu: dict[str, Any] = {}
    for setting in SETTINGS:
        results[setting], cpu[setting] = {}, {}
        for hosts in HOST_COUNTS:
            stats = Stats.of([r.seconds for r in measured[(setting, hosts)]])
            results[setting][str(hosts)] = stats.to_json()
            cpu[setting][str(hosts)] = Stats.of(
                [r.cpu for r in measured[(setting, hosts)]]
            ).to_json()
            progress(NAME, f"{setting}, {hosts} host(s): {spread(stats)}")
    remote = {
        str(hosts): Stats.of(
            [r.remote for r in measured[(RUSTLE, hosts)] if r.remote is not None]
        ).to_json()
        for hosts in HOST_COUNTS
    }
    return {
        **facts,
        "hosts": list(work.HOSTS),
        "binary": cold.binary,
        "commands": {
            ANSIBLE: f"ANSIBLE_PIPELINING=False {command_text(command(ANSIBLE, 2))}",
            ANSIBLE_PIPELINING: "ANSIBLE_PIPELINING=True "
            + command_text(command(ANSIBLE_PIPELINING, 2)),
            RUSTLE: command_text(command(RUSTLE, 2)),
            "one_host": f"the same with --limit {work.HOSTS[0]}",
        },
        "settings": results,
        "controller_cpu_s": cpu,
        "rustle_deploy_cold_s": Stats.of([cold.seconds]).to_json(),
        "rustle_cold_host_upload_run_s": cold.remote,
        "rustle_host_upload_run_s": remote,
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
    }
