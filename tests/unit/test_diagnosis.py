"""core.diagnosis: which pattern of passed/failed paths means what, and how a finding reads."""

from __future__ import annotations

import pytest

from netconform.core.connectivity.diagnosis import (
    FALLBACK,
    EgressSource,
    PathFailure,
    Path,
    classify_egress_source,
    diagnose,
    egress_meaning,
    expected_egress_source,
    missing_route_note,
    mtu_note,
    node_cut_off,
    ping_payload_for_mtu,
)
from netconform.core.profiles import EgressSnat

P = Path


@pytest.mark.parametrize(
    ("failed", "observed", "phrase"),
    [
        (P.CLUSTER_IP, {P.POD_TCP: True}, "Service IP unreachable but pod IP reachable -> kube-proxy rules"),
        (P.CLUSTER_IP, {P.POD_TCP: False}, "the target pod itself is unreachable"),
        (P.CLUSTER_IP, {}, FALLBACK[P.CLUSTER_IP]),
        (P.NODE_PORT, {P.CLUSTER_IP: True}, "--nodeport-addresses"),
        (P.NODE_PORT, {P.CLUSTER_IP: False, P.POD_TCP: False}, "the target pod itself is unreachable"),
        (P.NODE_PORT, {P.CLUSTER_IP: False, P.POD_TCP: True}, FALLBACK[P.NODE_PORT]),
        (P.DNS_FQDN, {P.CLUSTER_IP: True}, "cluster DNS"),
        (P.DNS_FQDN, {P.CLUSTER_IP: False}, FALLBACK[P.DNS_FQDN]),
        (P.DNS_SHORT, {P.DNS_FQDN: True}, "search path"),
        (P.DNS_HEADLESS, {P.DNS_FQDN: True}, "EndpointSlices"),
        (P.POD_UDP, {P.POD_TCP: True}, "UDP filtered"),
        (P.POD_UDP, {P.POD_TCP: False}, FALLBACK[P.POD_UDP]),
        (P.CROSS_NODE, {P.POD_TCP: True}, "VXLAN UDP 4789"),
        (P.CROSS_ENI, {P.CROSS_NODE: True}, "secondary ENIs"),
        (P.CROSS_ENI, {P.CROSS_NODE: False}, FALLBACK[P.CROSS_ENI]),
        (P.HOST_TO_POD, {P.POD_TCP: True}, "host-side veth route"),
        (P.POD_TO_HOST, {P.POD_TCP: True}, "INPUT chain"),
        (P.NODE_TO_POD, {}, "the kubelet cannot reach the pod"),
        (P.MTU_DF, {P.LARGE_TRANSFER: True}, "TCP's MSS hides it"),
        (P.MTU_DF, {P.LARGE_TRANSFER: False}, FALLBACK[P.MTU_DF]),
        (P.LARGE_TRANSFER, {P.POD_TCP: True}, "MTU black hole"),
        (P.POD_TCP, {}, FALLBACK[P.POD_TCP]),
        (P.EGRESS_SOURCE, {}, FALLBACK[P.EGRESS_SOURCE]),
    ],
)
def test_diagnose(failed: Path, observed: dict[Path, bool], phrase: str) -> None:
    assert phrase in diagnose(failed, observed)


def test_every_path_has_a_title_and_a_fallback() -> None:
    for path in Path:
        assert diagnose(path, {})  # never a KeyError


def test_an_unknown_control_does_not_count_as_passed() -> None:
    assert diagnose(P.CLUSTER_IP, {}) == FALLBACK[P.CLUSTER_IP]


def test_finding_message_names_path_endpoints_reproduce_and_meaning() -> None:
    finding = PathFailure(
        P.CLUSTER_IP,
        "pod ns/b (10.0.0.2)",
        "Service ns/web ClusterIP 10.96.0.5 port 80",
        "blocked: TIMEOUT",
        "kubectl exec -n ns b -- /agnhost connect 10.96.0.5:80",
        {P.POD_TCP: True, P.CLUSTER_IP: False},
    )
    lines = finding.message().splitlines()
    assert lines[0] == "pod-to-cluster-ip FAILED: pod -> ClusterIP Service"
    text = finding.message()
    for part in (
        "from:      pod ns/b",
        "to:        Service ns/web",
        "observed:  blocked",
        "controls:  pod-to-pod-tcp passed",
        "reproduce: kubectl exec",
        "usually:   Service IP unreachable",
    ):
        assert part in text
    assert "pod-to-cluster-ip passed" not in text  # the failed path is not listed among its own controls


@pytest.mark.parametrize(("mtu", "payload"), [(1500, 1472), (9001, 8973), (1450, 1422)])
def test_ping_payload_for_mtu(mtu: int, payload: int) -> None:
    assert ping_payload_for_mtu(mtu) == payload


def test_ping_payload_rejects_tiny_mtu() -> None:
    with pytest.raises(ValueError, match="too small"):
        ping_payload_for_mtu(28)


@pytest.mark.parametrize(
    ("source", "target", "note"),
    [
        (1500, 1500, ""),
        (None, 1400, ""),
        (1500, 1400, "source 1500, target 1400"),
        (9001, 1500, "target 1500"),
    ],
)
def test_mtu_note(source: int | None, target: int | None, note: str) -> None:
    assert note in mtu_note(source, target)
    assert bool(mtu_note(source, target)) == bool(note)


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        ("10.244.0.4:41282", EgressSource.POD_IP),
        ("172.30.0.1:5555", EgressSource.NODE_IP),
        ("203.0.113.9:80", EgressSource.OTHER),
        ("10.244.0.4", EgressSource.POD_IP),
        ("[fd00::4]:8080", EgressSource.OTHER),
    ],
)
def test_classify_egress_source(seen: str, expected: EgressSource) -> None:
    assert classify_egress_source(seen, "10.244.0.4", ["172.30.0.1"]) is expected


@pytest.mark.parametrize(
    ("snat", "external", "expected"),
    [
        (EgressSnat.UNKNOWN, None, None),
        (EgressSnat.UNKNOWN, True, None),
        (EgressSnat.NODE_IP_OUTSIDE_VPC, None, EgressSource.NODE_IP),
        (EgressSnat.NODE_IP_OUTSIDE_VPC, False, EgressSource.NODE_IP),
        (EgressSnat.NODE_IP_OUTSIDE_VPC, True, EgressSource.POD_IP),
        (EgressSnat.NODE_IP_OUTSIDE_POOLS, None, EgressSource.NODE_IP),
        (EgressSnat.NODE_IP_OUTSIDE_POOLS, True, EgressSource.NODE_IP),  # EXTERNALSNAT is a VPC CNI setting
    ],
)
def test_expected_egress_source(
    snat: EgressSnat, external: bool | None, expected: EgressSource | None
) -> None:
    assert expected_egress_source(snat, external) is expected


@pytest.mark.parametrize(
    ("expected", "seen", "phrase"),
    [
        (EgressSource.NODE_IP, EgressSource.POD_IP, "AWS_VPC_K8S_CNI_EXTERNALSNAT=true"),
        (EgressSource.POD_IP, EgressSource.NODE_IP, "restart it"),
        (EgressSource.NODE_IP, EgressSource.OTHER, "proxy or NAT device"),
    ],
)
def test_egress_meaning(expected: EgressSource, seen: EgressSource, phrase: str) -> None:
    assert phrase in egress_meaning(expected, seen)


# --- cross-node patterns --------------------------------------------------------------------------------

RING3 = [("n1", "n2"), ("n2", "n3"), ("n3", "n1")]
RING2 = [("n1", "n2"), ("n2", "n1")]


@pytest.mark.parametrize(
    ("pairs", "failed", "unreachable", "expected"),
    [
        (RING3, [("n1", "n2"), ("n2", "n3")], [], "n2"),  # to and from n2, n3 -> n1 passed
        (RING3, [("n1", "n2")], [], None),  # one direction only: not a missing route of a node
        (RING3, RING3, [], None),  # everything fails: nothing points at one node
        (RING3, [], [], None),
        (RING2, RING2, [], None),  # two nodes: every pair involves both; without the direction, no name
        (RING2, RING2, [("n1", "n2")], "n2"),  # the hop answered "unreachable" on the way to n2
        (RING2, RING2, [("n2", "n1")], "n1"),
    ],
)
def test_node_cut_off(
    pairs: list[tuple[str, str]],
    failed: list[tuple[str, str]],
    unreachable: list[tuple[str, str]],
    expected: str | None,
) -> None:
    assert node_cut_off(pairs, failed, unreachable) == expected


def test_missing_route_note_names_the_node_and_its_cidr() -> None:
    note = missing_route_note("netconform-node-2", "10.244.1.0/24")
    assert "no route to netconform-node-2's pod CIDR 10.244.1.0/24" in note


@pytest.mark.parametrize(
    ("failed", "observed", "words"),
    [
        (
            Path.CROSS_NODE_MTU,
            {Path.MTU_DF: True, Path.CROSS_NODE: True},
            "narrower than the pods' interface",
        ),
        (
            Path.CROSS_NODE_MTU,
            {Path.MTU_DF: False},
            "dropped between nodes: the path is narrower",
        ),  # fallback
        (Path.CROSS_NODE_SERVICE, {Path.CROSS_NODE: False}, "follows from pod -> pod across nodes"),
        (Path.CROSS_NODE_SERVICE, {Path.CROSS_NODE: True}, "kube-proxy on the client's node"),
    ],
)
def test_cross_node_rules(failed: Path, observed: dict[Path, bool], words: str) -> None:
    assert words in diagnose(failed, observed)
