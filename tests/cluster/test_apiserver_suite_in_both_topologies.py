"""suites/apiserver against both control-plane topologies: its verdicts must match the world it is in.

routable + profile vpc-cni: every path reachable. isolated + profile calico-overlay: pod-backed webhooks,
pods/proxy and APIService unreachable with a diagnosis; hostNetwork variants and the kubelet paths reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from suite_runs import run_suite

from netconform.core.run.outcomes import Outcome
from netconform.testbed.addresses import Topology


def test_routable_with_the_vpc_cni_profile(tmp_path: Path) -> None:
    result = run_suite(tmp_path / "junit.xml", "suites/apiserver", "--profile", "vpc-cni")
    assert result.returncode == 0, result.output[-4000:]
    assert result.outcomes(Outcome.FAILED) == [], result.output[-4000:]
    assert len(result.outcomes(Outcome.PASSED)) >= 10


def test_isolated_with_the_calico_overlay_profile(
    tmp_path: Path, topology: Callable[[Topology], AbstractContextManager[None]]
) -> None:
    with topology(Topology.ISOLATED):
        result = run_suite(tmp_path / "junit.xml", "suites/apiserver", "--profile", "calico-overlay")
    assert result.returncode == 0, result.output[-4000:]
    assert len(result.outcomes(Outcome.PASSED)) >= 10
    # The suite's summary states what it proved unreachable, in the API server's own words.
    assert "context deadline exceeded" in result.output or "i/o timeout" in result.output
