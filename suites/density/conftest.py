"""Density fixtures: the nodes (read once per session), the CNI configuration and the verdicts."""

from __future__ import annotations

import pytest

from netconform.adapters.kube.cluster import KubeCluster
from netconform.checks.density.nodes import list_node_facts
from netconform.core.density.check import (
    DensityContext,
    NodeFacts,
    NodeVerdict,
    context_for,
    judge_nodes,
)
from netconform.core.density.vpc_cni_config import VpcCniConfig, aws_node_daemonset, from_aws_node
from netconform.core.instance_types import bundled_limits
from netconform.core.profiles import ClusterFacts, Profile


@pytest.fixture(scope="session")
def density_nodes(kube: KubeCluster) -> list[NodeFacts]:
    return list_node_facts(kube)


@pytest.fixture(scope="session")
def vpc_cni(cluster_facts: ClusterFacts) -> VpcCniConfig | None:
    """The aws-node configuration, None on clusters without the VPC CNI (the test bed)."""
    return from_aws_node(aws_node_daemonset(cluster_facts))


@pytest.fixture(scope="session")
def density_context(profile: Profile, vpc_cni: VpcCniConfig | None) -> DensityContext:
    return context_for(profile, vpc_cni, bundled_limits())


@pytest.fixture(scope="session")
def density_verdicts(density_nodes: list[NodeFacts], density_context: DensityContext) -> list[NodeVerdict]:
    return judge_nodes(density_nodes, density_context)
