"""API-server paths: expectations per profile, classification of the API server's error text, verdicts."""

from __future__ import annotations

import pytest

from netconform.core.apiserver.paths import (
    PATHS,
    Backend,
    Mechanism,
    Observation,
    Reach,
    expectation,
    inferred_routability,
    judge,
    path,
    summary,
    unreachable_symptom,
)
from netconform.core.profiles import PROFILES, Expect, ProfileName

VPC = PROFILES[ProfileName.VPC_CNI]
OVERLAY = PROFILES[ProfileName.CALICO_OVERLAY]
GENERIC = PROFILES[ProfileName.GENERIC]

POD_WEBHOOK = path(Mechanism.VALIDATING_WEBHOOK, Backend.POD_NETWORK)
HOST_WEBHOOK = path(Mechanism.VALIDATING_WEBHOOK, Backend.HOST_NETWORK)
POD_PROXY = path(Mechanism.POD_PROXY, Backend.POD_NETWORK)
APISERVICE = path(Mechanism.APISERVICE, Backend.POD_NETWORK)
EXEC = path(Mechanism.EXEC, Backend.KUBELET)

WEBHOOK_TIMEOUT = (
    'Internal error occurred: failed calling webhook "deny-pod.nc-x.netconform.io": failed to call webhook: '
    'Post "https://webhook-pod.nc-x.svc:443/always-deny?timeout=5s": context deadline exceeded'
)
PROXY_TIMEOUT = "error trying to reach service: dial tcp 10.244.0.70:8080: i/o timeout"


def test_every_served_mechanism_has_both_backends_and_kubelet_paths_only_the_kubelet() -> None:
    assert len(PATHS) == len(set(PATHS)) == 13
    for target in PATHS:
        if target.mechanism in (Mechanism.EXEC, Mechanism.LOGS, Mechanism.PORT_FORWARD):
            assert target.backend is Backend.KUBELET
    with pytest.raises(ValueError, match="no such API server path"):
        path(Mechanism.EXEC, Backend.POD_NETWORK)


@pytest.mark.parametrize(
    ("profile", "backend", "expected"),
    [
        (VPC, Backend.POD_NETWORK, Expect.YES),
        (VPC, Backend.HOST_NETWORK, Expect.YES),
        (VPC, Backend.KUBELET, Expect.YES),
        (OVERLAY, Backend.POD_NETWORK, Expect.NO),
        (OVERLAY, Backend.HOST_NETWORK, Expect.YES),
        (OVERLAY, Backend.KUBELET, Expect.YES),
        (GENERIC, Backend.POD_NETWORK, Expect.UNKNOWN),
        (GENERIC, Backend.HOST_NETWORK, Expect.YES),
        (PROFILES[ProfileName.CALICO_POLICY], Backend.POD_NETWORK, Expect.YES),
        (PROFILES[ProfileName.VPC_CNI_PREFIX], Backend.POD_NETWORK, Expect.YES),
    ],
)
def test_expectation_by_profile_and_backend(profile, backend, expected) -> None:  # type: ignore[no-untyped-def]
    for target in PATHS:
        if target.backend is backend:
            assert expectation(target, profile) is expected, target.id


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        (WEBHOOK_TIMEOUT, "timeout (context deadline exceeded)"),
        (PROXY_TIMEOUT, "timeout (i/o timeout)"),
        (
            'Post "https://x.svc:443/v": Address is not allowed',
            "address not allowed (EKS control plane egress)",
        ),
        ("dial tcp 10.0.0.1:443: connect: connection refused", "connection refused"),
        ("dial tcp 10.0.0.1:443: connect: no route to host", "no route to host"),
        (
            "net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
            "timeout (client timeout)",
        ),
        ('admission webhook "x" denied the request: this webhook denies all requests', None),
        ("", None),
    ],
)
def test_unreachable_symptom(text: str, symptom: str | None) -> None:
    assert unreachable_symptom(text) == symptom


@pytest.mark.parametrize(
    ("profile", "target", "reach", "ok"),
    [
        (VPC, POD_WEBHOOK, Reach.REACHED, True),
        (VPC, POD_WEBHOOK, Reach.UNREACHABLE, False),
        (OVERLAY, POD_WEBHOOK, Reach.UNREACHABLE, True),
        (OVERLAY, POD_WEBHOOK, Reach.REACHED, False),
        (OVERLAY, HOST_WEBHOOK, Reach.REACHED, True),
        (OVERLAY, HOST_WEBHOOK, Reach.UNREACHABLE, False),
        (OVERLAY, EXEC, Reach.REACHED, True),
        (GENERIC, POD_WEBHOOK, Reach.REACHED, None),
        (GENERIC, POD_WEBHOOK, Reach.UNREACHABLE, None),
        (GENERIC, HOST_WEBHOOK, Reach.UNREACHABLE, False),
        (VPC, POD_WEBHOOK, Reach.INCONCLUSIVE, False),
        (GENERIC, POD_WEBHOOK, Reach.INCONCLUSIVE, False),
    ],
)
def test_judge(profile, target, reach, ok) -> None:  # type: ignore[no-untyped-def]
    verdict = judge(Observation(target, reach, 500, WEBHOOK_TIMEOUT), profile)
    if ok is None:  # no claim: not judged, never a pass
        assert (verdict.judged, verdict.ok) == (False, False)
        assert "not judged: profile generic makes no claim" in verdict.message
    else:
        assert (verdict.judged, verdict.ok) == (True, ok)
    assert target.title in verdict.message


def test_a_mismatch_names_path_status_error_text_advice_and_reproduction() -> None:
    observation = Observation(POD_WEBHOOK, Reach.UNREACHABLE, 500, WEBHOOK_TIMEOUT, "kubectl create -f x")
    message = judge(observation, VPC).message
    assert "validating-webhook/pod-network" in message
    assert "expected reachable under profile vpc-cni" in message
    assert "HTTP 500" in message
    assert "context deadline exceeded" in message
    assert "hostNetwork: true" in message
    assert "443/10250" in message
    assert "reproduce: kubectl create -f x" in message


def test_reached_under_an_overlay_says_the_profile_is_wrong() -> None:
    message = judge(Observation(POD_PROXY, Reach.REACHED, 200, "answered 'web'"), OVERLAY).message
    assert "expected unreachable under profile calico-overlay" in message
    assert "--profile" in message


def test_advice_names_what_breaks_per_mechanism() -> None:
    unreachable = Reach.UNREACHABLE
    assert "kubectl proxy" in judge(Observation(POD_PROXY, unreachable, 503, PROXY_TIMEOUT), VPC).message
    assert (
        "metrics-server" in judge(Observation(APISERVICE, unreachable, None, "x: i/o timeout"), VPC).message
    )
    assert "10250" in judge(Observation(EXEC, unreachable, 502, "dial tcp: i/o timeout"), VPC).message


@pytest.mark.parametrize(
    ("reaches", "expected"),
    [
        ([Reach.REACHED, Reach.REACHED], Expect.YES),
        ([Reach.UNREACHABLE, Reach.UNREACHABLE, Reach.INCONCLUSIVE], Expect.NO),
        ([Reach.REACHED, Reach.UNREACHABLE], Expect.UNKNOWN),
        ([], Expect.UNKNOWN),
    ],
)
def test_inferred_routability_looks_only_at_pod_network_paths(reaches, expected) -> None:  # type: ignore[no-untyped-def]
    observations = [Observation(POD_WEBHOOK, r) for r in reaches]
    observations.append(Observation(HOST_WEBHOOK, Reach.REACHED))
    assert inferred_routability(observations) is expected


def test_summary_lists_paths_in_order_and_concludes() -> None:
    verdicts = [
        judge(Observation(EXEC, Reach.REACHED, 101, "ok"), GENERIC),
        judge(Observation(POD_WEBHOOK, Reach.UNREACHABLE, 500, WEBHOOK_TIMEOUT), GENERIC),
    ]
    text = summary(verdicts, GENERIC)
    lines = text.splitlines()
    assert lines[1].startswith("validating-webhook/pod-network")
    assert lines[2].startswith("exec/kubelet")
    assert "not judged" in lines[1]
    assert "does NOT reach pod IPs" in text


def test_an_unreachable_host_network_backend_names_its_port_and_the_rule_to_add() -> None:
    from netconform.core.apiserver.paths import Backend, Mechanism, Reach, advice, path

    target = path(Mechanism.VALIDATING_WEBHOOK, Backend.HOST_NETWORK)
    text = advice(target, Reach.UNREACHABLE, 24123)
    assert text.startswith("the control plane could not reach a hostNetwork pod on its node port 24123/TCP")
    assert "inbound rule for TCP 24123 from the cluster security group to the node security group" in text
    assert "24123" not in advice(target, Reach.UNREACHABLE)  # without a port: the general advice
