"""CNI profiles as data, and detection from cluster facts."""

from __future__ import annotations

import pytest

from netconform.core.profiles import (
    PROFILES,
    ClusterFacts,
    ContainerFacts,
    DaemonSetFacts,
    DensityFormula,
    EgressSnat,
    Encapsulation,
    Expect,
    IpPoolFacts,
    ProfileName,
    detect_profile,
    profile_by_name,
)
from netconform.errors import InputError

CNI_IMAGE = "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.0-eksbuild.1"
AGENT_IMAGE = "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.5"


def aws_node(env: dict[str, str] | None = None, agent_args: tuple[str, ...] = (), desired: int | None = 3):
    containers = [ContainerFacts("aws-node", CNI_IMAGE, env or {})]
    if agent_args:
        containers.append(ContainerFacts("aws-eks-nodeagent", AGENT_IMAGE, {}, agent_args))
    return DaemonSetFacts("kube-system", "aws-node", tuple(containers), desired_pods=desired)


def calico_node(env: dict[str, str] | None = None, namespace: str = "calico-system"):
    container = ContainerFacts("calico-node", "docker.io/calico/node:v3.29.1", env or {})
    return DaemonSetFacts(namespace, "calico-node", (container,), desired_pods=3)


VXLAN_POOL = IpPoolFacts("default-ipv4-ippool", "192.168.0.0/16", Encapsulation.VXLAN)


def test_every_name_has_one_profile() -> None:
    assert set(PROFILES) == set(ProfileName)
    assert [name.value for name in ProfileName] == [
        "vpc-cni",
        "vpc-cni-prefix",
        "vpc-cni-netpol",
        "vpc-cni-policy-engine",
        "calico-overlay",
        "calico-policy",
        "generic",
    ]


@pytest.mark.parametrize(
    ("name", "routable", "policy", "density", "snat", "host_network"),
    [
        (
            "vpc-cni",
            Expect.YES,
            Expect.NO,
            DensityFormula.ENI_SECONDARY_IP,
            EgressSnat.NODE_IP_OUTSIDE_VPC,
            Expect.NO,
        ),
        (
            "vpc-cni-prefix",
            Expect.YES,
            Expect.NO,
            DensityFormula.ENI_PREFIX,
            EgressSnat.NODE_IP_OUTSIDE_VPC,
            Expect.NO,
        ),
        (
            "vpc-cni-netpol",
            Expect.YES,
            Expect.YES,
            DensityFormula.ENI_SECONDARY_IP,
            EgressSnat.NODE_IP_OUTSIDE_VPC,
            Expect.NO,
        ),
        (
            "calico-overlay",
            Expect.NO,
            Expect.YES,
            DensityFormula.KUBELET_CONFIGURED,
            EgressSnat.NODE_IP_OUTSIDE_POOLS,
            Expect.YES,
        ),
        (
            "calico-policy",
            Expect.YES,
            Expect.YES,
            DensityFormula.ENI_SECONDARY_IP,
            EgressSnat.NODE_IP_OUTSIDE_VPC,
            Expect.NO,
        ),
        (
            "generic",
            Expect.UNKNOWN,
            Expect.UNKNOWN,
            DensityFormula.KUBELET_CONFIGURED,
            EgressSnat.UNKNOWN,
            Expect.UNKNOWN,
        ),
    ],
)
def test_profile_expectations(*, name, routable, policy, density, snat, host_network) -> None:
    profile = profile_by_name(name)
    assert profile.pod_ips_routable_from_control_plane is routable
    assert profile.network_policy_enforced is policy
    assert profile.density is density
    assert profile.egress_snat is snat
    assert profile.webhooks_need_host_network is host_network
    assert (profile.network_policy_enforcer is not None) == (policy is Expect.YES)


def test_profile_by_name_is_forgiving_about_case_and_space() -> None:
    assert profile_by_name(" VPC-CNI ").name is ProfileName.VPC_CNI


def test_unknown_profile_lists_the_valid_names() -> None:
    with pytest.raises(InputError) as caught:
        profile_by_name("cilium")
    message = str(caught.value)
    assert "'cilium'" in message
    assert all(name.value in message for name in ProfileName)
    assert "\n" not in message


# --- detection ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("facts", "expected", "evidence"),
    [
        (ClusterFacts((aws_node(),)), ProfileName.VPC_CNI, "no network policy agent"),
        (
            ClusterFacts((aws_node({"ENABLE_PREFIX_DELEGATION": "true"}),)),
            ProfileName.VPC_CNI_PREFIX,
            "ENABLE_PREFIX_DELEGATION=true",
        ),
        (
            ClusterFacts((aws_node(agent_args=("--enable-network-policy=true",)),)),
            ProfileName.VPC_CNI_NETPOL,
            "aws-eks-nodeagent has --enable-network-policy=true",
        ),
        (
            ClusterFacts((aws_node(agent_args=("--enable-network-policy=false",)),)),
            ProfileName.VPC_CNI,
            "no network policy agent",
        ),
        (
            ClusterFacts((aws_node({"ENABLE_NETWORK_POLICY": "True"}),)),
            ProfileName.VPC_CNI_NETPOL,
            "ENABLE_NETWORK_POLICY=true",
        ),
        (
            ClusterFacts((aws_node(),), vpc_cni_config={"enable-network-policy-controller": "true"}),
            ProfileName.VPC_CNI_NETPOL,
            "enable-network-policy-controller=true",
        ),
        (
            ClusterFacts((aws_node(), calico_node()), calico_installation_cni="AmazonVPC"),
            ProfileName.CALICO_POLICY,
            "spec.cni.type=AmazonVPC",
        ),
        (
            ClusterFacts((calico_node(),), calico_installation_cni="Calico", ip_pools=(VXLAN_POOL,)),
            ProfileName.CALICO_OVERLAY,
            "192.168.0.0/16: encapsulation vxlan",
        ),
        (
            ClusterFacts((aws_node(), calico_node(namespace="kube-system"))),
            ProfileName.CALICO_POLICY,
            "Calico for policy only",
        ),
        (
            ClusterFacts((calico_node({"CALICO_NETWORKING_BACKEND": "none"}),)),
            ProfileName.CALICO_POLICY,
            "CALICO_NETWORKING_BACKEND=none",
        ),
        (
            ClusterFacts((aws_node(desired=0), calico_node({"CALICO_NETWORKING_BACKEND": "vxlan"}))),
            ProfileName.CALICO_OVERLAY,
            "no running aws-node",
        ),
        (
            ClusterFacts((DaemonSetFacts("kube-system", "kube-router", (ContainerFacts("kube-router"),)),)),
            ProfileName.GENERIC,
            "kube-system/kube-router",
        ),
        (ClusterFacts(), ProfileName.GENERIC, "no other known CNI DaemonSet"),
        (
            ClusterFacts((calico_node(),), calico_installation_cni="AzureVNET"),
            ProfileName.GENERIC,
            "other than Calico or AmazonVPC",
        ),
    ],
)
def test_detect_profile(facts: ClusterFacts, expected: ProfileName, evidence: str) -> None:
    detection = detect_profile(facts)
    assert detection.profile.name is expected
    assert any(evidence in line for line in detection.evidence), detection.evidence


def test_prefix_delegation_is_kept_beside_network_policy() -> None:
    facts = ClusterFacts(
        (aws_node({"ENABLE_PREFIX_DELEGATION": "true"}, agent_args=("--enable-network-policy=true",)),)
    )
    detection = detect_profile(facts)
    assert detection.profile.name is ProfileName.VPC_CNI_NETPOL
    assert detection.prefix_delegation


def test_evidence_names_daemonsets_and_images() -> None:
    detection = detect_profile(ClusterFacts((aws_node(desired=0), calico_node())))
    assert any(
        line.startswith("DaemonSet kube-system/aws-node (scheduled nowhere)") for line in detection.evidence
    )
    assert any("calico/node:v3.29.1" in line for line in detection.evidence)


def test_facts_are_frozen() -> None:
    facts = ClusterFacts()
    with pytest.raises(AttributeError):
        facts.daemonsets = ()  # type: ignore[misc]


def test_a_cni_daemonset_with_no_ready_pod_is_reported_as_an_inconsistency() -> None:
    from netconform.core.cluster_objects import daemonset_facts

    broken = daemonset_facts(
        {
            "metadata": {"namespace": "kube-system", "name": "aws-node"},
            "spec": {"template": {"spec": {"containers": [{"name": "aws-node", "image": "cni:1.19"}]}}},
            "status": {"desiredNumberScheduled": 3, "numberReady": 0},
        }
    )
    detection = detect_profile(ClusterFacts(daemonsets=(broken,)))
    assert detection.profile.name is ProfileName.VPC_CNI  # what the objects claim...
    assert detection.inconsistencies == (  # ...and why not to believe it
        "DaemonSet kube-system/aws-node: 3 pod(s) scheduled, none Ready — installed but not serving",
    )
    healthy = daemonset_facts(
        {
            "metadata": {"namespace": "kube-system", "name": "aws-node"},
            "status": {"desiredNumberScheduled": 3, "numberReady": 3},
        }
    )
    assert detect_profile(ClusterFacts(daemonsets=(healthy,))).inconsistencies == ()


def kube_router(args: tuple[str, ...] = ("--run-firewall=true", "--run-router=false")) -> DaemonSetFacts:
    container = ContainerFacts("kube-router", "netconform.local/kube-router:v2.1.0", {}, args)
    return DaemonSetFacts("kube-system", "kube-router", (container,), desired_pods=2)


def test_vpc_cni_with_kube_router_names_networking_and_policy_engine_apart() -> None:
    found = detect_profile(ClusterFacts(daemonsets=(aws_node(), kube_router())))
    assert found.profile.name is ProfileName.VPC_CNI_POLICY_ENGINE
    assert found.profile.network_policy_enforced is Expect.YES
    assert found.profile.pod_ips_from_vpc is Expect.YES
    assert found.policy_engine == "kube-system/kube-router (kube-router, --run-firewall)"
    assert "policy engine: kube-system/kube-router (kube-router, --run-firewall)" in found.evidence


def test_prefix_delegation_is_kept_beside_a_separate_policy_engine() -> None:
    facts = ClusterFacts(daemonsets=(aws_node({"ENABLE_PREFIX_DELEGATION": "true"}), kube_router()))
    found = detect_profile(facts)
    assert found.profile.name is ProfileName.VPC_CNI_POLICY_ENGINE
    assert found.prefix_delegation


def test_kube_router_with_its_firewall_off_is_no_policy_engine() -> None:
    found = detect_profile(ClusterFacts(daemonsets=(aws_node(), kube_router(("--run-firewall=false",)))))
    assert found.profile.name is ProfileName.VPC_CNI
    assert found.policy_engine is None
    assert any(line.startswith("policy engine: none seen") for line in found.evidence)


def test_the_policy_engine_is_named_for_calico_and_the_agent_too() -> None:
    calico = detect_profile(ClusterFacts(daemonsets=(aws_node(), calico_node())))
    assert calico.policy_engine == "calico-system/calico-node (calico-felix)"
    agent = detect_profile(ClusterFacts(daemonsets=(aws_node(agent_args=("--enable-network-policy=true",)),)))
    assert agent.profile.name is ProfileName.VPC_CNI_NETPOL
    assert agent.policy_engine == "kube-system/aws-node (aws-network-policy-agent)"


NODES = ("192.168.12.34", "192.168.77.5")


def test_pod_ips_outside_the_node_ranges_while_aws_node_is_installed_are_an_inconsistency() -> None:
    overlay_pods = ("10.244.1.5", "10.244.2.7", "192.168.40.9")
    detection = detect_profile(ClusterFacts(daemonsets=(aws_node(),), pod_ips=overlay_pods, node_ips=NODES))
    assert detection.profile.name is ProfileName.VPC_CNI
    assert detection.inconsistencies == (
        "kube-system/aws-node is installed, but 2 of 3 sampled pod IPs lie outside the nodes' ranges "
        "(192.168.0.0/16): 10.244.1.5, 10.244.2.7 — another CNI hands out pod addresses (the VPC CNI gives "
        "pods addresses of the node subnets unless AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true)",
    )


@pytest.mark.parametrize(
    "facts",
    [
        # VPC CNI pods hold addresses of the node subnets
        ClusterFacts(daemonsets=(aws_node(),), pod_ips=("192.168.12.99", "192.168.77.40"), node_ips=NODES),
        # custom networking: ENIConfig subnets (often 100.64.0.0/10) lie outside the nodes' range by design
        ClusterFacts(
            daemonsets=(aws_node({"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}),),
            pod_ips=("100.64.3.4",),
            node_ips=NODES,
        ),
        # no aws-node: an overlay's own range is what it should be
        ClusterFacts(daemonsets=(calico_node(),), pod_ips=("10.244.1.5",), node_ips=NODES),
        # nothing sampled: nothing to reconcile
        ClusterFacts(daemonsets=(aws_node(),), pod_ips=("10.244.1.5",)),
    ],
)
def test_pod_ips_that_fit_the_cni_are_not_an_inconsistency(facts: ClusterFacts) -> None:
    assert detect_profile(facts).inconsistencies == ()
