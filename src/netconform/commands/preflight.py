"""`netconform preflight`: is it safe to upgrade the vpc-cni EKS add-on from A to B on this cluster?

Exit codes: 0 no blockers, 1 blockers found, 2 usage error (arguments, --aws-node-env file, no region),
3 could not check (credentials, permissions, throttling, unreachable endpoint, cluster not found).

``--output json`` prints one object (stable; fields are only ever added)::

    {
      "format": "netconform.preflight/v1",
      "cluster": "demo", "region": "eu-west-1", "kubernetes_version": "1.31",
      "current_version": "v1.18.3-eksbuild.1",   # null when vpc-cni is not an EKS add-on
      "target_version": "v1.20.1-eksbuild.1",    # null when EKS offers no version
      "verdict": "blocked",                      # "safe" | "blocked"
      "counts": {"blocker": 1, "warning": 0, "info": 3},
      "findings": [                              # blockers first, then warnings, then info
        {"severity": "blocker", "code": "PATH_SKIPS_MINOR", "message": "...",
         "evidence": {"current": "...", "steps": "..."}, "fix": "..."}
      ]
    }
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from netconform.adapters.aws.eks import parse_target
from netconform.adapters.aws.session import AwsClients, make_clients
from netconform.adapters.junit import load_run
from netconform.adapters.kube.aws_node import read_aws_node_env
from netconform.checks.upgrade.gather import gather_preflight_inputs
from netconform.commands._cluster_args import add_cluster_arguments, connect
from netconform.core.findings import Severity
from netconform.core.upgrade.codes import Code
from netconform.core.upgrade.preflight import PreflightReport, run_checks
from netconform.errors import CannotCheck, ExitCode, InputError

FORMAT = "netconform.preflight/v1"
# The preflight's words for the shared severities, worst first (the JSON format above names them): an ERROR
# finding blocks the upgrade. The rules grade nothing OK: a check that passes says so at INFO.
SEVERITY_WORDS: dict[Severity, str] = {
    Severity.ERROR: "blocker",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}
ClientFactory = Callable[[str | None, str | None], AwsClients]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preflight",
        help="check that a vpc-cni add-on upgrade is safe on an EKS cluster",
        description="Check that upgrading the vpc-cni EKS add-on is safe. Exit 0 safe, 1 blockers, "
        "2 usage error, 3 could not check.",
    )
    parser.add_argument("--cluster", required=True, help="EKS cluster name")
    parser.add_argument("--region", help="AWS region (default: from the AWS config / AWS_REGION)")
    parser.add_argument("--aws-profile", help="AWS profile (default: from the AWS config / AWS_PROFILE)")
    parser.add_argument(
        "--target-version",
        metavar="VERSION",
        help="add-on version to upgrade to, e.g. v1.20.1-eksbuild.1 (default: latest compatible)",
    )
    parser.add_argument("--output", choices=("text", "json"), default="text")
    parser.add_argument(
        "--aws-node-env",
        metavar="FILE",
        type=Path,
        help="the running aws-node env for the drift check: the DaemonSet YAML/JSON "
        "(kubectl get ds aws-node -n kube-system -o yaml), an env list, or a NAME: value mapping",
    )
    parser.add_argument(
        "--in-cluster",
        action="store_true",
        help="read the running aws-node env from the cluster (kubeconfig context) for the drift check",
    )
    add_cluster_arguments(parser)
    parser.add_argument(
        "--aws-node-ref",
        default="kube-system/aws-node",
        metavar="NAMESPACE/NAME",
        help="where the aws-node DaemonSet lives, with --in-cluster (default: kube-system/aws-node)",
    )
    parser.add_argument(
        "--baseline",
        nargs="?",
        const=DEFAULT_RESULTS,
        type=Path,
        metavar="JUNIT",
        help=f"store a conformance run's results (default {DEFAULT_RESULTS}) as the before-upgrade baseline "
        f"in {BASELINE_DIR}/; compare later with `netconform diff BASELINE reports/junit.xml`",
    )
    parser.set_defaults(func=run)


DEFAULT_RESULTS = Path("reports/junit.xml")
BASELINE_DIR = Path("reports/baselines")


def run(args: argparse.Namespace, factory: ClientFactory | None = None) -> int:
    target = parse_target(args.target_version)  # usage errors before any AWS call
    if args.baseline is not None:
        stored = store_baseline(args.baseline, args.cluster)
        print(f"baseline: stored {stored} ({_baseline_summary(stored)})")
    env = load_aws_node_env(args.aws_node_env) if args.aws_node_env else None
    if args.in_cluster and env is None:
        env = _in_cluster_env(args)
    # Looked up at call time so tests can swap in clients pointed at moto and a Stubber.
    clients = (factory or make_clients)(args.region, args.aws_profile)
    inputs = gather_preflight_inputs(clients, args.cluster, target, env)
    report = run_checks(inputs)
    out = render_json(report, clients.region) if args.output == "json" else render_text(report)
    sys.stdout.write(out + "\n")
    if any(f.code is Code.ADDON_NOT_INSTALLED for f in report.findings):
        # Nothing to upgrade through EKS: the upgrade cannot be checked (the report above says what to do).
        return int(ExitCode.CANNOT_CHECK)
    return int(ExitCode.OK if report.safe else ExitCode.FINDINGS)


def _in_cluster_env(args: argparse.Namespace) -> dict[str, str]:
    namespace, _, name = args.aws_node_ref.partition("/")
    if not namespace or not name:
        raise InputError(f"--aws-node-ref {args.aws_node_ref!r}: expected NAMESPACE/NAME")
    env = read_aws_node_env(connect(args), (namespace, name))
    if env is None:
        raise CannotCheck(f"--in-cluster: no DaemonSet {args.aws_node_ref} with an aws-node container")
    return env


def store_baseline(results: Path, cluster: str) -> Path:
    """Copy a conformance run's JUnit XML to the baselines folder, named after the cluster and the time."""
    load_run(results)  # refuse anything that is not JUnit XML now, not at diff time
    BASELINE_DIR.mkdir(parents=True, exist_ok=True)
    stored = BASELINE_DIR / f"{cluster}-{time.strftime('%Y%m%dT%H%M%S')}.xml"
    shutil.copyfile(results, stored)
    return stored


def _baseline_summary(path: Path) -> str:
    counts = load_run(path).counts()
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no tests"


# --- the --aws-node-env file ---


def _env_list(entries: Any) -> dict[str, str]:
    # Entries with valueFrom (MY_NODE_NAME, ...) have no literal value and cannot drift from the add-on.
    return {str(e["name"]): str(e["value"]) for e in entries if isinstance(e, dict) and "value" in e}


def env_from_document(doc: Any) -> dict[str, str]:
    """The aws-node container env from a DaemonSet, a container env list, or a plain mapping."""
    if isinstance(doc, list):
        return _env_list(doc)
    if isinstance(doc, dict) and doc.get("kind") == "DaemonSet":
        containers = doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        for container in containers:
            if container.get("name") == "aws-node":
                return _env_list(container.get("env", []))
        raise InputError("--aws-node-env: the DaemonSet has no container named aws-node")
    if isinstance(doc, Mapping) and all(not isinstance(v, dict | list) for v in doc.values()):
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in doc.items()}
    raise InputError("--aws-node-env: expected a DaemonSet, an env list or a NAME: value mapping")


def load_aws_node_env(path: Path) -> dict[str, str]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    except OSError as err:
        raise InputError(f"--aws-node-env: cannot read {path}: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise InputError(f"--aws-node-env: {path} is neither JSON nor YAML") from err
    return env_from_document(doc)


# --- rendering ---


def _versions(report: PreflightReport) -> tuple[str | None, str | None]:
    inputs = report.inputs
    current = str(inputs.addon.version) if inputs.addon else None
    return current, str(inputs.target) if inputs.target else None


def _counts(report: PreflightReport) -> dict[str, int]:
    return {word: sum(f.severity is s for f in report.findings) for s, word in SEVERITY_WORDS.items()}


def verdict_line(report: PreflightReport) -> str:
    counts = _counts(report)
    if report.safe:
        return f"SAFE: no blockers ({counts['warning']} warning(s), {counts['info']} info)"
    return f"BLOCKED: {counts['blocker']} blocker(s), {counts['warning']} warning(s), {counts['info']} info"


def render_text(report: PreflightReport) -> str:
    inputs = report.inputs
    current, target = _versions(report)
    lines = [
        f"vpc-cni preflight: cluster {inputs.cluster.name} (Kubernetes {inputs.cluster.kubernetes_version}), "
        f"{current or 'not an EKS add-on'} -> {target or 'no target'}",
        verdict_line(report),
    ]
    for severity, word in SEVERITY_WORDS.items():
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines.append("")
        lines.append({"blocker": "BLOCKERS", "warning": "WARNINGS", "info": "INFO"}[word])
        for finding in group:
            lines.append(f"  [{finding.code}] {finding.message}")
            lines.extend(f"      {key}: {value}" for key, value in finding.evidence)
            if finding.fix:
                lines.append(f"      fix: {finding.fix}")
    return "\n".join(lines)


def render_json(report: PreflightReport, region: str) -> str:
    inputs = report.inputs
    current, target = _versions(report)
    document = {
        "format": FORMAT,
        "cluster": inputs.cluster.name,
        "region": region,
        "kubernetes_version": inputs.cluster.kubernetes_version,
        "current_version": current,
        "target_version": target,
        "verdict": "safe" if report.safe else "blocked",
        "counts": _counts(report),
        "findings": [
            {
                "severity": SEVERITY_WORDS[f.severity],
                "code": str(f.code),
                "message": f.message,
                "evidence": dict(f.evidence),
                "fix": f.fix,
            }
            for f in report.findings
        ],
    }
    return json.dumps(document, indent=2)
