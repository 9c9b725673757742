"""The hardened tier: the harness against `netconform testbed up --hardened` (testbed/hardened.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from generate_rule import EXCLUDE, set_exclusion

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session", autouse=True)
def hardened_bed_running() -> None:
    if not os.environ.get("NETCONFORM_TESTBED_HARDENED"):
        pytest.exit(
            "netconform: tests/cluster_hardened run against the hardened test bed; use `make test-cluster` "
            "(or `python -m netconform.testbed.session --hardened -- pytest tests/cluster_hardened`)",
            returncode=3,
        )


@pytest.fixture(scope="session", autouse=True)
def harness_namespaces_excluded(hardened_bed_running: None) -> Iterator[None]:
    """What the README tells a user to do: exclude the harness's namespaces from the generate rule (the test
    of the stop itself lifts it for its child run)."""
    set_exclusion(EXCLUDE)
    yield
    set_exclusion(
        None
    )  # the bed's rule as it ships (scripts/cluster-tier-hardened.sh sets it again for smoke)
