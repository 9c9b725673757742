"""The density fill against the real ipamd: with the kubelet's max-pods above the ENI math, the fill reaches
exactly the calculator's ceiling for the emulated type (and mode: secondary IPs, MAX_ENI, prefixes), and the
next pod stays ContainerCreating with ipamd's own "failed to assign an IP address" error, which the verdict
quotes.

Reproduce: netconform testbed up --cni vpc-cni --instance-type t3.micro; kubectl describe pod <the extra>"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from child_pytest import REPO, run_pytest
from vpc_bed import kubectl

from netconform.adapters.junit import load_run
from netconform.core.density.maxpods import DensityOptions, max_pods
from netconform.core.instance_types import bundled_limits
from netconform.core.run.outcomes import Outcome
from netconform.testbed import addresses as a
from netconform.testbed import lifecycle, vpccni

ABOVE = 6  # the kubelet's max-pods this far above the ENI math: the IP ceiling, not the scheduler, binds


def _calculator(options: vpccni.VpcCniOptions) -> int:
    max_eni = next((int(v) for k, v in options.env if k == "MAX_ENI"), None)
    density = DensityOptions(prefix_delegation=options.prefix_delegation, max_eni=max_eni, uncapped=True)
    return max_pods(bundled_limits()[options.instance_type], density).value


def _wait_node_2_without_pod_ips(bound_s: float = 180) -> None:
    """Other modules' pods (their namespaces deleted without waiting) leave node 2 first: the fill counts
    what is there when it starts."""
    deadline = time.monotonic() + bound_s
    while True:
        pods = json.loads(
            kubectl("get", "pods", "-A", "--field-selector", f"spec.nodeName={a.node(2).name}", "-o", "json")
        )["items"]
        left = [p["metadata"]["name"] for p in pods if not p["spec"].get("hostNetwork")]
        if not left:
            return
        assert time.monotonic() < deadline, f"pods still on node 2 after {bound_s:.0f} s: {left}"
        time.sleep(3)


@pytest.fixture
def raised_max_pods(vpc_cni_bed: vpccni.VpcCniOptions) -> Iterator[int]:
    _wait_node_2_without_pod_ips()
    ceiling = _calculator(vpc_cni_bed)
    lifecycle.set_max_pods(ceiling + ABOVE)
    try:
        yield ceiling
    finally:
        lifecycle.set_max_pods(vpccni.kubelet_max_pods(vpc_cni_bed))


def test_fill_reaches_the_eni_ceiling_and_the_next_pod_gets_ipamds_error(
    raised_max_pods: int, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = run_pytest(
        REPO,
        "-q",
        f"--junitxml={junit}",
        "suites/density/test_fill.py",
        "--run-disruptive",
        f"--fill-node={a.node(2).name}",
        "-rA",
        cluster=True,
    )
    output = result.stdout + result.stderr
    run = load_run(junit)
    passed = [t for t, v in run.verdicts.items() if v.outcome is Outcome.PASSED]
    assert result.returncode == 0, output[-4000:]
    assert len(passed) == 1, output[-4000:]
    # the verdict's own words: the ENI math's ceiling, and ipamd's message for the pod beyond it
    assert f"= {raised_max_pods})" in output, output[-3000:]
    assert f"pod {raised_max_pods + 1} (fill-extra) stays ContainerCreating, no IP from the CNI" in output
    assert "failed to assign an IP address to container" in output, output[-3000:]
    print(json.dumps({"ceiling": raised_max_pods, "kubelet_max_pods": raised_max_pods + ABOVE}))
    print("\n".join(line for line in output.splitlines() if "advertises" in line or "stays" in line))
