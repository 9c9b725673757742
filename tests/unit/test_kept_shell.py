"""The kept shell (adapters.kube.shell) against a real /bin/sh on this machine in place of the exec stream."""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pytest
from kubernetes import client

from netconform.adapters.kube import shell as shell_module
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import Transient
from netconform.adapters.kube.execution import ExecResult
from netconform.adapters.kube.shell import KeptShell, KeptShells
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.model import Endpoint, ProbeJob
from netconform.core.truthtable import Cell, Protocol
from tests.unit.test_probe_methods import EchoMethod


class LocalStream:
    """The part of kubernetes' WSClient the kept shell uses, over a local `sh` with pipes."""

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def write_stdin(self, data: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data.encode())
        self.process.stdin.flush()

    def read_stdout(self, timeout: float) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return os.read(self.process.stdout.fileno(), 65536).decode() if ready else ""

    def read_stderr(self, timeout: float) -> str:
        return ""

    def read_all(self) -> str:
        return ""

    def is_open(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LocalStream]]:
    streams: list[LocalStream] = []

    def stream(_method: Any, _pod: str, _namespace: str, *, command: list[str], **_: Any) -> LocalStream:
        streams.append(LocalStream(command))
        return streams[-1]

    monkeypatch.setattr(shell_module, "stream", stream)
    yield streams
    for opened_stream in streams:
        opened_stream.close()


def kept() -> KeptShell:
    return KeptShell(client.CoreV1Api(client.ApiClient()), "nc-run-x", "a", "cont-80")


def test_scripts_share_one_shell_and_each_gets_its_own_output_and_status(opened: list[LocalStream]) -> None:
    shell = kept()
    first = shell.run("x=kept; echo one; echo two", timeout_s=5)
    second = shell.run('echo "$x"; false', timeout_s=5)
    assert (first.stdout, first.returncode) == ("one\ntwo\n", 0)
    assert (second.stdout, second.returncode) == ("kept\n", 1)  # the same shell: its variable survived
    assert len(opened) == 1
    assert second.reproduce == "kubectl exec -n nc-run-x a -c cont-80 -- /bin/sh -c 'echo \"$x\"; false'"


def test_a_script_past_its_bound_closes_the_shell_and_its_late_output_never_reaches_the_next(
    opened: list[LocalStream],
) -> None:
    shell = kept()
    with pytest.raises(Transient, match=r"no end of the script within 0\.3 s"):
        shell.run("sleep 1; echo late", timeout_s=0.3)
    assert not opened[0].is_open()
    after = shell.run("echo fresh", timeout_s=5)
    assert after.stdout == "fresh\n"
    assert len(opened) == 2


def test_a_shell_that_exits_is_a_transient_error_and_the_next_script_opens_another(
    opened: list[LocalStream],
) -> None:
    shell = kept()
    with pytest.raises(Transient, match="the stream ended"):
        shell.run("exit 3", timeout_s=5)
    assert shell.run("echo again", timeout_s=5).stdout == "again\n"
    assert len(opened) == 2


class KeptShellCluster:
    """A KubeCluster stand-in that has only run_script, so an exec would fail the test."""

    def __init__(self) -> None:
        self.shells = KeptShells(client.CoreV1Api(client.ApiClient()))

    def run_script(
        self, namespace: str, pod: str, script: str, *, container: str | None, timeout_s: float
    ) -> ExecResult:
        return self.shells.run(namespace, pod, script, container=container, timeout_s=timeout_s)


class DeadlineEcho(EchoMethod):
    needs_deadline = True  # the batch's watchdog runs in the kept shell too


def test_the_prober_runs_every_pass_of_a_source_in_its_one_kept_shell(opened: list[LocalStream]) -> None:
    sources = [Endpoint("x/a", "nc-run-x", "a", "cont-80"), Endpoint("y/b", "nc-run-y", "b", "cont-80")]
    jobs = [
        ProbeJob(source, target, "10.0.0.9", port, Protocol.TCP)
        for source in sources
        for target in ("z/c", "z/b")
        for port in (80, 81)
    ]
    prober = ExecProber(cast(KubeCluster, KeptShellCluster()), method=DeadlineEcho(), keep_shells=True)
    passes = [prober.probe(jobs) for _ in range(3)]
    assert len(opened) == 2  # one shell per source, for all three passes
    for results in passes:
        assert [(r.state, r.detail) for r in results] == [
            (Cell.ALLOWED if job.port == 80 else Cell.REFUSED, job.target_key) for job in jobs
        ]
