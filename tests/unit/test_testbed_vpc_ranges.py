"""The emulated VPC's range is guarded like every other range of the bed and overlaps none of them."""

from __future__ import annotations

from netconform.testbed import addresses as a
from netconform.testbed.awsemu import NODE_SUBNET_CIDR, VPC_CIDR


def test_vpc_range_is_guarded_and_disjoint() -> None:
    assert VPC_CIDR in a.GUARDED_RANGES  # the guard drops it on the external interface
    assert NODE_SUBNET_CIDR.subnet_of(VPC_CIDR)
    for other in a.GUARDED_RANGES:
        if other != VPC_CIDR:
            assert not VPC_CIDR.overlaps(other), other
