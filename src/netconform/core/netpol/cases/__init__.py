"""The NetworkPolicy conformance catalog (data) and the pure machinery around it (tables, verdicts)."""

from netconform.core.netpol.cases.catalog import CASES, by_id
from netconform.core.netpol.cases.model import (
    Case,
    Cidr,
    NsName,
    Step,
    StepState,
    TargetMode,
    World,
    expected_tables,
    resolve,
    states,
    with_dns_egress,
)

__all__ = [
    "CASES",
    "Case",
    "Cidr",
    "NsName",
    "Step",
    "StepState",
    "TargetMode",
    "World",
    "by_id",
    "expected_tables",
    "resolve",
    "states",
    "with_dns_egress",
]
