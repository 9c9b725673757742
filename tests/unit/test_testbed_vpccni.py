"""The aws-node objects the VPC CNI bed applies: upstream's RBAC verbatim, upstream's env minus what the bed
cannot honour, the emulator's endpoints, the conflist filled in for the version, the calculator's max pods."""

from __future__ import annotations

import json

import pytest

from netconform.errors import InputError
from netconform.testbed import vpccni

pytestmark = pytest.mark.skipif(
    not vpccni.module_dir(vpccni.DEFAULT_VERSION).exists(),
    reason="amazon-vpc-cni-k8s not in the Go module cache (testbed/build.sh vpc-cni downloads it)",
)


def _env(objects: list[dict]) -> dict[str, object]:  # type: ignore[type-arg]
    ds = next(o for o in objects if o["kind"] == "DaemonSet")
    container = ds["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize("version", vpccni.VERSIONS)
def test_rbac_is_upstreams_and_env_is_upstreams_minus_the_policy_agent(version: str) -> None:
    upstream = vpccni.upstream_manifest(version)
    objects = vpccni.objects(vpccni.VpcCniOptions(version=version))
    role = next(o for o in objects if o["kind"] == "ClusterRole")
    assert role == next(d for d in upstream if d["kind"] == "ClusterRole")
    env = _env(objects)
    assert "NETWORK_POLICY_ENFORCING_MODE" not in env  # any value makes every pod dial a missing agent
    assert env["VPC_CNI_VERSION"] == version  # upstream's own value, kept
    assert env["AWS_EC2_ENDPOINT"] == "http://172.30.0.2:5000"
    assert env["KUBERNETES_SERVICE_HOST"] == "172.30.0.2"  # ipamd does not wait for kube-proxy
    assert env["ENABLE_PREFIX_DELEGATION"] == "false"
    assert "fieldRef" in str(env["MY_NODE_NAME"])
    ds = next(o for o in objects if o["kind"] == "DaemonSet")
    assert ds["spec"]["template"]["spec"]["hostNetwork"] is True
    assert (
        ds["spec"]["template"]["spec"]["containers"][0]["image"]
        == f"netconform.local/amazon-k8s-cni:{version}"
    )


def test_conflist_is_filled_in_and_parses() -> None:
    text = vpccni.conflist(vpccni.DEFAULT_VERSION)
    assert "__" not in text
    plugins = [p["type"] for p in json.loads(text)["plugins"]]
    assert plugins == ["aws-cni", "egress-cni", "portmap"]


def test_options_reach_the_env_and_the_kubelet() -> None:
    options = vpccni.VpcCniOptions(
        prefix_delegation=True, instance_type="t3.nano", env=(("WARM_IP_TARGET", "2"),)
    )
    env = _env(vpccni.objects(options))
    assert env["ENABLE_PREFIX_DELEGATION"] == "true"
    assert env["WARM_IP_TARGET"] == "2"
    # t3.nano: 2 ENIs x 2 IPs; secondary-IP mode 2 x (2 - 1) + 2 = 4, prefix mode 2 x (2 - 1) x 16 + 2 = 34
    assert vpccni.kubelet_max_pods(vpccni.VpcCniOptions(instance_type="t3.nano")) == 4
    assert vpccni.kubelet_max_pods(options) == 34
    assert (
        vpccni.kubelet_max_pods(vpccni.VpcCniOptions(instance_type="t3.small", env=(("MAX_ENI", "1"),))) == 5
    )


def test_bad_options_are_one_line() -> None:
    with pytest.raises(InputError, match=r"v1\.22\.4, v1\.23\.2"):
        vpccni.VpcCniOptions(version="v1.0.0")
    with pytest.raises(InputError, match="not an EC2 instance type"):
        vpccni.VpcCniOptions(instance_type="m99.huge")


def test_every_mount_has_its_volume_and_no_host_path_is_the_machines_own() -> None:
    ds = next(o for o in vpccni.objects(vpccni.VpcCniOptions()) if o["kind"] == "DaemonSet")
    spec = ds["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = spec["containers"][0]["volumeMounts"]
    assert {m["name"] for m in mounts} == set(volumes)
    writable = {
        v["hostPath"]["path"]
        for m in mounts
        if not m.get("readOnly") and "hostPath" in (v := volumes[m["name"]])
    }
    # Written by ipamd or the entrypoint: each is a node's private bind (vpccni.HOST_PATHS) or the bed's own
    # CNI bin dir, never a directory of the machine's.
    from netconform.testbed.paths import Layout

    assert writable == {str(p) for p in vpccni.HOST_PATHS} | {str(Layout.default().cni_bin_dir)}


def test_created_host_dirs_are_recorded_level_by_level(tmp_path: object) -> None:
    from pathlib import Path

    from netconform.testbed import nodes
    from netconform.testbed.paths import Layout

    base = Path(str(tmp_path))
    layout = Layout(state=base / "s", run=base / "r", lib=base / "l", etcd_data=base / "e", cache=base / "c")
    target = base / "etc" / "cni" / "net.d"
    nodes._ensure_host_dirs(layout, (target,))
    assert target.is_dir()
    nodes.remove_created_host_dirs(layout)
    assert not (base / "etc").exists()  # /etc/cni is removed too, not only /etc/cni/net.d


@pytest.mark.parametrize(
    ("version", "addr"), [("v1.22.4", ":50051"), ("v1.23.2", "unix:///var/run/aws-node/ipamd.sock")]
)
def test_the_entrypoint_waits_on_the_address_upstreams_probe_asks(version: str, addr: str) -> None:
    assert _env(vpccni.objects(vpccni.VpcCniOptions(version=version)))[vpccni.HEALTH_ADDR_ENV] == addr
