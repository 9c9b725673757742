"""python -m netconform.testbed.awsemu --node NAME=TYPE [...] [--address 127.0.0.1] [--ec2-port P]
[--imds-port P] [--world-file PATH] [--datapath]: serve EC2 and one IMDS per node until SIGTERM/SIGINT;
prints one JSON line describing them (and writes it to --world-file once everything is ready).

--datapath (the test bed, run inside the router namespace nc-cp): every ENI attached to a node's instance
becomes a veth into that node's namespace nc-n<i> (node names netconform-node-<i>), and the router routes its
addresses; removed again on exit."""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2
# Where it may listen: loopback, or the bed's control-plane link inside nc-cp (reached from the nodes and the
# machine's root namespace, never from outside: testbed.addresses guards that link).
ALLOWED_NETWORKS = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv4Network("172.30.0.0/30"))
NODE_PREFIX = "netconform-node-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netconform.testbed.awsemu")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--ec2-port", type=int, default=0)
    parser.add_argument("--imds-port", type=int, default=0, help="first node's IMDS port; the next ones +1")
    parser.add_argument("--node", action="append", default=[], metavar="NAME=TYPE", required=True)
    parser.add_argument("--world-file", type=Path)
    parser.add_argument(
        "--imds-by-source-port",
        type=int,
        default=0,
        help="also one IMDS for all nodes, chosen by client address",
    )
    parser.add_argument("--datapath", action="store_true", help="ENIs as veths into nc-n<i> (the test bed)")
    args = parser.parse_args(argv)
    try:
        address = ipaddress.IPv4Address(args.address)
    except ValueError:
        address = None
    if address is None or not any(address in net for net in ALLOWED_NETWORKS):
        print(
            f"aws-emu: refusing to serve on {args.address}: loopback or the bed's 172.30.0.0/30 only",
            file=sys.stderr,
        )
        return EXIT_USAGE
    nodes = []
    for spec in args.node:
        name, sep, itype = spec.partition("=")
        if not sep or not name or not itype:
            print(f"aws-emu: --node wants NAME=TYPE, got {spec!r}", file=sys.stderr)
            return EXIT_USAGE
        if args.datapath and not name.removeprefix(NODE_PREFIX).isdigit():
            print(f"aws-emu: --datapath wants nodes named {NODE_PREFIX}<i>, got {name!r}", file=sys.stderr)
            return EXIT_USAGE
        nodes.append((name, itype))
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    for _, itype in nodes:
        if itype not in INSTANCE_TYPES:
            print(
                f"aws-emu: unknown instance type {itype!r} (not in moto's instance-type data)",
                file=sys.stderr,
            )
            return EXIT_USAGE

    return _serve(args, nodes)


def _serve(args: argparse.Namespace, nodes: list[tuple[str, str]]) -> int:
    from netconform.testbed.awsemu.emulator import Emulator

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    emu = Emulator(host=args.address, ec2_port=args.ec2_port)
    emu.start()
    datapath = None
    if args.datapath:
        from netconform.testbed.awsemu.datapath import Datapath

        datapath = Datapath(run=_run, log=lambda line: print(line, flush=True))
        datapath.set_up_router()
        emu.hooks.append(lambda e: datapath.on_eni(e.kind, e.instance_id, e.eni_id, e.mac, e.device_index))
        emu.changed.append(datapath.reconcile)
    try:
        world: dict[str, object] = {
            "ec2": emu.ec2_url,
            "vpc": emu.vpc_id,
            "subnet": emu.subnet_id,
            "nodes": {},
        }
        for i, (name, itype) in enumerate(nodes):
            inst = emu.add_instance(name, itype, args.imds_port + i if args.imds_port else 0)
            world["nodes"][name] = inst.__dict__  # type: ignore[index]
            if datapath is not None:
                index = int(name.removeprefix(NODE_PREFIX))
                datapath.add_instance(index, inst.instance_id, inst.primary_mac, inst.primary_ip)
        if datapath is not None:
            datapath.reconcile(emu.backend)
        if args.imds_by_source_port:
            world["imds"] = emu.serve_imds_by_source(args.imds_by_source_port)
        line = json.dumps(world)
        if args.world_file is not None:
            tmp = args.world_file.with_suffix(".tmp")
            tmp.write_text(line + "\n")
            tmp.replace(args.world_file)
        print(line, flush=True)
        stop.wait()
    finally:
        if datapath is not None:
            datapath.tear_down()
        emu.stop()
    return 0


def _run(argv: Sequence[str]) -> None:
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed: {result.stderr.strip()}")


if __name__ == "__main__":
    sys.exit(main())
