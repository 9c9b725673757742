"""`netconform policy`: compute the truth table NetworkPolicies imply, and explain one cell of it.

    netconform policy truth-table FILE [--output text|json]
    netconform policy explain FILE --from x/a --to y/b [--port 80] [--protocol TCP]

FILE (YAML or JSON) lists namespaces, pods (labels, IP, container ports), NetworkPolicy objects and probes.
Reading and decoding the file happens here; everything after that is the pure engine in core/netpol.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from netconform.core.netpol import PolicyEngine, Probe, Protocol, explain, parse_scenario
from netconform.core.netpol.parse import Scenario
from netconform.core.truthtable import render_text
from netconform.errors import ExitCode, InputError


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "policy", help="NetworkPolicy engine: expected truth tables and explanations"
    )
    commands = parser.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)

    table = commands.add_parser("truth-table", help="who may connect to whom under the policies in FILE")
    table.add_argument("file", metavar="FILE", help="YAML or JSON: namespaces, pods, policies, probes")
    table.add_argument(
        "--output", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    table.set_defaults(func=run_truth_table)

    why = commands.add_parser("explain", help="which policies and rules decide one connection")
    why.add_argument("file", metavar="FILE", help="YAML or JSON: namespaces, pods, policies, probes")
    why.add_argument("--from", dest="source", required=True, metavar="NS/POD", help="source pod, e.g. x/a")
    why.add_argument("--to", dest="destination", required=True, metavar="NS/POD", help="destination pod")
    why.add_argument("--port", type=int, default=80, help="destination port (default: 80)")
    why.add_argument(
        "--protocol",
        type=str.upper,
        choices=[p.value for p in Protocol],
        default="TCP",
        help="protocol (default: TCP)",
    )
    why.set_defaults(func=run_explain)


def run_truth_table(args: argparse.Namespace) -> int:
    scenario = load_scenario(Path(args.file))
    table = PolicyEngine(scenario.cluster, scenario.policies).truth_table(scenario.probes)
    if args.output == "json":
        print(json.dumps(table.to_json(), indent=2))
    else:
        print(render_text(table))
    return int(ExitCode.OK)


def run_explain(args: argparse.Namespace) -> int:
    scenario = load_scenario(Path(args.file))
    pods = set(scenario.cluster.pod_keys)
    for option, key in (("--from", args.source), ("--to", args.destination)):
        if key not in pods:
            raise InputError(f'{option}: no pod "{key}" in {args.file} (pods are written namespace/name)')
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port: {args.port} is out of range 1-65535")
    probe = Probe(args.port, Protocol(args.protocol))
    print(explain(scenario.cluster, scenario.policies, args.source, args.destination, probe).render())
    return int(ExitCode.OK)


def load_scenario(path: Path) -> Scenario:
    """Read and decode FILE; every failure becomes one InputError line that names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text") from err
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or "cannot parse"
        raise InputError(f"{where}: invalid YAML: {problem}") from err
    try:
        return parse_scenario(document)
    except InputError as err:
        raise InputError(f"{path}: {err}") from err
