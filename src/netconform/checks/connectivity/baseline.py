"""The connectivity baseline: a few pods and Services, and one check per path that says what it found.

The bed (one namespace): netexec pods ``a`` and ``b`` (TCP 8080, UDP 8081), a hostNetwork netexec pod on a
random high port, and a pod whose only job is to pass the kubelet's httpGet readiness probe. Each Service
check has a Service of its own (``web`` ClusterIP, ``web-np`` NodePort, ``web-dns`` for names,
``web-headless``), so that a broken rule set for one Service shows up in exactly one check.

Every check also probes a few *control* paths (the Service check dials the backing pod's IP too, ...) so
``core.connectivity.diagnosis`` can say what the failure usually means. A check returns a ``CheckResult``; it
never raises for a network result.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from netconform.adapters.kube.cluster import KubeCluster, PodInfo
from netconform.adapters.kube.errors import KubeError
from netconform.adapters.kube.execution import ExecResult, kubectl_exec
from netconform.adapters.kube.manifests import ImageSettings, pod
from netconform.adapters.kube.pod_defaults import needs_raw_icmp
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.model import Endpoint, ProbeJob, ProbeResult
from netconform.adapters.probe.retry import probe_until_expected
from netconform.adapters.waits import Bound, NotYet, WaitTimeout, wait_until
from netconform.checks.connectivity import payload
from netconform.core.connectivity.diagnosis import (
    EgressSource,
    Path,
    PathFailure,
    classify_egress_source,
    egress_meaning,
    mtu_note,
)
from netconform.core.connectivity.spread import NodeView, usable_nodes
from netconform.core.truthtable import Cell, Protocol

HTTP_PORT = 8080
UDP_PORT = 8081
SERVICE_PORT = 80
CONTAINER = "netexec"
HOST_PORT_RANGE = (20000, 29999)  # below the NodePort range; random so parallel runs rarely collide
SERVICES = ("web", "web-np", "web-dns", "web-headless")
KUBELET_PROBED = Bound("the kubelet's httpGet readiness probe to pass", timeout_s=30, interval_s=1)
DNS_SETTLED = Bound("DNS records of the new Services", timeout_s=15, interval_s=1)
TRANSFER_SETTLED = Bound("a large transfer to succeed", timeout_s=8, interval_s=2)
EXEC_TIMEOUT_S = 30.0

T = TypeVar("T")


# --- the bed ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineBed:
    namespace: str
    a: PodInfo
    b: PodInfo
    host: PodInfo
    host_port: int
    kubelet_probed: str  # name of the pod with the httpGet readiness probe
    cluster_ips: Mapping[str, str]  # Service name -> ClusterIP ("None" for headless)
    node_port: int
    nodes: Sequence[NodeView]  # the usable nodes (real, Ready, schedulable)
    all_nodes: Sequence[NodeView] = ()

    def endpoint(self, pod: PodInfo) -> Endpoint:
        return Endpoint(f"pod {pod.name}", self.namespace, pod.name, CONTAINER)

    def describe(self, pod: PodInfo) -> str:
        kind = "hostNetwork pod" if pod.host_network else "pod"
        return f"{kind} {self.namespace}/{pod.name} ({pod.ip}, node {pod.node})"

    def fqdn(self, service: str) -> str:
        return f"{service}.{self.namespace}.svc.cluster.local"


def netexec_pod(
    name: str,
    labels: dict[str, str],
    image: ImageSettings,
    *,
    http_port: int = HTTP_PORT,
    udp_port: int = UDP_PORT,
    host_network: bool = False,
    http_readiness: bool = False,
    node_name: str | None = None,
) -> dict[str, Any]:
    """agnhost netexec (HTTP /echo, /clientip; UDP echo); readiness by tcpSocket, or httpGet when asked."""
    readiness: dict[str, Any] = (
        {"httpGet": {"path": "/hostname", "port": http_port}}
        if http_readiness
        else {"tcpSocket": {"port": http_port}}
    )
    ports = [{"name": "http", "containerPort": http_port, "protocol": "TCP"}]
    if udp_port > 0:
        ports.append({"name": "udp", "containerPort": udp_port, "protocol": "UDP"})
    container = {
        "name": CONTAINER,
        "image": image.probe_image,
        "imagePullPolicy": image.pull_policy,
        "command": ["/agnhost"],
        "args": ["netexec", f"--http-port={http_port}", f"--udp-port={udp_port}"],
        "ports": ports,
        "readinessProbe": {**readiness, "periodSeconds": 1},
        "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
    }
    manifest = pod(name, labels, [container], host_network=host_network, node_name=node_name)
    if host_network:
        return manifest
    # Any of these pods may be a source of the don't-fragment check, and busybox ping needs a raw socket.
    return needs_raw_icmp(manifest, "sends raw ICMP (busybox ping, the don't-fragment check)")


def service(
    name: str, selector: dict[str, str], *, kind: str = "ClusterIP", headless: bool = False
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": selector,
        "type": kind,
        "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": HTTP_PORT, "protocol": "TCP"}],
    }
    if headless:
        spec["clusterIP"] = "None"
        spec["ports"][0]["port"] = HTTP_PORT
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def deploy(
    kube: KubeCluster, namespace: str, images: ImageSettings, *, host_port: int | None = None
) -> BaselineBed:
    """Create the bed and wait for it (the kubelet-probed pod is left to its own check)."""
    port = host_port or random.randint(*HOST_PORT_RANGE)
    views = node_views(kube)
    usable = usable_nodes(views)
    # The bed's checks are same-node paths (cross-node ones place their own pods): pin them to one node, so
    # that a multi-node scheduler's spreading never turns "pod -> pod, same node" into a cross-node probe.
    node = usable[0].name if usable else None
    kube.create(namespace, netexec_pod("a", {"app": "web", "baseline": "server"}, images, node_name=node))
    kube.create(namespace, netexec_pod("b", {"app": "client", "baseline": "server"}, images, node_name=node))
    kube.create(
        namespace,
        netexec_pod(
            "host", {"app": "host"}, images, http_port=port, udp_port=-1, host_network=True, node_name=node
        ),
    )
    kube.create(
        namespace,
        netexec_pod("probed", {"app": "probed"}, images, udp_port=-1, http_readiness=True, node_name=node),
    )
    kube.create(namespace, service("web", {"app": "web"}))
    kube.create(namespace, service("web-np", {"app": "web"}, kind="NodePort"))
    kube.create(namespace, service("web-dns", {"app": "web"}))
    kube.create(namespace, service("web-headless", {"baseline": "server"}, headless=True))
    a, b, host = kube.wait_pods_ready(namespace, ["a", "b", "host"])
    specs = {name: kube.core.read_namespaced_service(name, namespace).spec for name in SERVICES}
    node_port = next(p.node_port for p in specs["web-np"].ports)
    return BaselineBed(
        namespace=namespace,
        a=a,
        b=b,
        host=host,
        host_port=port,
        kubelet_probed="probed",
        cluster_ips={name: str(spec.cluster_ip) for name, spec in specs.items()},
        node_port=int(node_port),
        nodes=usable,
        all_nodes=views,
    )


def node_views(kube: KubeCluster, *, count_pods: bool = False) -> list[NodeView]:
    """The cluster's nodes as the spread planner sees them (pod counts only when asked: one more list)."""
    pods_per_node: dict[str, int] = {}
    if count_pods:
        for pod in kube.core.list_pod_for_all_namespaces().items:
            if not pod.spec.host_network and pod.status.phase not in ("Succeeded", "Failed"):
                pods_per_node[pod.spec.node_name] = pods_per_node.get(pod.spec.node_name, 0) + 1
    views = []
    for node in kube.core.list_node().items:
        meta, spec, status = node.metadata, node.spec, node.status
        conditions = {c.type: c.status for c in status.conditions or []}
        taints = [t for t in spec.taints or [] if t.effect in ("NoSchedule", "NoExecute")]
        defaults = kube.pod_defaults
        untolerated = [t for t in taints if not defaults.tolerates(t.key, t.value, t.effect)]
        addresses = {a.type: a.address for a in status.addresses or []}
        views.append(
            NodeView(
                name=meta.name,
                internal_ip=addresses.get("InternalIP", ""),
                ready=conditions.get("Ready") == "True",
                schedulable=not spec.unschedulable and not untolerated,
                simulated="kwok.x-k8s.io/node" in (meta.annotations or {}),
                instance_type=(meta.labels or {}).get("node.kubernetes.io/instance-type"),
                pods_with_pod_ips=pods_per_node.get(meta.name, 0),
                max_pods=int((status.allocatable or {}).get("pods", 110)),
                excluded=defaults.excluded(dict(meta.labels or {})),
            )
        )
    return views


# --- outcomes -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    path: Path
    findings: tuple[PathFailure, ...] = ()
    skipped: str | None = None
    notes: tuple[str, ...] = ()  # what was seen, worth reporting even when it passed
    observed: Mapping[Path, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.findings

    def message(self) -> str:
        if self.skipped:
            return f"{self.path.value} skipped: {self.skipped}"
        if not self.findings:
            return f"{self.path.value} passed" + "".join(f"\n  {n}" for n in self.notes)
        return "\n\n".join(f.message() for f in self.findings)


@dataclass
class Baseline:
    """The checks over one bed. ``prober`` is any Prober; the real one execs into the pods."""

    kube: KubeCluster
    bed: BaselineBed
    prober: ExecProber
    seen: dict[Path, bool] = field(default_factory=dict)  # outcomes so far: controls of later checks
    ring: dict[str, tuple[str, str]] = field(default_factory=dict)  # cross-node pods: name -> (ip, node)

    def run_all(self, egress_target: str | None = None) -> dict[Path, CheckResult]:
        """Every check the bed alone supports, in the suite's order (cross-node/ENI need their own pods)."""
        checks: list[Callable[[], CheckResult]] = [
            self.pod_to_pod_tcp,
            self.pod_to_pod_udp,
            self.cluster_ip,
            self.node_port,
            self.dns_fqdn,
            self.dns_short_name,
            self.dns_headless,
            self.host_network_to_pod,
            self.pod_to_host_network,
            self.node_to_pod,
            self.large_transfer,
            self.mtu_dont_fragment,
        ]
        if egress_target:
            checks.append(functools.partial(self.egress_source, egress_target, None))
        outcomes = [check() for check in checks]
        return {o.path: o for o in outcomes}

    # -- helpers --
    def _job(
        self, source: PodInfo, target: str, address: str, port: int, proto: Protocol = Protocol.TCP
    ) -> ProbeJob:
        return ProbeJob(self.bed.endpoint(source), target, address, port, proto)

    def _probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]:
        return probe_until_expected(self.prober, jobs, dict.fromkeys(jobs, Cell.ALLOWED))

    def _exec(self, pod: PodInfo, script: str) -> ExecResult:
        try:
            return self.kube.exec(
                self.bed.namespace,
                pod.name,
                ["/bin/sh", "-c", script],
                container=CONTAINER,
                timeout_s=EXEC_TIMEOUT_S,
            )
        except KubeError as err:
            command = kubectl_exec(self.bed.namespace, pod.name, ["/bin/sh", "-c", script], CONTAINER)
            return ExecResult(None, "", f"exec failed: {err}", command)

    def _connect_outcome(
        self, path: Path, primary: Sequence[ProbeResult], targets: Sequence[str], observed: dict[Path, bool]
    ) -> CheckResult:
        observed[path] = all(r.state is Cell.ALLOWED for r in primary)
        self.seen[path] = observed[path]
        findings = tuple(
            PathFailure(
                path,
                self._source_text(r),
                target,
                f"{r.state.name.lower()}: {r.detail or 'connected'} (attempts: {r.attempts})",
                r.reproduce,
                observed,
            )
            for r, target in zip(primary, targets, strict=True)
            if r.state is not Cell.ALLOWED
        )
        return CheckResult(path, findings, observed=dict(observed))

    def _source_text(self, result: ProbeResult) -> str:
        pods = {p.name: p for p in (self.bed.a, self.bed.b, self.bed.host)}
        pod = pods.get(result.job.source.pod)
        return self.bed.describe(pod) if pod else f"pod {result.job.source.namespace}/{result.job.source.pod}"

    def _pod_tcp_ok(self) -> bool:
        if Path.POD_TCP not in self.seen:
            self.pod_to_pod_tcp()
        return self.seen[Path.POD_TCP]

    # -- pod -> pod --
    def pod_to_pod_tcp(self) -> CheckResult:
        bed = self.bed
        results = self._probe([self._job(bed.b, "pod a", bed.a.ip, HTTP_PORT)])
        return self._connect_outcome(
            Path.POD_TCP, results, [f"{bed.describe(bed.a)} port {HTTP_PORT}/TCP"], {}
        )

    def pod_to_pod_udp(self) -> CheckResult:
        bed = self.bed
        results = self._probe([self._job(bed.b, "pod a", bed.a.ip, UDP_PORT, Protocol.UDP)])
        observed = {Path.POD_TCP: self._pod_tcp_ok()}
        return self._connect_outcome(
            Path.POD_UDP, results, [f"{bed.describe(bed.a)} port {UDP_PORT}/UDP"], observed
        )

    # -- Services --
    def cluster_ip(self) -> CheckResult:
        bed, ip = self.bed, self.bed.cluster_ips["web"]
        results = self._probe([self._job(bed.b, "svc web", ip, SERVICE_PORT)])
        observed = {Path.POD_TCP: self._pod_tcp_ok()}
        target = (
            f"Service {bed.namespace}/web ClusterIP {ip} port {SERVICE_PORT} (backend {bed.describe(bed.a)})"
        )
        return self._connect_outcome(Path.CLUSTER_IP, results, [target], observed)

    def node_port(self) -> CheckResult:
        bed = self.bed
        if not bed.nodes:
            return CheckResult(Path.NODE_PORT, skipped="no usable node with an InternalIP")
        jobs = [
            self._job(bed.b, f"node {n.name}", n.internal_ip, bed.node_port)
            for n in bed.nodes
            if n.internal_ip
        ]
        control = self._job(bed.b, "svc web-np", bed.cluster_ips["web-np"], SERVICE_PORT)
        results = self._probe([*jobs, control])
        observed = {Path.POD_TCP: self._pod_tcp_ok(), Path.CLUSTER_IP: results[-1].state is Cell.ALLOWED}
        targets = [
            f"node {n.name} InternalIP {n.internal_ip} NodePort {bed.node_port} (Service web-np)"
            for n in bed.nodes
            if n.internal_ip
        ]
        return self._connect_outcome(Path.NODE_PORT, results[:-1], targets, observed)

    # -- DNS --
    def _lookup(self, name: str, expect: Callable[[dict[str, set[str]]], bool]) -> tuple[bool, str, str]:
        """(ok, what was answered, reproduce); retried within DNS_SETTLED for freshly created Services."""
        script = payload.nslookup_script(name)
        ok, last = _retry(
            DNS_SETTLED,
            lambda: self._exec(self.bed.b, script),
            lambda r: expect(payload.parse_nslookup(r.stdout)),
        )
        answers = payload.parse_nslookup(last.stdout)
        text = payload.describe_answers(answers) if answers else (last.stdout + last.stderr).strip()[-300:]
        return ok, text, last.reproduce

    def dns_fqdn(self) -> CheckResult:
        bed, name = self.bed, self.bed.fqdn("web-dns")
        ip = bed.cluster_ips["web-dns"]
        ok, seen, reproduce = self._lookup(name, lambda ans: ip in ans.get(name, set()))
        results = self._probe(
            [self._job(bed.b, name, name, SERVICE_PORT), self._job(bed.b, "svc web-dns", ip, SERVICE_PORT)]
        )
        observed = {Path.CLUSTER_IP: results[1].state is Cell.ALLOWED}
        self.seen[Path.DNS_FQDN] = ok and results[0].state is Cell.ALLOWED
        observed[Path.DNS_FQDN] = self.seen[Path.DNS_FQDN]
        findings = []
        source, target = bed.describe(bed.b), f"{name} (ClusterIP {ip}) port {SERVICE_PORT}"
        if not ok:
            findings.append(
                PathFailure(
                    Path.DNS_FQDN,
                    source,
                    target,
                    f"expected an A record {ip}; answered: {seen}",
                    reproduce,
                    observed,
                )
            )
        elif results[0].state is not Cell.ALLOWED:
            r = results[0]
            findings.append(
                PathFailure(
                    Path.DNS_FQDN,
                    source,
                    target,
                    f"resolves, but connecting by name: {r.state.name.lower()} {r.detail}",
                    r.reproduce,
                    observed,
                )
            )
        return CheckResult(Path.DNS_FQDN, tuple(findings), observed=observed)

    def dns_short_name(self) -> CheckResult:
        bed, fqdn, ip = self.bed, self.bed.fqdn("web-dns"), self.bed.cluster_ips["web-dns"]
        if Path.DNS_FQDN not in self.seen:
            self.dns_fqdn()
        # busybox nslookup walks the search path itself and prints the name that answered
        ok, seen, reproduce = self._lookup("web-dns", lambda ans: ip in ans.get(fqdn, set()))
        result = self._probe([self._job(bed.b, "web-dns", "web-dns", SERVICE_PORT)])[0]
        observed = {
            Path.DNS_FQDN: self.seen[Path.DNS_FQDN],
            Path.DNS_SHORT: ok and result.state is Cell.ALLOWED,
        }
        source, target = bed.describe(bed.b), f"web-dns (expected {fqdn} = {ip}) port {SERVICE_PORT}"
        findings = []
        if not ok:
            findings.append(
                PathFailure(Path.DNS_SHORT, source, target, f"search path gave: {seen}", reproduce, observed)
            )
        elif result.state is not Cell.ALLOWED:
            findings.append(
                PathFailure(
                    Path.DNS_SHORT,
                    source,
                    target,
                    f"resolves, but connecting by short name: {result.state.name.lower()} {result.detail}",
                    result.reproduce,
                    observed,
                )
            )
        return CheckResult(Path.DNS_SHORT, tuple(findings), observed=observed)

    def dns_headless(self) -> CheckResult:
        bed, name = self.bed, self.bed.fqdn("web-headless")
        if Path.DNS_FQDN not in self.seen:
            self.dns_fqdn()
        want = {bed.a.ip, bed.b.ip}
        ok, seen, reproduce = self._lookup(name, lambda ans: ans.get(name, set()) == want)
        observed = {Path.DNS_FQDN: self.seen[Path.DNS_FQDN], Path.DNS_HEADLESS: ok}
        if ok:
            return CheckResult(
                Path.DNS_HEADLESS, observed=observed, notes=(f"{name} -> {', '.join(sorted(want))}",)
            )
        detail = f"expected exactly the pod IPs {', '.join(sorted(want))}; answered: {seen}"
        target = f"{name} (headless, pods a and b)"
        return CheckResult(
            Path.DNS_HEADLESS,
            (PathFailure(Path.DNS_HEADLESS, bed.describe(bed.b), target, detail, reproduce, observed),),
            observed=observed,
        )

    # -- host network and kubelet --
    def host_network_to_pod(self) -> CheckResult:
        bed = self.bed
        results = self._probe([self._job(bed.host, "pod a", bed.a.ip, HTTP_PORT)])
        return self._connect_outcome(
            Path.HOST_TO_POD,
            results,
            [f"{bed.describe(bed.a)} port {HTTP_PORT}/TCP"],
            {Path.POD_TCP: self._pod_tcp_ok()},
        )

    def pod_to_host_network(self) -> CheckResult:
        bed = self.bed
        results = self._probe([self._job(bed.b, "hostNetwork pod", bed.host.ip, bed.host_port)])
        target = f"{bed.describe(bed.host)} port {bed.host_port}/TCP"
        return self._connect_outcome(Path.POD_TO_HOST, results, [target], {Path.POD_TCP: self._pod_tcp_ok()})

    def node_to_pod(self) -> CheckResult:
        """The kubelet's httpGet readiness probe is a node -> pod connection: Ready proves it."""
        bed, name = self.bed, self.bed.kubelet_probed
        try:
            pod = self.kube.wait_pods_ready(bed.namespace, [name], KUBELET_PROBED)[0]
            return CheckResult(
                Path.NODE_TO_POD,
                observed={Path.NODE_TO_POD: True},
                notes=(f"kubelet on {pod.node} -> {pod.ip}:{HTTP_PORT} /hostname: Ready",),
            )
        except WaitTimeout as err:
            info = self.kube.pod(bed.namespace, name)
            events = [e for e in self.kube.events(bed.namespace) if f"Pod/{name}:" in e][-3:]
            detail = f"{err}; events: {' | '.join(events) or 'none'}"
            reproduce = f"kubectl describe pod -n {bed.namespace} {name}  # Events: Readiness probe failed"
            finding = PathFailure(
                Path.NODE_TO_POD,
                f"kubelet on node {info.node}",
                f"pod {bed.namespace}/{name} ({info.ip}) httpGet :{HTTP_PORT}/hostname",
                detail,
                reproduce,
                {Path.NODE_TO_POD: False},
            )
            return CheckResult(Path.NODE_TO_POD, (finding,), observed={Path.NODE_TO_POD: False})

    # -- payloads and MTU --
    def _transfers(self) -> list[tuple[PodInfo, PodInfo, payload.Transfer, str]]:
        bed, out = self.bed, []
        for source, target in ((bed.b, bed.a), (bed.a, bed.b)):
            script = payload.echo_transfer_script(target.ip, HTTP_PORT)
            _, result = _retry(
                TRANSFER_SETTLED,
                functools.partial(self._exec, source, script),
                lambda r: payload.parse_transfer(r.stdout).ok,
            )
            out.append(
                (source, target, payload.parse_transfer(result.stdout, result.stderr), result.reproduce)
            )
        self.seen[Path.LARGE_TRANSFER] = all(t.ok for _, _, t, _ in out)
        return out

    def large_transfer(self) -> CheckResult:
        transfers = self._transfers()
        observed = {Path.POD_TCP: self._pod_tcp_ok(), Path.LARGE_TRANSFER: self.seen[Path.LARGE_TRANSFER]}
        findings = tuple(
            PathFailure(
                Path.LARGE_TRANSFER,
                self.bed.describe(s),
                f"{self.bed.describe(t)} netexec /echo",
                tr.detail,
                rep,
                observed,
            )
            for s, t, tr, rep in transfers
            if not tr.ok
        )
        notes = tuple(f"{s.name} -> {t.name}: {tr.detail}" for s, t, tr, _ in transfers)
        return CheckResult(Path.LARGE_TRANSFER, findings, notes=notes, observed=observed)

    def mtu_dont_fragment(self) -> CheckResult:
        bed = self.bed
        pings = {}
        for source, target in ((bed.b, bed.a), (bed.a, bed.b)):
            result = self._exec(source, payload.df_ping_script(target.ip))
            ping = payload.parse_df_ping(result.stdout, result.stderr)
            command = ["ping", "-c", str(payload.PING_COUNT), "-s", str(ping.size or 1472), target.ip]
            reproduce = (
                kubectl_exec(bed.namespace, source.name, command, CONTAINER) + "  # iputils: add -M do"
            )
            pings[source.name] = (source, target, ping, reproduce)
        if Path.LARGE_TRANSFER not in self.seen:
            self._transfers()
        observed = {
            Path.LARGE_TRANSFER: self.seen[Path.LARGE_TRANSFER],
            Path.MTU_DF: all(p.ok for _, _, p, _ in pings.values()),
        }
        findings = []
        for source, target, ping, reproduce in pings.values():
            if not ping.ok:
                other = pings[target.name][2].mtu
                detail = ping.detail + mtu_note(ping.mtu, other)
                findings.append(
                    PathFailure(
                        Path.MTU_DF, bed.describe(source), bed.describe(target), detail, reproduce, observed
                    )
                )
        notes = tuple(f"{s.name} -> {t.name}: {p.detail}" for s, t, p, _ in pings.values())
        return CheckResult(Path.MTU_DF, tuple(findings), notes=notes, observed=observed)

    # -- egress --
    def egress_source(self, target_url: str, expected: EgressSource | None) -> CheckResult:
        """What a server outside the pod network saw (it answers GET <path> with the client's ip:port)."""
        bed = self.bed
        parts = urlsplit(target_url)
        host, port = parts.hostname or "", parts.port or 80
        result = self._exec(bed.b, payload.http_get_script(host, port, parts.path or "/"))
        got = payload.parse_http_get(result.stdout)
        source, target = bed.describe(bed.b), f"{target_url} (outside the pod network)"
        if not got.ok:
            finding = PathFailure(
                Path.EGRESS_SOURCE, source, target, f"no answer: {got.detail}", result.reproduce, {}
            )
            return CheckResult(Path.EGRESS_SOURCE, (finding,))
        node_ips = [n.internal_ip for n in bed.nodes if n.name == bed.b.node] or [
            n.internal_ip for n in bed.nodes
        ]
        seen = classify_egress_source(got.body, bed.b.ip, node_ips)
        note = f"{target_url} saw {got.body}: the {seen.value} (pod {bed.b.ip}, node {', '.join(node_ips)})"
        if expected is None:
            # Nothing to hold the observation to: a skip that says what was seen, never a pass.
            return CheckResult(
                Path.EGRESS_SOURCE,
                skipped=f"{note}; the CNI profile makes no claim about the egress source, so it is not "
                "judged (pass --profile to hold it to one); reproduce: " + result.reproduce,
                observed={Path.EGRESS_SOURCE: True},
            )
        if seen is expected:
            return CheckResult(Path.EGRESS_SOURCE, notes=(note,), observed={Path.EGRESS_SOURCE: True})
        detail = (
            f"{note}; the CNI profile expects the {expected.value}. Usually: {egress_meaning(expected, seen)}"
        )
        finding = PathFailure(Path.EGRESS_SOURCE, source, target, detail, result.reproduce, {})
        return CheckResult(Path.EGRESS_SOURCE, (finding,), notes=(note,))


def _retry(bound: Bound, attempt: Callable[[], T], ok: Callable[[T], bool]) -> tuple[bool, T]:
    """Run ``attempt`` until ``ok`` or the bound runs out; return whether it got there and the last result."""
    last: list[T] = []

    def once() -> None:
        last.append(attempt())
        if not ok(last[-1]):
            raise NotYet("not yet")

    try:
        wait_until(bound, once)
        return True, last[-1]
    except WaitTimeout:
        return False, last[-1]
