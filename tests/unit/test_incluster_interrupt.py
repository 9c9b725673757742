"""`netconform run --in-cluster --wait` removes its run however early an interrupt arrives.

CI's test reads the "started" line and sends SIGINT at once; when that line was printed before the
try/finally that deletes the run, the interrupt could land in between and leave the run's namespace and
ClusterRoleBinding behind (CI, 2026-12-02). Here the interrupt is raised by the write of that very line.
The kubernetes client's websocket calls (exec, port-forward) wrap an interrupt as ApiException(status=0);
the last tests check that it comes back out as the interrupt it is (CI, 2026-12-03).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import pytest

from netconform.commands import incluster as command


class InterruptOnStarted(io.StringIO):
    def write(self, text: str) -> int:
        if "started" in text:
            raise KeyboardInterrupt
        return super().write(text)


@pytest.fixture
def deleted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A run that starts at once (no cluster); the run ids ``incluster.delete`` was called with."""
    calls: list[str] = []
    fake = command.incluster
    monkeypatch.setattr(command, "_connect", lambda args: object())
    monkeypatch.setattr(fake, "missing_permissions", lambda cluster: [])
    monkeypatch.setattr(fake, "require_run_role", lambda cluster: None)
    monkeypatch.setattr(fake, "create", lambda cluster, spec: None)
    monkeypatch.setattr(fake, "wait_started", lambda cluster, run_id: "netconform-abcde")

    def delete(cluster: Any, run_id: str, wait: bool = True) -> list[str]:
        calls.append(run_id)
        return [f"Namespace/netconform-run-{run_id}"]

    monkeypatch.setattr(fake, "delete", delete)
    return calls


def _args(wait: bool) -> argparse.Namespace:
    return argparse.Namespace(
        image="registry.example/netconform:0.1.0", extra=[], runner_pull_policy="IfNotPresent",
        wait=wait, wait_timeout=60.0, output=Path("unused.tar.gz") if wait else None,
    )  # fmt: skip


def test_an_interrupt_while_the_started_line_is_written_still_deletes_the_run(
    monkeypatch: pytest.MonkeyPatch, deleted: list[str]
) -> None:
    monkeypatch.setattr("sys.stdout", InterruptOnStarted())
    with pytest.raises(KeyboardInterrupt):
        command.run_in_cluster(_args(wait=True))
    assert len(deleted) == 1


def test_without_wait_the_started_run_is_left_running(
    monkeypatch: pytest.MonkeyPatch, deleted: list[str]
) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    assert command.run_in_cluster(_args(wait=False)) == 0
    assert deleted == []
    assert "started: pod netconform-run-" in out.getvalue()


def test_an_interrupt_during_an_exec_stays_an_interrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    """kubernetes.stream wraps a Ctrl-C inside its websocket call as ApiException(status=0); the
    translation gives the interrupt back, so `--wait` ends with 130, not "error: exec ...: HTTP 0" (9)."""
    from kubernetes import client
    from kubernetes.stream import ws_client

    from netconform.adapters.kube.execution import exec_in_pod

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ws_client, "WSClient", interrupted)
    core = client.CoreV1Api(client.ApiClient(client.Configuration()))
    with pytest.raises(KeyboardInterrupt):
        exec_in_pod(core, "ns", "pod", ["true"])


def test_an_interrupt_the_client_wrapped_outside_our_wrapper_ends_the_command_with_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's last line of defence (an ApiException that escaped ``translated``) gives it back too."""
    from kubernetes.client.exceptions import ApiException

    from netconform import cli
    from netconform.errors import ExitCode

    def wrapped_interrupt(args: argparse.Namespace) -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:  # as websocket_call does (its bare raise sets __context__ too)
            raise ApiException(status=0, reason=str(err)) from None

    monkeypatch.setattr(command, "status", wrapped_interrupt)
    assert cli.main(["status"]) == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "netconform: interrupted\n"


def test_an_interrupt_while_a_port_forward_opens_is_no_unreachable_observation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kubernetes.stream's portforward_call wraps it the same way; the API-server probe gives it back rather
    than recording the pod as unreachable over pods/portforward."""
    from types import SimpleNamespace

    from kubernetes import client
    from kubernetes.stream import ws_client

    from netconform.checks.apiserver import reachability
    from netconform.core.apiserver.paths import ApiServerPath, Backend, Mechanism

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ws_client, "create_websocket", interrupted)
    kube: Any = SimpleNamespace(core=client.CoreV1Api(client.ApiClient(client.Configuration())))
    target = ApiServerPath(Mechanism.PORT_FORWARD, Backend.POD_NETWORK)
    with pytest.raises(KeyboardInterrupt):
        reachability.port_forward_http(kube, target, "ns", "pod", port=8080, expected_body="pod")
