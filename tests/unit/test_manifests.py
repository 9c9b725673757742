"""The Pod envelope every harness pod shares."""

from __future__ import annotations

from netconform.adapters.kube.manifests import GRACE_S, pod

CONTAINER = {"name": "c", "image": "probe:1"}


def test_a_plain_pod_has_no_token_no_service_env_and_no_grace() -> None:
    manifest = pod("p", {"app": "p"}, [CONTAINER])
    assert manifest == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "p"}},
        "spec": {
            "containers": [CONTAINER],
            "terminationGracePeriodSeconds": GRACE_S,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
        },
    }


def test_host_network_keeps_cluster_dns_and_options_land_in_the_spec() -> None:
    volumes = [{"name": "certs", "secret": {"secretName": "p"}}]
    spec = pod("p", {}, [CONTAINER], host_network=True, node_name="n1", volumes=volumes)["spec"]
    assert (spec["hostNetwork"], spec["dnsPolicy"], spec["nodeName"], spec["volumes"]) == (
        True,
        "ClusterFirstWithHostNet",
        "n1",
        volumes,
    )
