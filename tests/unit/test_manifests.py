"""The Pod envelope every harness pod shares."""

from __future__ import annotations

from netconform.adapters.kube.manifests import GRACE_S, ImageSettings, netexec_server_pod, pod
from netconform.core.truthtable import Protocol

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


def test_netexec_servers_serve_every_protocol_of_a_port_in_one_container_with_named_ports() -> None:
    image = ImageSettings("probe:1", "Never")
    spec = netexec_server_pod("a", {"pod": "a"}, image, [80, 81], [Protocol.TCP, Protocol.UDP])["spec"]
    assert spec["shareProcessNamespace"] is True  # pause reaps the probes' orphaned `timeout` watchers
    containers = spec["containers"]
    assert [(c["name"], c["args"]) for c in containers] == [
        ("cont-80", ["netexec", "--http-port=80", "--udp-port=80"]),
        ("cont-81", ["netexec", "--http-port=81", "--udp-port=81"]),
    ]
    assert [(p["name"], p["containerPort"], p["protocol"]) for p in containers[1]["ports"]] == [
        ("serve-81-tcp", 81, "TCP"),
        ("serve-81-udp", 81, "UDP"),
    ]


def test_sctp_is_served_only_when_asked_and_udp_can_be_switched_off() -> None:
    image = ImageSettings("probe:1", "Never")
    (with_sctp,) = netexec_server_pod("a", {}, image, [80], [Protocol.TCP, Protocol.SCTP])["spec"][
        "containers"
    ]
    assert with_sctp["args"] == ["netexec", "--http-port=80", "--udp-port=-1", "--sctp-port=80"]
    assert [p["name"] for p in with_sctp["ports"]] == ["serve-80-tcp", "serve-80-sctp"]
