"""The test bed is a working cluster: node, DNS, pod network, Services, exec, logs, NetworkPolicy."""

from __future__ import annotations

import pytest

from fixtures.namespaces import NamespaceSet
from netconform.adapters.kube import manifests
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.model import Endpoint, ProbeJob
from netconform.adapters.probe.retry import probe_until_expected
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.core.truthtable import Cell, Protocol, satisfies
from netconform.testbed import addresses, lifecycle, network

TCP80 = [(80, Protocol.TCP)]


def test_every_node_is_ready_with_its_own_zone_and_pod_cidr(kube: KubeCluster) -> None:
    specs = lifecycle.node_specs()
    assert len(specs) >= 1
    zones, cidrs = set(), set()
    for spec in specs:
        node = kube.core.read_node(spec.name)
        ready = {c.type: c.status for c in node.status.conditions}["Ready"]
        assert ready == "True", spec.name
        assert node.status.node_info.kubelet_version == "v1.36.3"
        assert node.spec.pod_cidr.startswith("10.244."), node.spec.pod_cidr
        internal = {a.type: a.address for a in node.status.addresses}["InternalIP"]
        assert internal == str(spec.ip)
        labels = node.metadata.labels
        assert labels["node.kubernetes.io/instance-type"] == addresses.INSTANCE_TYPE
        zones.add(labels["topology.kubernetes.io/zone"])
        cidrs.add(node.spec.pod_cidr)
        # The router sends the node's pod CIDR to the node (host-gw), read from spec.podCIDR.
        assert f"{node.spec.pod_cidr} via {spec.ip}" in "\n".join(network.router_routes())
    assert len(zones) == len(specs)
    assert len(cidrs) == len(specs)


@pytest.fixture
def two_pods(kube: KubeCluster, namespaces: NamespaceSet, images: manifests.ImageSettings) -> dict[str, str]:
    """Server pods a and b in one namespace, each with a Service; returns real namespace and IPs."""
    ns = namespaces.make("x")
    for name in ("a", "b"):
        kube.create(ns, manifests.server_pod(name, {"pod": name}, images, TCP80))
        kube.create(ns, manifests.service_for(f"s-{name}", {"pod": name}, TCP80))
    pods = {p.name: p for p in kube.wait_pods_ready(ns, ["a", "b"])}
    service_ip = kube.core.read_namespaced_service("s-b", ns).spec.cluster_ip
    return {"ns": ns, "a": pods["a"].ip, "b": pods["b"].ip, "svc-b": service_ip}


def _job(ns: str, address: str, target: str) -> ProbeJob:
    source = Endpoint("x/a", ns, "a", manifests.container_name(80, Protocol.TCP))
    return ProbeJob(source, target, address, 80, Protocol.TCP)


def test_pod_reaches_pod_and_service(kube: KubeCluster, two_pods: dict[str, str]) -> None:
    ns = two_pods["ns"]
    jobs = [
        _job(ns, two_pods["b"], "x/b"),
        _job(ns, two_pods["svc-b"], "svc x/b"),
        _job(ns, f"s-b.{ns}.svc.cluster.local", "dns x/b"),
    ]
    # A Ready pod is reachable at once, but its Service is programmed asynchronously (EndpointSlice, then the
    # service proxy's sync): the first probe of a new Service may time out. Retried within a bound, as the
    # suites' readiness pass does; a Service that never answers still fails.
    results = probe_until_expected(ExecProber(kube), jobs, dict.fromkeys(jobs, Cell.ALLOWED), max_attempts=10)
    assert [r.state for r in results] == [Cell.ALLOWED] * 3, [r.describe() for r in results]


def test_dns_answers_the_cluster_domain_only(kube: KubeCluster, two_pods: dict[str, str]) -> None:
    ns = two_pods["ns"]
    container = manifests.container_name(80, Protocol.TCP)
    inside = kube.exec(ns, "a", ["nslookup", "kubernetes.default.svc.cluster.local"], container=container)
    assert inside.ok, inside
    assert str(addresses.API_SERVICE_IP) in inside.stdout
    # No forwarding: a name outside the cluster domain must not resolve (and no query leaves the machine).
    outside = kube.exec(ns, "a", ["nslookup", "example.com"], container=container)
    assert not outside.ok, outside.stdout


LOG_MARKER = "netconform-log-marker"
LOG_VISIBLE = Bound("the pod's first log line to be readable", timeout_s=60)


def test_exec_and_logs_work(
    kube: KubeCluster, two_pods: dict[str, str], images: manifests.ImageSettings
) -> None:
    ns = two_pods["ns"]
    container = manifests.container_name(80, Protocol.TCP)
    result = kube.exec(ns, "a", ["sh", "-c", "echo out; echo err >&2; exit 3"], container=container)
    assert (result.returncode, result.stdout.strip(), result.stderr.strip()) == (3, "out", "err")
    talker = manifests.client_pod("talker", {"pod": "talker"}, images)
    talker["spec"]["containers"][0].update(
        command=["/bin/sh", "-c", f"echo {LOG_MARKER}; exec /agnhost pause"], args=[]
    )
    kube.create(ns, talker)
    kube.wait_pods_ready(ns, ["talker"])

    def marker_logged() -> None:
        if LOG_MARKER not in kube.logs(ns, "talker", "client"):
            raise NotYet("marker not in the log yet")

    wait_until(LOG_VISIBLE, marker_logged)


def test_deny_all_blocks_and_deleting_it_restores(kube: KubeCluster, two_pods: dict[str, str]) -> None:
    ns = two_pods["ns"]
    prober = ExecProber(kube)
    job = _job(ns, two_pods["b"], "x/b")
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all-ingress"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    kube.replace_network_policy(ns, deny)
    blocked = probe_until_expected(prober, [job], {job: Cell.BLOCKED}, max_attempts=10)
    assert satisfies(Cell.BLOCKED, blocked[0].state), blocked[0].describe()
    kube.delete_network_policy(ns, "deny-all-ingress")
    allowed = probe_until_expected(prober, [job], {job: Cell.ALLOWED}, max_attempts=10)
    assert allowed[0].state is Cell.ALLOWED, allowed[0].describe()
