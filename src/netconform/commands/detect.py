"""`netconform detect`: which CNI profile a cluster runs, and the evidence."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Any

from netconform.adapters.kube.facts import gather_cluster_facts
from netconform.commands._cluster_args import add_cluster_arguments, connect
from netconform.core.connectivity.address_ranges import pod_ip_evidence
from netconform.core.profiles import detect_profile
from netconform.errors import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "detect",
        help="detect the cluster's CNI profile (read-only)",
        description="Read the cluster's CNI DaemonSets, Calico resources and VPC CNI settings.",
    )
    add_cluster_arguments(parser)
    parser.add_argument("--output", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cluster = connect(args)
    facts = gather_cluster_facts(cluster)
    detection = detect_profile(facts)
    address_line = pod_ip_evidence(facts.pod_ips, facts.node_ips)
    if address_line:
        detection = replace(detection, evidence=(*detection.evidence, address_line))
    profile = detection.profile
    if args.output == "json":
        print(
            json.dumps(
                {
                    "profile": profile.name.value,
                    "title": profile.title,
                    "prefix_delegation": detection.prefix_delegation,
                    "pod_ips_routable_from_control_plane": profile.pod_ips_routable_from_control_plane.value,
                    "network_policy_enforced": profile.network_policy_enforced.value,
                    "policy_engine": detection.policy_engine,
                    # A claim of the profile, not an observation: `detect` dials nothing.
                    "pod_ips_routable_source": "profile (not measured; suites/apiserver measures it)",
                    "evidence": list(detection.evidence),
                    "inconsistencies": list(detection.inconsistencies),
                    "server_version": cluster.server_version(),
                },
                indent=2,
            )
        )
        return ExitCode.OK
    print(f"profile: {profile.name.value} ({profile.title})")
    print(f"server: {cluster.server_version()}")
    print(
        "pod IPs routable from the control plane: "
        f"{profile.pod_ips_routable_from_control_plane.value} (the profile's claim, not measured; "
        "suites/apiserver measures it)"
    )
    print(f"NetworkPolicy enforced: {profile.network_policy_enforced.value}")
    print(f"policy engine: {detection.policy_engine or 'none seen among the DaemonSets'}")
    if detection.prefix_delegation:
        print("prefix delegation: on")
    print("evidence:")
    for line in detection.evidence or ("(none: nothing CNI-specific found)",):
        print(f"  - {line}")
    if detection.inconsistencies:
        print("inconsistent evidence (the profile above is not backed by the cluster):")
        for line in detection.inconsistencies:
            print(f"  - {line}")
    return ExitCode.OK
