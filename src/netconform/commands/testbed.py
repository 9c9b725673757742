"""`netconform testbed up|down|status|env|topology`: the local test bed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from netconform.errors import ExitCode, InputError
from netconform.testbed import lifecycle
from netconform.testbed.addresses import DEFAULT_LINK_MTU, DEFAULT_NODES, MAX_NODES, Topology
from netconform.testbed.paths import Layout
from netconform.testbed.vpccni import DEFAULT_INSTANCE_TYPE, DEFAULT_VERSION, VpcCniOptions

CNIS = ("bridge", "vpc-cni")
MAX_FAKE_NODES = 250  # each takes a /24 of the pod CIDR from the controller-manager's allocator


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "testbed",
        help="the local Kubernetes test bed (needs root)",
        description="Build, start and stop a real Kubernetes cluster of 1-3 nodes on this machine.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="build what is missing and start the test bed (idempotent)")
    up.add_argument(
        "--topology",
        choices=[t.value for t in Topology],
        default=Topology.ROUTABLE.value,
        help="routable: control plane reaches pod IPs (VPC CNI); isolated: it does not (Calico overlay)",
    )
    up.add_argument(
        "--nodes-fake",
        type=_fake_node_count,
        default=0,
        metavar="N",
        help=f"add N KWOK fake nodes with EKS-like instance types (at most {MAX_FAKE_NODES})",
    )
    up.add_argument(
        "--nodes",
        type=_number,
        default=DEFAULT_NODES,
        metavar="N",
        help=f"real nodes, each in own network+mount namespaces (1-{MAX_NODES}; default {DEFAULT_NODES})",
    )
    up.add_argument(
        "--link-mtu",
        type=_number,
        default=DEFAULT_LINK_MTU,
        metavar="BYTES",
        help=f"MTU of every node's link to the router (default {DEFAULT_LINK_MTU}; lower: an overlay's)",
    )
    up.add_argument(
        "--hardened",
        action="store_true",
        help="production defaults: PodSecurity restricted, a policy webhook, a tainted node, Windows/Fargate/"
        "virtual fake nodes, quota+LimitRange+default-deny NetworkPolicy in new namespaces",
    )
    up.add_argument(
        "--cni",
        choices=CNIS,
        default="bridge",
        help="bridge (default), or the real Amazon VPC CNI on an emulated EC2 (kube-router: policy only)",
    )
    up.add_argument(
        "--vpc-cni-version", default=None, metavar="V", help="with --cni vpc-cni: v1.22.4 or v1.23.2"
    )
    up.add_argument("--prefix-delegation", action="store_true", help="with --cni vpc-cni: /28 prefixes")
    up.add_argument(
        "--instance-type",
        default=None,
        metavar="TYPE",
        help="with --cni vpc-cni: the emulated type (t3.small)",
    )
    up.add_argument(
        "--aws-node-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --cni vpc-cni: extra aws-node env (WARM_IP_TARGET=2, MAX_ENI=1, ...)",
    )
    up.set_defaults(func=_up)
    actions.add_parser("down", help="stop everything and remove all test-bed state").set_defaults(func=_down)
    actions.add_parser("status", help="what runs, and the topology").set_defaults(func=_status)
    actions.add_parser("env", help="print shell exports for the test bed's kubeconfig").set_defaults(
        func=_env
    )
    fake = actions.add_parser("fake-nodes", help="add KWOK fake nodes to the running test bed")
    fake.add_argument("count", type=_fake_node_count, metavar="N")
    fake.set_defaults(func=_fake_nodes)
    pods = actions.add_parser(
        "max-pods", help="restart the kubelet with another maxPods (e.g. 16 for fill tests)"
    )
    pods.add_argument("count", type=_max_pods, metavar="N")
    pods.set_defaults(func=_set_max_pods)
    topo = actions.add_parser("topology", help="switch a running test bed's topology without a restart")
    topo.add_argument("topology", choices=[t.value for t in Topology])
    topo.set_defaults(func=_topology)
    load = actions.add_parser("load-image", help="import an OCI image archive (`make image`) into every node")
    load.add_argument("archive", type=Path)
    load.add_argument("--name", required=True, help="its reference, e.g. netconform.local/netconform:0.1.0")
    load.set_defaults(func=_load_image)


def _fake_node_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= MAX_FAKE_NODES:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_FAKE_NODES}")
    return value


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _up(args: argparse.Namespace) -> int:
    if not 576 <= args.link_mtu <= 9001:
        raise InputError(f"--link-mtu must be between 576 and 9001 (got {args.link_mtu})")
    # The node count (range and this machine's memory) is checked by lifecycle.up before anything starts.
    options = lifecycle.UpOptions(
        Topology(args.topology),
        args.nodes_fake,
        args.nodes,
        args.link_mtu,
        hardened=args.hardened,
        vpc_cni=_vpc_cni_options(args),
    )
    lifecycle.up(options)
    return ExitCode.OK


def _vpc_cni_options(args: argparse.Namespace) -> VpcCniOptions | None:
    named = [
        flag
        for flag, given in (
            ("--vpc-cni-version", args.vpc_cni_version is not None),
            ("--prefix-delegation", args.prefix_delegation),
            ("--instance-type", args.instance_type is not None),
            ("--aws-node-env", bool(args.aws_node_env)),
        )
        if given
    ]
    if args.cni != "vpc-cni":
        if named:
            raise InputError(f"{', '.join(named)}: only with --cni vpc-cni")
        return None
    env = []
    for item in args.aws_node_env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--aws-node-env wants NAME=VALUE, got {item!r}")
        env.append((name, value))
    return VpcCniOptions(
        version=args.vpc_cni_version or DEFAULT_VERSION,
        prefix_delegation=args.prefix_delegation,
        instance_type=args.instance_type or DEFAULT_INSTANCE_TYPE,
        env=tuple(env),
    )


def _down(_args: argparse.Namespace) -> int:
    leftovers = lifecycle.down()
    return ExitCode.OK if not leftovers else ExitCode.FINDINGS


def _status(_args: argparse.Namespace) -> int:
    status = lifecycle.status()
    topology = status.topology.value if status.topology else "-"
    print(f"topology: {topology}")
    print(f"nodes: {status.nodes}")
    print(f"running: {', '.join(status.running) or '-'}")
    print(f"stopped: {', '.join(status.stopped) or '-'}")
    print(f"kubeconfig: {status.kubeconfig}")
    return ExitCode.OK if status.healthy else ExitCode.FINDINGS


def _env(_args: argparse.Namespace) -> int:
    env_file = Layout.default().env_file
    if not env_file.exists():
        print("netconform: error: the test bed is not up (run `netconform testbed up`)", file=sys.stderr)
        return ExitCode.CANNOT_CHECK
    sys.stdout.write(env_file.read_text())
    return ExitCode.OK


def _max_pods(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 4 <= value <= 250:
        raise argparse.ArgumentTypeError("must be between 4 and 250 (the /24 pod CIDR holds 254 addresses)")
    return value


def _set_max_pods(args: argparse.Namespace) -> int:
    lifecycle.set_max_pods(args.count)
    return ExitCode.OK


def _fake_nodes(args: argparse.Namespace) -> int:
    lifecycle.add_fake_nodes(args.count)
    return ExitCode.OK


def _topology(args: argparse.Namespace) -> int:
    lifecycle.set_topology(Topology(args.topology))
    print(f"test bed: topology {args.topology}")
    return ExitCode.OK


def _load_image(args: argparse.Namespace) -> int:
    if not args.archive.is_file():
        raise InputError(f"image archive not found: {args.archive}")
    lifecycle.import_image(args.archive, args.name)
    print(f"test bed: {args.name} imported into every node")
    return ExitCode.OK
