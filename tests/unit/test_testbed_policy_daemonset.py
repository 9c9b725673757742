"""kube-router as a DaemonSet on the VPC CNI bed: the host process's flags, nothing of the machine's own
mounted read-write, and detection reads it as the policy engine beside the VPC CNI."""

from __future__ import annotations

from pathlib import Path

from netconform.core.cluster_objects import facts_from_objects
from netconform.core.profiles import ProfileName, detect_profile
from netconform.testbed import policy_daemonset
from netconform.testbed.paths import Layout

AWS_NODE = {
    "metadata": {"name": "aws-node", "namespace": "kube-system"},
    "spec": {
        "template": {"spec": {"containers": [{"name": "aws-node", "image": "x/amazon-k8s-cni:v1.23.2"}]}}
    },
    "status": {"desiredNumberScheduled": 2, "numberReady": 2},
}


def test_flags_are_the_host_processes_with_the_firewall_only() -> None:
    args = policy_daemonset.args()
    assert "--run-firewall=true" in args
    assert "--run-router=false" in args
    assert "--run-service-proxy=false" in args
    assert "--hostname-override=$(NODE_NAME)" in args  # expanded by the kubelet from the downward API


def test_mounts_match_volumes_and_only_the_kubeconfig_is_the_beds() -> None:
    ds = policy_daemonset.daemonset(Layout.default())
    spec = ds["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = spec["containers"][0]["volumeMounts"]
    assert {m["name"] for m in mounts} == set(volumes)
    assert all(m.get("readOnly") for m in mounts)
    assert volumes["kubeconfig"]["hostPath"]["path"].startswith(str(Layout.default().pki))


def test_detection_names_it_the_policy_engine_beside_the_vpc_cni() -> None:
    router = {**policy_daemonset.daemonset(Layout.default()), "status": {"desiredNumberScheduled": 2}}
    facts = facts_from_objects(
        daemonsets=[AWS_NODE, router], installations=[], ip_pools=[], vpc_cni_configmap=None
    )
    found = detect_profile(facts)
    assert found.profile.name is ProfileName.VPC_CNI_POLICY_ENGINE
    assert found.policy_engine == "kube-system/kube-router (kube-router, --run-firewall)"


def test_image_holds_the_binary_and_the_node_usr_links(tmp_path: Path) -> None:
    spec = policy_daemonset.image_spec(tmp_path / "kube-router")
    assert spec.files == {"kube-router": tmp_path / "kube-router"}
    assert spec.entrypoint == ("/kube-router",)
