"""Daemons of the test bed: started detached with a pid file, stopped by that pid and nothing else.

A pid file holds the pid and the process's start time (field 22 of /proc/PID/stat), so that a stop after a
reboot or a pid reuse never signals a stranger's process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from netconform.errors import CannotCheck
from netconform.testbed.paths import Layout

_STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class Daemon:
    name: str
    argv: tuple[str, ...]
    netns: str | None = None  # run inside this named network namespace (via nsenter, which keeps /sys)
    env: Mapping[str, str] | None = None
    mount_ns: Path | None = None  # and inside this pinned mount namespace (a node's private paths)


def start(layout: Layout, daemon: Daemon) -> int:
    layout.pids.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    argv: list[str] = list(daemon.argv)
    if daemon.netns or daemon.mount_ns:
        # nsenter execs the daemon itself, so the pid we record is the daemon's.
        entered = [f"--mount={daemon.mount_ns}"] if daemon.mount_ns else []
        entered += [f"--net=/run/netns/{daemon.netns}"] if daemon.netns else []
        argv = ["nsenter", *entered, "--", *argv]
    env = dict(os.environ)
    env.update(daemon.env or {})
    with log_path(layout, daemon.name).open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True
        )
    pid_path(layout, daemon.name).write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc.pid


def running_pid(layout: Layout, name: str) -> int | None:
    """The daemon's pid if its pid file names a live process that is still the one we started."""
    path = pid_path(layout, name)
    try:
        pid_text, started = path.read_text().split()
    except (FileNotFoundError, ValueError):
        return None
    pid = int(pid_text)
    if _start_time(pid) != started:
        return None
    return pid


def ensure_alive(layout: Layout, name: str) -> None:
    """Raise with the daemon's last log lines if it has exited."""
    if running_pid(layout, name) is None:
        raise CannotCheck(f"test bed: {name} exited; last log lines:\n{log_tail(layout, name)}")


def stop(layout: Layout, name: str) -> None:
    pid = running_pid(layout, name)
    if pid is not None:
        _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_S
        while time.monotonic() < deadline and running_pid(layout, name) is not None:
            _reap(pid)
            time.sleep(0.1)
        if running_pid(layout, name) is not None:
            _signal(pid, signal.SIGKILL)
            _reap(pid)
    pid_path(layout, name).unlink(missing_ok=True)


def kill_pids(pids: Sequence[int]) -> None:
    """SIGKILL processes the caller has proven are ours (e.g. in our cgroups or running our binaries)."""
    for pid in pids:
        _signal(pid, signal.SIGKILL)


def pid_path(layout: Layout, name: str) -> Path:
    return layout.pids / f"{name}.pid"


def log_path(layout: Layout, name: str) -> Path:
    return layout.logs / f"{name}.log"


def log_tail(layout: Layout, name: str, lines: int = 15) -> str:
    try:
        text = log_path(layout, name).read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ""
    # The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    state = fields[0]
    if state == "Z":
        return ""
    return fields[19]


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
