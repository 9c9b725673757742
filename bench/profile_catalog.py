"""Where the netpol catalog's time goes: the suite's own machinery in one process, every phase timed.

``python -m bench.profile_catalog [--cases N] [--modes pod-ip,service-ip,service-dns]`` deploys the topology
(pod start timed), runs the first N catalog cases in the given target modes as the suite does (run_case:
reset + baseline between cases, apply, probe until expected, confirm) and splits the wall time into: probe
passes (count, probes, seconds, per-probe latency), the re-probe pauses (time.sleep in the retry loop), the
API calls that apply and reset state, and the baseline passes between cases. Needs KUBECONFIG (the test bed).
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from netconform.adapters.deviations_file import bundled, read_deviations
from netconform.adapters.kube import labels
from netconform.adapters.kube.client import api_client
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe import retry
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.model import ProbeJob, ProbeResult
from netconform.checks.netpol import run as netpol_run
from netconform.checks.netpol.topology import NetpolTopology, inspect_probe_image
from netconform.core.netpol.cases import CASES, TargetMode
from netconform.core.netpol.cases.model import NAMESPACES, POD_KEYS
from netconform.core.netpol.generate import generate
from netconform.core.truthtable import Cell
from netconform.testbed.lifecycle import TESTBED_DEVIATIONS

seconds: defaultdict[str, float] = defaultdict(float)
counts: Counter[str] = Counter()


class TimedProber:
    def __init__(self, inner: ExecProber) -> None:
        self.inner = inner
        self.phase = "step"

    def probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]:
        started = time.monotonic()
        results = self.inner.probe(jobs)
        elapsed = time.monotonic() - started
        seconds[f"probe passes ({self.phase})"] += elapsed
        counts[f"probe passes ({self.phase})"] += 1
        # A blocked probe lasts until the batch's deadline: the split says what the deadline costs.
        kind = "a cell blocked" if any(r.state is Cell.BLOCKED for r in results) else "every cell answered"
        seconds[f"  of which passes with {kind}"] += elapsed
        counts[f"  of which passes with {kind}"] += 1
        counts[f"probes ({self.phase})"] += len(jobs)
        return results


def _timed(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[label] += time.monotonic() - started
            counts[label] += 1

    setattr(owner, name, wrapper)


class _Sleep:
    """Stands in for the retry module's ``time``: counts the re-probe pauses."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(s: float) -> None:
        seconds["re-probe pauses"] += s
        counts["re-probe pauses"] += 1
        time.sleep(s)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_catalog")
    parser.add_argument("--cases", type=int, default=len(CASES))
    parser.add_argument("--modes", default=TargetMode.POD_IP.value)
    parser.add_argument(
        "--generated", metavar="SEED:N", help="generated cases 0..N-1 of SEED, not the catalog"
    )
    args = parser.parse_args(argv)
    generated = None
    if args.generated:
        seed, _, count = args.generated.partition(":")
        generated = (int(seed), int(count))
    # A bounded run (``timeout``) still reports what it measured: SIGTERM ends the cases, not the report.
    signal.signal(signal.SIGTERM, _interrupt)
    interrupted = ""
    try:
        profile(args.cases, [TargetMode(m) for m in args.modes.split(",")], generated)
    except KeyboardInterrupt:
        interrupted = " (interrupted: the cases run so far)"
    what = f"seed {generated[0]}, {generated[1]} generated" if generated else f"{args.cases} catalog"
    report(f"{what} cases × {args.modes}{interrupted}")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def profile(n_cases: int, modes: list[TargetMode], generated: tuple[int, int] | None = None) -> None:
    kube = KubeCluster(api_client(None, None))
    images = ImageSettings(
        os.environ.get("NETCONFORM_PROBE_IMAGE", "registry.k8s.io/e2e-test-images/agnhost:2.63.0"),
        os.environ.get("NETCONFORM_IMAGE_PULL_POLICY", "IfNotPresent"),
    )
    run_id = f"prof{int(time.time()) % 100000}"
    created: list[str] = []

    def make(base: str, extra: dict[str, str]) -> str:
        name = f"nc-{run_id}-{base}"
        kube.create_namespace(name, run_id, {labels.BASE_NAME: base, **extra})
        created.append(name)
        return name

    retry.time = _Sleep()  # type: ignore[attr-defined,assignment]
    wall = cases_started = time.monotonic()
    try:
        started = time.monotonic()
        topology = NetpolTopology.deploy(kube, images, make, sctp=False)
        seconds["deploy + pods Ready"] = time.monotonic() - started
        probe_image = inspect_probe_image(kube, make("probe-image", {}), images)  # as the suite picks
        print(f"catalog profile: {probe_image.describe()}")
        prober = TimedProber(
            ExecProber(kube, method=probe_image.method(), parallel_sources=len(POD_KEYS), keep_shells=True)
        )
        _timed(topology, "apply_state", "apply state (API calls)")
        _timed(topology, "reset", "reset (API calls)")
        original_baseline = topology.check_baseline

        def baseline(*a: Any, **k: Any) -> None:
            prober.phase = "baseline"
            started = time.monotonic()
            try:
                original_baseline(*a, **k)
            finally:
                seconds["baseline between cases"] += time.monotonic() - started
                counts["baseline between cases"] += 1
                prober.phase = "step"

        topology.check_baseline = baseline  # type: ignore[method-assign]
        baseline(prober, netpol_run.BASELINE_PROBES, [TargetMode.POD_IP], 10)
        cases_started = time.monotonic()
        cases = CASES[:n_cases] if generated is None else generate(*generated, topology.world(), sctp=False)
        deviations = read_deviations(bundled(TESTBED_DEVIATIONS))
        for case in cases:
            for mode in modes:
                if mode is TargetMode.SERVICE_DNS and not case.dns_mode:
                    continue
                runs = netpol_run.run_case(topology, prober, case, mode, deviations=deviations)
                counts["known-deviation case runs"] += any(r.verdict.deviated for r in runs)
                counts["steps"] += len(runs)
                counts["case runs"] += 1
                counts["failed case runs"] += sum(1 for r in runs if not r.verdict.passed)
    finally:
        seconds["cases (all phases)"] = time.monotonic() - cases_started
        for name in created:
            kube.delete_namespace(name)
        seconds["wall"] = time.monotonic() - wall


def report(what: str) -> None:
    steps = counts["steps"]
    print(f"catalog profile: {counts['case runs']} case runs ({what}), {steps} steps")
    for label, value in sorted(seconds.items(), key=lambda kv: -kv[1]):
        n = counts.get(label, 0)
        per = f"  ({value / n:.3f} s each over {n})" if n else ""
        print(f"  {label:<32} {value:8.1f} s{per}")
    for phase in ("step", "baseline"):
        probes = counts[f"probes ({phase})"]
        passes = counts[f"probe passes ({phase})"]
        if probes:
            pass_s = seconds[f"probe passes ({phase})"]
            print(
                f"  {phase} probing: {probes} probes in {passes} passes, {probes / pass_s:.0f} probes/s, "
                f"{pass_s / passes:.2f} s per pass, {passes / max(steps, 1):.2f} passes per step"
            )
    print(
        f"  failed case runs: {counts['failed case runs']}, with known deviations: "
        f"{counts['known-deviation case runs']} (namespaces: {', '.join(NAMESPACES)})"
    )


if __name__ == "__main__":
    main()
