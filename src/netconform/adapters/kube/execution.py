"""Running a command in a container through the API server (pods/exec), with a bound."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from kubernetes import client
from kubernetes.stream import stream
from websocket import WebSocketException

from netconform.adapters.kube.errors import Transient, translated


@dataclass(frozen=True)
class ExecResult:
    returncode: int | None  # None: the stream ended without a status (timeout or broken connection)
    stdout: str
    stderr: str
    reproduce: str  # the kubectl command that does the same

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def kubectl_exec(namespace: str, pod: str, command: Sequence[str], container: str | None = None) -> str:
    target = f"-n {namespace} {pod}" + (f" -c {container}" if container else "")
    return f"kubectl exec {target} -- {shlex.join(command)}"


def exec_in_pod(
    core: client.CoreV1Api,
    namespace: str,
    pod: str,
    command: Sequence[str],
    *,
    container: str | None = None,
    timeout_s: float = 30.0,
) -> ExecResult:
    reproduce = kubectl_exec(namespace, pod, command, container)
    # kubernetes.stream.stream swaps ``call_api`` on the ApiClient for the duration of the call; concurrent
    # execs (the batched prober) on a shared client can leave the swap in place, and every later REST call
    # then goes over a websocket ("Handshake status 200 OK"). A private ApiClient per exec avoids the race.
    private = client.ApiClient(core.api_client.configuration)
    try:
        return _exec(private, namespace, pod, command, container, timeout_s, reproduce)
    except WebSocketException as err:  # the exec stream broke (a loaded API server): worth another try
        raise Transient(f"exec in pod {namespace}/{pod}: stream lost: {err}") from err
    finally:
        private.close()


def _exec(  # noqa: PLR0917
    private: client.ApiClient,
    namespace: str,
    pod: str,
    command: Sequence[str],
    container: str | None,
    timeout_s: float,
    reproduce: str,
) -> ExecResult:
    kwargs = {"container": container} if container else {}
    with translated(f"exec in pod {namespace}/{pod}"):
        ws = stream(
            client.CoreV1Api(private).connect_get_namespaced_pod_exec,
            pod,
            namespace,
            command=list(command),
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
            **kwargs,
        )
        try:
            ws.run_forever(timeout=timeout_s)
            stdout = ws.read_stdout() or ""
            stderr = ws.read_stderr() or ""
            returncode = ws.returncode if not ws.is_open() else None
        except ValueError as err:
            # The client parses the status channel's cause as the exit code; when the runtime could not start
            # the process at all ("OCI runtime exec failed: ... fork/exec: resource temporarily unavailable")
            # the cause is that message instead. Worth another try, never a crash.
            raise Transient(f"exec in pod {namespace}/{pod}: the runtime could not start it: {err}") from err
        finally:
            ws.close()
    return ExecResult(returncode, stdout, stderr, reproduce)
