"""aws-emu: an emulated EC2 (moto server with the fidelity patches ipamd needs) and instance-metadata service
served from moto's live state, for running the real Amazon VPC CNI on the test bed (issue 16).

moto is pinned in requirements.lock (a dev extra); `patches` reaches into its private API and is tested per
patch in tests/unit/awsemu, so a lock bump that breaks one fails there first."""

from __future__ import annotations

import ipaddress

from netconform.testbed import addresses

# The emulated VPC. 192.168.0.0/16 is eksctl's default and overlaps nothing else in testbed/addresses.py
# (10.244/16, 10.96/16, 10.250/16, 172.30.0.0/30, 172.30.1.0/30) nor the machine (192.0.2.0/24); it is in
# addresses.GUARDED_RANGES and the root namespace's sink.
VPC_CIDR = addresses.VPC_CIDR
NODE_SUBNET_CIDR = ipaddress.IPv4Network("192.168.32.0/19")
REGION = "us-west-2"
ZONE = "us-west-2a"
ACCOUNT = "123456789012"  # moto's default account
