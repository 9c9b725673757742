"""Arguments shared by the commands that talk to a cluster."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from netconform.adapters.kube.client import api_client
from netconform.adapters.kube.cluster import KubeCluster


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=os.environ.get("KUBECONFIG"),
        help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)",
    )
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")


def connect(args: argparse.Namespace) -> KubeCluster:
    kubeconfig = Path(args.kubeconfig) if args.kubeconfig else None
    cluster = KubeCluster(api_client(kubeconfig, args.context))
    cluster.server_version()  # fail here, with one line, if the API server is not there
    return cluster
