"""VPC CNI warm pool: the IPs each node holds, idle and at its ceiling, beside the ceiling.

Read-only. WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET and WARM_PREFIX_TARGET decide how many IPs
(or /28 prefixes) ipamd keeps attached; a node filled to its ceiling must not leave pods without an IP
(MINIMUM_IP_TARGET without WARM_IP_TARGET stops the pool from growing).
"""

from __future__ import annotations

import pytest

from fixtures.reporting import attach
from netconform.core.density.check import (
    NodeVerdict,
    render_warm_pool_text,
    starved_rows,
    warm_pool_rows,
)
from netconform.core.density.vpc_cni_config import VpcCniConfig
from netconform.core.instance_types import bundled_limits

pytestmark = [pytest.mark.density, pytest.mark.readonly]
ENV_COMMAND = (
    "kubectl -n kube-system get daemonset aws-node -o jsonpath='{.spec.template.spec.containers[0].env}'"
)


def test_warm_pool_serves_every_node_up_to_its_ceiling(
    vpc_cni: VpcCniConfig | None, density_verdicts: list[NodeVerdict]
) -> None:
    if vpc_cni is None:
        pytest.skip("no running aws-node DaemonSet: the warm pool is a VPC CNI setting")
    rows = warm_pool_rows(density_verdicts, vpc_cni, bundled_limits())
    if not rows:
        pytest.skip("no node has an EC2 instance type the bundled limits know")
    table = render_warm_pool_text(rows)
    attach("warm pool", f"{vpc_cni.describe()}\n\n{table}")
    starved = starved_rows(rows)
    assert not starved, (
        f"with {vpc_cni.describe()} nodes filled to their ceiling leave pods without an IP:\n"
        + "\n".join(starved)
        + f"\n\n{table}\n{ENV_COMMAND}"
    )
