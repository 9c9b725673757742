"""CNI profiles: what each pod-network setup on EKS implies for every suite, and how to recognise it.

A suite never asks "is this Calico?"; it asks the profile a question it cares about (may the control plane
reach pod IPs? is NetworkPolicy enforced? which density formula?) and asserts accordingly. ``UNKNOWN``
answers (the generic profile) mean: observe and report, do not assert.

``detect_profile`` is pure: the kube adapter gathers ``ClusterFacts`` and this module decides.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from netconform.errors import InputError


class ProfileName(enum.StrEnum):
    VPC_CNI = "vpc-cni"
    VPC_CNI_PREFIX = "vpc-cni-prefix"
    VPC_CNI_NETPOL = "vpc-cni-netpol"
    VPC_CNI_POLICY_ENGINE = "vpc-cni-policy-engine"
    CALICO_OVERLAY = "calico-overlay"
    CALICO_POLICY = "calico-policy"
    GENERIC = "generic"


class Expect(enum.Enum):
    """A yes/no expectation that may be unknown (then suites observe instead of asserting)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class DensityFormula(enum.Enum):
    """Where a node's max pods comes from (see ``netconform.core.density.maxpods``)."""

    ENI_SECONDARY_IP = "eni-secondary-ip"  # ENIs × (IPs − 1) + 2, capped 110/250
    ENI_PREFIX = "eni-prefix"  # ENIs × ((IPs − 1) × 16) + 2 on Nitro, else secondary-IP; capped 110/250
    KUBELET_CONFIGURED = "kubelet-configured"  # overlay IPAM: no ENI limit, whatever --max-pods says


class EgressSnat(enum.Enum):
    """What source address a pod's traffic carries when it leaves the pod network."""

    NODE_IP_OUTSIDE_VPC = "node-ip-outside-vpc"
    """VPC CNI default (AWS_VPC_K8S_CNI_EXTERNALSNAT=false): SNAT to the node's primary IP for destinations
    outside the VPC CIDRs (and EXCLUDE_SNAT_CIDRS); inside the VPC the pod IP is kept."""
    NODE_IP_OUTSIDE_POOLS = "node-ip-outside-pools"
    """Calico overlay with natOutgoing on its IP pools: SNAT to the node IP for every destination outside
    the pools, VPC addresses included (pod IPs are not VPC addresses)."""
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Profile:
    """The expectations of one CNI setup, as data suites read."""

    name: ProfileName
    title: str
    pod_ips_routable_from_control_plane: Expect
    """Can the EKS control plane (webhooks, aggregated APIs, service proxy) open connections to pod IPs?"""
    network_policy_enforced: Expect
    network_policy_enforcer: str | None
    density: DensityFormula
    egress_snat: EgressSnat
    webhooks_need_host_network: Expect
    """Must pod-backed admission webhooks run with hostNetwork: true to be callable?"""
    pod_ips_from_vpc: Expect
    """Are pod IPs VPC addresses (secondary IPs or prefixes of node ENIs)?"""
    notes: tuple[str, ...] = ()


PROFILES: dict[ProfileName, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name=ProfileName.VPC_CNI,
            title="Amazon VPC CNI (secondary IPs, no network policy)",
            pod_ips_routable_from_control_plane=Expect.YES,
            network_policy_enforced=Expect.NO,
            network_policy_enforcer=None,
            density=DensityFormula.ENI_SECONDARY_IP,
            egress_snat=EgressSnat.NODE_IP_OUTSIDE_VPC,
            webhooks_need_host_network=Expect.NO,
            pod_ips_from_vpc=Expect.YES,
            notes=(
                "custom networking (ENIConfig) lowers density by one ENI; reports of control-plane "
                "'Address is not allowed' with 100.64.0.0/10 pod subnets exist, so test reachability anyway",
            ),
        ),
        Profile(
            name=ProfileName.VPC_CNI_PREFIX,
            title="Amazon VPC CNI with prefix delegation",
            pod_ips_routable_from_control_plane=Expect.YES,
            network_policy_enforced=Expect.NO,
            network_policy_enforcer=None,
            density=DensityFormula.ENI_PREFIX,
            egress_snat=EgressSnat.NODE_IP_OUTSIDE_VPC,
            webhooks_need_host_network=Expect.NO,
            pod_ips_from_vpc=Expect.YES,
            notes=(
                "prefix delegation needs Nitro (bare metal included) and CNI >= 1.9.0; other nodes fall "
                "back to secondary IPs",
                "kubelet max-pods must be raised by hand on self-managed nodes; managed node groups cap it",
            ),
        ),
        Profile(
            name=ProfileName.VPC_CNI_NETPOL,
            title="Amazon VPC CNI with the network policy agent",
            pod_ips_routable_from_control_plane=Expect.YES,
            network_policy_enforced=Expect.YES,
            network_policy_enforcer="aws-network-policy-agent",
            density=DensityFormula.ENI_SECONDARY_IP,
            egress_snat=EgressSnat.NODE_IP_OUTSIDE_VPC,
            webhooks_need_host_network=Expect.NO,
            pod_ips_from_vpc=Expect.YES,
            notes=(
                "the agent enforces networking.k8s.io/v1 NetworkPolicy with eBPF; the service port must "
                "equal the container port; at most 24 port combinations per protocol per selector",
                "NETWORK_POLICY_ENFORCING_MODE=strict starts new pods default-deny",
            ),
        ),
        Profile(
            name=ProfileName.VPC_CNI_POLICY_ENGINE,
            title="Amazon VPC CNI networking + a separate NetworkPolicy engine (kube-router)",
            pod_ips_routable_from_control_plane=Expect.YES,
            network_policy_enforced=Expect.YES,
            network_policy_enforcer="kube-router",
            density=DensityFormula.ENI_SECONDARY_IP,
            egress_snat=EgressSnat.NODE_IP_OUTSIDE_VPC,
            webhooks_need_host_network=Expect.NO,
            pod_ips_from_vpc=Expect.YES,
            notes=(
                "the VPC CNI gives pods their addresses and routes; a policy-only engine beside it "
                "(kube-router --run-firewall on the netconform test bed; Calico policy-only on EKS, which "
                "is the calico-policy profile) enforces NetworkPolicy with iptables in the node's namespace",
                "prefix delegation is reported beside the profile (detection's prefix_delegation)",
            ),
        ),
        Profile(
            name=ProfileName.CALICO_OVERLAY,
            title="Calico CNI with an overlay (VXLAN/IPIP), aws-node removed",
            pod_ips_routable_from_control_plane=Expect.NO,
            network_policy_enforced=Expect.YES,
            network_policy_enforcer="calico-felix",
            density=DensityFormula.KUBELET_CONFIGURED,
            egress_snat=EgressSnat.NODE_IP_OUTSIDE_POOLS,
            webhooks_need_host_network=Expect.YES,
            pod_ips_from_vpc=Expect.NO,
            notes=(
                "Calico cannot run on the EKS control plane, so it cannot reach pod IPs: webhooks and "
                "aggregated APIs time out ('context deadline exceeded') unless their pods use hostNetwork",
                "nodes keep the ENI-based max pods unless --max-pods-per-node overrides it",
            ),
        ),
        Profile(
            name=ProfileName.CALICO_POLICY,
            title="Calico network policy on the Amazon VPC CNI",
            pod_ips_routable_from_control_plane=Expect.YES,
            network_policy_enforced=Expect.YES,
            network_policy_enforcer="calico-felix",
            density=DensityFormula.ENI_SECONDARY_IP,
            egress_snat=EgressSnat.NODE_IP_OUTSIDE_VPC,
            webhooks_need_host_network=Expect.NO,
            pod_ips_from_vpc=Expect.YES,
            notes=(
                "the VPC CNI's own network policy must be off; pods with security groups (branch ENIs) "
                "may not be subject to Calico policy",
            ),
        ),
        Profile(
            name=ProfileName.GENERIC,
            title="Unrecognised or generic CNI: observe, do not assume",
            pod_ips_routable_from_control_plane=Expect.UNKNOWN,
            network_policy_enforced=Expect.UNKNOWN,
            network_policy_enforcer=None,
            density=DensityFormula.KUBELET_CONFIGURED,
            egress_snat=EgressSnat.UNKNOWN,
            webhooks_need_host_network=Expect.UNKNOWN,
            pod_ips_from_vpc=Expect.UNKNOWN,
        ),
    )
}


def profile_by_name(name: str) -> Profile:
    """The profile called ``name`` (as on the command line); InputError names the valid ones."""
    try:
        return PROFILES[ProfileName(name.strip().lower())]
    except ValueError:
        valid = ", ".join(member.value for member in ProfileName)
        raise InputError(f"unknown CNI profile {name!r}; valid profiles: {valid}") from None


# --- detection ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContainerFacts:
    """One container of a DaemonSet's pod template."""

    name: str
    image: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    """Literal ``env[].value`` entries; entries from ConfigMaps or secrets (``valueFrom``) are left out."""
    args: tuple[str, ...] = ()
    """``command`` + ``args`` as written in the spec."""


@dataclass(frozen=True, slots=True)
class DaemonSetFacts:
    """A DaemonSet that may belong to a CNI (aws-node, calico-node, kube-router, cilium, ...)."""

    namespace: str
    name: str
    containers: tuple[ContainerFacts, ...] = ()
    init_containers: tuple[ContainerFacts, ...] = ()
    desired_pods: int | None = None
    """``status.desiredNumberScheduled``: 0 means installed but scheduled nowhere (e.g. aws-node patched
    onto no nodes after a Calico migration). None when unknown; counts as running."""

    ready_pods: int | None = None
    """``status.numberReady``; None when unknown."""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def serving_nowhere(self) -> bool:
        """Scheduled onto nodes, yet no pod of it is Ready: installed, not working."""
        return bool(self.desired_pods) and self.ready_pods == 0

    @property
    def running(self) -> bool:
        return self.desired_pods != 0

    def all_containers(self) -> tuple[ContainerFacts, ...]:
        return (*self.containers, *self.init_containers)


class Encapsulation(enum.Enum):
    """Calico IP-pool encapsulation, normalised across the operator and manifest spellings."""

    VXLAN = "vxlan"  # operator "VXLAN"/"VXLANCrossSubnet"; manifest vxlanMode Always/CrossSubnet
    IPIP = "ipip"  # operator "IPIP"/"IPIPCrossSubnet"; manifest ipipMode Always/CrossSubnet
    NONE = "none"


@dataclass(frozen=True, slots=True)
class IpPoolFacts:
    """A Calico IPPool (crd.projectcalico.org/v1 or the operator's Installation spec.calicoNetwork)."""

    name: str
    cidr: str
    encapsulation: Encapsulation
    nat_outgoing: bool = True
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class ClusterFacts:
    """Everything ``detect_profile`` looks at, gathered read-only by the kube adapter."""

    daemonsets: tuple[DaemonSetFacts, ...] = ()
    """CNI-related DaemonSets in any namespace (at least those named in ``KNOWN_DAEMONSETS``)."""
    calico_installation_cni: str | None = None
    """``Installation/default`` ``spec.cni.type`` when the Tigera operator is installed ("Calico",
    "AmazonVPC", ...); None without the operator."""
    ip_pools: tuple[IpPoolFacts, ...] = ()
    vpc_cni_config: Mapping[str, str] = field(default_factory=dict)
    """Data of ConfigMap ``kube-system/amazon-vpc-cni`` (e.g. ``enable-network-policy-controller``)."""
    pod_ips: tuple[str, ...] = ()
    """A bounded sample of running pods' IPs (hostNetwork pods left out: theirs is the node's)."""
    node_ips: tuple[str, ...] = ()
    """The real nodes' InternalIPs (KWOK fakes left out)."""


@dataclass(frozen=True, slots=True)
class Detection:
    profile: Profile
    evidence: tuple[str, ...]
    """Human-readable lines, each naming the object and the fact that led to the verdict."""
    prefix_delegation: bool = False
    """VPC CNI prefix delegation is on; true also under vpc-cni-netpol when both are enabled."""
    inconsistencies: tuple[str, ...] = ()
    """Evidence that contradicts the verdict (a CNI DaemonSet with no Ready pod): the profile is a claim
    the cluster does not back up, and the report says so instead of trusting it."""
    policy_engine: str | None = None
    """What enforces NetworkPolicy as seen in the cluster, apart from what gives pods their network
    (``kube-system/kube-router (kube-router)``); None when no engine DaemonSet is seen. A reading of the
    DaemonSets only: the netpol suite measures enforcement."""


AWS_NODE = "aws-node"
CALICO_NODE = "calico-node"
KUBE_ROUTER = "kube-router"
# Other CNIs we recognise by DaemonSet name only: they all map to the generic profile.
OTHER_CNI_DAEMONSETS = (
    KUBE_ROUTER,
    "cilium",
    "weave-net",
    "kube-flannel-ds",
    "antrea-agent",
    "kube-ovn-cni",
)
KNOWN_DAEMONSETS = (AWS_NODE, CALICO_NODE, *OTHER_CNI_DAEMONSETS)
NETWORK_POLICY_AGENT_CONTAINERS = ("aws-eks-nodeagent", "aws-network-policy-agent")


def detect_profile(facts: ClusterFacts) -> Detection:
    """Decide the profile from cluster facts; never raises for odd clusters (they get ``generic``)."""
    by_name = {ds.name: ds for ds in facts.daemonsets if ds.running}
    aws_node = by_name.get(AWS_NODE)
    calico = by_name.get(CALICO_NODE)
    evidence = [_describe(ds) for ds in facts.daemonsets if ds.name in KNOWN_DAEMONSETS]
    prefix = aws_node is not None and _env_true(aws_node, "ENABLE_PREFIX_DELEGATION")
    if prefix and aws_node is not None:
        evidence.append(f"{aws_node.ref}: ENABLE_PREFIX_DELEGATION=true")
    engine = _policy_engine(facts, by_name)
    if calico is not None:
        name, why = _calico_kind(facts, calico, aws_node)
        evidence.extend(why)
    elif aws_node is not None:
        name, why = _vpc_cni_kind(facts, aws_node, prefix)
        if name is not ProfileName.VPC_CNI_NETPOL and engine is not None:
            # networking by the VPC CNI, policy by another DaemonSet (kube-router --run-firewall)
            name, why = ProfileName.VPC_CNI_POLICY_ENGINE, [f"{aws_node.ref}: no network policy agent"]
        evidence.extend(why)
    else:
        name = ProfileName.GENERIC
        others = [ds.ref for ds in facts.daemonsets if ds.running and ds.name in OTHER_CNI_DAEMONSETS]
        evidence.append(
            f"no running aws-node or calico-node; other CNI DaemonSets: {', '.join(others)}"
            if others
            else "no running aws-node or calico-node and no other known CNI DaemonSet"
        )
    inconsistencies = tuple(
        f"DaemonSet {ds.ref}: {ds.desired_pods} pod(s) scheduled, none Ready — installed but not serving"
        for ds in facts.daemonsets
        if ds.name in KNOWN_DAEMONSETS and ds.serving_nowhere
    ) + tuple(_pods_outside_node_ranges(facts, aws_node) if aws_node is not None else ())
    evidence.append(f"policy engine: {engine}" if engine else _NO_ENGINE)
    return Detection(
        PROFILES[name],
        tuple(evidence),
        prefix_delegation=prefix,
        inconsistencies=inconsistencies,
        policy_engine=engine,
    )


_NO_ENGINE = (
    "policy engine: none seen (no aws-node network policy agent, calico-node or kube-router with its "
    "firewall on)"
)


def _policy_engine(facts: ClusterFacts, running: Mapping[str, DaemonSetFacts]) -> str | None:
    """Which DaemonSet enforces NetworkPolicy, named apart from the pod network."""
    calico = running.get(CALICO_NODE)
    if calico is not None:
        return f"{calico.ref} (calico-felix)"
    aws_node = running.get(AWS_NODE)
    if aws_node is not None and _network_policy_evidence(facts, aws_node):
        return f"{aws_node.ref} (aws-network-policy-agent)"
    router = running.get(KUBE_ROUTER)
    if router is not None and not any(
        "--run-firewall=false" in c.args for c in router.containers if c.name == KUBE_ROUTER
    ):
        return f"{router.ref} (kube-router, --run-firewall)"
    return None


# Nodes of one VPC share far more than a /16 (a VPC is at most a /16 per CIDR block); pods the VPC CNI wires
# hold addresses of the nodes' subnets, unless custom networking (ENIConfig) puts them in others.
NODE_RANGE_PREFIX = 16
CUSTOM_NETWORKING = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"


def _pods_outside_node_ranges(facts: ClusterFacts, aws_node: DaemonSetFacts) -> list[str]:
    """aws-node installed, yet pods hold addresses outside every node's range: another CNI hands out the
    addresses (an overlay chained or left over), so the VPC CNI profile is a claim the pods do not back."""
    nodes = [ipaddress.ip_address(ip) for ip in facts.node_ips if ip]
    ranges = {
        ipaddress.ip_network(f"{ip}/{NODE_RANGE_PREFIX}", strict=False) for ip in nodes if ip.version == 4
    }
    pods = [ipaddress.ip_address(ip) for ip in facts.pod_ips if ip]
    outside = sorted(str(ip) for ip in pods if ip.version == 4 and not any(ip in net for net in ranges))
    if not ranges or not outside:
        return []
    if _env_true(aws_node, CUSTOM_NETWORKING):  # ENIConfig subnets may lie anywhere in the VPC: expected
        return []
    shown = ", ".join(outside[:5]) + (f" (+{len(outside) - 5} more)" if len(outside) > 5 else "")
    return [
        f"{aws_node.ref} is installed, but {len(outside)} of {len(pods)} sampled pod IPs lie outside the "
        f"nodes' ranges ({', '.join(sorted(str(n) for n in ranges))}): {shown} — another CNI hands out pod "
        f"addresses (the VPC CNI gives pods addresses of the node subnets unless {CUSTOM_NETWORKING}=true)"
    ]


def _calico_kind(
    facts: ClusterFacts, calico: DaemonSetFacts, aws_node: DaemonSetFacts | None
) -> tuple[ProfileName, list[str]]:
    if facts.calico_installation_cni is not None:
        cni = facts.calico_installation_cni
        why = [f"Installation default: spec.cni.type={cni}"]
        if cni.lower() == "amazonvpc":
            return ProfileName.CALICO_POLICY, why
        if cni.lower() == "calico":
            return ProfileName.CALICO_OVERLAY, [*why, *_pool_lines(facts)]
        return ProfileName.GENERIC, [*why, "Calico with a CNI other than Calico or AmazonVPC"]
    backend = _env(calico, "CALICO_NETWORKING_BACKEND")
    if backend is not None and backend.lower() == "none":
        return ProfileName.CALICO_POLICY, [f"{calico.ref}: CALICO_NETWORKING_BACKEND=none (policy only)"]
    if aws_node is not None:
        return ProfileName.CALICO_POLICY, [f"{aws_node.ref} runs beside {calico.ref}: Calico for policy only"]
    return ProfileName.CALICO_OVERLAY, [
        "no running aws-node: Calico provides the pod network",
        *_pool_lines(facts),
    ]


def _pool_lines(facts: ClusterFacts) -> list[str]:
    lines = []
    for pool in facts.ip_pools:
        if not pool.disabled:
            lines.append(f"IPPool {pool.name} {pool.cidr}: encapsulation {pool.encapsulation.value}")
    return lines


def _vpc_cni_kind(
    facts: ClusterFacts, aws_node: DaemonSetFacts, prefix: bool
) -> tuple[ProfileName, list[str]]:
    netpol = _network_policy_evidence(facts, aws_node)
    if netpol:
        return ProfileName.VPC_CNI_NETPOL, netpol
    if prefix:
        return ProfileName.VPC_CNI_PREFIX, []
    return ProfileName.VPC_CNI, [f"{aws_node.ref}: no network policy agent enabled, no prefix delegation"]


def _network_policy_evidence(facts: ClusterFacts, aws_node: DaemonSetFacts) -> list[str]:
    lines = []
    for container in aws_node.containers:
        if (
            container.name in NETWORK_POLICY_AGENT_CONTAINERS
            and "--enable-network-policy=true" in container.args
        ):
            lines.append(f"{aws_node.ref}: container {container.name} has --enable-network-policy=true")
    if _env_true(aws_node, "ENABLE_NETWORK_POLICY"):
        lines.append(f"{aws_node.ref}: ENABLE_NETWORK_POLICY=true")
    if facts.vpc_cni_config.get("enable-network-policy-controller", "").lower() == "true":
        lines.append("ConfigMap kube-system/amazon-vpc-cni: enable-network-policy-controller=true")
    return lines


def _env(ds: DaemonSetFacts, key: str) -> str | None:
    for container in ds.all_containers():
        if key in container.env:
            return container.env[key]
    return None


def _env_true(ds: DaemonSetFacts, key: str) -> bool:
    return (_env(ds, key) or "").strip().lower() == "true"


def _describe(ds: DaemonSetFacts) -> str:
    images = ", ".join(f"{c.name}={c.image}" for c in ds.containers if c.image) or "no images"
    if not ds.running:
        state = "scheduled nowhere"
    elif ds.desired_pods is None:
        state = "running"
    else:
        state = f"{ds.desired_pods} pods"
    return f"DaemonSet {ds.ref} ({state}): {images}"
