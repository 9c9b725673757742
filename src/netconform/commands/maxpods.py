"""`netconform max-pods`: the EKS max-pods calculator over bundled or live EC2 limits.

netconform max-pods m5.large t3.medium              # text table
netconform max-pods --all --output json             # {"a1.2xlarge": 58, ...}
netconform max-pods c5.18xlarge --prefix-delegation --cni-version v1.19.0-eksbuild.1
netconform max-pods m5.large --from-aws --region eu-west-1
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from netconform.core.density.maxpods import (
    DEFAULT_CNI_VERSION,
    CniVersion,
    DensityOptions,
    MaxPods,
    lookup,
    max_pods,
    max_pods_for_all,
)
from netconform.core.instance_types import InstanceLimits, bundled_limits
from netconform.errors import InputError

TABLE_HEADER = ("TYPE", "MAX PODS", "MODE", "FORMULA", "CAP", "NOTE")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "max-pods",
        help="max pods per node for EC2 instance types (the EKS max-pods calculator)",
        description=(
            "Max pods per node from ENI limits and the VPC CNI mode, capped at 110 (<= 30 vCPUs) or 250. "
            "Bare-metal types count as Nitro for prefix delegation, as they do in the VPC CNI."
        ),
    )
    parser.add_argument("types", nargs="*", metavar="TYPE", help="instance types, e.g. m5.large")
    parser.add_argument("--all", action="store_true", help="every known instance type")
    parser.add_argument(
        "--cni-version",
        default=str(DEFAULT_CNI_VERSION),
        help=f"VPC CNI version; prefix delegation needs >= 1.9.0 (default {DEFAULT_CNI_VERSION})",
    )
    parser.add_argument("--prefix-delegation", action="store_true", help="ENABLE_PREFIX_DELEGATION=true")
    parser.add_argument(
        "--custom-networking", action="store_true", help="AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true"
    )
    parser.add_argument("--max-eni", type=int, metavar="N", help="MAX_ENI: use at most N ENIs")
    parser.add_argument("--uncapped", action="store_true", help="do not apply the 110/250 cap")
    parser.add_argument("--output", choices=("text", "json"), default="text")
    parser.add_argument(
        "--from-aws", action="store_true", help="read limits live via ec2:DescribeInstanceTypes"
    )
    parser.add_argument("--region", help="AWS region for --from-aws (default: the AWS configuration's)")
    parser.add_argument("--aws-profile", help="AWS profile for --from-aws (default: from the AWS config)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.all == bool(args.types):
        raise InputError("name instance types or pass --all (not both)")
    options = DensityOptions(
        cni_version=CniVersion.parse(args.cni_version),
        prefix_delegation=args.prefix_delegation,
        custom_networking=args.custom_networking,
        max_eni=args.max_eni,
        uncapped=args.uncapped,
    )
    catalog = _catalog(args)
    if args.all:
        results = max_pods_for_all(catalog, options)
    else:
        results = {limits.instance_type: max_pods(limits, options) for limits in lookup(catalog, args.types)}
    print(render_json(results) if args.output == "json" else render_text(results))
    return 0


def _catalog(args: argparse.Namespace) -> Mapping[str, InstanceLimits]:
    if not args.from_aws:
        return bundled_limits()
    # Imported here so the bundled path never pays for (or needs) boto3.
    from netconform.adapters.aws.instance_types import fetch_instance_limits

    names = None if args.all else [name.strip().lower() for name in args.types]
    return fetch_instance_limits(names, region=args.region, profile=args.aws_profile)


def render_json(results: Mapping[str, MaxPods]) -> str:
    return json.dumps({name: result.value for name, result in results.items()}, indent=2)


def render_text(results: Mapping[str, MaxPods]) -> str:
    rows = [TABLE_HEADER, *(_row(result) for result in results.values())]
    widths = [max(len(row[column]) for row in rows) for column in range(len(TABLE_HEADER) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _row(result: MaxPods) -> tuple[str, str, str, str, str, str]:
    # The note only says what the user may not expect: a fallback, a lowered ENI count.
    notes = list(result.adjustments)
    if "→" in result.mode_reason or "bare metal" in result.mode_reason:
        notes.insert(0, result.mode_reason)
    return (
        result.instance_type,
        str(result.value),
        result.mode.value,
        result.formula,
        _cap_cell(result),
        "; ".join(notes),
    )


def _cap_cell(result: MaxPods) -> str:
    if result.cap is None:
        return "-"
    return f"{result.cap} (applied)" if result.cap_applied else str(result.cap)
