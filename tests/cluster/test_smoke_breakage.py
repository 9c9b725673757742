"""Breaking one path on purpose makes exactly the matching baseline check fail, with a readable diagnosis.

The tests run as root on the test bed's machine, so they can reach under the cluster: flush kube-proxy's
chain for one Service (kube-proxy's partial syncs leave an unchanged Service's chain alone, so the breakage
holds until the chain is put back), or lower one pod's MTU from an ephemeral container with NET_ADMIN (what
a mis-set CNI MTU looks like). Every other check of the suite must still pass.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator

import pytest

from fixtures.namespaces import NamespaceSet
from fixtures.reporting import attach
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.checks.connectivity import spread
from netconform.checks.connectivity.baseline import CONTAINER, Baseline, CheckResult, deploy
from netconform.core.connectivity.diagnosis import Path
from netconform.testbed import addresses, lifecycle, network
from netconform.testbed.addresses import EXTERNAL_HOST_IP

EGRESS_TARGET = f"http://{EXTERNAL_HOST_IP}:8080/clientip"
KUBE_PROXY_PROGRAMMED = Bound("kube-proxy to program the Service", timeout_s=30, interval_s=1)
MTU_APPLIED = Bound("the ephemeral container to lower the MTU", timeout_s=60, interval_s=1)
LOWERED_MTU = 1400


@pytest.fixture
def baseline(kube: KubeCluster, namespaces: NamespaceSet, images: ImageSettings) -> Baseline:
    return Baseline(kube, deploy(kube, namespaces.make("smoke-break"), images), ExecProber(kube))


def failed_checks(outcomes: dict[Path, CheckResult]) -> list[Path]:
    return [path for path, outcome in outcomes.items() if not outcome.passed and not outcome.skipped]


def summary(outcomes: dict[Path, CheckResult]) -> str:
    return "\n".join(outcome.message() for outcome in outcomes.values())


# --- kube-proxy rules of one Service --------------------------------------------------------------------


def _iptables(node: str, *args: str) -> str:
    """iptables in the network namespace of the node called ``node`` (a node's rules never live in the
    machine's own)."""
    netns = addresses.node_named(node).netns
    return subprocess.run(
        ["ip", "netns", "exec", netns, "iptables", "-w", "5", "-t", "nat", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def service_chain(node: str, namespace: str, service: str) -> str:
    """The KUBE-SVC-… chain ``node``'s kube-proxy wrote for ``namespace/service`` (from the ClusterIP jump's
    comment)."""

    def find() -> str:
        for line in _iptables(node, "-S", "KUBE-SERVICES").splitlines():
            if f"{namespace}/{service}:" in line and "cluster IP" in line and "-j KUBE-SVC-" in line:
                return line.rsplit("-j ", 1)[1].strip()
        raise NotYet(f"no KUBE-SERVICES rule for {namespace}/{service} yet")

    return wait_until(KUBE_PROXY_PROGRAMMED, find)


@pytest.fixture
def flushed_service_chain(baseline: Baseline) -> Iterator[str]:
    """Flush the client's node's kube-proxy chain for Service ``web``; put its rules back afterwards."""
    node = baseline.bed.b.node
    chain = service_chain(node, baseline.bed.namespace, "web")
    saved = [line for line in _iptables(node, "-S", chain).splitlines() if line.startswith("-A ")]
    assert saved, f"{chain} has no rules to remove"
    _iptables(node, "-F", chain)
    try:
        yield chain
    finally:
        _iptables(node, "-F", chain)
        for rule in saved:
            _iptables(node, *shlex.split(rule))


def test_flushed_service_rules_fail_only_the_cluster_ip_check(
    baseline: Baseline, flushed_service_chain: str
) -> None:
    outcomes = baseline.run_all(EGRESS_TARGET)
    attach("outcomes", summary(outcomes))
    assert failed_checks(outcomes) == [Path.CLUSTER_IP], summary(outcomes)
    message = outcomes[Path.CLUSTER_IP].message()
    print(message)  # the diagnosis as a person reads it (pytest -rP)
    bed = baseline.bed
    for expected in (
        "pod-to-cluster-ip FAILED",
        f"{bed.namespace}/b ({bed.b.ip}",  # the source
        f"ClusterIP {bed.cluster_ips['web']} port 80",  # the target
        "blocked",  # timed out, or "no route to host" (the same drop: probe.methods.UNREACHABLE)
        f"kubectl exec -n {bed.namespace} b -c netexec -- /agnhost connect {bed.cluster_ips['web']}:80",
        "pod-to-pod-tcp passed",  # the control path
        "Service IP unreachable but pod IP reachable -> kube-proxy rules",
    ):
        assert expected in message, f"{expected!r} missing from:\n{message}"


# --- one pod's MTU ------------------------------------------------------------------------------------------


def set_mtu_from_ephemeral_container(
    baseline: Baseline, pod: str, mtu: int, images: ImageSettings, name: str
) -> None:
    """A NET_ADMIN ephemeral container shares the pod's network namespace: it can change eth0's MTU."""
    body = {
        "spec": {
            "ephemeralContainers": [
                {
                    "name": name,
                    "image": images.probe_image,
                    "imagePullPolicy": images.pull_policy,
                    "command": ["/bin/sh", "-c", f"ip link set dev eth0 mtu {mtu}"],
                    "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}},
                }
            ]
        }
    }
    kube, ns = baseline.kube, baseline.bed.namespace
    kube.core.patch_namespaced_pod_ephemeralcontainers(pod, ns, body)

    def applied() -> None:
        result = kube.exec(ns, pod, ["cat", "/sys/class/net/eth0/mtu"], container=CONTAINER)
        if result.stdout.strip() != str(mtu):
            raise NotYet(f"eth0 mtu is {result.stdout.strip() or result.stderr.strip()}")

    wait_until(MTU_APPLIED, applied)


def test_one_pod_with_a_lower_mtu_fails_only_the_dont_fragment_check(
    baseline: Baseline, images: ImageSettings
) -> None:
    set_mtu_from_ephemeral_container(baseline, "b", LOWERED_MTU, images, "lower-mtu")
    try:
        outcomes = baseline.run_all(EGRESS_TARGET)
    finally:
        set_mtu_from_ephemeral_container(baseline, "b", 1500, images, "restore-mtu")
    attach("outcomes", summary(outcomes))
    assert failed_checks(outcomes) == [Path.MTU_DF], summary(outcomes)
    outcome = outcomes[Path.MTU_DF]
    # a (MTU 1500) -> b (MTU 1400) is dropped; b -> a at b's own 1400 passes: one finding, one direction.
    assert len(outcome.findings) == 1, outcome.message()
    message = outcome.message()
    print(message)  # the diagnosis as a person reads it (pytest -rP)
    bed = baseline.bed
    for expected in (
        "mtu-dont-fragment FAILED",
        f"{bed.namespace}/a ({bed.a.ip}",
        f"{bed.namespace}/b ({bed.b.ip}",
        "0/3 replies to 1472-byte pings (= 1500-byte packets",
        "source 1500, target 1400",
        "large-transfer passed",
        "full-size packets are dropped while small probes and TCP transfers pass",
        f"kubectl exec -n {bed.namespace} a -c netexec -- ping -c 3 -s 1472 {bed.b.ip}",
    ):
        assert expected in message, f"{expected!r} missing from:\n{message}"


# --- cross-node: one node's pod route, one node's link MTU -----------------------------------------------


def all_outcomes(baseline: Baseline, images: ImageSettings) -> dict[Path, CheckResult]:
    """The bed's checks plus the cross-node ones (their pods on every usable node)."""
    outcomes = baseline.run_all(EGRESS_TARGET)
    for check in (spread.cross_node, spread.cross_node_service, spread.cross_node_mtu):
        outcome = check(baseline, images)
        outcomes[outcome.path] = outcome
    return outcomes


@pytest.fixture
def far_node(baseline: Baseline) -> addresses.NodeSpec:
    """A node that runs neither the baseline's own pods nor CoreDNS: breaking it touches cross-node paths
    only."""
    specs = lifecycle.node_specs()
    if len(specs) < 2:
        pytest.skip(
            "cross-node break tests need a bed of two nodes or more (netconform testbed up --nodes 2)"
        )
    bed_node = addresses.node_named(baseline.bed.a.node)
    dns = baseline.kube.core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items
    dns_nodes = {p.spec.node_name for p in dns}
    candidates = [s for s in specs if s != bed_node and s.name not in dns_nodes]
    assert candidates, f"every node runs the baseline ({bed_node.name}) or CoreDNS ({dns_nodes})"
    return candidates[-1]


def involves(finding_text: str, node: addresses.NodeSpec) -> bool:
    return f"node {node.name})" in finding_text


@pytest.fixture
def route_deleted(baseline: Baseline, far_node: addresses.NodeSpec) -> Iterator[str]:
    """The router forgets its route to ``far_node``'s pod CIDR (a VPC route table losing an entry)."""
    cidr = str(baseline.kube.core.read_node(far_node.name).spec.pod_cidr)
    subprocess.run(["ip", "-n", addresses.CP_NETNS, "route", "del", cidr], check=True)
    try:
        yield cidr
    finally:
        network.route_pods(far_node, cidr)


def test_missing_pod_route_fails_exactly_the_cross_node_cells_of_that_node(
    baseline: Baseline, images: ImageSettings, far_node: addresses.NodeSpec, route_deleted: str
) -> None:
    outcomes = all_outcomes(baseline, images)
    attach("outcomes", summary(outcomes))
    cross = {Path.CROSS_NODE, Path.CROSS_NODE_SERVICE, Path.CROSS_NODE_MTU}
    assert set(failed_checks(outcomes)) == cross, summary(outcomes)
    for path in cross:
        outcome = outcomes[path]
        # every failing cell runs to or from the far node, and every cell that does fails
        assert all(involves(f.source + f.target, far_node) for f in outcome.findings), outcome.message()
        involved = [n for n in outcome.notes if far_node.name in n]
        assert len(outcome.findings) == len(involved), outcome.message()
    message = outcomes[Path.CROSS_NODE].message()
    print(message)  # the diagnosis as a person reads it (pytest -rP)
    for expected in (
        "pod-to-pod-cross-node FAILED",
        f"every pair to and from node {far_node.name} fails",
        f"no route to {far_node.name}'s pod CIDR {route_deleted}",
        "pod-to-pod-tcp passed",
        "same-node traffic works, cross-node does not",
    ):
        assert expected in message, f"{expected!r} missing from:\n{message}"
    service = outcomes[Path.CROSS_NODE_SERVICE].message()
    assert "follows from pod -> pod across nodes" in service, service


@pytest.fixture
def narrow_link(far_node: addresses.NodeSpec) -> Iterator[int]:
    before = network.link_mtu(far_node)
    network.set_link_mtu(far_node, LOWERED_MTU)
    try:
        yield LOWERED_MTU
    finally:
        network.set_link_mtu(far_node, before)


def test_narrow_node_link_fails_only_the_cross_node_dont_fragment_check(
    baseline: Baseline, images: ImageSettings, far_node: addresses.NodeSpec, narrow_link: int
) -> None:
    outcomes = all_outcomes(baseline, images)
    attach("outcomes", summary(outcomes))
    assert failed_checks(outcomes) == [Path.CROSS_NODE_MTU], summary(outcomes)
    outcome = outcomes[Path.CROSS_NODE_MTU]
    assert outcome.findings
    assert all(involves(f.source + f.target, far_node) for f in outcome.findings), outcome.message()
    message = outcome.message()
    print(message)
    for expected in (
        "mtu-dont-fragment-cross-node FAILED",
        # Busybox's ping leaves DF to the kernel: the first packet meets "fragmentation needed" at the narrow
        # link, later ones are fragmented by the sender (3/4 replies): the check still sees the loss.
        "replies to 1472-byte pings (= 1500-byte packets",
        "mtu-dont-fragment passed",
        "the link between the nodes is narrower than the pods' interface MTU",
    ):
        assert expected in message, f"{expected!r} missing from:\n{message}"
