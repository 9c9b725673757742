"""Issue 5's safety proof: the harness is killed outright (SIGKILL, no teardown at all) while its admission
webhooks are registered, and the cluster still accepts ordinary requests; `netconform sweep` then removes
what the dead run left. (SIGINT/SIGTERM, where teardown does run, are the chaos test's subject.)"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest
from child_pytest import child_env, pytest_command
from kubernetes.watch import Watch

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.waits import Bound
from netconform.cli import main

REPO = Path(__file__).resolve().parents[2]
WEBHOOK_REGISTERED = Bound("the harness to register its webhook configurations", timeout_s=240)
KILL_ATTEMPTS = 3


def _webhook_configs(kube: KubeCluster, run_id: str) -> list[str]:
    selector = labels.run_selector(run_id)
    validating = kube.admission.list_validating_webhook_configuration(label_selector=selector).items
    mutating = kube.admission.list_mutating_webhook_configuration(label_selector=selector).items
    return [c.metadata.name for c in (*validating, *mutating)]


def kill_when_a_webhook_appears(kube: KubeCluster, run_id: str) -> bool:
    """Start the webhook suite and SIGKILL its process group the moment the API server reports one of its
    webhook configurations (a watch event, milliseconds after creation: each configuration lives only for one
    admission probe). False when the run ended or removed its configuration first (the race was lost)."""
    command = pytest_command("-q", "--run-id", run_id, "suites/apiserver/test_webhooks.py")
    harness = subprocess.Popen(command, cwd=REPO, env=child_env(cluster=True), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    watch = Watch()
    try:
        events = watch.stream(
            kube.admission.list_validating_webhook_configuration,
            label_selector=labels.run_selector(run_id),
            timeout_seconds=int(WEBHOOK_REGISTERED.timeout_s),
        )
        for event in events:
            if event["type"] == "ADDED":
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(harness.pid, signal.SIGKILL)  # no finalizer, no signal handler: the worst case
                break
    finally:
        watch.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(harness.pid, signal.SIGKILL)
        harness.wait(timeout=30)
    return bool(_webhook_configs(kube, run_id))


def test_a_killed_harness_blocks_nothing_and_sweep_cleans_up(
    kube: KubeCluster, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ids = []
    for _attempt in range(KILL_ATTEMPTS):
        run_ids.append(f"killed{secrets.token_hex(3)}")
        if kill_when_a_webhook_appears(kube, run_ids[-1]):
            break
    run_id = run_ids[-1]
    assert _webhook_configs(kube, run_id), "the kill came too late to leave a webhook behind"
    # Ordinary requests outside the dead run's namespaces go through, although its webhooks (failurePolicy
    # Fail, served by pods that are about to vanish) are still registered.
    kube.core.create_namespaced_config_map(namespace, {"metadata": {"name": "ordinary"}, "data": {"k": "v"}})
    kube.create(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "ordinary"},
            "spec": {"ports": [{"port": 80}], "selector": {"app": "none"}},
        },
    )
    assert kube.core.read_namespaced_config_map("ordinary", namespace).data == {"k": "v"}

    for killed in run_ids:  # every attempt's leftovers (namespaces, pods, configurations) go too
        assert main(["sweep", "--run-id", killed]) == 0
    assert "removing ValidatingWebhookConfiguration/" in capsys.readouterr().out
    assert _webhook_configs(kube, run_id) == []
