"""The cluster tier: the harness's own tests against the real local test bed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from netconform.testbed import lifecycle
from netconform.testbed.addresses import Topology

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session", autouse=True)
def testbed_running() -> None:
    if not os.environ.get("NETCONFORM_TESTBED"):
        pytest.exit(
            "netconform: tests/cluster run against the local test bed; use `make test-cluster` "
            "(or `python -m netconform.testbed.session -- pytest tests/cluster`)",
            returncode=3,
        )


@pytest.fixture
def topology() -> Callable[[Topology], AbstractContextManager[None]]:
    """Switch the running test bed's topology for the duration of a ``with`` block."""

    @contextmanager
    def switched(target: Topology) -> Iterator[None]:
        before = lifecycle.status().topology or Topology.ROUTABLE
        lifecycle.set_topology(target)
        try:
            yield
        finally:
            lifecycle.set_topology(before)

    return switched
