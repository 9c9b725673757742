"""v1.22.4 -> v1.23.2 as a real rolling update of the aws-node DaemonSet, between two suite runs: pods keep
their addresses, `netconform diff` of the two runs finds no regression, and `preflight --in-cluster` reads the
real aws-node's env and finds drift planted on it.

Needs the bed brought up with --vpc-cni-version v1.22.4 (skipped otherwise). The AWS side of the preflight is
moto plus botocore's Stubber, as in tests/aws. Reproduce: kubectl -n kube-system rollout status ds/aws-node;
netconform diff before.xml after.xml"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from child_pytest import REPO, run_pytest
from vpc_bed import POD_READY_S, kubectl, probe_pod

from netconform import cli
from netconform.commands import preflight
from netconform.testbed import addresses as a
from netconform.testbed import vpccni

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from aws_world import ENV_SCHEMA, AwsWorld, fake_credentials, moto, moto_url, world

__all__ = ["fake_credentials", "moto", "moto_url", "world"]
FROM, TO = "v1.22.4", "v1.23.2"
SUITE = ("suites/smoke/test_connectivity.py", "-k", "across or cluster_ip or fqdn")
ROLLOUT_S = 420


def _suite(junit: Path) -> int:
    done = run_pytest(REPO, "-q", f"--junitxml={junit}", *SUITE, cluster=True)
    print(done.stdout[-1500:])
    return done.returncode


def _aws_node_images() -> set[str]:
    pods = json.loads(kubectl("-n", "kube-system", "get", "pods", "-l", "k8s-app=aws-node", "-o", "json"))
    return {c["image"] for p in pods["items"] for c in p["spec"]["containers"]}


def _ips(namespace: str) -> dict[str, str]:
    pods = json.loads(kubectl("-n", namespace, "get", "pods", "-o", "json"))["items"]
    return {p["metadata"]["name"]: p["status"].get("podIP", "") for p in pods}


def test_rolling_update_keeps_pod_ips_and_the_runs_agree(
    vpc_cni_bed: vpccni.VpcCniOptions, namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if vpc_cni_bed.version != FROM:
        pytest.skip(f"the bed runs {vpc_cni_bed.version}; the upgrade starts from {FROM}")
    names = {"up-1": a.node(1).name, **{f"up-2-{i}": a.node(2).name for i in range(4)}}
    manifest = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [probe_pod(n, node) for n, node in names.items()],
    }
    kubectl_in = ["kubectl", "-n", namespace, "apply", "-f", "-"]
    subprocess.run(kubectl_in, input=json.dumps(manifest), text=True, check=True)
    kubectl("-n", namespace, "wait", "--for=condition=Ready", "pod", "--all", f"--timeout={POD_READY_S}s")
    before_ips = _ips(namespace)
    before, after = tmp_path / "before.xml", tmp_path / "after.xml"
    assert _suite(before) == 0

    # The upgrade: upstream's v1.23.2 objects (env, probes, RBAC) applied over v1.22.4's; the DaemonSet's own
    # RollingUpdate strategy replaces aws-node node by node.
    target = vpccni.VpcCniOptions(
        version=TO, prefix_delegation=vpc_cni_bed.prefix_delegation, instance_type=vpc_cni_bed.instance_type
    )
    docs = [d for d in vpccni.objects(target) if d["kind"] != "CustomResourceDefinition"]
    upgrade = ["kubectl", "apply", "--server-side", "--force-conflicts", "-f", "-"]
    subprocess.run(
        upgrade, input=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}), text=True, check=True
    )
    kubectl(
        "-n",
        "kube-system",
        "rollout",
        "status",
        "ds/aws-node",
        f"--timeout={ROLLOUT_S}s",
        timeout=ROLLOUT_S + 30,
    )
    assert _aws_node_images() == {target.image}

    assert _ips(namespace) == before_ips  # no pod lost or changed its address across ipamd's restart
    subprocess.run(
        ["kubectl", "-n", namespace, "apply", "-f", "-"],
        input=json.dumps(probe_pod("up-new", a.node(2).name)),
        text=True,
        check=True,
    )
    kubectl("-n", namespace, "wait", "--for=condition=Ready", "pod/up-new", f"--timeout={POD_READY_S}s")
    assert _suite(after) == 0
    capsys.readouterr()
    code = cli.main(["diff", str(before), str(after)])
    out = capsys.readouterr().out
    print(out)
    assert code == 0, out


def test_preflight_in_cluster_reads_the_real_aws_node_and_finds_planted_drift(
    world: AwsWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The add-on's configuration says WARM_IP_TARGET=5; someone ran `kubectl set env` on the real aws-node.
    kubectl("-n", "kube-system", "set", "env", "ds/aws-node", "WARM_IP_TARGET=10")
    try:
        world.subnet("a", "10.0.1.0/24")
        world.cluster(version="1.31")
        world.nodegroup("ng-1", ["t3.small"])
        world.addon("v1.22.4-eksbuild.1", config='{"env":{"WARM_IP_TARGET":"5"}}')
        world.versions("1.31", ["v1.22.4-eksbuild.1", "v1.23.2-eksbuild.1"], default="v1.22.4-eksbuild.1")
        world.schema("v1.23.2-eksbuild.1", ENV_SCHEMA)
        monkeypatch.setattr(preflight, "make_clients", lambda region, profile: world.clients)
        code = cli.main(
            ["preflight", "--cluster", "demo", "--target-version", "v1.23.2-eksbuild.1", "--in-cluster"]
        )
        out, err = capsys.readouterr()
    finally:
        kubectl("-n", "kube-system", "set", "env", "ds/aws-node", "WARM_IP_TARGET-")
    print(out)
    assert code == 0, out + err  # drift is a warning, not a blocker
    drift = [line for line in out.splitlines() if "[AWS_NODE_ENV_DRIFT]" in line]
    assert drift, out
    assert "WARM_IP_TARGET" in "\n".join(drift) or "WARM_IP_TARGET" in out
    assert "10" in out
