"""A small surface over the official client: the calls the suites make, errors translated, waits bounded."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from netconform.adapters.kube import labels, pod_defaults
from netconform.adapters.kube.errors import AdmissionDenied, Conflict, NotFound, call
from netconform.adapters.kube.execution import ExecResult, exec_in_pod
from netconform.adapters.kube.shell import KeptShells
from netconform.adapters.waits import Bound, NotYet, WaitTimeout, wait_until
from netconform.errors import CannotCheck, RunExitCode

PODS_READY = Bound("pods to become Ready", timeout_s=180, interval_s=1)
NAMESPACE_GONE = Bound("namespace deletion", timeout_s=120, interval_s=1)
POD_SECURITY_SEES_LEVEL = Bound(
    "PodSecurity admission to see a namespace's new level label", timeout_s=10, interval_s=0.5
)

# Waiting reasons that will not fix themselves: fail at once instead of waiting out the bound.
FATAL_WAITING_REASONS = {
    "ErrImagePull": "the image cannot be pulled",
    "ImagePullBackOff": "the image cannot be pulled",
    "ErrImageNeverPull": "the image is not on the node and the pull policy is Never",
    "InvalidImageName": "the image reference is invalid",
    "CreateContainerConfigError": "the container's configuration is invalid",
    "CreateContainerError": "the container could not be created",
    "CrashLoopBackOff": "the container keeps crashing",
    "RunContainerError": "the container could not start",
}


class PodStartFailure(CannotCheck):
    """A pod will not become Ready, for a reason that waiting does not cure (``reason``: the kubelet's)."""

    run_exit_code = RunExitCode.PODS_CANNOT_START

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    ip: str
    node: str
    host_network: bool
    labels: dict[str, str]


class KubeCluster:
    """The harness's handle on one cluster."""

    def __init__(self, api: client.ApiClient, defaults: pod_defaults.PodDefaults | None = None) -> None:
        self.api = api
        # Security context, requests/limits and placement for every pod created through create().
        self.pod_defaults = defaults or pod_defaults.PodDefaults()
        # namespace -> (PodSecurity level it was labelled for, why): what the report lists
        self.privileged_namespaces: dict[str, tuple[str, str]] = {}
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.networking = client.NetworkingV1Api(api)
        self.admission = client.AdmissionregistrationV1Api(api)
        self.rbac = client.RbacAuthorizationV1Api(api)
        self.apiregistration = client.ApiregistrationV1Api(api)
        self.discovery = client.DiscoveryV1Api(api)
        self.shells = KeptShells(self.core)

    # --- namespaces ------------------------------------------------------------------------------------
    def create_namespace(
        self,
        name: str,
        run_id: str,
        extra_labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
    ) -> None:
        body = {
            "metadata": {
                "name": name,
                "labels": {**labels.harness_labels(run_id), **(extra_labels or {})},
                "annotations": {labels.CREATED_AT: str(int(time.time())), **(annotations or {})},
            }
        }
        call(f"create namespace {name}", lambda: self.core.create_namespace(body))

    def label_namespace(self, name: str, new_labels: dict[str, str | None]) -> None:
        body = {"metadata": {"labels": new_labels}}
        call(f"patch namespace {name}", lambda: self.core.patch_namespace(name, body))

    def delete_namespace(self, name: str) -> None:
        self.shells.close(name)
        try:
            call(f"delete namespace {name}", lambda: self.core.delete_namespace(name, grace_period_seconds=0))
        except NotFound:
            pass

    def wait_namespaces_gone(self, names: Sequence[str], bound: Bound = NAMESPACE_GONE) -> None:
        def gone() -> None:
            left = [n for n in names if self.namespace_exists(n)]
            if left:
                raise NotYet(f"still terminating: {', '.join(left)}")

        wait_until(bound, gone)

    def namespace_exists(self, name: str) -> bool:
        try:
            call(f"read namespace {name}", lambda: self.core.read_namespace(name))
        except NotFound:
            return False
        return True

    # --- pods and services -----------------------------------------------------------------------------
    def create(self, namespace: str, manifest: dict[str, Any]) -> None:
        kind = manifest["kind"]
        name = manifest["metadata"]["name"]
        creators = {
            "Pod": self.core.create_namespaced_pod,
            "Service": self.core.create_namespaced_service,
            "ConfigMap": self.core.create_namespaced_config_map,
            "Secret": self.core.create_namespaced_secret,
            "ServiceAccount": self.core.create_namespaced_service_account,
            "NetworkPolicy": self.networking.create_namespaced_network_policy,
            "Deployment": self.apps.create_namespaced_deployment,
            "DaemonSet": self.apps.create_namespaced_daemon_set,
        }
        if kind not in creators:
            raise ValueError(f"KubeCluster.create does not handle {kind}")
        relabelled = False
        if kind in ("Pod", "Deployment", "DaemonSet"):
            relabelled = self._allow_pod_security(namespace, manifest)
            manifest = pod_defaults.apply(manifest, self.pod_defaults)
        action = f"create {kind.lower()} {namespace}/{name}"
        if not relabelled:
            call(action, lambda: creators[kind](namespace, manifest))
            return

        # PodSecurity judges by the API server's cached copy of the namespace: right after the level label
        # went on, it may still see the old level (seen on the hardened bed under load). Only that denial is
        # retried, within a bound; any other answer stands at once.
        def attempt() -> None:
            try:
                call(action, lambda: creators[kind](namespace, manifest))
            except AdmissionDenied as err:
                if err.denial.name.startswith("PodSecurity"):
                    raise NotYet(str(err)) from err
                raise

        try:
            wait_until(POD_SECURITY_SEES_LEVEL, attempt)
        except WaitTimeout:
            call(action, lambda: creators[kind](namespace, manifest))  # the denial itself, in one line

    def copy_pull_secret(self, source: pod_defaults.PullSecret, namespace: str) -> None:
        """The --image-pull-secret Secret, copied into one of the harness's namespaces (pods can only use
        a pull secret of their own namespace)."""
        where = f"{source.namespace}/{source.name}"
        secret = call(
            f"read secret {where} (--image-pull-secret)",
            lambda: self.core.read_namespaced_secret(source.name, source.namespace),
        )
        body = {
            "metadata": {"name": source.name, "labels": dict(secret.metadata.labels or {})},
            "type": secret.type,
            "data": secret.data,
        }
        call(
            f"create secret {namespace}/{source.name}",
            lambda: self.core.create_namespaced_secret(namespace, body),
        )

    def _allow_pod_security(self, namespace: str, manifest: dict[str, Any]) -> bool:
        """A pod that cannot meet ``restricted`` (hostNetwork: privileged; raw ICMP: baseline) gets its
        namespace labelled for the level it needs first, the reason beside it; the report lists them."""
        needed = pod_defaults.needed_level(manifest)
        if needed is None:
            return False
        level, why = needed
        current = self.privileged_namespaces.get(namespace)
        levels = pod_defaults.LEVELS
        if current is not None and levels.index(current[0]) >= levels.index(level):
            return False
        body = {
            "metadata": {
                "labels": {pod_defaults.PSA_ENFORCE: level},
                "annotations": {pod_defaults.PSA_REASON: why},
            }
        }
        call(f"patch namespace {namespace}", lambda: self.core.patch_namespace(namespace, body))
        self.privileged_namespaces[namespace] = (level, why)
        return True

    def replace_network_policy(self, namespace: str, manifest: dict[str, Any]) -> None:
        name = manifest["metadata"]["name"]
        try:
            call(
                f"create networkpolicy {namespace}/{name}",
                lambda: self.networking.create_namespaced_network_policy(namespace, manifest),
            )
        except Conflict:
            call(
                f"replace networkpolicy {namespace}/{name}",
                lambda: self.networking.replace_namespaced_network_policy(name, namespace, manifest),
            )

    def delete_network_policy(self, namespace: str, name: str) -> None:
        try:
            call(
                f"delete networkpolicy {namespace}/{name}",
                lambda: self.networking.delete_namespaced_network_policy(name, namespace),
            )
        except NotFound:
            pass

    def label_pod(self, namespace: str, name: str, new_labels: dict[str, str | None]) -> None:
        body = {"metadata": {"labels": new_labels}}
        call(f"patch pod {namespace}/{name}", lambda: self.core.patch_namespaced_pod(name, namespace, body))

    def pod(self, namespace: str, name: str) -> PodInfo:
        pod = call(f"read pod {namespace}/{name}", lambda: self.core.read_namespaced_pod(name, namespace))
        return _pod_info(pod)

    def wait_pods_ready(
        self, namespace: str, names: Sequence[str], bound: Bound = PODS_READY
    ) -> list[PodInfo]:
        """Wait until every named pod is Ready; fail fast on image, config or crash errors."""

        def ready() -> list[PodInfo]:
            pods = call(f"list pods in {namespace}", lambda: self.core.list_namespaced_pod(namespace)).items
            by_name = {p.metadata.name: p for p in pods}
            pending = []
            for name in names:
                pod = by_name.get(name)
                if pod is None:
                    pending.append(f"{name}: not created")
                    continue
                _raise_if_fatal(pod)
                if not _is_ready(pod):
                    pending.append(f"{name}: {_pod_state(pod)}")
            if pending:
                raise NotYet(
                    "; ".join(pending[:5]) + (f" (+{len(pending) - 5} more)" if len(pending) > 5 else "")
                )
            return [_pod_info(by_name[n]) for n in names]

        return wait_until(bound, ready)

    def exec(
        self,
        namespace: str,
        pod: str,
        command: Sequence[str],
        *,
        container: str | None = None,
        timeout_s: float = 30.0,
    ) -> ExecResult:
        return exec_in_pod(self.core, namespace, pod, command, container=container, timeout_s=timeout_s)

    def run_script(
        self, namespace: str, pod: str, script: str, *, container: str | None = None, timeout_s: float = 30.0
    ) -> ExecResult:
        """A shell script in the container's kept ``/bin/sh`` (see adapters.kube.shell): no exec per call."""
        return self.shells.run(namespace, pod, script, container=container, timeout_s=timeout_s)

    def logs(self, namespace: str, pod: str, container: str | None = None, tail_lines: int = 200) -> str:
        kwargs: dict[str, Any] = {"tail_lines": tail_lines}
        if container:
            kwargs["container"] = container
        return str(
            call(
                f"read logs of {namespace}/{pod}",
                lambda: self.core.read_namespaced_pod_log(pod, namespace, **kwargs),
            )
        )

    def events(self, namespace: str) -> list[str]:
        items = call(f"list events in {namespace}", lambda: self.core.list_namespaced_event(namespace)).items

        def when(e: Any) -> float:
            stamp = e.last_timestamp or e.event_time or e.metadata.creation_timestamp
            return stamp.timestamp() if stamp else 0.0

        return [
            f"{e.type} {e.reason} {e.involved_object.kind}/{e.involved_object.name}: {e.message}"
            for e in sorted(items, key=when)
        ]

    def server_version(self) -> str:
        info = call("read /version", lambda: client.VersionApi(self.api).get_code())
        return str(info.git_version)


def _is_ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def _pod_state(pod: Any) -> str:
    for status in pod.status.container_statuses or []:
        if status.state and status.state.waiting:
            return f"{status.state.waiting.reason}"
    for condition in pod.status.conditions or []:
        if condition.status != "True" and condition.message:
            return f"{condition.reason}: {condition.message}"
    return str(pod.status.phase)


def _raise_if_fatal(pod: Any) -> None:
    statuses = (pod.status.init_container_statuses or []) + (pod.status.container_statuses or [])
    for status in statuses:
        waiting = status.state.waiting if status.state else None
        if waiting and waiting.reason in FATAL_WAITING_REASONS:
            raise PodStartFailure(
                f"pod {pod.metadata.namespace}/{pod.metadata.name} will not start: "
                f"{FATAL_WAITING_REASONS[waiting.reason]} "
                f"({waiting.reason}: {waiting.message or status.image})",
                waiting.reason,
            )
    if pod.status.phase == "Failed" and is_node_full(pod.status.reason or ""):
        # The kubelet's admission rejected a pod pinned to its node (nodeName skips the scheduler): the node
        # holds its ceiling already (on EKS max-pods is the ENI math's): every pod pinned there meets it.
        raise PodStartFailure(
            f"pod {pod.metadata.namespace}/{pod.metadata.name} was rejected by node {pod.spec.node_name}:"
            f" {pod.status.message} ({pod.status.reason}); the harness places its pods on chosen nodes, so"
            " pick nodes with room for them (--node-selector) or free some (kubectl describe node"
            f" {pod.spec.node_name})",
            pod.status.reason,
        )
    if pod.status.phase == "Failed":
        raise PodStartFailure(
            f"pod {pod.metadata.namespace}/{pod.metadata.name} failed: {pod.status.message}"
        )


def is_node_full(reason: str) -> bool:
    """The kubelet's rejection reasons for a node without room: OutOfpods, OutOfcpu, OutOfmemory, ..."""
    return reason.startswith("OutOf")


def _pod_info(pod: Any) -> PodInfo:
    return PodInfo(
        namespace=pod.metadata.namespace,
        name=pod.metadata.name,
        ip=pod.status.pod_ip or "",
        node=pod.spec.node_name or "",
        host_network=bool(pod.spec.host_network),
        labels=dict(pod.metadata.labels or {}),
    )
