"""python -m netconform.testbed.awsemu --node NAME=TYPE [...] [--address 127.0.0.1] [--ec2-port P]
[--imds-port P]: serve EC2 and one IMDS per node until SIGTERM/SIGINT;
prints one JSON line describing them."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netconform.testbed.awsemu")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--ec2-port", type=int, default=0)
    parser.add_argument("--imds-port", type=int, default=0, help="first node's IMDS port; the next ones +1")
    parser.add_argument("--node", action="append", default=[], metavar="NAME=TYPE", required=True)
    args = parser.parse_args(argv)
    if args.address != "127.0.0.1" and not args.address.startswith("127."):
        print(f"aws-emu: refusing to serve on {args.address}: loopback only", file=sys.stderr)
        return EXIT_USAGE
    nodes = []
    for spec in args.node:
        name, sep, itype = spec.partition("=")
        if not sep or not name or not itype:
            print(f"aws-emu: --node wants NAME=TYPE, got {spec!r}", file=sys.stderr)
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

    from netconform.testbed.awsemu.emulator import Emulator

    emu = Emulator(host=args.address, ec2_port=args.ec2_port)
    emu.start()
    world: dict[str, object] = {"ec2": emu.ec2_url, "vpc": emu.vpc_id, "subnet": emu.subnet_id, "nodes": {}}
    for i, (name, itype) in enumerate(nodes):
        inst = emu.add_instance(name, itype, args.imds_port + i if args.imds_port else 0)
        world["nodes"][name] = inst.__dict__  # type: ignore[index]
    print(json.dumps(world), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
