"""Pod density fill: a node runs exactly its advertised number of pods and refuses one more.

Opt-in (``--run-disruptive``), serial, cordon-free: pause pods pinned by node affinity to one node (the
real, schedulable node with the lowest ceiling, or ``--fill-node``) up to its advertised ceiling minus the
pods already there; then one more, which must stay Pending with the scheduler's "Too many pods". Pods
that get no IP from the CNI show that the IP ceiling is below the advertised one. The time to fill is
reported, not asserted; the namespace and its pods are gone before the test ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.density import FillTestOptions
from fixtures.namespaces import NamespaceSet
from fixtures.reporting import attach
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.waits import Bound
from netconform.checks.density.fill import run_fill
from netconform.checks.density.nodes import list_node_facts
from netconform.core.density.check import Basis, DensityContext, NodeVerdict, judge_node
from netconform.core.density.fill import choose_fill_node, judge_fill
from netconform.core.density.maxpods import PODS_ON_HOST_NETWORK

pytestmark = [pytest.mark.density, pytest.mark.disruptive]
FILL_CLEANUP = Bound("the fill namespace and its pods to be gone", timeout_s=600, interval_s=2)


@pytest.fixture
def fill_namespace(kube: KubeCluster, namespaces: NamespaceSet) -> Iterator[str]:
    """A namespace whose deletion is awaited: the next test must find the node empty again."""
    name = namespaces.make("fill")
    yield name
    kube.delete_namespace(name)
    kube.wait_namespaces_gone([name], FILL_CLEANUP)


@pytest.fixture
def fill_target(
    kube: KubeCluster, density_options: FillTestOptions, density_context: DensityContext
) -> NodeVerdict:
    """The node to fill, with what the density check expects of it."""
    node = choose_fill_node(list_node_facts(kube), density_options.fill_node)
    if node is None or node.advertised is None:
        pytest.skip("no real, schedulable, untainted node with a pods capacity to fill")
    return judge_node(node, density_context)


@pytest.fixture
def pause_settings(density_options: FillTestOptions, images: ImageSettings) -> ImageSettings:
    return ImageSettings(density_options.pause_image, images.pull_policy)


def test_node_runs_its_advertised_ceiling_and_refuses_one_more(
    *,
    kube: KubeCluster,
    fill_namespace: str,
    fill_target: NodeVerdict,
    density_context: DensityContext,
    pause_settings: ImageSettings,
    request: pytest.FixtureRequest,
) -> None:
    node = fill_target.node
    run = run_fill(
        kube,
        fill_namespace,
        node.name,
        advertised=node.advertised or 0,
        image=pause_settings.probe_image,
        pull_policy=pause_settings.pull_policy,
        ip_slots=_eni_ip_slots(fill_target, density_context),
    )
    verdict = judge_fill(run)
    report = f"{verdict.message}\nexpectation: {fill_target.describe()}"
    attach("fill", report)
    request.node.user_properties.append(("fill_seconds", round(run.fill_seconds, 1)))
    request.node.add_report_section("call", "fill", report)
    assert verdict.ok, report


def _eni_ip_slots(target: NodeVerdict, context: DensityContext) -> int | None:
    """Pod IPs the ENI math gives the node (its uncapped value minus the host-network pods it counts); None
    where pod IPs do not come from ENIs. Where the kubelet advertises more, the fill proves the IP ceiling."""
    if context.basis is not Basis.ENI or target.ip_ceiling is None:
        return None
    return max(target.ip_ceiling - PODS_ON_HOST_NETWORK, 0)
