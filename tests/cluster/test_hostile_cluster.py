"""A cluster webhook that is itself broken (fail-closed, its Service gone or without endpoints) stops the run
before the first test, once, with one line naming it and a distinct exit code; nothing is left behind.

The webhook selects only the child run's own namespaces (by run id), so the bed's other users never meet it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bad_input_cluster import assert_nothing_left, assert_one_line, run_suite

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.errors import RunExitCode


def broken_webhook(run_id: str, namespace: str, service: str) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        # Not labelled as the harness's: the pre-run check rightly ignores the harness's own webhooks (the
        # apiserver suite's), and this one stands for a cluster's. The `registered` fixture deletes it.
        "metadata": {
            "name": f"broken-policy-{run_id}",
            "labels": {"app.kubernetes.io/name": "broken-policy"},
        },
        "webhooks": [
            {
                "name": "deny.broken-policy.example.com",
                "clientConfig": {"service": {"namespace": namespace, "name": service, "port": 443}},
                "rules": [
                    {"operations": ["CREATE"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}
                ],
                "namespaceSelector": {"matchLabels": {labels.RUN_ID: run_id}},
                "failurePolicy": "Fail",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "timeoutSeconds": 2,
            }
        ],
    }


@pytest.fixture
def registered(kube: KubeCluster) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        kube.admission.delete_validating_webhook_configuration(name)


@pytest.mark.parametrize("backend", ["service-deleted", "no-endpoints"])
def test_a_broken_fail_closed_webhook_stops_the_run_before_the_first_test(
    kube: KubeCluster, namespace: str, registered: list[str], tmp_path: Path, backend: str
) -> None:
    run_id = f"h9hook{secrets.token_hex(3)}"
    service = "policy"
    if backend == "no-endpoints":
        kube.create(
            namespace,
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": service},
                "spec": {"selector": {"app": "nothing-serves-this"}, "ports": [{"port": 443}]},
            },
        )
    config = broken_webhook(run_id, namespace, service)
    kube.admission.create_validating_webhook_configuration(config)
    registered.append(config["metadata"]["name"])

    code, output, _ = run_suite(tmp_path, "--run-id", run_id)

    assert code == RunExitCode.BROKEN_WEBHOOK, output
    why = "does not exist" if backend == "service-deleted" else "has no ready endpoint"
    assert_one_line(
        output,
        f'netconform: fail-closed webhook "deny.broken-policy.example.com" (ValidatingWebhookConfiguration/'
        f"broken-policy-{run_id}) would reject the harness's objects: its service {namespace}/{service}:443 "
        f"{why}",
    )
    assert "failed calling webhook" not in output  # stopped before any object met it
    assert re.search(r"\b\d+ passed\b", output) is None, output  # it stopped at the first test's setup
    assert_nothing_left(kube, run_id)
