"""The netpol model on a cluster: namespaces x, y, z (generated names) × pods a, b, c, a Service per pod.

Deployed once (a module or a session), then reused: between cases the case's policies are deleted and the
labels it changed are restored. :class:`NetpolTopology` maps model names to real ones (namespaces, pod IPs,
Service IPs and DNS names) and keeps track of what is applied, so a case can start from a known state.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netconform.adapters.kube import labels, manifests
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import call
from netconform.adapters.kube.execution import ExecResult
from netconform.adapters.probe.exec_prober import parse_batch_output
from netconform.adapters.probe.methods import DIALER_PATH, MultiDial, NetexecDial, ProbeMethod
from netconform.adapters.probe.model import Endpoint, ProbeJob, Prober
from netconform.adapters.probe.retry import RETRY_PAUSE_S, probe_until_expected
from netconform.adapters.waits import Bound, NotYet, WaitTimeout, wait_until
from netconform.core.connectivity.spread import round_robin
from netconform.core.netpol import foreign as foreign_policies
from netconform.core.netpol.cases.model import (
    NAMESPACE_LABEL,
    NAMESPACES,
    POD_KEYS,
    POD_LABEL,
    PORTS,
    PolicyDoc,
    StepState,
    TargetMode,
    World,
    resolve,
)
from netconform.core.netpol.model import NAMESPACE_NAME_LABEL, IPAddress
from netconform.core.netpol.parse import parse_policy
from netconform.core.truthtable import Cell, Probe, Protocol
from netconform.errors import CannotCheck, NetconformError

PROBE_IMAGE_CHECK_POD = "probe-image-check"
PROBE_IMAGE_POD_READY = Bound("the probe image check pod to become Ready", timeout_s=120, interval_s=1)
TOPOLOGY_READY = Bound("the 9 netpol server pods to become Ready", timeout_s=240, interval_s=1)
# The canary namespace showed a controller adding policies; x, y and z get theirs a moment after creation.
FOREIGN_POLICIES_PRESENT = Bound(
    "the foreign NetworkPolicies seen in the canary to appear in x, y and z", timeout_s=15, interval_s=0.5
)
READINESS_ATTEMPTS = 10  # full green matrix before any policy (upstream waitForHTTPServers: 10 tries)
DIAL_PORT = 80  # probes ask this container's netexec to dial (probe.methods.NetexecDial), or run MultiDial
SOURCE_CONTAINER = manifests.netexec_container_name(DIAL_PORT)

NamespaceCreator = Callable[[str, dict[str, str]], str]  # (base name, extra labels) -> real name


class TopologyNotReady(CannotCheck):
    """The servers never answered a policy-free full matrix: no policy verdict is possible."""


@dataclass(frozen=True)
class SctpSupport:
    supported: bool
    evidence: str  # the command run and what it said


@dataclass(frozen=True)
class ProbeImage:
    """What the probe image and the cluster's kernel offer the probes, observed in one short-lived pod."""

    sctp: SctpSupport
    dialer: bool  # /netconform-dial runs (probe.methods.MultiDial); else netexec's /dial (NetexecDial)
    dialer_evidence: str  # the command run and what it said

    def method(self) -> ProbeMethod:
        return MultiDial() if self.dialer else NetexecDial(DIAL_PORT)

    def describe(self) -> str:
        if self.dialer:
            return f"probe client {DIALER_PATH}, one process per source per pass ({self.dialer_evidence})"
        return (
            f"probe client: netexec /dial, one busybox wget per probe (no {DIALER_PATH} in the probe image: "
            f"{self.dialer_evidence})"
        )


def inspect_probe_image(kube: KubeCluster, namespace: str, images: manifests.ImageSettings) -> ProbeImage:
    """Whether pods on this cluster can open SCTP sockets (kernel module), and whether the probe image has our
    multi-target probe client; with the evidence of each.

    The pod tries an SCTP connection to itself: "protocol not supported" means the kernel has no SCTP;
    anything else (refused, timeout, connected) means the socket exists. Then it runs the dialer against a
    port nothing listens on: a result line in the batch format means it works (upstream's agnhost image has
    no dialer: the shell says "not found").
    """
    pod = PROBE_IMAGE_CHECK_POD
    kube.create(namespace, manifests.client_pod(pod, {"app": pod}, images))
    try:
        kube.wait_pods_ready(namespace, [pod], PROBE_IMAGE_POD_READY)
        command = ["/agnhost", "connect", "127.0.0.1:80", "--timeout=1s", "--protocol=sctp"]
        result = kube.exec(namespace, pod, command, timeout_s=30)
        said = _said(result)
        sctp = SctpSupport("not supported" not in said.lower(), f"{result.reproduce} -> {said}")
        # through the shell, so that a missing binary is an exit status, not a failed exec
        dial = [DIALER_PATH, "--timeout=1s", "tcp:127.0.0.1:1"]
        result = kube.exec(namespace, pod, ["/bin/sh", "-c", shlex.join(dial)], timeout_s=30)
        dialer = 0 in parse_batch_output(result.stdout)
        return ProbeImage(sctp, dialer, f"{result.reproduce} -> {_said(result)}")
    finally:
        kube.core.delete_namespaced_pod(pod, namespace, grace_period_seconds=0)


def _said(result: ExecResult) -> str:
    text = f"{result.stdout} {result.stderr}".strip()
    return f"rc {result.returncode}: {text or '(no output)'}"


@dataclass
class NetpolTopology:
    """The deployed model and what is currently applied to it."""

    kube: KubeCluster
    namespace_names: Mapping[str, str]  # model -> real
    pod_ips: Mapping[str, IPAddress]  # "x/a" -> IP
    service_ips: Mapping[str, str]
    protocols: tuple[Protocol, ...]  # what the servers serve (SCTP only where the kernel has it)
    extra_namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    applied: dict[str, PolicyDoc] = field(default_factory=dict)  # "x/name" -> resolved document
    changed_pod_labels: set[tuple[str, str]] = field(default_factory=set)
    changed_namespace_labels: set[tuple[str, str]] = field(default_factory=set)
    state_key: object = None  # what the last apply_state call applied (None: baseline)
    placement: Mapping[str, str] = field(default_factory=dict)  # "x/a" -> node it runs on
    # Policies in x, y, z that the harness did not create ("x/name" -> model-name document): in every
    # expected table (core.netpol.foreign); never touched by apply_state or reset.
    foreign: Mapping[str, PolicyDoc] = field(default_factory=dict)

    # --- deployment ---------------------------------------------------------------------------------------
    @classmethod
    def deploy(
        cls,
        kube: KubeCluster,
        images: manifests.ImageSettings,
        create_namespace: NamespaceCreator,
        *,
        sctp: bool,
        nodes: Sequence[str] = (),
        expect_foreign: Sequence[str] = (),
    ) -> NetpolTopology:
        """``nodes``: spread the 9 pods over these, round robin in model order (a fixed placement, so a
        cell's node relation is the same on every run); none: the scheduler decides. ``expect_foreign``:
        names of the policies a controller put into the canary namespace (waited for in x, y and z)."""
        protocols = (Protocol.TCP, Protocol.UDP) + ((Protocol.SCTP,) if sctp else ())
        service_ports = [(port, protocol) for port in PORTS for protocol in protocols]
        names = {ns: create_namespace(ns, {NAMESPACE_LABEL: ns}) for ns in NAMESPACES}
        planned = round_robin(POD_KEYS, nodes)
        for key in POD_KEYS:
            ns, pod = key.split("/")
            manifest = manifests.netexec_server_pod(
                pod, {POD_LABEL: pod}, images, PORTS, protocols, node_name=planned.get(key)
            )
            kube.create(names[ns], manifest)
            kube.create(names[ns], manifests.service_for(f"s-{pod}", {POD_LABEL: pod}, service_ports))
        pod_ips: dict[str, IPAddress] = {}
        service_ips: dict[str, str] = {}
        placement: dict[str, str] = {}
        for ns in NAMESPACES:
            for info in kube.wait_pods_ready(names[ns], ["a", "b", "c"], TOPOLOGY_READY):
                pod_ips[f"{ns}/{info.name}"] = ipaddress.ip_address(info.ip)
                placement[f"{ns}/{info.name}"] = info.node
            for pod in ("a", "b", "c"):
                service = kube.core.read_namespaced_service(f"s-{pod}", names[ns])
                if not service.spec.cluster_ip:
                    raise CannotCheck(f"service {names[ns]}/s-{pod} has no ClusterIP")
                service_ips[f"{ns}/{pod}"] = service.spec.cluster_ip
        foreign, namespace_labels = read_foreign(kube, names, expect_foreign)
        return cls(
            kube,
            names,
            pod_ips,
            service_ips,
            protocols,
            extra_namespace_labels=namespace_labels,
            placement=placement,
            foreign=foreign,
        )

    def world(self) -> World:
        labels = {ns: {NAMESPACE_LABEL: ns, **self.extra_namespace_labels.get(ns, {})} for ns in NAMESPACES}
        return World(
            pod_ips=self.pod_ips,
            namespace_labels=labels,
            pod_labels={key: {POD_LABEL: key.split("/")[1]} for key in POD_KEYS},
            served=self.protocols,
            standing=self.foreign,
        )

    # --- names and probe jobs -----------------------------------------------------------------------------
    def endpoint(self, key: str) -> Endpoint:
        ns, pod = key.split("/")
        return Endpoint(key, self.namespace_names[ns], pod, SOURCE_CONTAINER)

    def address(self, key: str, mode: TargetMode) -> str:
        ns, pod = key.split("/")
        if mode is TargetMode.POD_IP:
            return str(self.pod_ips[key])
        if mode is TargetMode.SERVICE_IP:
            return self.service_ips[key]
        # Fully qualified (trailing dot): no search-path expansion, one query per probe.
        return f"s-{pod}.{self.namespace_names[ns]}.svc.cluster.local."

    def jobs(self, probes: Sequence[Probe], mode: TargetMode) -> list[ProbeJob]:
        """Every ordered pair except a pod to itself (loopback is implementation-defined: k8s#95879)."""
        return [
            ProbeJob(self.endpoint(src), dst, self.address(dst, mode), probe.port, probe.protocol)
            for src in POD_KEYS
            for dst in POD_KEYS
            if src != dst
            for probe in probes
        ]

    # --- state: policies and labels -----------------------------------------------------------------------
    def real_document(self, doc: PolicyDoc) -> dict[str, Any]:
        resolved: dict[str, Any] = resolve(doc, self.namespace_names.__getitem__, self.pod_ips.__getitem__)
        return resolved

    def apply_state(
        self, state: StepState, transform: Callable[[PolicyDoc], PolicyDoc] | None = None
    ) -> None:
        """Make the cluster hold exactly this step's policies and label overrides."""
        wanted = {key: (transform(doc) if transform else doc) for key, doc in state.policies.items()}
        for key in [k for k in self.applied if k not in wanted]:
            ns, name = key.split("/")
            self.kube.delete_network_policy(self.namespace_names[ns], name)
            del self.applied[key]
        for key, doc in wanted.items():
            if self.applied.get(key) == doc:
                continue
            real = self.real_document(doc)
            namespace = real["metadata"].pop("namespace")
            self.kube.replace_network_policy(namespace, real)
            self.applied[key] = doc
        for pod_key, changes in state.pod_labels.items():
            ns, pod = pod_key.split("/")
            self.kube.label_pod(self.namespace_names[ns], pod, dict(changes))
            self.changed_pod_labels.update((pod_key, label) for label in changes)
        for ns, changes in state.namespace_labels.items():
            self.kube.label_namespace(self.namespace_names[ns], dict(changes))
            self.changed_namespace_labels.update((ns, label) for label in changes)

    def reset(self) -> bool:
        """Back to the baseline (no policies, base labels); False when it already was there."""
        touched = bool(self.applied or self.changed_pod_labels or self.changed_namespace_labels)
        for key in list(self.applied):
            ns, name = key.split("/")
            self.kube.delete_network_policy(self.namespace_names[ns], name)
        self.applied.clear()
        for pod_key, label in sorted(self.changed_pod_labels):
            ns, pod = pod_key.split("/")
            self.kube.label_pod(self.namespace_names[ns], pod, {label: None})
        self.changed_pod_labels.clear()
        for ns, label in sorted(self.changed_namespace_labels):
            base = {NAMESPACE_LABEL: ns, **self.extra_namespace_labels.get(ns, {})}
            self.kube.label_namespace(self.namespace_names[ns], {label: base.get(label)})
        self.changed_namespace_labels.clear()
        self.state_key = None
        return touched

    # --- the baseline --------------------------------------------------------------------------------------
    def check_baseline(
        self,
        prober: Prober,
        probes: Sequence[Probe],
        modes: Sequence[TargetMode],
        attempts: int,
        pause_s: float = RETRY_PAUSE_S,
        *,
        first_pause_s: float | None = None,
    ) -> None:
        """Probe the policy-free matrix until every cell is allowed; TopologyNotReady if it never is.
        ``first_pause_s``: the pauses ramp up from it to ``pause_s`` (see probe_until_expected).

        With foreign policies in force the matrix is not policy-free: the harness's own allow-all goes into
        x, y and z while it is probed (policies are additive), and comes out again after."""
        jobs = [job for mode in modes for job in self.jobs(probes, mode)]
        allow = [self.namespace_names[ns] for ns in NAMESPACES] if self.foreign else []
        for namespace in allow:
            self.kube.replace_network_policy(namespace, self.harness_allow_all(namespace))
        try:
            results = probe_until_expected(
                prober,
                jobs,
                dict.fromkeys(jobs, Cell.ALLOWED),
                max_attempts=attempts,
                pause_s=pause_s,
                first_pause_s=first_pause_s,
                confirm=False,
            )
        finally:
            for namespace in allow:
                self.kube.delete_network_policy(namespace, foreign_policies.BASELINE_ALLOW_NAME)
        wrong = [r for r in results if r.state is not Cell.ALLOWED]
        if wrong:
            lines = "\n".join(f"  {r.describe()}" for r in wrong[:20])
            raise TopologyNotReady(
                f"{len(wrong)} of {len(results)} policy-free probes did not connect, so no policy verdict is "
                f"possible (servers not listening, or the pod network is broken):\n{lines}"
            )

    def harness_allow_all(self, namespace: str) -> dict[str, Any]:
        manifest = foreign_policies.allow_all(namespace, foreign_policies.BASELINE_ALLOW_NAME)
        manifest["metadata"]["labels"] = {labels.OWNER: labels.OWNER_VALUE}
        del manifest["metadata"]["namespace"]
        return manifest


def read_foreign(
    kube: KubeCluster, names: Mapping[str, str], expected: Sequence[str]
) -> tuple[dict[str, PolicyDoc], dict[str, dict[str, str]]]:
    """The policies in x, y and z the harness did not create, in model names, and the namespaces' real labels
    (a foreign policy may select on any of them). ForeignPolicyUnmodelled if the engine cannot read one."""

    def all_there() -> dict[str, list[dict[str, Any]]]:
        found = _list_foreign(kube, names)
        missing = [
            f"{ns}/{name}"
            for ns in NAMESPACES
            for name in expected
            if name not in {p["metadata"]["name"] for p in found[ns]}
        ]
        if missing:
            raise NotYet(f"not yet in {', '.join(missing)}")
        return found

    try:
        found = wait_until(FOREIGN_POLICIES_PRESENT, all_there) if expected else _list_foreign(kube, names)
    except WaitTimeout:  # the controller spares some of them (its own exclusions): model what is there
        found = _list_foreign(kube, names)
    if not any(found.values()):
        return {}, {}
    real_to_model = {real: model for model, real in names.items()}
    foreign: dict[str, PolicyDoc] = {}
    for ns, policies in found.items():
        for policy in policies:
            doc = foreign_policies.to_model(policy, real_to_model)
            where = f"{names[ns]}/{doc['metadata']['name']}"
            try:
                parse_policy(doc, f"policy {where}")
            except NetconformError as err:
                raise foreign_policies.ForeignPolicyUnmodelled(
                    f"foreign {foreign_policies.describe(policy)} in {names[ns]} cannot be modelled, so no "
                    f"expected table would be right ({err}); exclude namespaces labelled "
                    f"{labels.OWNER}={labels.OWNER_VALUE} from the policy that generates it"
                ) from err
            foreign[f"{ns}/{doc['metadata']['name']}"] = doc
    return foreign, {ns: _real_labels(kube, names[ns]) for ns in NAMESPACES}


def _list_foreign(kube: KubeCluster, names: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for ns in NAMESPACES:
        items = call(
            f"list networkpolicies in {names[ns]}",
            lambda ns=ns: kube.networking.list_namespaced_network_policy(names[ns]),  # type: ignore[misc]
        ).items
        found[ns] = [
            kube.api.sanitize_for_serialization(p)
            for p in items
            if (p.metadata.labels or {}).get(labels.OWNER) != labels.OWNER_VALUE
        ]
    return found


def _real_labels(kube: KubeCluster, name: str) -> dict[str, str]:
    """A namespace's labels as the cluster has them (the name label is the model's own: left out)."""
    meta = call(f"read namespace {name}", lambda: kube.core.read_namespace(name)).metadata
    return {k: v for k, v in (meta.labels or {}).items() if k != NAMESPACE_NAME_LABEL}
