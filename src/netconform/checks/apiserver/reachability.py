"""The API server's other ways into the cluster, each made once and reported as an ``Observation``:
pods/proxy and services/proxy (the API server dials the backend itself), and exec, logs and port-forward
(the API server asks the kubelet on the node).

Probes report, they do not raise: an API error becomes an UNREACHABLE or INCONCLUSIVE observation that
carries the HTTP status and the API server's own text.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable

from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import KubeError, api_message, raise_wrapped_interrupt
from netconform.core.apiserver.paths import ApiServerPath, Observation, Reach, unreachable_symptom

# The API server's proxy gives up dialling after 30 s and answers 503; wait a little longer so that its
# answer, not our client's timeout, is what gets reported.
PROXY_REQUEST_TIMEOUT_S = 45.0
KUBELET_REQUEST_TIMEOUT_S = 30.0


def _proxied(
    target: ApiServerPath, expected_body: str | None, reproduce: str, request: Callable[[], object]
) -> Observation:
    try:
        body = str(request())
    except ApiException as err:
        return _from_api_error(target, err, reproduce)
    except OSError as err:  # our own client timed out: the API server never answered
        return Observation(
            target, Reach.UNREACHABLE, None, f"no answer from the API server: {err}", reproduce
        )
    answer = body.strip()
    if answer == expected_body or (expected_body is None and answer):
        return Observation(target, Reach.REACHED, 200, f"answered {answer!r}", reproduce)
    return Observation(
        target,
        Reach.INCONCLUSIVE,
        200,
        f"answered {body.strip()[:200]!r}, expected {expected_body!r}",
        reproduce,
    )


def _from_api_error(target: ApiServerPath, err: ApiException, reproduce: str) -> Observation:
    status = int(err.status or 0) or None
    text = api_message(err)
    if unreachable_symptom(text) is not None or status in (502, 503, 504):
        return Observation(target, Reach.UNREACHABLE, status, text, reproduce)
    return Observation(target, Reach.INCONCLUSIVE, status, text, reproduce)


def pod_proxy(
    kube: KubeCluster,
    target: ApiServerPath,
    namespace: str,
    pod: str,
    *,
    port: int,
    expected_body: str | None,
) -> Observation:
    """GET /hostname on a netexec pod through pods/proxy (``expected_body`` None: any non-empty answer)."""
    reproduce = f"kubectl get --raw /api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/hostname"
    observation = _proxied(
        target,
        expected_body,
        reproduce,
        lambda: kube.core.connect_get_namespaced_pod_proxy_with_path(
            f"{pod}:{port}", namespace, "hostname", _request_timeout=PROXY_REQUEST_TIMEOUT_S
        ),
    )
    return dataclasses.replace(observation, port=port)


def service_proxy(
    kube: KubeCluster,
    target: ApiServerPath,
    namespace: str,
    service: str,
    *,
    port: int,
    expected_body: str | None,
) -> Observation:
    """GET /hostname through services/proxy (the API server picks an endpoint and dials it)."""
    reproduce = f"kubectl get --raw /api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/hostname"
    return _proxied(
        target,
        expected_body,
        reproduce,
        lambda: kube.core.connect_get_namespaced_service_proxy_with_path(
            f"{service}:{port}", namespace, "hostname", _request_timeout=PROXY_REQUEST_TIMEOUT_S
        ),
    )


def exec_echo(kube: KubeCluster, target: ApiServerPath, namespace: str, pod: str, token: str) -> Observation:
    try:
        result = kube.exec(namespace, pod, ["echo", token], timeout_s=KUBELET_REQUEST_TIMEOUT_S)
    except KubeError as err:
        return Observation(target, Reach.UNREACHABLE, err.status or None, str(err))
    if result.ok and result.stdout.strip() == token:
        return Observation(target, Reach.REACHED, 101, f"exec printed {token!r}", result.reproduce)
    detail = (
        f"exit {result.returncode}, stdout {result.stdout.strip()[:100]!r}, "
        f"stderr {result.stderr.strip()[:200]!r}"
    )
    return Observation(target, Reach.INCONCLUSIVE, None, detail, result.reproduce)


def logs_contain(
    kube: KubeCluster, target: ApiServerPath, namespace: str, pod: str, *, container: str, needle: str
) -> Observation:
    reproduce = f"kubectl logs -n {namespace} {pod} -c {container}"
    try:
        text = kube.logs(namespace, pod, container)
    except KubeError as err:
        return Observation(target, Reach.UNREACHABLE, err.status or None, str(err), reproduce)
    if needle in text:
        return Observation(target, Reach.REACHED, 200, f"the log contains {needle!r}", reproduce)
    return Observation(
        target, Reach.INCONCLUSIVE, 200, f"the log lacks {needle!r}: {text.strip()[-200:]!r}", reproduce
    )


def port_forward_http(
    kube: KubeCluster, target: ApiServerPath, namespace: str, pod: str, *, port: int, expected_body: str
) -> Observation:
    """GET /hostname over pods/portforward: API server → kubelet → the pod's network namespace."""
    reproduce = (
        f"kubectl port-forward -n {namespace} pod/{pod} {port}:{port} & curl localhost:{port}/hostname"
    )
    try:
        forward = portforward(
            kube.core.connect_get_namespaced_pod_portforward,
            pod,
            namespace,
            ports=str(port),
            _request_timeout=KUBELET_REQUEST_TIMEOUT_S,
        )
    except ApiException as err:
        raise_wrapped_interrupt(err)  # a Ctrl-C while the stream opened is no UNREACHABLE observation
        return Observation(
            target, Reach.UNREACHABLE, int(err.status or 0) or None, str(err.reason), reproduce
        )
    try:
        sock = forward.socket(port)
        sock.settimeout(KUBELET_REQUEST_TIMEOUT_S)
        sock.sendall(f"GET /hostname HTTP/1.0\r\nHost: {pod}\r\n\r\n".encode())
        response = _read_all(sock)
        error = forward.error(port)
    finally:
        forward.close()
    body = response.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    if body == expected_body:
        return Observation(target, Reach.REACHED, 101, f"answered {body!r} through the tunnel", reproduce)
    detail = f"answered {body[:200]!r}, expected {expected_body!r}" + (f"; error: {error}" if error else "")
    reach = Reach.UNREACHABLE if error else Reach.INCONCLUSIVE
    return Observation(target, reach, None, detail, reproduce)


def _read_all(sock: socket.socket) -> bytes:
    """One HTTP response: headers, then Content-Length bytes (the tunnel may stay open after it)."""
    data = b""
    try:
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and len(body) >= _content_length(head):
                break
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    return data


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return 1 << 30  # unknown: read until the peer closes or the timeout
