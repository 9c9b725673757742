"""Pod density ceilings: what the ENI math expects against what every node advertises.

Read-only. On VPC CNI clusters a node advertising more pods than its ENIs can address, or still the
secondary-IP value after prefix delegation was enabled, fails with the explanation and the derivation.
Nodes that are not EC2 instance types, and clusters whose CNI does not take pod IPs from ENIs, are
reported with "advertised is the ceiling"; when that is every node, nothing was judged and the test skips
with the reason (never a pass on the profile's word). (The test bed detects as generic: run with
``--profile vpc-cni`` to judge its KWOK nodes against the ENI math.)
"""

from __future__ import annotations

import pytest

from fixtures.reporting import attach
from netconform.core.density.check import (
    CeilingVerdict,
    DensityContext,
    NodeVerdict,
    group_rows,
    mismatches,
    render_groups_html,
    render_groups_text,
    summary,
)

pytestmark = [pytest.mark.density, pytest.mark.readonly]
SHOWN = 20  # mismatches spelled out in the failure message; the attachment has the whole table


def test_every_node_advertises_its_expected_ceiling(
    density_verdicts: list[NodeVerdict], density_context: DensityContext
) -> None:
    assert density_verdicts, "the cluster has no nodes"
    rows = group_rows(density_verdicts)
    title = f"{summary(density_verdicts)} — {density_context.why}"
    attach("node groups", f"{title}\n\n{render_groups_text(rows)}")
    attach("node groups (html)", render_groups_html(rows, title), kind="html")
    derivations = sorted({v.expected.explain() for v in density_verdicts if v.expected is not None})
    attach("derivations", "\n".join(derivations) or "(no EC2 instance types)")
    if all(v.verdict is CeilingVerdict.ADVERTISED_IS_CEILING for v in density_verdicts):
        # No node was held to an expectation (no EC2 type, or pod IPs not from ENIs): not a pass.
        pytest.skip(
            f"no node judged: every one of the {len(density_verdicts)} nodes reports its advertised value as "
            f"its ceiling ({density_context.why}); pass --profile vpc-cni to hold EC2 nodes to the ENI math"
        )
    wrong = mismatches(density_verdicts)
    details = "\n".join(v.describe() for v in wrong[:SHOWN])
    more = f"\n(+{len(wrong) - SHOWN} more; see the 'node groups' attachment)" if len(wrong) > SHOWN else ""
    assert not wrong, (
        f"{len(wrong)} of {len(density_verdicts)} nodes advertise a pods ceiling the CNI cannot keep"
        f" ({density_context.why}):\n{details}{more}\n\n{render_groups_text(rows)}"
    )
