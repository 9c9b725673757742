"""`netconform run --in-cluster`, `status`, `retrieve`, `delete`, and `in-pod` (what the Job's pod runs).

Exit codes are a pytest run's (errors.RunExitCode), as for a local `netconform run`: 0 passed, 1 tests
failed (the pod's own pytest exit code once it ended), 4 bad input, 6 unreachable, 7 forbidden (the line
names what to grant), 8 the run's pod cannot start (image not there, cannot be pulled, not the harness),
9 could not check, 130 interrupted. An interrupted or failed start removes everything it created.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from netconform import __version__
from netconform.adapters.kube import incluster
from netconform.adapters.kube.client import api_client
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import Forbidden
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.core.run.references import image_reference_problem, label_value_problem
from netconform.errors import ExitCode, InputError, NetconformError

DEFAULT_IMAGE = f"netconform.local/netconform:{__version__}"
RUN_DONE_POLL_S = 10.0


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("in-cluster run (a Job in the cluster runs the suites)")
    group.add_argument("--in-cluster", action="store_true", help="run inside the cluster, as a Job")
    group.add_argument(
        "--image",
        default=os.environ.get("NETCONFORM_IMAGE", DEFAULT_IMAGE),
        help=f"the harness's image (default: $NETCONFORM_IMAGE or {DEFAULT_IMAGE})",
    )
    group.add_argument(
        "--runner-pull-policy",
        choices=("Always", "IfNotPresent", "Never"),
        default=os.environ.get("NETCONFORM_IMAGE_PULL_POLICY", "IfNotPresent"),
        help="pull policy of the Job's pod (default: $NETCONFORM_IMAGE_PULL_POLICY or IfNotPresent)",
    )
    group.add_argument("--wait", action="store_true", help="wait for the end, retrieve the results, delete")
    # No short options and none of pytest's names (-o, --timeout): everything else after `run` is pytest's.
    group.add_argument(
        "--wait-timeout", type=float, default=3 * 3600.0, metavar="S", help="bound of --wait (default 3 h)"
    )
    group.add_argument(
        "--output", type=Path, help="results tarball of --wait (default: netconform-results-RUN.tar.gz)"
    )
    _cluster_arguments(group)


def _cluster_arguments(parser: Any) -> None:
    # Not $KUBECONFIG as a default: for a local run, pytest's own --kubeconfig reads it.
    parser.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig (default: $KUBECONFIG)")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")


def register(subparsers: Any) -> None:
    for name, text, func in (
        ("status", "progress of an in-cluster run (area counts)", status),
        ("retrieve", "the in-cluster run's results (Allure results + JUnit) as a tarball", retrieve),
        ("delete", "remove an in-cluster run and everything its tests left (by label)", delete),
    ):
        parser: argparse.ArgumentParser = subparsers.add_parser(name, help=text, description=text)
        _cluster_arguments(parser)
        parser.add_argument("--run-id", help="the run (default: the only one in the cluster)")
        if name == "retrieve":
            parser.add_argument("-o", "--output", type=Path, help="default: ./netconform-results-RUN.tar.gz")
        if name == "delete":
            parser.add_argument("--all", action="store_true", help="every in-cluster run")
        parser.set_defaults(func=func, passthrough=False, run_exit_codes=True)
    pod = subparsers.add_parser("in-pod", help="what the in-cluster run's pod runs (not for direct use)")
    actions = pod.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run")
    run.add_argument("--run-id", required=True)
    run.set_defaults(func=in_pod_run, passthrough=True, run_exit_codes=True)


def _connect(args: argparse.Namespace) -> KubeCluster:
    kubeconfig = args.kubeconfig or os.environ.get("KUBECONFIG")
    cluster = KubeCluster(api_client(kubeconfig, args.context))
    cluster.server_version()  # one line now if the API server is not there
    return cluster


# --- run --in-cluster ---------------------------------------------------------------------------------------
def run_in_cluster(args: argparse.Namespace) -> int:
    problem = image_reference_problem(args.image)
    if problem:
        raise InputError(f"--image: {problem}")
    pytest_args = tuple(a for a in args.extra if a != "--")
    cluster = _connect(args)
    # Everything is checked before anything is created: a run that cannot start leaves nothing behind.
    missing = incluster.missing_permissions(cluster)
    if missing:
        raise Forbidden(f"forbidden: an in-cluster run needs permission to {', '.join(missing)}", 403)
    incluster.require_run_role(cluster)
    run_id = f"{time.strftime('%m%d%H%M')}{secrets.token_hex(2)}"
    spec = incluster.RunSpec(
        run_id, args.image, args.runner_pull_policy, pytest_args, incluster.forwarded_env(os.environ)
    )
    # SIGTERM (CI cancellation) is an interrupt like Ctrl-C: whatever was created is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        incluster.create(cluster, spec)
        pod = incluster.wait_started(cluster, run_id)
    except BaseException:
        _remove_quietly(cluster, run_id)
        raise
    started = f"netconform: in-cluster run {run_id} started: pod {incluster.namespace_name(run_id)}/{pod}"
    if not args.wait:
        print(started, flush=True)
        print(f"netconform: follow with `netconform status --run-id {run_id}`, then retrieve and delete")
        return ExitCode.OK
    try:
        # Inside the try: a Ctrl-C that arrives as soon as this line is read (a caller waiting for it, as
        # CI's test does) still removes the run; printed before the try, it left the run behind.
        print(started, flush=True)
        code = _wait_done(cluster, run_id, pod, args.wait_timeout)
        _write_results(cluster, run_id, pod, args.output)
        return code
    finally:
        # The end of --wait (and any interrupt or failure on the way) removes everything, found by label.
        removed = incluster.delete(cluster, run_id, wait=True)
        print(f"netconform: deleted run {run_id} ({len(removed)} object(s))")


def _remove_quietly(cluster: KubeCluster, run_id: str) -> None:
    """Remove a run that failed to start; the error that stopped it stays the one line the user sees."""
    try:
        incluster.delete(cluster, run_id, wait=True)
    except NetconformError as err:
        print(f"netconform: could not remove run {run_id} ({err}): `netconform delete --run-id {run_id}`",
              file=sys.stderr)  # fmt: skip


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _wait_done(cluster: KubeCluster, run_id: str, pod: str, timeout_s: float) -> int:
    shown: list[str] = []

    def done() -> int:
        progress = incluster.progress(cluster, run_id, pod)
        for line in progress.lines:
            if line not in shown:
                shown.append(line)
                print(line, flush=True)
        if progress.exit_code is None:
            raise NotYet("pytest is still running")
        if progress.summary:
            print(progress.summary)
        return progress.exit_code

    return wait_until(Bound(f"in-cluster run {run_id} to end", timeout_s, RUN_DONE_POLL_S), done)


def _write_results(cluster: KubeCluster, run_id: str, pod: str, output: Path | None) -> Path:
    destination = output or Path(f"netconform-results-{run_id}.tar.gz")
    data = incluster.results_tarball(cluster, run_id, pod)
    tmp = destination.with_name(destination.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(destination)
    finally:
        tmp.unlink(missing_ok=True)
    print(
        f"netconform: results in {destination} ({len(data) / 1e3:.0f} kB): "
        f"`tar -xzf {destination} -C reports && make report` renders them"
    )
    return destination


# --- status, retrieve, delete -------------------------------------------------------------------------------
def _one_run(cluster: KubeCluster, run_id: str | None) -> incluster.RunObjects:
    if run_id is not None and label_value_problem(run_id):
        raise InputError(f"--run-id: {label_value_problem(run_id)}")
    runs = incluster.find(cluster, run_id)
    if not runs:
        raise InputError(f"no in-cluster run {run_id}" if run_id else "no in-cluster run in this cluster")
    if len(runs) > 1:
        ids = ", ".join(r.run_id for r in runs)
        raise InputError(f"{len(runs)} in-cluster runs; choose one with --run-id ({ids})")
    return runs[0]


def _pod_name(cluster: KubeCluster, run: incluster.RunObjects) -> str:
    try:
        return str(incluster.run_pod(cluster, run.run_id).metadata.name)
    except NotYet:
        raise InputError(f"in-cluster run {run.run_id} has no pod (its Job ran out or was removed)") from None


def status(args: argparse.Namespace) -> int:
    cluster = _connect(args)
    run = _one_run(cluster, args.run_id)
    pod = _pod_name(cluster, run)
    progress = incluster.progress(cluster, run.run_id, pod)
    state = "running" if progress.exit_code is None else f"finished, pytest exit code {progress.exit_code}"
    age = time.time() - run.created
    print(f"in-cluster run {run.run_id}: {state} (pod {run.namespace}/{pod}, {age:.0f}s old)")
    for line in progress.lines:
        print(line)
    if progress.summary:
        print(progress.summary)
    return ExitCode.OK


def retrieve(args: argparse.Namespace) -> int:
    cluster = _connect(args)
    run = _one_run(cluster, args.run_id)
    _write_results(cluster, run.run_id, _pod_name(cluster, run), args.output)
    return ExitCode.OK


def delete(args: argparse.Namespace) -> int:
    cluster = _connect(args)
    runs = incluster.find(cluster) if args.all else [_one_run(cluster, args.run_id)]
    for run in runs:
        removed = incluster.delete(cluster, run.run_id, wait=True)
        print(f"netconform: deleted run {run.run_id}: {', '.join(removed)}")
    if not runs:
        print("netconform: no in-cluster run found")
    return ExitCode.OK


# --- in the pod ---------------------------------------------------------------------------------------------
def in_pod_run(args: argparse.Namespace) -> int:
    """Run the suites, note pytest's exit code, then keep the results until retrieved (or the deadline).

    PID 1 of the pod: SIGTERM (namespace deletion) goes on to pytest, which then tears down and sweeps."""
    results = Path(os.environ.get("NETCONFORM_RESULTS", incluster.RESULTS))
    command = [
        sys.executable, "-m", "netconform.cli", "run", f"--alluredir={results / 'allure-results'}",
        f"--junitxml={results / 'junit.xml'}", "--run-id", args.run_id, *(a for a in args.extra if a != "--"),
    ]  # fmt: skip
    env = {**os.environ, "NETCONFORM_PROGRESS_FILE": str(results / "progress.json")}
    child = subprocess.Popen(command, env=env)
    stopping: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signum)
        else:
            raise SystemExit(int(ExitCode.INTERRUPTED))

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = child.wait()
    (results / "exit-code").write_text(f"{code}\n")
    print(f"netconform: pytest exited with {code}; results kept in {results} for `netconform retrieve`")
    if not stopping:
        time.sleep(incluster.KEEP_RESULTS_S)  # ended early by SIGTERM (forward) when the run is deleted
    return code
