"""Admission denials are told apart from RBAC, and a broken webhook from both: each its own line and exit
code. The messages are the API server's own shapes (copied from kube-apiserver 1.36 answers on the bed and
from Gatekeeper's and Kyverno's documented denials)."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException

from netconform.adapters.kube.errors import (
    AdmissionDenied,
    Forbidden,
    Transient,
    WebhookBroken,
    translate,
)
from netconform.core.admission import Admitter, Denial, WebhookFailure, classify
from netconform.errors import RunExitCode

RBAC = (
    'pods is forbidden: User "system:serviceaccount:nc:runner" cannot create resource "pods" in API group "" '
    'in the namespace "nc-1"'
)
GATEKEEPER = (
    'admission webhook "validation.gatekeeper.sh" denied the request: [container-must-have-limits] container '
    "<c> has no resource limits"
)
BED_WEBHOOK = (
    'admission webhook "require-requests.netconform-testbed.local" denied the request: [require-requests] '
    'container "c" has no resources.requests.cpu'
)
KYVERNO = (
    'admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource Pod/nc-1/a was blocked '
    "due to the following policies \n\nrequire-labels:\n  check-for-labels: 'validation error: label "
    "app.kubernetes.io/name is required'"
)
PSA = (
    'pods "a" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
    '(container "c" must set securityContext.allowPrivilegeEscalation=false)'
)
QUOTA = (
    'pods "a" is forbidden: exceeded quota: hardened-quota, requested: pods=1, used: pods=20, '
    "limited: pods=20"
)
QUOTA_UNSPECIFIED = 'pods "a" is forbidden: failed quota: hardened-quota: must specify limits.memory for: c'
LIMITS = 'pods "a" is forbidden: maximum memory usage per Container is 512Mi, but limit is 1Gi'
BROKEN_NO_SERVICE = (
    'Internal error occurred: failed calling webhook "deny.policy.example.com": failed to call webhook: Post '
    '"https://policy.policy-system.svc:443/validate?timeout=10s": service "policy" not found'
)
BROKEN_TIMEOUT = (
    'Internal error occurred: failed calling webhook "deny.policy.example.com": failed to call webhook: Post '
    '"https://policy.policy-system.svc:443/validate?timeout=10s": context deadline exceeded'
)


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (403, GATEKEEPER, Denial(Admitter.WEBHOOK, "validation.gatekeeper.sh", GATEKEEPER.split(": ", 1)[1])),
        (403, BED_WEBHOOK, Denial(Admitter.WEBHOOK, "require-requests.netconform-testbed.local", "")),
        (400, KYVERNO, Denial(Admitter.WEBHOOK, "validate.kyverno.svc-fail", "")),
        (403, PSA, Denial(Admitter.POD_SECURITY, "PodSecurity (restricted:latest)", "")),
        (403, QUOTA, Denial(Admitter.RESOURCE_QUOTA, "ResourceQuota", "")),
        (403, QUOTA_UNSPECIFIED, Denial(Admitter.RESOURCE_QUOTA, "ResourceQuota", "")),
        (403, LIMITS, Denial(Admitter.LIMIT_RANGER, "LimitRanger", "")),
        (500, BROKEN_NO_SERVICE, WebhookFailure("deny.policy.example.com", "")),
        (500, BROKEN_TIMEOUT, WebhookFailure("deny.policy.example.com", "")),
    ],
)
def test_the_admitter_is_named(status: int, message: str, expected: Denial | WebhookFailure) -> None:
    found = classify(status, message)
    assert type(found) is type(expected)
    assert found is not None
    assert found.name == expected.name
    if isinstance(expected, Denial):
        assert isinstance(found, Denial)
        assert found.admitter is expected.admitter
        assert found.message


@pytest.mark.parametrize(
    "message",
    [
        RBAC,
        'namespaces "nc-1" is forbidden: User "bob" cannot patch resource "namespaces" in API group "" '
        'in the namespace "nc-1"',
        "forbidden",  # a bare reason phrase says nothing about admission
    ],
)
def test_rbac_and_unknown_403s_are_not_admission(message: str) -> None:
    assert classify(403, message) is None


def _api_error(status: int, message: str) -> ApiException:
    err = ApiException(status=status, reason="Forbidden" if status == 403 else "Error")
    err.body = json.dumps({"kind": "Status", "message": message, "code": status})
    return err


def test_a_webhook_denial_is_its_own_error_with_its_own_exit_code() -> None:
    err = translate(_api_error(403, BED_WEBHOOK), "create pod nc-1/a")
    assert isinstance(err, AdmissionDenied)
    assert not isinstance(err, Forbidden)
    assert err.run_exit_code == RunExitCode.ADMISSION_DENIED != RunExitCode.FORBIDDEN
    text = str(err)
    assert "\n" not in text
    assert text.startswith(
        'admission denied: cannot create pod nc-1/a — admission webhook "require-requests.netconform-testbed.'
        'local" denied it: [require-requests] container "c" has no resources.requests.cpu'
    )
    assert "RBAC" not in text


def test_a_pod_security_denial_names_the_level_and_the_violation() -> None:
    err = translate(_api_error(403, PSA), "create pod nc-1/a")
    assert isinstance(err, AdmissionDenied)
    assert (
        "admission plugin PodSecurity (restricted:latest) denied it: allowPrivilegeEscalation != false"
        in (str(err))
    )


def test_a_kyverno_400_is_an_admission_denial_not_a_generic_error() -> None:
    err = translate(_api_error(400, KYVERNO), "create pod nc-1/a")
    assert isinstance(err, AdmissionDenied)
    assert "\n" not in str(err)
    assert "label app.kubernetes.io/name is required" in str(err)


def test_rbac_stays_forbidden() -> None:
    err = translate(_api_error(403, RBAC), "create pod nc-1/a")
    assert type(err) is Forbidden
    assert str(err).startswith("forbidden: cannot create pod nc-1/a — grant it in the harness's RBAC")


def test_a_broken_webhook_is_not_a_transient_500() -> None:
    err = translate(_api_error(500, BROKEN_NO_SERVICE), "create namespace nc-1")
    assert isinstance(err, WebhookBroken)
    assert not isinstance(err, Transient)
    assert err.webhook == "deny.policy.example.com"
    assert err.run_exit_code == RunExitCode.BROKEN_WEBHOOK
    assert 'service "policy" not found' in str(err)
    assert "failurePolicy: Ignore" in str(err)


def test_exit_codes_of_a_run_are_distinct() -> None:
    codes = [c.value for c in RunExitCode]
    assert len(codes) == len(set(codes))
    assert min(c for c in codes if c > 5) > 5  # pytest owns 0-5
