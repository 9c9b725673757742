"""The real Amazon VPC CNI on the bed: pods hold addresses of ENIs ipamd created and attached in EC2, pods
reach each other across ENIs and nodes and reach Services and DNS, the kubelet advertises the calculator's
ceiling, `netconform detect` names the VPC CNI from the real DaemonSet, and ipamd's SNAT rules live only in
the nodes' namespaces.

Reproduce: netconform testbed up --cni vpc-cni; kubectl get pods -o wide -A;
kubectl -n kube-system logs ds/aws-node"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from vpc_bed import POD_READY_S, kubectl, probe_pod

from netconform.cli import main
from netconform.core.density.maxpods import DensityOptions, max_pods
from netconform.core.instance_types import bundled_limits
from netconform.testbed import addresses as a
from netconform.testbed import vpccni
from netconform.testbed.paths import Layout

PODS_ON_NODE_2 = 5  # more than the primary ENI's 3 secondary IPs on a t3.small: some sit on a secondary ENI


@pytest.fixture(scope="module")
def pods(namespace: str, vpc_cni_bed: vpccni.VpcCniOptions) -> dict[str, dict[str, Any]]:
    # one more than the primary ENI holds (so one lands on a secondary ENI), within the node's pod IPs
    count = min(PODS_ON_NODE_2, vpccni.kubelet_max_pods(vpc_cni_bed) - 2)
    names = {"n1-a": a.node(1).name, **{f"n2-{i}": a.node(2).name for i in range(count)}}
    manifest = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [probe_pod(n, node) for n, node in names.items()],
    }
    subprocess.run(
        ["kubectl", "-n", namespace, "apply", "-f", "-"], input=json.dumps(manifest), text=True, check=True
    )
    kubectl("-n", namespace, "wait", "--for=condition=Ready", "pod", "--all", f"--timeout={POD_READY_S}s")
    listed = json.loads(kubectl("-n", namespace, "get", "pods", "-o", "json"))["items"]
    return {p["metadata"]["name"]: p for p in listed}


def _enis_by_ip(ec2: Any) -> dict[str, dict[str, Any]]:
    found = {}
    for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]:
        for address in eni["PrivateIpAddresses"]:
            found[address["PrivateIpAddress"]] = eni
    return found


def test_pods_hold_addresses_of_enis_attached_to_their_node(
    ec2: Any, pods: dict[str, dict[str, Any]]
) -> None:
    enis = _enis_by_ip(ec2)
    world = json.loads(vpccni.world_file(Layout.default()).read_text())
    instances = {name: node["instance_id"] for name, node in world["nodes"].items()}
    secondary_eni_pods = []
    for name, pod in pods.items():
        ip = pod["status"]["podIP"]
        assert ip in enis, f"{name}: {ip} is no ENI address in EC2"
        eni = enis[ip]
        instance_id = instances[pod["spec"]["nodeName"]]
        assert eni["Attachment"]["InstanceId"] == instance_id, f"{name}: {ip} on {eni['NetworkInterfaceId']}"
        assert ip != eni["PrivateIpAddress"], f"{name} holds the ENI's primary address"
        if eni["Attachment"]["DeviceIndex"] > 0:
            secondary_eni_pods.append(name)
            # ipamd created it: its tags name the node's instance (pkg/awsutils)
            tags = {t["Key"]: t["Value"] for t in eni.get("TagSet", [])}
            assert tags.get("node.k8s.amazonaws.com/instance_id") == instance_id, tags
    assert secondary_eni_pods, "no pod got an address of a secondary ENI"


def test_pod_to_pod_across_enis_and_nodes_and_to_dns(namespace: str, pods: dict[str, dict[str, Any]]) -> None:
    targets = [p["status"]["podIP"] for n, p in pods.items() if n != "n1-a"]
    for ip in targets:
        got = kubectl(
            "-n",
            namespace,
            "exec",
            "n1-a",
            "--",
            "timeout",
            "5",
            "wget",
            "-qO-",
            f"http://{ip}:8080/clientip",
        )
        # Inside the VPC the source is kept (no SNAT): the client pod's own address arrives.
        assert got.split(":")[0] == pods["n1-a"]["status"]["podIP"], got
    answer = kubectl(
        "-n", namespace, "exec", "n2-0", "--", "nslookup", "kubernetes.default.svc.cluster.local"
    )
    assert str(a.API_SERVICE_IP) in answer


def test_kubelet_advertises_the_calculators_ceiling(vpc_cni_bed: vpccni.VpcCniOptions) -> None:
    max_eni = next((int(v) for k, v in vpc_cni_bed.env if k == "MAX_ENI"), None)
    expected = max_pods(
        bundled_limits()[vpc_cni_bed.instance_type],
        DensityOptions(prefix_delegation=vpc_cni_bed.prefix_delegation, max_eni=max_eni),
    ).value
    for node in json.loads(kubectl("get", "nodes", "-o", "json"))["items"]:
        assert node["status"]["capacity"]["pods"] == str(expected)
        assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == vpc_cni_bed.instance_type
        assert not node["spec"].get("podCIDR")  # as on EKS: pods take VPC addresses
        internal = next(x["address"] for x in node["status"]["addresses"] if x["type"] == "InternalIP")
        index = a.node_named(node["metadata"]["name"]).index
        assert internal == str(vpccni.node_ips(Layout.default())[index])  # the primary ENI's address


def test_detect_names_the_vpc_cni_from_the_real_daemonset(
    vpc_cni_bed: vpccni.VpcCniOptions, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["detect", "--output", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # networking: the real aws-node; policy: kube-router's DaemonSet, named apart
    assert report["profile"] == "vpc-cni-policy-engine", report
    assert report["prefix_delegation"] is vpc_cni_bed.prefix_delegation
    assert report["policy_engine"] == "kube-system/kube-router (kube-router, --run-firewall)"
    # The image the DaemonSet runs now: after tests/vpccni/test_upgrade.py that is v1.23.2, not the bed's own.
    image = "jsonpath={.spec.template.spec.containers[?(@.name=='aws-node')].image}"
    running = kubectl("-n", "kube-system", "get", "ds/aws-node", "-o", image).strip()
    assert running.startswith("netconform.local/amazon-k8s-cni:v1."), running
    assert any("kube-system/aws-node" in line and running in line for line in report["evidence"]), report
    if vpc_cni_bed.prefix_delegation:
        assert "kube-system/aws-node: ENABLE_PREFIX_DELEGATION=true" in report["evidence"]


def test_snat_rules_only_in_node_namespaces(pods: dict[str, dict[str, Any]]) -> None:
    root = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout
    assert "AWS-SNAT-CHAIN" not in root
    assert "AWS-CONNMARK" not in root
    root_nft = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, check=False).stdout
    assert "aws-cni" not in root_nft
    # The machine's only route to the VPC is the sink: nothing addressed there follows the default route out.
    root_routes = subprocess.run(
        ["ip", "route", "show", str(a.VPC_CIDR)], capture_output=True, text=True, check=True
    ).stdout
    assert f"dev {a.SINK_BRIDGE}" in root_routes, root_routes
    # ipamd's policy routing (rule 1024 fwmark 0x80, "from <ENI IP> lookup <N>", per-ENI tables) and its
    # MTU/route changes happen in the node namespaces; the machine keeps its three default rules.
    root_rules = _lines(["ip", "rule", "show"])
    assert [r.split(":", 1)[1].split() for r in root_rules] == [
        ["from", "all", "lookup", "local"],
        ["from", "all", "lookup", "main"],
        ["from", "all", "lookup", "default"],
    ], root_rules
    root_tables = _lines(["ip", "route", "show", "table", "all"])
    assert not [r for r in root_tables if " table " in r and r.split(" table ")[1].split()[0].isdigit()]
    assert not [r for r in root_tables if " dev eni" in r], "pod veths of ipamd's in the root namespace"
    for index, ip in vpccni.node_ips(Layout.default()).items():
        netns = a.node(index).netns
        inside = subprocess.run(
            ["ip", "netns", "exec", netns, "iptables-save", "-t", "nat"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"--to-source {ip}" in inside, f"{netns}: no SNAT to the primary ENI address {ip}"
        # the VPC itself is exempt, as on EKS: pod-to-pod keeps the source
        assert f"-d {a.VPC_CIDR}" in inside, inside
        rules = _lines(["ip", "-n", netns, "rule", "show"])
        assert any("fwmark 0x80/0x80 lookup main" in r for r in rules), rules


def _lines(argv: list[str]) -> list[str]:
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]
