"""``python -m netconform.testbed.session [--topology T] [--nodes N] [--cni vpc-cni [--vpc-cni-version V]
[--instance-type T]] -- CMD ...``

Run CMD against the test bed: bring it up when it is not running, and tear down afterwards only what this
session started (a test bed someone else brought up is left as it was). The exit code is CMD's.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from netconform.errors import ExitCode, InputError, NetconformError
from netconform.testbed import hardened, lifecycle, vpccni
from netconform.testbed.addresses import DEFAULT_NODES, Topology
from netconform.testbed.paths import Layout


def _env_exports(layout: Layout) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in layout.env_file.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netconform.testbed.session")
    parser.add_argument("--topology", choices=[t.value for t in Topology], default=Topology.ROUTABLE.value)
    parser.add_argument("--nodes-fake", type=int, default=0)
    parser.add_argument("--nodes", type=int, default=DEFAULT_NODES)
    parser.add_argument("--hardened", action="store_true", help="production defaults (testbed/hardened.py)")
    parser.add_argument("--cni", choices=("bridge", "vpc-cni"), default="bridge")
    parser.add_argument("--vpc-cni-version", default=vpccni.DEFAULT_VERSION)
    parser.add_argument("--instance-type", default=vpccni.DEFAULT_INSTANCE_TYPE)
    parser.add_argument("--prefix-delegation", action="store_true")
    parser.add_argument("--aws-node-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    layout = Layout.default()
    started_here = not lifecycle.status(layout).healthy or hardened.is_hardened(layout) != args.hardened
    # SIGTERM (CI cancellation) becomes an orderly stop so the teardown below still runs.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        try:
            vpc = (
                vpccni.VpcCniOptions(
                    version=args.vpc_cni_version,
                    instance_type=args.instance_type,
                    prefix_delegation=args.prefix_delegation,
                    env=tuple(_env_pair(item) for item in args.aws_node_env),
                )
                if args.cni == "vpc-cni"
                else None
            )
            options = lifecycle.UpOptions(
                Topology(args.topology), args.nodes_fake, args.nodes, hardened=args.hardened, vpc_cni=vpc
            )
            lifecycle.up(options, layout)
        except InputError as err:
            started_here = False  # nothing was started: nothing to tear down
            print(f"netconform: error: {err}", file=sys.stderr)
            return ExitCode.USAGE
        except NetconformError as err:
            print(f"netconform: error: test bed failed to come up: {err}", file=sys.stderr)
            return ExitCode.CANNOT_CHECK
        env = {**os.environ, **_env_exports(layout)}
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    finally:
        if started_here and not os.environ.get("NETCONFORM_KEEP_TESTBED"):
            lifecycle.down(layout)


def _env_pair(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise InputError(f"--aws-node-env wants NAME=VALUE, got {item!r}")
    return name, value


if __name__ == "__main__":
    sys.exit(main())
