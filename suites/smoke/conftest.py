"""The connectivity baseline's bed: one namespace of pods and Services for the whole smoke run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from fixtures.namespaces import NamespaceFactory, any_failed
from fixtures.options import HarnessOptions
from fixtures.reporting import attach, attach_namespace_diagnostics
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.checks.connectivity.baseline import Baseline, CheckResult, deploy
from netconform.core.connectivity.diagnosis import EgressSource, expected_egress_source
from netconform.core.profiles import AWS_NODE, ClusterFacts, Profile
from netconform.testbed.addresses import EXTERNAL_HOST_IP

# agnhost netexec on the test bed's "outside" host (its nc-ext netns)
TESTBED_EGRESS_TARGET = f"http://{EXTERNAL_HOST_IP}:8080/clientip"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The baseline runs first: policy and density verdicts mean little on a broken pod network."""
    items.sort(key=lambda item: item.get_closest_marker("smoke") is None)


@pytest.fixture(scope="session")
def baseline(
    kube: KubeCluster,
    namespace_factory: NamespaceFactory,
    images: ImageSettings,
    options: HarnessOptions,
    request: pytest.FixtureRequest,
) -> Iterator[Baseline]:
    with namespace_factory.scoped("suites/smoke", any_failed(request, "baseline")) as owned:
        namespace = owned.make("smoke")
        yield Baseline(kube, deploy(kube, namespace, images), ExecProber(kube))


Judge = Callable[[CheckResult], None]


@pytest.fixture(scope="session")
def judge(baseline: Baseline) -> Judge:
    """Skip, pass or fail with the outcome's own words (no traceback: the message says it all)."""

    def verdict(outcome: CheckResult) -> None:
        attach(outcome.path.value, outcome.message())
        if outcome.skipped:
            pytest.skip(outcome.skipped)
        if not outcome.passed:
            attach_namespace_diagnostics(baseline.kube, baseline.bed.namespace)
            pytest.fail(outcome.message(), pytrace=False)

    return verdict


@pytest.fixture(scope="session")
def egress_target(pytestconfig: pytest.Config) -> str:
    target = pytestconfig.getoption("--egress-target")
    if target:
        return str(target)
    if os.environ.get("NETCONFORM_TESTBED") == "1":
        return TESTBED_EGRESS_TARGET
    pytest.skip(
        "no egress target: pass --egress-target http://<host outside the VPC>:<port>/clientip (or set "
        "NETCONFORM_EGRESS_TARGET) pointing at a server that answers with the client's ip:port, e.g. "
        "`agnhost netexec`"
    )


@pytest.fixture(scope="session")
def expected_egress(profile: Profile, cluster_facts: ClusterFacts) -> EgressSource | None:
    external = None
    for ds in cluster_facts.daemonsets:
        if ds.name == AWS_NODE and ds.running:
            for container in ds.all_containers():
                value = container.env.get("AWS_VPC_K8S_CNI_EXTERNALSNAT")
                if value is not None:
                    external = value.strip().lower() == "true"
    return expected_egress_source(profile.egress_snat, external)
