"""A shell kept open in a container: many scripts over one pods/exec stream.

Every exec costs the API server and the kubelet a new stream and the runtime a new process (``runc exec``).
Measured on the 2-core bed (2026-12-03): a probe pass of one probe per source pod (9 execs) took 0.44 s, a
full pass of 288 probes from the same 9 pods 1.06 s, so the execs were 40 % of every pass. The prober
probes the same 9 source pods hundreds of times a run, so it keeps one ``/bin/sh`` per pod and writes each
script to its stdin; the script's output ends at a marker line carrying a fresh token and the script's exit
status, so the reader knows where this script's output stops, and stale output can never pass for it.

A stream that broke or a script that overran its bound closes the shell (the next script opens a new one);
the caller gets a :class:`~netconform.adapters.kube.errors.Transient` error, never a verdict.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Any

from kubernetes import client
from kubernetes.stream import stream
from websocket import WebSocketException

from netconform.adapters.kube.errors import Transient, translated
from netconform.adapters.kube.execution import ExecResult, kubectl_exec

END_MARK = "@@netconform-end"
SHELL = "/bin/sh"


class KeptShell:
    """One ``/bin/sh`` in one container, opened on first use; one script at a time."""

    def __init__(self, core: client.CoreV1Api, namespace: str, pod: str, container: str | None) -> None:
        self.core = core
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.where = f"kept shell in pod {namespace}/{pod}"
        self._lock = threading.Lock()
        self._api: client.ApiClient | None = None
        self._ws: Any = None

    def run(self, script: str, timeout_s: float) -> ExecResult:
        """Run the script in the kept shell; its stdout up to the end marker, and its exit status."""
        reproduce = kubectl_exec(self.namespace, self.pod, [SHELL, "-c", script], self.container)
        with self._lock:
            try:
                return self._run(script, timeout_s, reproduce)
            except Transient:
                self._close()
                raise
            except WebSocketException as err:
                self._close()
                raise Transient(f"{self.where}: stream lost: {err}") from err

    def close(self) -> None:
        with self._lock:
            self._close()

    def _run(self, script: str, timeout_s: float, reproduce: str) -> ExecResult:
        ws = self._open()
        token = secrets.token_hex(8)
        # The marker is written by the shell after the script, with the script's status: a script that dies
        # half-way (the shell exits) leaves no marker, and the stream's end says so.
        ws.write_stdin(f"{script}\nprintf '%s\\n' \"{END_MARK} {token} $?\"\n")
        end = re.compile(rf"^{END_MARK} {token} (\d+)$", re.MULTILINE)
        output = ""
        deadline = time.monotonic() + timeout_s
        while (found := end.search(output)) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Transient(f"{self.where}: no end of the script within {timeout_s:g} s")
            if not ws.is_open():
                raise Transient(f"{self.where}: the stream ended")
            output += ws.read_stdout(timeout=left) or ""
        stderr = ws.read_stderr(timeout=0) or ""
        ws.read_all()  # drops the client's copy of everything read so far: a kept stream must not grow
        return ExecResult(int(found.group(1)), output[: found.start()], stderr, reproduce)

    def _open(self) -> Any:
        if self._ws is not None and self._ws.is_open():
            return self._ws
        self._close()
        # A private ApiClient: kubernetes.stream swaps call_api on the client it is given while it opens the
        # stream, and the prober opens several at once (see execution.exec_in_pod).
        self._api = client.ApiClient(self.core.api_client.configuration)
        kwargs = {"container": self.container} if self.container else {}
        with translated(f"open a shell in pod {self.namespace}/{self.pod}"):
            self._ws = stream(
                client.CoreV1Api(self._api).connect_get_namespaced_pod_exec,
                self.pod,
                self.namespace,
                command=[SHELL],
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                _preload_content=False,
                **kwargs,
            )
        return self._ws

    def _close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except (OSError, WebSocketException):
                pass  # already gone: closing is all that was wanted
        if self._api is not None:
            self._api.close()
        self._ws = None
        self._api = None


class KeptShells:
    """The kept shells of one cluster handle, by container."""

    def __init__(self, core: client.CoreV1Api) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._shells: dict[tuple[str, str, str | None], KeptShell] = {}

    def run(
        self, namespace: str, pod: str, script: str, *, container: str | None, timeout_s: float
    ) -> ExecResult:
        with self._lock:
            key = (namespace, pod, container)
            shell = self._shells.get(key)
            if shell is None:
                shell = self._shells[key] = KeptShell(self.core, namespace, pod, container)
        return shell.run(script, timeout_s)

    def close(self, namespace: str) -> None:
        """Close the shells of one namespace's pods: before the pods go, so no stream outlives them."""
        with self._lock:
            keys = [k for k in self._shells if k[0] == namespace]
            shells = [self._shells.pop(k) for k in keys]
        for shell in shells:
            shell.close()
