"""Runs one command for :mod:`rustle_invoke.process` and dies with its caller (Linux).

Usage: ``python -I -S _supervisor.py CALLER_PID PROGRAM [ARG...]``, started as the
leader of a new process group. It asks the kernel for SIGUSR1 when the thread that
started it goes away (``PR_SET_PDEATHSIG``), runs the command in its own group, and on
that signal kills the whole group: so a caller killed with SIGKILL leaves no cargo or
rustc behind. A SIGTERM or SIGINT sent to the supervisor while its caller lives is
passed on to the command alone, as if sent to it. The supervisor exits as the command
did (same code, or the same signal).

This file is run by path with ``-S`` (no site-packages), so it imports only the
standard library; it is not imported by the package.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
CALLER_DIED = signal.SIGUSR1


def main() -> None:
    caller = int(sys.argv[1])
    argv = sys.argv[2:]
    child = 0
    pending: list[int] = []

    def on_caller_death(signum: int, frame: object) -> None:
        os.killpg(0, signal.SIGKILL)  # the whole group, this process included

    def on_signal(signum: int, frame: object) -> None:
        if child:  # passed on to the command only (not to what it started)
            os.kill(child, signum)
        else:
            pending.append(signum)

    # The caller's death is told by a signal nobody forwards: when it arrives,
    # getppid() may still name the dead caller (gVisor), so it cannot tell the two apart.
    signal.signal(CALLER_DIED, on_caller_death)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, CALLER_DIED, 0, 0, 0)
    if os.getppid() != caller:  # died before the request took effect
        os.killpg(0, signal.SIGKILL)
    try:
        pid = os.fork()
    except OSError as exc:
        print(f"cannot start {argv[0]}: {exc}", file=sys.stderr)
        os._exit(126)
    if pid == 0:
        for handled in (CALLER_DIED, signal.SIGTERM, signal.SIGINT):
            signal.signal(handled, signal.SIG_DFL)
        try:
            os.execvp(argv[0], argv)
        except FileNotFoundError:
            os._exit(127)
        except OSError:
            os._exit(126)
    child = pid
    for signum in pending:
        os.kill(child, signum)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # end the same way, so the caller sees the signal
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


if __name__ == "__main__":
    main()
