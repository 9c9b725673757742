"""Labels on every object the harness creates: the sweep finds its objects by these, never by name prefix."""

from __future__ import annotations

RUN_ID = "netconform.io/run-id"
OWNER = "netconform.io/owner"
OWNER_VALUE = "netconform"
CREATED_AT = "netconform.io/created-at"  # an annotation: unix seconds, for `sweep --older-than`
BASE_NAME = "netconform.io/base-name"  # the model's name (x, y, z) of a generated namespace
TEST_ID = "netconform.io/test"  # annotation: the pytest node id that created the namespace
KEEP = "netconform.io/keep"  # on a namespace --keep-namespaces kept (value: failed|always): not swept at exit


def harness_labels(run_id: str) -> dict[str, str]:
    return {RUN_ID: run_id, OWNER: OWNER_VALUE}


def run_selector(run_id: str | None = None) -> str:
    """Label selector for the harness's objects (of one run, or of every run)."""
    return f"{OWNER}={OWNER_VALUE}" + (f",{RUN_ID}={run_id}" if run_id else "")
