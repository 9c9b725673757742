"""Prefix delegation against the real ipamd: pods on node 2 take addresses from /28 prefixes that ipamd asked
EC2 to assign to the node's ENIs, one prefix per 16 addresses, and more pods than one /28 holds spread over
more than one prefix.

Reproduce: netconform testbed up --cni vpc-cni --prefix-delegation --instance-type t3.micro;
aws ec2 describe-network-interfaces --filters Name=attachment.instance-id,Values=<node 2's instance>
(endpoint: aws-emu on 172.30.0.2:5000)"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from typing import Any

import pytest
from vpc_bed import POD_READY_S, kubectl, probe_pod

from netconform.testbed import addresses as a
from netconform.testbed import vpccni
from netconform.testbed.paths import Layout

PODS = 17  # one more than a /28 holds: a second prefix must be assigned


def test_pods_take_addresses_from_28_prefixes_assigned_in_ec2(
    ec2: Any, namespace: str, vpc_cni_bed: vpccni.VpcCniOptions
) -> None:
    if not vpc_cni_bed.prefix_delegation:
        pytest.skip("a prefix-delegation bed (--prefix-delegation)")
    count = min(PODS, vpccni.kubelet_max_pods(vpc_cni_bed) - 3)
    node = a.node(2).name
    items = [probe_pod(f"pfx-{i}", node) for i in range(count)]
    subprocess.run(
        ["kubectl", "-n", namespace, "apply", "-f", "-"],
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
        text=True,
        check=True,
    )
    kubectl("-n", namespace, "wait", "--for=condition=Ready", "pod", "--all", f"--timeout={POD_READY_S}s")
    pods = json.loads(kubectl("-n", namespace, "get", "pods", "-o", "json"))["items"]
    ips = {p["metadata"]["name"]: ipaddress.ip_address(p["status"]["podIP"]) for p in pods}

    instance = json.loads(vpccni.world_file(Layout.default()).read_text())["nodes"][node]["instance_id"]
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance]}]
    )["NetworkInterfaces"]
    prefixes = [ipaddress.ip_network(p["Ipv4Prefix"]) for e in enis for p in e.get("Ipv4Prefixes", [])]
    secondary = [p for e in enis for p in e["PrivateIpAddresses"] if not p.get("Primary")]
    print(
        f"{count} pods on {node}: EC2 holds prefixes {[str(p) for p in prefixes]},"
        f" {len(secondary)} secondary IPs"
    )

    assert prefixes, f"no prefix on {node}'s ENIs in EC2"
    assert all(p.prefixlen == 28 for p in prefixes), prefixes
    outside = {name: str(ip) for name, ip in ips.items() if not any(ip in p for p in prefixes)}
    assert not outside, f"pod addresses in no /28 prefix of {node}'s ENIs: {outside}"
    used = {p for p in prefixes if any(ip in p for ip in ips.values())}
    assert len(used) >= 2, f"{count} pods share {used}: more than 16 addresses need a second /28"
    assert not secondary, f"prefix mode assigned secondary IPs as well: {secondary}"
