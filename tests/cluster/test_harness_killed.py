"""Issue 5's safety proof: the harness is killed outright (SIGKILL, no teardown at all) while its admission
webhooks are registered, and the cluster still accepts ordinary requests; `netconform sweep` then removes
what the dead run left. (SIGINT/SIGTERM, where teardown does run, are the chaos test's subject.)"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.cli import main

REPO = Path(__file__).resolve().parents[2]
WEBHOOK_REGISTERED = Bound(
    "the harness to register its webhook configurations", timeout_s=240, interval_s=0.5
)


def _webhook_configs(kube: KubeCluster, run_id: str) -> list[str]:
    selector = labels.run_selector(run_id)
    validating = kube.admission.list_validating_webhook_configuration(label_selector=selector).items
    mutating = kube.admission.list_mutating_webhook_configuration(label_selector=selector).items
    return [c.metadata.name for c in (*validating, *mutating)]


def test_a_killed_harness_blocks_nothing_and_sweep_cleans_up(
    kube: KubeCluster, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = f"killed{secrets.token_hex(3)}"
    command = [
        str(REPO / ".venv/bin/pytest"),
        "-p",
        "no:cacheprovider",
        "-q",
        "--run-id",
        run_id,
        "suites/apiserver/test_webhooks.py",
    ]
    harness = subprocess.Popen(
        command,
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def registered() -> list[str]:
            if harness.poll() is not None:
                raise AssertionError(
                    f"the harness ended (exit {harness.returncode}) before registering a webhook"
                )
            names = _webhook_configs(kube, run_id)
            if not names:
                raise NotYet("no webhook configuration yet")
            return names

        wait_until(WEBHOOK_REGISTERED, registered)
    finally:
        os.killpg(harness.pid, signal.SIGKILL)  # no finalizer, no signal handler: the worst case
        harness.wait(timeout=30)

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

    assert main(["sweep", "--run-id", run_id]) == 0
    assert "removing ValidatingWebhookConfiguration/" in capsys.readouterr().out
    assert _webhook_configs(kube, run_id) == []
