"""The one subprocess wrapper: every external command goes through :func:`run`.

Commands are argv lists (never shell strings); each runs in its own process
group so that a timeout kills the whole tree (cargo, rustc, linkers), not only
the direct child. Output is captured; callers that want to watch progress pass
``on_stdout_line`` and get each stdout line as it arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, ToolchainMissing


@dataclass(frozen=True)
class ProcessResult:
    """What a finished command left behind."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def stderr_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of stderr, where error messages live."""
        return "\n".join(self.stderr.rstrip().splitlines()[-lines:])


def _pump(stream, sink: list[str], on_line: Callable[[str], None] | None) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line)
        if on_line is not None:
            on_line(line.rstrip("\n"))
    stream.close()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# Commands running right now, in any thread, so that a signal to this program reaches
# them all: each runs in its own session, where a terminal's Ctrl-C does not go.
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_forwarded = threading.Event()
# How long an interrupted command may take to stop after a forwarded signal: a compiled
# binary finishes its current task and prints its report; cargo stops at once.
STOP_GRACE = 10.0


def forward_signal(signum: int) -> int:
    """Send ``signum`` to the process group of every running command (from any thread);
    a command interrupted afterwards gets :data:`STOP_GRACE` seconds to stop by itself
    before it is killed. Returns how many got it."""
    _forwarded.set()
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        try:
            # To the command itself (the supervisor passes it on), not to its children:
            # a compiled binary lets its current task's command finish.
            proc.send_signal(signum)
        except (ProcessLookupError, PermissionError):
            pass
    return len(procs)


def _stop(proc: subprocess.Popen) -> None:
    """Stop an interrupted command: after a forwarded signal let it end on its own for a
    while, then (or straight away) kill its whole group."""
    if _forwarded.is_set():
        try:
            proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(proc)
    proc.wait()


# On Linux every command runs under a small supervisor that kills the command's whole
# process group when the thread that started it dies, even by SIGKILL (see _supervisor.py).
_SUPERVISOR = Path(__file__).with_name("_supervisor.py")
SUPERVISE = sys.platform == "linux" and bool(sys.executable) and _SUPERVISOR.is_file()


def _check_runnable(
    program: str, cwd: str | os.PathLike[str] | None, env: Mapping[str, str] | None
) -> None:
    """Raise :class:`ToolchainMissing` as starting ``program`` would (the supervisor
    starts it later, where the failure would only be an exit code)."""
    if os.sep in program:
        path = Path(cwd or ".") / program
        if not path.is_file():
            raise ToolchainMissing(f"cannot run {program!r}: not found")
        if not os.access(path, os.X_OK):
            raise ToolchainMissing(f"cannot run {program!r}: permission denied")
    elif which(program, env) is None:
        raise ToolchainMissing(f"cannot run {program!r}: not found")


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdin_text: str | None = None,
    on_stdout_line: Callable[[str], None] | None = None,
    on_stderr_line: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    supervised: bool = True,
) -> ProcessResult:
    """Run ``argv`` to completion and return its result; never raises on exit codes.

    ``timeout`` is in seconds: past it the process group gets SIGKILL and the
    result has ``timed_out=True``. A program that cannot be started raises
    :class:`ToolchainMissing` naming it. ``on_start`` gets the pid (which is also
    the process group id) as soon as the process runs, for callers that signal it:
    SIGTERM or SIGINT sent to that pid reach the command, SIGKILL sent to the group
    ends the command and everything it started. On Linux a ``supervised`` command
    also dies with this program, even when it is killed with SIGKILL (a supervisor
    process costs some 20 ms: quick queries such as ``rustc -vV`` opt out).
    """
    args = [os.fspath(a) for a in argv]
    started = time.monotonic()
    launch = args
    if supervised and SUPERVISE:
        _check_runnable(args[0], cwd, env)
        launch = [sys.executable, "-I", "-S", str(_SUPERVISOR), str(os.getpid()), *args]
    try:
        proc = subprocess.Popen(
            launch,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolchainMissing(f"cannot run {args[0]!r}: not found") from exc
    except PermissionError as exc:
        raise ToolchainMissing(f"cannot run {args[0]!r}: permission denied") from exc

    with _running_lock:
        _running.add(proc)
    try:
        return _wait(
            proc, args, started, timeout, stdin_text, on_stdout_line, on_stderr_line, on_start
        )
    finally:
        with _running_lock:
            _running.discard(proc)


def _wait(
    proc: subprocess.Popen,
    args: list[str],
    started: float,
    timeout: float | None,
    stdin_text: str | None,
    on_stdout_line: Callable[[str], None] | None,
    on_stderr_line: Callable[[str], None] | None,
    on_start: Callable[[int], None] | None,
) -> ProcessResult:
    out: list[str] = []
    err: list[str] = []
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, out, on_stdout_line), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, err, on_stderr_line), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    if on_start is not None:
        on_start(proc.pid)
    if stdin_text is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin_text)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.wait()
    except BaseException:
        # KeyboardInterrupt and friends: take the whole tree down with us, letting what
        # it printed meanwhile through.
        _stop(proc)
        for pump in pumps:
            pump.join(timeout=1)
        raise
    # Grandchildren may still hold the pipes open after a kill; don't wait forever.
    for pump in pumps:
        pump.join(timeout=5 if timed_out else None)
    return ProcessResult(
        argv=tuple(args),
        returncode=proc.returncode,
        stdout="".join(out),
        stderr="".join(err),
        duration=time.monotonic() - started,
        timed_out=timed_out,
    )


class ProcessExecutor:
    """:func:`run` with a default timeout and environment, for callers that keep settings."""

    def __init__(self, timeout: float | None = None, env: Mapping[str, str] | None = None):
        self.timeout = timeout
        self.env = env

    def run(self, argv: Sequence[str | os.PathLike[str]], **kwargs: object) -> ProcessResult:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("env", self.env)
        return run(argv, **kwargs)  # type: ignore[arg-type]


def which(program: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Where ``program`` is on PATH (of ``env`` when given), or None."""
    import shutil

    path = (env or os.environ).get("PATH")
    found = shutil.which(program, path=path)
    return Path(found) if found else None


def which_installed(program: str, env: Mapping[str, str] | None = None) -> Path | None:
    """:func:`which`, else ``program`` beside this Python: where pip puts console scripts
    (a venv's bin folder is not on PATH unless the venv is activated)."""
    found = which(program, env)
    if found is not None:
        return found
    import sys

    beside = Path(sys.executable).parent / program
    return beside if beside.is_file() and os.access(beside, os.X_OK) else None


def configured_executable(path: Path, what: str, hint: str) -> Path:
    """``path``, a setting that names ``what``'s executable: refused with ``hint`` unless it
    is an executable file."""
    if not path.is_file() or not os.access(path, os.X_OK):
        problem = "does not exist" if not path.exists() else "is not an executable file"
        raise ConfigError(f"the configured {what} ({path}) {problem}", hint=hint)
    return path.absolute()
