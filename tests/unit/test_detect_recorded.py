"""Profile detection on recorded cluster objects (tests/unit/data/clusters/<name>/, one YAML per kind).

Each directory holds what ``kubectl get -o yaml`` returns for the objects detection reads, trimmed; the
header of every file says where it comes from. They go through ``facts_from_objects``, the conversion the
kube adapter uses on live clusters, then ``detect_profile``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from netconform.core.cluster_objects import facts_from_objects
from netconform.core.profiles import Encapsulation, IpPoolFacts, ProfileName, detect_profile

CLUSTERS = Path(__file__).parent / "data" / "clusters"


def items(cluster: str, kind_file: str) -> list[dict[str, Any]]:
    path = CLUSTERS / cluster / kind_file
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text())
    return list(document["items"])


def recorded(cluster: str) -> Any:
    configmaps = items(cluster, "configmaps.yaml")
    return facts_from_objects(
        daemonsets=items(cluster, "daemonsets.yaml"),
        installations=items(cluster, "installations.yaml"),
        ip_pools=items(cluster, "ippools.yaml"),
        vpc_cni_configmap=configmaps[0] if configmaps else None,
    )


AWS_NODE_LINE = (
    "DaemonSet kube-system/aws-node (3 pods): "
    "aws-node=602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.6-eksbuild.1, "
    "aws-eks-nodeagent=602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:"
    "v1.2.2-eksbuild.1"
)
VXLAN_POOL_LINE = "IPPool default-ipv4-ippool 192.168.0.0/16: encapsulation vxlan"
NO_ENGINE_LINE = (
    "policy engine: none seen (no aws-node network policy agent, calico-node or kube-router with its "
    "firewall on)"
)


@pytest.mark.parametrize(
    ("cluster", "profile", "prefix", "evidence"),
    [
        (
            "vpc-cni",
            ProfileName.VPC_CNI,
            False,
            [
                AWS_NODE_LINE,
                "kube-system/aws-node: no network policy agent enabled, no prefix delegation",
                NO_ENGINE_LINE,
            ],
        ),
        (
            "vpc-cni-prefix",
            ProfileName.VPC_CNI_PREFIX,
            True,
            [AWS_NODE_LINE, "kube-system/aws-node: ENABLE_PREFIX_DELEGATION=true", NO_ENGINE_LINE],
        ),
        (
            "vpc-cni-netpol",
            ProfileName.VPC_CNI_NETPOL,
            False,
            [
                AWS_NODE_LINE,
                "kube-system/aws-node: container aws-eks-nodeagent has --enable-network-policy=true",
                "ConfigMap kube-system/amazon-vpc-cni: enable-network-policy-controller=true",
                "policy engine: kube-system/aws-node (aws-network-policy-agent)",
            ],
        ),
        (
            "calico-overlay",
            ProfileName.CALICO_OVERLAY,
            False,
            [
                "DaemonSet calico-system/calico-node (3 pods): calico-node=docker.io/calico/node:v3.29.1",
                "Installation default: spec.cni.type=Calico",
                VXLAN_POOL_LINE,
                "policy engine: calico-system/calico-node (calico-felix)",
            ],
        ),
        (
            "calico-policy",
            ProfileName.CALICO_POLICY,
            False,
            [
                AWS_NODE_LINE,
                "DaemonSet calico-system/calico-node (3 pods): calico-node=docker.io/calico/node:v3.29.1",
                "Installation default: spec.cni.type=AmazonVPC",
                "policy engine: calico-system/calico-node (calico-felix)",
            ],
        ),
        (
            "calico-manifest-overlay",
            ProfileName.CALICO_OVERLAY,
            False,
            [
                "DaemonSet kube-system/calico-node (3 pods): calico-node=docker.io/calico/node:v3.29.6",
                "DaemonSet kube-system/aws-node (scheduled nowhere): "
                "aws-node=602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.6-eksbuild.1",
                "no running aws-node: Calico provides the pod network",
                VXLAN_POOL_LINE,
                "policy engine: kube-system/calico-node (calico-felix)",
            ],
        ),
    ],
)
def test_recorded_cluster_detects_its_profile(
    cluster: str, profile: ProfileName, prefix: bool, evidence: list[str]
) -> None:
    detection = detect_profile(recorded(cluster))
    assert detection.profile.name is profile, detection.evidence
    assert detection.prefix_delegation is prefix
    assert list(detection.evidence) == evidence


def test_every_recorded_cluster_is_in_the_table() -> None:
    assert sorted(p.name for p in CLUSTERS.iterdir()) == [
        "calico-manifest-overlay",
        "calico-overlay",
        "calico-policy",
        "vpc-cni",
        "vpc-cni-netpol",
        "vpc-cni-prefix",
    ]


def test_every_recorded_file_says_where_it_comes_from() -> None:
    for path in sorted(CLUSTERS.glob("*/*.yaml")):
        assert path.read_text().startswith("# "), f"{path}: no header comment naming its source"


# --- edge cases ------------------------------------------------------------------------------------------


def aws_node(env: list[dict[str, Any]], status: dict[str, Any] | None = None) -> dict[str, Any]:
    ds: dict[str, Any] = {
        "metadata": {"name": "aws-node", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "aws-node", "image": "cni", "env": env}]}}},
    }
    if status is not None:
        ds["status"] = status
    return ds


def calico_node() -> dict[str, Any]:
    return {
        "metadata": {"name": "calico-node", "namespace": "calico-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "calico-node"}]}}},
        "status": {"desiredNumberScheduled": 2},
    }


def test_value_from_env_is_left_out() -> None:
    from_configmap = {
        "name": "ENABLE_PREFIX_DELEGATION",
        "valueFrom": {"configMapKeyRef": {"name": "cni", "key": "prefix"}},
    }
    facts = facts_from_objects([aws_node([from_configmap, {"name": "A", "value": "1"}])], [], [], None)
    assert dict(facts.daemonsets[0].containers[0].env) == {"A": "1"}
    detection = detect_profile(facts)
    assert detection.profile.name is ProfileName.VPC_CNI
    assert detection.prefix_delegation is False


def test_missing_status_counts_as_running_and_zero_as_scheduled_nowhere() -> None:
    facts = facts_from_objects([aws_node([]), aws_node([], {"desiredNumberScheduled": 0})], [], [], None)
    assert [ds.desired_pods for ds in facts.daemonsets] == [None, 0]
    assert [ds.running for ds in facts.daemonsets] == [True, False]


def test_command_and_args_are_joined_in_order() -> None:
    container = {"name": "c", "command": ["/bin/agent"], "args": ["--enable-network-policy=true"]}
    ds = {
        "metadata": {"name": "x", "namespace": "y"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }
    facts = facts_from_objects([ds], [], [], None)
    assert facts.daemonsets[0].containers[0].args == ("/bin/agent", "--enable-network-policy=true")


def test_installation_without_cni_is_calico() -> None:
    installation = {"metadata": {"name": "default"}, "spec": {"kubernetesProvider": "EKS"}}
    facts = facts_from_objects([calico_node()], [installation], [], None)
    assert facts.calico_installation_cni == "Calico"
    assert detect_profile(facts).profile.name is ProfileName.CALICO_OVERLAY


def test_only_the_default_installation_counts() -> None:
    other = {"metadata": {"name": "other"}, "spec": {"cni": {"type": "AmazonVPC"}}}
    assert facts_from_objects([], [other], [], None).calico_installation_cni is None


@pytest.mark.parametrize(
    ("encapsulation", "expected"),
    [
        ("VXLAN", Encapsulation.VXLAN),
        ("VXLANCrossSubnet", Encapsulation.VXLAN),
        ("IPIP", Encapsulation.IPIP),
        ("IPIPCrossSubnet", Encapsulation.IPIP),
        ("None", Encapsulation.NONE),
    ],
)
def test_installation_pool_encapsulation(encapsulation: str, expected: Encapsulation) -> None:
    installation = {
        "metadata": {"name": "default"},
        "spec": {"calicoNetwork": {"ipPools": [{"cidr": "10.0.0.0/16", "encapsulation": encapsulation}]}},
    }
    (pool,) = facts_from_objects([], [installation], [], None).ip_pools
    assert pool == IpPoolFacts("Installation/default ipPools[0]", "10.0.0.0/16", expected, nat_outgoing=True)


def test_installation_pools_add_to_crs_without_repeating_a_cidr() -> None:
    installation = {
        "metadata": {"name": "default"},
        "spec": {
            "calicoNetwork": {
                "ipPools": [
                    {"name": "a", "cidr": "10.0.0.0/16", "encapsulation": "VXLAN"},
                    {"name": "b", "cidr": "10.1.0.0/16", "encapsulation": "IPIP", "natOutgoing": "Disabled"},
                ]
            }
        },
    }
    cr = {"metadata": {"name": "a"}, "spec": {"cidr": "10.0.0.0/16", "vxlanMode": "Always"}}
    pools = facts_from_objects([], [installation], [cr], None).ip_pools
    assert pools == (
        IpPoolFacts("a", "10.0.0.0/16", Encapsulation.VXLAN, nat_outgoing=False),
        IpPoolFacts("b", "10.1.0.0/16", Encapsulation.IPIP, nat_outgoing=False),
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"vxlanMode": "CrossSubnet", "ipipMode": "Never"}, Encapsulation.VXLAN),
        ({"ipipMode": "CrossSubnet"}, Encapsulation.IPIP),
        ({"ipipMode": "Always", "vxlanMode": "Never"}, Encapsulation.IPIP),
        ({"ipipMode": "Never", "vxlanMode": "Never"}, Encapsulation.NONE),
        ({}, Encapsulation.NONE),
    ],
)
def test_ip_pool_cr_encapsulation(spec: dict[str, Any], expected: Encapsulation) -> None:
    cr = {"metadata": {"name": "p"}, "spec": {"cidr": "10.2.0.0/16", **spec}}
    assert facts_from_objects([], [], [cr], None).ip_pools[0].encapsulation is expected


def test_disabled_pools_are_kept_but_not_cited() -> None:
    pools = [
        {
            "metadata": {"name": "old"},
            "spec": {"cidr": "10.3.0.0/16", "ipipMode": "Always", "disabled": True},
        },
        {
            "metadata": {"name": "new"},
            "spec": {"cidr": "10.4.0.0/16", "vxlanMode": "Always", "natOutgoing": True},
        },
    ]
    facts = facts_from_objects([calico_node()], [], pools, None)
    assert [(p.name, p.disabled, p.nat_outgoing) for p in facts.ip_pools] == [
        ("old", True, False),
        ("new", False, True),
    ]
    detection = detect_profile(facts)
    assert detection.profile.name is ProfileName.CALICO_OVERLAY
    assert "IPPool new 10.4.0.0/16: encapsulation vxlan" in detection.evidence
    assert not any("IPPool old" in line for line in detection.evidence)


def test_vpc_cni_configmap_data() -> None:
    configmap = {"metadata": {"name": "amazon-vpc-cni"}, "data": {"enable-network-policy-controller": "true"}}
    assert dict(facts_from_objects([], [], [], configmap).vpc_cni_config) == {
        "enable-network-policy-controller": "true"
    }
    assert dict(facts_from_objects([], [], [], {"metadata": {}}).vpc_cni_config) == {}
    assert dict(facts_from_objects([], [], [], None).vpc_cni_config) == {}
