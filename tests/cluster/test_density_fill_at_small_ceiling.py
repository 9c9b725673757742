"""Issue 6: with the kubelet's maxPods at 16, the fill test finds exactly that ceiling and the next pod's
Pending reason ("Too many pods")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runs import run_suite

from netconform.core.run.outcomes import Outcome
from netconform.testbed import lifecycle
from netconform.testbed.components import MAX_PODS

SMALL_CEILING = 16


@pytest.fixture
def small_ceiling() -> Iterator[int]:
    lifecycle.set_max_pods(SMALL_CEILING)
    try:
        yield SMALL_CEILING
    finally:
        lifecycle.set_max_pods(MAX_PODS)


def test_fill_finds_the_kubelet_ceiling(small_ceiling: int, tmp_path: Path) -> None:
    result = run_suite(tmp_path / "junit.xml", "suites/density/test_fill.py", "--run-disruptive", "-rA")
    assert result.returncode == 0, result.output[-4000:]
    assert result.outcomes(Outcome.FAILED) == []
    assert len(result.outcomes(Outcome.PASSED)) == 1
    assert "Too many pods" in result.output, result.output[-3000:]
    assert f"{small_ceiling}" in result.output
