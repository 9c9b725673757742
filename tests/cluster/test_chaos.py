"""Interrupting a run leaves nothing behind: a suite is stopped at random points, SIGINT and SIGTERM in
turn, single-process and under xdist, and after each stop no harness-labelled object of that run is left
(except namespaces --keep-namespaces kept) and the cluster still admits ordinary objects.

NETCONFORM_CHAOS_RUNS (default 20), NETCONFORM_CHAOS_SEED (default: random; printed), NETCONFORM_CHAOS_TARGET
(default: the test bed basics: namespaces, pods, Services, a NetworkPolicy) and NETCONFORM_CHAOS_WINDOW_S
(a fixed upper end of the interval the interrupt point is drawn from; by default the interval is calibrated
from one uninterrupted run) let local runs be shorter or target a suite.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from netconform.adapters.kube import labels, sweep
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import call
from netconform.adapters.waits import Bound, NotYet, wait_until

REPO = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("NETCONFORM_CHAOS_RUNS", "20"))
SEED = int(os.environ.get("NETCONFORM_CHAOS_SEED", str(secrets.randbelow(2**32))))
TARGET = os.environ.get("NETCONFORM_CHAOS_TARGET", "tests/cluster/test_testbed_basics.py").split()
# The interval the interrupt point is drawn from. By default it is calibrated from one uninterrupted run per
# worker mode: a fixed window is wrong both on a busy machine (every signal lands in start-up) and on a quiet
# one (the run is over before the signal).
FIXED_WINDOW_S = os.environ.get("NETCONFORM_CHAOS_WINDOW_S")
CALIBRATION_RUN = Bound("an uninterrupted calibration run", timeout_s=600)
RUN_STOPS = Bound("the interrupted run to exit", timeout_s=150)
LEFTOVERS_GONE = Bound("the run's terminating namespaces to go", timeout_s=180, interval_s=2)


@dataclass
class InterruptOutcome:
    index: int
    signal: str
    workers: int
    point_s: float
    exit_code: int | None
    stop_s: float  # from the signal to the process's exit
    left: list[str]
    kept: list[str]
    finished_first: bool


def _command(run_id: str, workers: int, keep: str = "never") -> list[str]:
    return [
        sys.executable, "-m", "pytest", *TARGET, "-p", "no:cacheprovider", "-p", "no:randomly", "-q",
        "--run-id", run_id, f"--keep-namespaces={keep}", *(["-n", str(workers)] if workers else []),
    ]  # fmt: skip


def workers_of(index: int) -> int:
    return 2 if index % 4 in (2, 3) else 0


def calibrated_window(workers: int, log_dir: Path) -> tuple[float, float]:
    """Where in the target's run an interrupt lands mid-way: from 10 % to 85 % of one measured run."""
    if FIXED_WINDOW_S:
        return (1.0, float(FIXED_WINDOW_S))
    started = time.monotonic()
    with (log_dir / f"calibration-{workers}.log").open("w") as out:
        run_id = f"h9chaoscal{SEED % 10**6:06d}{workers}"
        subprocess.run(_command(run_id, workers), cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                       timeout=CALIBRATION_RUN.timeout_s, check=False)  # fmt: skip
    duration = time.monotonic() - started
    return (max(0.5, 0.1 * duration), max(1.0, 0.85 * duration))


def interrupt_once(
    kube: KubeCluster, index: int, rng: random.Random, log_dir: Path, window: tuple[float, float]
) -> InterruptOutcome:
    signum = signal.SIGINT if index % 2 == 0 else signal.SIGTERM
    workers = workers_of(index)
    keep = "failed" if index % 5 == 4 else "never"
    point = round(rng.uniform(*window), 2)
    run_id = f"h9chaos{SEED % 10**6:06d}{index:02d}"
    command = _command(run_id, workers, keep)
    log = log_dir / f"run-{index:02d}.log"
    with log.open("w") as out:
        # A session of its own: SIGINT goes to the whole group, as Ctrl-C in a terminal does; SIGTERM to
        # the main process only, as a CI runner or `kill` cancels a job.
        process = subprocess.Popen(
            command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        finished_first = _wait(process, point)
        sent = time.monotonic()
        if not finished_first:
            if signum == signal.SIGINT:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)
        try:
            process.wait(timeout=RUN_STOPS.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            _clean_up(kube, run_id)
            pytest.fail(
                f"run {index} ({run_id}) did not stop within {RUN_STOPS.timeout_s:g}s of {signum.name}"
            )
    stopped = time.monotonic() - sent
    found = [x for x in sweep.find(kube, run_id=run_id) if not x.terminating]
    kept = [x.name for x in found if x.kind == "Namespace" and _kept(kube, x.name)]
    left = [f"{x.kind}/{x.name}" for x in found if x.name not in kept]
    outcome = InterruptOutcome(
        index, signum.name, workers, point, process.returncode, stopped, left, kept, finished_first
    )
    _clean_up(kube, run_id)  # whatever the verdict, leave the shared bed as it was
    return outcome


def _wait(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Let the run go on for ``seconds``; True if it ended by itself before that."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _kept(kube: KubeCluster, name: str) -> bool:
    return labels.KEEP in (kube.core.read_namespace(name).metadata.labels or {})


def _clean_up(kube: KubeCluster, run_id: str) -> None:
    sweep.delete(kube, [x for x in sweep.find(kube, run_id=run_id) if not x.terminating])

    def gone() -> None:
        if sweep.find(kube, run_id=run_id):
            raise NotYet(f"objects of run {run_id} still terminating")

    wait_until(LEFTOVERS_GONE, gone)


def admits_ordinary_objects(kube: KubeCluster) -> None:
    """No webhook or dangling APIService of ours blocks ordinary writes."""
    name = f"chaos-probe-{secrets.token_hex(3)}"
    body = {"metadata": {"name": name}, "data": {"k": "v"}}
    call(f"create configmap default/{name}", lambda: kube.core.create_namespaced_config_map("default", body))
    call(f"delete configmap default/{name}", lambda: kube.core.delete_namespaced_config_map(name, "default"))


def test_interrupted_runs_leave_nothing_behind(kube: KubeCluster, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    windows = {workers: calibrated_window(workers, tmp_path) for workers in (0, 2)}
    shown = ", ".join(f"{w} workers: {a:.1f}-{b:.1f} s" for w, (a, b) in windows.items())
    print(f"\nchaos: seed {SEED}, {RUNS} runs of {' '.join(TARGET)}, points in ({shown}); logs in {tmp_path}")
    outcomes = []
    for index in range(RUNS):
        outcome = interrupt_once(kube, index, rng, tmp_path, windows[workers_of(index)])
        admits_ordinary_objects(kube)
        outcomes.append(outcome)
        print(
            f"chaos: run {index:2d} {outcome.signal:7s} workers={outcome.workers} at {outcome.point_s:5.2f}s"
            f"{' (finished first)' if outcome.finished_first else ''} -> exit {outcome.exit_code} "
            f"after {outcome.stop_s:4.1f}s; left {len(outcome.left)}, kept {len(outcome.kept)}"
        )
    total = time.monotonic() - started
    print(f"chaos: {RUNS} runs in {total:.0f}s; slowest stop {max(o.stop_s for o in outcomes):.1f}s")
    leaks = [(o.index, o.left) for o in outcomes if o.left]
    assert not leaks, f"runs left objects behind (seed {SEED}; logs in {tmp_path}): {leaks}"
    assert sum(not o.finished_first for o in outcomes) >= RUNS // 2, "most runs ended before the signal"
