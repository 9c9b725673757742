"""An in-cluster run, like Sonobuoy's: a namespace, a ServiceAccount bound to deploy/rbac.yaml's
``netconform-run`` role, and a Job whose pod runs the harness with the in-cluster config.

Every object carries ``netconform.io/in-cluster-run=<run id>``; status, retrieve and delete find the run by
that label alone. The runner's objects do *not* carry the harness's owner label: the run inside the pod
sweeps its own run id at its end (fixtures/safety.py) and must not sweep the namespace it runs in. The
objects the tests create carry the harness's labels with the same run id, so ``delete`` sweeps them too.

The pod keeps its results in an emptyDir and stays up after pytest ends (``netconform in-pod run``), so
``retrieve`` can read them through pods/exec; ``activeDeadlineSeconds`` bounds how long it may stay.
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from netconform.adapters.kube import sweep
from netconform.adapters.kube.cluster import FATAL_WAITING_REASONS, KubeCluster, PodStartFailure
from netconform.adapters.kube.errors import Conflict, Forbidden, NotFound, call
from netconform.adapters.kube.execution import exec_in_pod
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.errors import CannotCheck

RUN_LABEL = "netconform.io/in-cluster-run"
RUN_ROLE = "netconform-run"  # deploy/rbac.yaml
SERVICE_ACCOUNT = "netconform-runner"
JOB = "netconform"
CONTAINER = "netconform"
RESULTS = "/results"
RUNNER_UID = 10001  # image/install.sh's user
KEEP_RESULTS_S = 6 * 3600  # how long a finished pod waits for `retrieve` before its deadline removes it
JOB_POD_STARTED = Bound("the in-cluster run's pod to start", timeout_s=180, interval_s=1)
RUN_GONE = Bound("the in-cluster run's objects to be deleted", timeout_s=180, interval_s=1)
# Settings of the caller's environment that the run inside the pod needs too (the probe image the cluster
# can pull, its pull policy, the profile, the egress target); never credentials or local paths.
FORWARDED_ENV = (
    "NETCONFORM_PROBE_IMAGE",
    "NETCONFORM_IMAGE_PULL_POLICY",
    "NETCONFORM_PROFILE",
    "NETCONFORM_EGRESS_TARGET",
)
# What the caller must be allowed to do: (verb, group, resource), checked before anything is created.
NEEDED_PERMISSIONS = (
    ("create", "", "namespaces"),
    ("delete", "", "namespaces"),
    ("create", "", "serviceaccounts"),
    ("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
    ("delete", "rbac.authorization.k8s.io", "clusterrolebindings"),
    ("create", "batch", "jobs"),
    ("list", "", "pods"),
    ("create", "", "pods/exec"),
)


def namespace_name(run_id: str) -> str:
    return f"netconform-run-{run_id}"


def run_labels(run_id: str) -> dict[str, str]:
    return {
        RUN_LABEL: run_id,
        "app.kubernetes.io/name": "netconform",
        "app.kubernetes.io/component": "in-cluster-run",
    }


def selector(run_id: str | None) -> str:
    return f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    image: str
    pull_policy: str
    pytest_args: tuple[str, ...]
    env: Mapping[str, str]


def manifests(spec: RunSpec) -> list[dict[str, Any]]:
    """The run's objects in creation order: namespace, ServiceAccount, binding, Job (the Job last, so its pod
    starts with its permissions in place)."""
    ns = namespace_name(spec.run_id)
    meta = {"labels": run_labels(spec.run_id)}
    command = ["netconform", "in-pod", "run", "--run-id", spec.run_id, "--", *spec.pytest_args]
    env = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    env.append({"name": "NETCONFORM_RESULTS", "value": RESULTS})
    container = {
        "name": CONTAINER,
        "image": spec.image,
        "imagePullPolicy": spec.pull_policy,
        "command": command,
        "env": env,
        "volumeMounts": [{"name": "results", "mountPath": RESULTS}, {"name": "tmp", "mountPath": "/tmp"}],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "2Gi"}},
        # PodSecurity "restricted": the harness needs no privilege of its own, only its API permissions.
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": RUNNER_UID,
            "runAsGroup": RUNNER_UID,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    pod_spec = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 60,  # the harness's own teardown and sweep after SIGTERM
        "containers": [container],
        "volumes": [{"name": "results", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, **meta}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": SERVICE_ACCOUNT, "namespace": ns, **meta}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": ns, **meta},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": RUN_ROLE},
         "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": ns}]},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": JOB, "namespace": ns, **meta},
         "spec": {"backoffLimit": 0, "activeDeadlineSeconds": KEEP_RESULTS_S,
                  "template": {"metadata": meta, "spec": pod_spec}}},
    ]  # fmt: skip


def missing_permissions(cluster: KubeCluster) -> list[str]:
    """What of NEEDED_PERMISSIONS the caller may not do, as ``verb resource`` (SelfSubjectAccessReview)."""
    authz = client.AuthorizationV1Api(cluster.api)
    missing = []
    for verb, group, resource in NEEDED_PERMISSIONS:
        name, _, sub = resource.partition("/")
        body = {"spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": name,
                                                "subresource": sub}}}  # fmt: skip
        review = call(
            f"review access to {verb} {resource}", _bind(authz.create_self_subject_access_review, body)
        )
        if not review.status.allowed:
            missing.append(f"{verb} {resource}" + (f".{group}" if group else ""))
    return missing


def require_run_role(cluster: KubeCluster) -> None:
    try:
        call(f"read ClusterRole {RUN_ROLE}", lambda: cluster.rbac.read_cluster_role(RUN_ROLE))
    except Forbidden:
        return  # may bind it without reading it: the API server checks the binding itself
    except NotFound:
        raise CannotCheck(
            f"ClusterRole {RUN_ROLE} not found: apply the harness's roles first "
            "(kubectl apply -f deploy/rbac.yaml)"
        ) from None


def create(cluster: KubeCluster, spec: RunSpec) -> None:
    """Create the run's objects; on any failure, remove what was created and re-raise."""
    creators = {
        "Namespace": cluster.core.create_namespace,
        "ServiceAccount": lambda doc: cluster.core.create_namespaced_service_account(
            doc["metadata"]["namespace"], doc
        ),
        "ClusterRoleBinding": cluster.rbac.create_cluster_role_binding,
        "Job": lambda doc: client.BatchV1Api(cluster.api).create_namespaced_job(
            doc["metadata"]["namespace"], doc
        ),
    }
    try:
        for doc in manifests(spec):
            call(f"create {doc['kind']} {doc['metadata']['name']}", _bind(creators[doc["kind"]], doc))
    except BaseException:  # KeyboardInterrupt too: an interrupted start leaves nothing behind
        delete(cluster, spec.run_id, wait=False)
        raise


@dataclass(frozen=True)
class RunObjects:
    run_id: str
    namespace: str
    created: float


def find(cluster: KubeCluster, run_id: str | None = None) -> list[RunObjects]:
    """The in-cluster runs (one namespace each), oldest first."""
    found = call(
        f"list namespaces labelled {selector(run_id)}",
        lambda: cluster.core.list_namespace(label_selector=selector(run_id)),
    )
    runs = [
        RunObjects(
            item.metadata.labels[RUN_LABEL],
            item.metadata.name,
            item.metadata.creation_timestamp.timestamp() if item.metadata.creation_timestamp else 0.0,
        )
        for item in found.items
    ]
    return sorted(runs, key=lambda r: r.created)


def delete(cluster: KubeCluster, run_id: str, wait: bool = True) -> list[str]:
    """Remove the run's objects and those its tests left (by label); returns what was removed."""
    removed: list[str] = []
    bindings = call(
        "list the run's ClusterRoleBindings",
        lambda: cluster.rbac.list_cluster_role_binding(label_selector=selector(run_id)),
    )
    for item in bindings.items:
        _ignore_missing(f"delete ClusterRoleBinding {item.metadata.name}",
                        _bind(cluster.rbac.delete_cluster_role_binding, item.metadata.name))  # fmt: skip
        removed.append(f"ClusterRoleBinding/{item.metadata.name}")
    namespaces = call(
        "list the run's namespaces", lambda: cluster.core.list_namespace(label_selector=selector(run_id))
    )
    for item in namespaces.items:
        # Foreground: the Job's pod goes with it, and the pod gets its SIGTERM (the harness sweeps).
        _ignore_missing(f"delete Namespace {item.metadata.name}",
                        _bind(cluster.core.delete_namespace, item.metadata.name))  # fmt: skip
        removed.append(f"Namespace/{item.metadata.name}")
    # What the tests in the pod created, in case the pod was stopped before its own final sweep.
    leftovers = sweep.find(cluster, run_id=run_id)
    sweep.delete(cluster, leftovers)
    removed += [f"{x.kind}/{x.name}" for x in leftovers]
    if wait:
        wait_gone(cluster, run_id)
    return removed


def wait_gone(cluster: KubeCluster, run_id: str) -> None:
    def gone() -> None:
        left = [r.namespace for r in find(cluster, run_id)]
        left += [f"{x.kind}/{x.name}" for x in sweep.find(cluster, run_id=run_id)]
        if left:
            raise NotYet(f"still there: {', '.join(left)}")

    wait_until(RUN_GONE, gone)


def run_pod(cluster: KubeCluster, run_id: str) -> Any:
    pods = call(
        "list the run's pods",
        lambda: cluster.core.list_namespaced_pod(namespace_name(run_id), label_selector=selector(run_id)),
    )
    if not pods.items:
        raise NotYet("no pod yet")
    return pods.items[0]


def wait_started(cluster: KubeCluster, run_id: str) -> str:
    """The pod's name once its container runs; a pod that cannot start fails at once, naming why."""

    def started() -> str:
        pod = run_pod(cluster, run_id)
        _raise_if_cannot_start(pod)
        statuses = pod.status.container_statuses or []
        if statuses and statuses[0].state and (statuses[0].state.running or statuses[0].state.terminated):
            if statuses[0].state.terminated and statuses[0].state.terminated.exit_code != 0:
                term = statuses[0].state.terminated
                raise PodStartFailure(
                    f"the in-cluster run's pod cannot start: it exited at once, {term.reason} "
                    f"(exit {term.exit_code}): "
                    f"{(term.message or '').strip()[:200]}",
                    str(term.reason),
                )
            return str(pod.metadata.name)
        raise NotYet(f"pod {pod.metadata.name}: {pod.status.phase}")

    return wait_until(JOB_POD_STARTED, started)


def _raise_if_cannot_start(pod: Any) -> None:
    for status in pod.status.container_statuses or []:
        waiting = status.state.waiting if status.state else None
        if waiting and waiting.reason in FATAL_WAITING_REASONS:
            raise PodStartFailure(
                f"the in-cluster run's pod cannot start: {FATAL_WAITING_REASONS[waiting.reason]} "
                f"({waiting.reason}: {(waiting.message or status.image).strip()[:200]})",
                waiting.reason,
            )
        terminated = status.state.terminated if status.state else None
        if terminated and terminated.reason in ("StartError", "ContainerCannotRun"):
            raise PodStartFailure(
                f"the in-cluster run's pod cannot start: {terminated.reason}: "
                f"{(terminated.message or '').strip()[:200]}",
                str(terminated.reason),
            )
    if pod.status.phase == "Failed" and not pod.status.container_statuses:
        raise PodStartFailure(
            f"the in-cluster run's pod cannot start: {pod.status.reason}: {pod.status.message}"
        )


@dataclass(frozen=True)
class Progress:
    lines: tuple[str, ...]  # the terminal summary's progress lines, one per area
    summary: str  # the final table (empty while running)
    exit_code: int | None  # pytest's, once it ended


# One exec, no Python start-up: the progress JSON on the first line, pytest's exit code (once it ended) after.
PROGRESS_SCRIPT = (
    f"cat {RESULTS}/progress.json 2>/dev/null || echo '{{}}'; echo; "
    f"cat {RESULTS}/exit-code 2>/dev/null || true"
)


def progress(cluster: KubeCluster, run_id: str, pod: str) -> Progress:
    result = exec_in_pod(
        cluster.core, namespace_name(run_id), pod, ["sh", "-c", PROGRESS_SCRIPT], container=CONTAINER
    )
    if not result.ok:
        raise CannotCheck(f"cannot read the run's progress ({result.stderr.strip()}): {result.reproduce}")
    head, _, tail = result.stdout.partition("\n")
    data = json.loads(head or "{}")
    code = tail.strip()
    return Progress(
        tuple(data.get("lines", ())), str(data.get("summary", "")), int(code) if code.isdigit() else None
    )


def results_tarball(cluster: KubeCluster, run_id: str, pod: str) -> bytes:
    """The pod's results directory (allure-results/, junit.xml, progress.json, exit-code), gzipped tar."""
    command = ["sh", "-c", f"tar -czf - -C {shlex.quote(RESULTS)} . | base64 -w0"]
    result = exec_in_pod(
        cluster.core, namespace_name(run_id), pod, command, container=CONTAINER, timeout_s=300
    )
    if not result.ok:
        raise CannotCheck(f"cannot read the run's results ({result.stderr.strip()}): {result.reproduce}")
    return base64.b64decode(result.stdout)


def _ignore_missing(action: str, fn: Any) -> None:
    try:
        call(action, fn)
    except NotFound:
        pass
    except Conflict:
        pass


def _bind(fn: Any, *args: Any) -> Any:
    return lambda: fn(*args)


def forwarded_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: environ[k] for k in FORWARDED_ENV if environ.get(k)}


def reproduce(run_id: str, pod: str, command: Sequence[str]) -> str:
    return f"kubectl exec -n {namespace_name(run_id)} {pod} -c {CONTAINER} -- {shlex.join(command)}"
