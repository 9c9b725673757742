"""The harness on a cluster with production defaults: PodSecurity restricted, a policy webhook, a tainted
node, Windows/Fargate/virtual nodes, quota, LimitRange and a generated default-deny. It copes, or stops with
one line naming the cause and the fix; nothing is left behind."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from child_pytest import run_pytest
from generate_rule import EXCLUDE, set_exclusion

from netconform.adapters.kube import labels, manifests, pod_defaults
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import AdmissionDenied, call
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.checks.connectivity.baseline import node_views
from netconform.core.connectivity.spread import unusable_reasons, usable_nodes
from netconform.core.truthtable import Protocol
from netconform.errors import RunExitCode
from netconform.testbed import addresses as a
from netconform.testbed import policy_webhook
from tests.cluster.test_bad_input_cluster import assert_nothing_left, assert_one_line, run_suite

REPO = Path(__file__).resolve().parents[2]
FIRST, LAST = a.nodes(2)[0].name, a.nodes(2)[1].name  # the bed taints the last of its two nodes
SPECIAL = {"kwok-windows-0", "kwok-fargate-0", "kwok-virtual-0"}


def test_the_harness_pods_run_under_restricted_quota_and_the_policy_webhook(
    kube: KubeCluster, namespace: str, images: manifests.ImageSettings
) -> None:
    kube.create(namespace, manifests.netexec_server_pod("s", {"app": "s"}, images, [80], [Protocol.TCP]))
    kube.create(namespace, manifests.client_pod("c", {"app": "c"}, images))
    kube.create(namespace, manifests.http_pod("host", {"app": "h"}, images, 21999, host_network=True))
    server, client, host = kube.wait_pods_ready(namespace, ["s", "c", "host"])
    # Port 80 served without root, and reached from a pod that runs as nobody. (agnhost connect, not busybox
    # wget: that wget segfaulted in a client pod on the hardened bed, 2026-12-02, for port 8080 as well.)
    command = f"id -u && /agnhost connect {server.ip}:80 --timeout=5s && echo connected"
    answer = kube.exec(namespace, "c", ["/bin/sh", "-c", command])
    policies = [p.metadata.name for p in kube.networking.list_namespaced_network_policy(namespace).items]
    assert answer.stdout.split() == [str(pod_defaults.NON_ROOT_UID), "connected"], (answer, policies)
    # The hostNetwork pod's namespace allows it, and says why.
    ns = kube.core.read_namespace(namespace).metadata
    assert ns.labels[pod_defaults.PSA_ENFORCE] == "privileged"
    assert (ns.labels[pod_defaults.PSA_ENFORCE], ns.annotations[pod_defaults.PSA_REASON]) == (
        kube.privileged_namespaces[namespace]
    )
    assert "pod host uses hostNetwork" in ns.annotations[pod_defaults.PSA_REASON]
    assert {server.node, client.node, host.node} == {FIRST}


def test_nothing_lands_on_the_tainted_windows_fargate_or_virtual_nodes(
    kube: KubeCluster, namespace: str, images: manifests.ImageSettings
) -> None:
    names = [f"p{i}" for i in range(6)]
    for name in names:
        kube.create(namespace, manifests.client_pod(name, {"app": "spread"}, images))
    placed = {p.node for p in kube.wait_pods_ready(namespace, names)}
    assert placed == {FIRST}
    views = node_views(kube)
    assert [n.name for n in usable_nodes(views)] == [FIRST]
    reasons = unusable_reasons(views)
    assert "1 excluded: Windows: kwok-windows-0" in reasons, reasons
    assert "1 excluded: Fargate, cordoned or tainted: kwok-fargate-0" in reasons, reasons  # Fargate's taint
    assert "1 excluded: virtual-kubelet: kwok-virtual-0" in reasons, reasons
    assert f"1 cordoned or tainted: {LAST}" in reasons, reasons


def test_a_toleration_and_node_selector_let_pods_onto_the_tainted_node_when_told(
    kube: KubeCluster, namespace: str, images: manifests.ImageSettings
) -> None:
    told = KubeCluster(
        kube.api,
        pod_defaults.PodDefaults(
            {"kubernetes.io/hostname": LAST}, pod_defaults.tolerations_of(["netconform.io/dedicated"])
        ),
    )
    told.create(namespace, manifests.client_pod("t", {"app": "t"}, images))
    (pod,) = kube.wait_pods_ready(namespace, ["t"])
    assert pod.node == LAST
    assert [n.name for n in usable_nodes(node_views(told))] == [LAST]


def test_pod_security_and_limit_range_denials_are_named_not_rbac(kube: KubeCluster, namespace: str) -> None:
    privileged = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "x",
                    "securityContext": {"privileged": True},
                    # Within the LimitRange, which admits (or denies) before PodSecurity does.
                    "resources": {
                        "requests": {"cpu": "1m", "memory": "8Mi"},
                        "limits": {"cpu": "10m", "memory": "16Mi"},
                    },
                }
            ]
        },
    }
    with pytest.raises(AdmissionDenied) as denied:
        call(f"create pod {namespace}/root", lambda: kube.core.create_namespaced_pod(namespace, privileged))
    assert str(denied.value).startswith(
        f"admission denied: cannot create pod {namespace}/root — admission plugin PodSecurity "
        "(restricted:latest) denied it: "
    ), denied.value
    assert "privileged" in str(denied.value)
    # The namespace controller adds the LimitRange a moment after the namespace, as Kyverno would.
    wait_until(LIMIT_RANGE_GENERATED, lambda: _limit_range(kube, namespace))
    big = manifests.client_pod("big", {}, manifests.ImageSettings("x", "Never"))
    big["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "1m", "memory": "8Mi"},
        "limits": {"memory": "4Gi"},
    }
    with pytest.raises(AdmissionDenied) as limited:
        kube.create(namespace, big)
    assert "admission plugin LimitRanger denied it: maximum memory usage per Container is 1Gi" in str(
        limited.value
    )
    assert limited.value.run_exit_code == RunExitCode.ADMISSION_DENIED


LIMIT_RANGE_GENERATED = Bound("the generated LimitRange to appear", timeout_s=10, interval_s=0.5)


def _limit_range(kube: KubeCluster, namespace: str) -> None:
    if not kube.core.list_namespaced_limit_range(namespace).items:
        raise NotYet("no LimitRange yet")


def no_test_passed(output: str) -> bool:
    return re.search(r"\b\d+ passed\b", output) is None


@pytest.fixture
def storage_policy(kube: KubeCluster) -> Iterator[str]:
    """A second constraint of the bed's webhook (its parameter: ephemeral-storage too), for one child run."""
    run_id = f"h9deny{secrets.token_hex(3)}"
    # The bed's own configuration already trusts the webhook's CA: reuse its caBundle.
    bed = kube.admission.read_validating_webhook_configuration(policy_webhook.CONFIGURATION_NAME)
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": f"require-storage-{run_id}", "labels": labels.harness_labels(f"{run_id}x")},
        "webhooks": [
            {
                "name": "require-storage.testbed.netconform.io",
                "clientConfig": {
                    # A parameter in the path: the API server allows no query string in a webhook URL.
                    "url": f"https://{a.API_IP}:{policy_webhook.PORT}{policy_webhook.PATH}"
                    "/cpu,memory,ephemeral-storage",
                    "caBundle": bed.webhooks[0].client_config.ca_bundle,
                },
                "rules": [
                    {
                        "operations": ["CREATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                    }
                ],
                "namespaceSelector": {"matchLabels": {labels.RUN_ID: run_id}},
                "failurePolicy": "Fail",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "timeoutSeconds": 5,
            }
        ],
    }
    kube.admission.create_validating_webhook_configuration(webhook)
    yield run_id
    kube.admission.delete_validating_webhook_configuration(webhook["metadata"]["name"])


def test_a_denying_webhook_stops_the_run_with_its_name_and_message(
    kube: KubeCluster, storage_policy: str, tmp_path: Path
) -> None:
    code, output, _ = run_suite(tmp_path, "--run-id", storage_policy)
    assert code == RunExitCode.ADMISSION_DENIED != RunExitCode.FORBIDDEN, output
    assert_one_line(output, f"netconform: admission denied: cannot create pod nc-{storage_policy}")
    assert (
        'admission webhook "require-storage.testbed.netconform.io" denied it: [require-requests] container '
        '"client" has no resources.requests.ephemeral-storage'
    ) in output
    assert "RBAC" not in output
    assert no_test_passed(output), output
    assert_nothing_left(kube, storage_policy)


FOLDED_RUN = (
    "suites/netpol/test_networkpolicy.py",
    "suites/smoke/test_connectivity.py",
    "-k",
    "deny-all-ingress[pod-ip] or ns-selector-ingress[pod-ip] or ns-selector-ingress[service-dns] "
    "or test_pod_to_pod_tcp or test_service_by_fqdn",
)


def test_a_generated_default_deny_is_named_and_accounted_for(kube: KubeCluster) -> None:
    """The generate rule as it ships: its default-deny is named once, folded into the netpol suite's
    expected tables (which then agree with what kube-router enforces), and the smoke suite's namespace gets
    the harness's allow-all, so pod-to-pod and DNS still pass; nothing is left behind."""
    set_exclusion(None)  # the bed's generate rule as it ships: every new namespace
    run_id = f"h9fold{secrets.token_hex(3)}"
    try:
        done = run_pytest(
            REPO, "-q", "-s", "-p", "no:cacheprovider", "--run-id", run_id, *FOLDED_RUN, cluster=True
        )
    finally:
        set_exclusion(EXCLUDE)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    assert (
        "foreign NetworkPolicy in every new namespace: NetworkPolicy default-deny (all pods; ingress and "
        "egress denied) appeared in nc-"
    ) in output, output[-4000:]
    assert (
        "netpol model: foreign NetworkPolicies folded into every expected table: x: NetworkPolicy "
        "default-deny (all pods; ingress and egress denied); y: NetworkPolicy default-deny"
    ) in output, output[-4000:]
    assert re.search(r"\b5 passed\b", output), output[-4000:]
    assert_nothing_left(kube, run_id)
