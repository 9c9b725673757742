"""The hardened bed's policies, as data: the webhook's verdicts, what the namespace controller generates, and
the PodSecurity configuration the API server reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from netconform.adapters.kube import manifests, pod_defaults
from netconform.core.admission import Admitter, Denial, classify
from netconform.testbed import hardened, namespace_policies, policy_webhook
from netconform.testbed.paths import Layout

IMAGES = manifests.ImageSettings("netconform.local/probe:2.63.0", "Never")


def admission_review(pod: dict) -> dict:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "object": pod},
    }


def test_the_webhook_denies_a_container_without_requests_naming_the_rule() -> None:
    pod = manifests.client_pod("c", {}, IMAGES)
    del pod["spec"]["containers"][0]["resources"]
    answer = policy_webhook.review(admission_review(pod))["response"]
    assert answer["uid"] == "u-1"
    assert answer["allowed"] is False
    message = answer["status"]["message"]
    assert message == (
        '[require-requests] container "client" has no resources.requests.cpu/memory: every container must '
        "request cpu and memory"
    )
    # What the API server makes of it is what the harness recognises: the webhook named, not RBAC.
    denial = classify(403, f'admission webhook "{policy_webhook.WEBHOOK_NAME}" denied the request: {message}')
    assert denial == Denial(Admitter.WEBHOOK, policy_webhook.WEBHOOK_NAME, message)


def test_the_webhook_admits_the_harness_pods_once_defaulted() -> None:
    pod = pod_defaults.apply(manifests.http_pod("h", {}, IMAGES), pod_defaults.PodDefaults())
    assert policy_webhook.review(admission_review(pod))["response"] == {"uid": "u-1", "allowed": True}


def test_an_init_container_without_a_memory_request_is_denied() -> None:
    pod = manifests.client_pod("c", {}, IMAGES)
    pod["spec"]["initContainers"] = [{"name": "init", "resources": {"requests": {"cpu": "1m"}}}]
    answer = policy_webhook.review(admission_review(pod))["response"]
    assert 'container "init" has no resources.requests.memory' in answer["status"]["message"]


def test_every_new_namespace_gets_quota_limits_and_default_deny() -> None:
    made = namespace_policies.objects_for("nc-1", {"netconform.io/owner": "netconform"})
    assert [o["kind"] for o in made] == ["ResourceQuota", "LimitRange", "NetworkPolicy"]
    assert made[2]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert all(o["metadata"]["namespace"] == "nc-1" for o in made)
    # No defaults in the LimitRange: nothing fills in what a pod leaves out, so the webhook still sees it.
    assert set(made[1]["spec"]["limits"][0]) == {"type", "max"}


def test_system_namespaces_get_nothing_and_the_exclusion_spares_only_the_network_policy() -> None:
    for name in ("kube-system", "kube-public", "kube-node-lease", "default"):
        assert namespace_policies.objects_for(name, {}) == []
    labels = {"netconform.io/owner": "netconform"}
    spared = namespace_policies.objects_for("nc-1", labels, "netconform.io/owner=netconform")
    assert [o["kind"] for o in spared] == ["ResourceQuota", "LimitRange"]
    other = namespace_policies.objects_for("team-a", {}, "netconform.io/owner=netconform")
    assert [o["kind"] for o in other] == ["ResourceQuota", "LimitRange", "NetworkPolicy"]


def test_pod_security_enforces_restricted_everywhere_but_kube_system(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "state", tmp_path / "run", tmp_path / "lib", tmp_path / "etcd", tmp_path)
    layout.config.mkdir(parents=True)
    (flag,) = hardened.apiserver_flags(layout)
    path = Path(flag.split("=", 1)[1])
    config = yaml.safe_load(path.read_text())["plugins"][0]
    assert config["name"] == "PodSecurity"
    assert config["configuration"]["defaults"]["enforce"] == "restricted"
    assert config["configuration"]["exemptions"]["namespaces"] == ["kube-system"]


def test_the_webhook_is_fail_closed_on_pod_creation_outside_kube_system() -> None:
    (webhook,) = hardened.webhook_configuration(b"CA")["webhooks"]
    assert webhook["failurePolicy"] == "Fail"
    assert webhook["rules"][0]["resources"] == ["pods"]
    assert webhook["clientConfig"]["url"] == "https://172.30.0.2:9443/validate"


def test_the_special_nodes_are_what_placement_must_avoid() -> None:
    reasons = {
        n["metadata"]["name"]: pod_defaults.excluded_reason(n["metadata"]["labels"])
        for n in hardened.special_node_manifests()
    }
    assert reasons == {
        "kwok-windows-0": "Windows",
        "kwok-fargate-0": "Fargate",
        "kwok-virtual-0": "virtual-kubelet",
    }
