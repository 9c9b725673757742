"""`netconform sweep`: remove exactly the harness's objects (found by label), nothing else."""

from __future__ import annotations

import argparse
import re
from typing import Any

from netconform.adapters.kube import sweep
from netconform.commands._cluster_args import add_cluster_arguments, connect
from netconform.errors import ExitCode, InputError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sweep",
        help="remove objects left by harness runs (namespaces, webhooks, APIServices, RBAC)",
        description="Finds objects labelled netconform.io/owner=netconform and deletes them.",
    )
    add_cluster_arguments(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="only the objects of this run")
    which.add_argument(
        "--older-than",
        type=duration_seconds,
        metavar="AGE",
        help="objects of any run older than AGE (e.g. 2h, 30m, 1d)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    parser.set_defaults(func=run)


def duration_seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 90s, 30m, 2h, 1d)")
    return float(int(match.group(1)) * _UNITS[match.group(2)])


def run(args: argparse.Namespace) -> int:
    if args.run_id is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,63}", args.run_id):
        raise InputError(f"--run-id {args.run_id!r} is not a valid label value")
    cluster = connect(args)
    found = sweep.find(cluster, run_id=args.run_id, older_than_s=args.older_than or 0.0)
    if not found:
        print("sweep: nothing of netconform's found")
        return ExitCode.OK
    verb = "would remove" if args.dry_run else "removing"
    for leftover in found:
        print(f"sweep: {verb} {leftover.describe()}")
    if not args.dry_run:
        sweep.delete(cluster, found)
        print(f"sweep: removed {len(found)} object(s)")
    return ExitCode.OK
