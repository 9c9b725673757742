"""Aggregated APIs served by pods: the aggregator's discovery check must reach the backend."""

from __future__ import annotations

import pytest

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.checks.apiserver import apiservices
from netconform.core.apiserver.paths import Backend, Mechanism, path
from suites.apiserver.conftest import VerdictOf

pytestmark = pytest.mark.apiserver

BACKENDS = {Backend.POD_NETWORK: "pod", Backend.HOST_NETWORK: "host"}


@pytest.mark.parametrize("backend", list(BACKENDS), ids=list(BACKENDS.values()))
def test_api_service_becomes_available(  # noqa: PLR0917 (pytest passes fixtures by name)
    kube: KubeCluster,
    module_namespace: str,
    images: ImageSettings,
    run_id: str,
    backend: Backend,
    verdict_of: VerdictOf,
) -> None:
    """Available=True proves the API server reached the pod; FailedDiscoveryCheck says it could not."""
    short = BACKENDS[backend]
    group = f"{short}.{module_namespace}.netconform.io"
    backing = apiservices.deploy_backend(
        kube,
        module_namespace,
        f"aggregated-{short}",
        group,
        images,
        host_network=backend is Backend.HOST_NETWORK,
    )
    # Registered only while observed: an unavailable APIService stalls discovery (and namespace deletion)
    # for the whole cluster.
    with apiservices.registered(kube, backing, run_id) as name:
        observation = apiservices.observe_availability(kube, path(Mechanism.APISERVICE, backend), name)
    verdict_of(observation)
