"""Benchmark on a live cluster: the batched prober against one exec per probe, then the full netpol catalog.

Side by side on the same deployed x/y/z × a/b/c topology and the same tables (288 probes each: 72 ordered pod
pairs × 80/81 × TCP/UDP) of two cases, a narrow policy and a wide one (see CASES):

* per pair   — one ``kubectl exec`` per probe running ``/agnhost connect`` (upstream e2e netpol: 3 workers);
* (batched agnhost connect — one exec per source, its 32 probes as 32 agnhost processes at once — is not
  measured any more: since probe pods get default limits (128 Mi, adapters/kube/pod_defaults.py), those 32
  Go processes exceed the server container's memory limit; the kernel's memcg OOM killer ends the container
  (exec rc 137), and the rows after it met restarting containers. Measured 2026-12-03 on the 2-node bed.)
* batched + dial — one exec per source, each probe a busybox wget asking the source pod's own netexec to
  dial (no Go process per probe): the suite's prober where the probe image is upstream's agnhost;
* batched + dialer — one process per source per pass, /netconform-dial dialling every target of the source
  at once (testbed/dialer): the suite's prober where the image has it (the test bed's does).

Targets: the suite's prober ≥ 10× the probes per second of per-pair probing (issue 4), and the full
hand-written catalog (every case in every target mode) in under 3 minutes with 2 workers on the 2-core test
bed (issue 17). The catalog is timed by running the suite itself (pytest
suites/netpol/test_networkpolicy.py -n 2) in a child process. Needs a reachable
cluster (KUBECONFIG); `make bench` brings the test bed up when none is configured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from netconform.adapters.kube import labels
from netconform.adapters.kube.client import api_client
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.methods import AgnhostConnect, MultiDial, NetexecDial
from netconform.adapters.probe.model import ProbeJob, Prober, ProbeResult
from netconform.adapters.probe.per_pair import PerPairExecProber
from netconform.adapters.probe.retry import probe_until_expected
from netconform.checks.netpol.topology import DIAL_PORT, NetpolTopology
from netconform.core.netpol.cases import by_id, expected_tables, states
from netconform.core.netpol.cases.model import NAMESPACES, POD_KEYS, TargetMode
from netconform.core.truthtable import Cell, Probe, satisfies

# A narrow policy (x/a admits x/b: 28 of 288 cells blocked) and a wide one (deny all ingress in x: 96
# blocked). On the test bed kube-router REJECTs, and the kernel's ICMP rate limit (a burst of 6 per
# destination) turns most of a wide table's rejections into timeouts: every batched pass then waits out the
# probe deadline, while one exec per probe is slow enough for the rate limit to refill.
CASES = ("pod-selector-ingress", "deny-all-ingress")
BATCHED_PASSES = 5  # best of: one pass is a second or two
PER_PAIR_PASSES = 1  # one pass is minutes; the rate is stable across its 288 execs
TARGET_RATIO = 10.0
TARGET_CATALOG_S = 180.0
CATALOG_WORKERS = int(os.environ.get("NETCONFORM_NETPOL_WORKERS", "2"))  # each worker: its own topology
RUN_ID = f"bench{int(time.time())}"


@dataclass(frozen=True)
class Measured:
    name: str
    probes: int
    seconds: float
    wrong: int  # cells that did not meet the expectation (0 when the prober and the cluster agree)
    example: str = ""  # the first such cell: what it read, and how to reproduce it

    @property
    def rate(self) -> float:
        return self.probes / self.seconds


def measure(
    name: str, prober: Prober, jobs: Sequence[ProbeJob], expected: dict[ProbeJob, Cell], passes: int
) -> Measured:
    best = float("inf")
    off: list[ProbeResult] = []
    for _ in range(passes):
        start = time.perf_counter()
        results = prober.probe(jobs)
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best = elapsed
            off = [r for r in results if not satisfies(expected[r.job], r.state)]
    example = f"{off[0].state.name}: {off[0].detail[:300]} ({off[0].reproduce})" if off else ""
    return Measured(name, len(jobs), best, len(off), example)


def compare_probers(kube: KubeCluster, images: ImageSettings) -> dict[str, list[Measured]]:
    """Per case: the three probers on the same 288 jobs, with the case's policies in force."""
    created: list[str] = []

    def create_namespace(base: str, extra: dict[str, str]) -> str:
        name = f"nc-{RUN_ID}-{base}"
        kube.create_namespace(name, RUN_ID, {labels.BASE_NAME: base, **extra})
        created.append(name)
        return name

    try:
        topology = NetpolTopology.deploy(kube, images, create_namespace, sctp=False)
        dial = ExecProber(kube, method=NetexecDial(DIAL_PORT), parallel_sources=len(POD_KEYS))
        topology.check_baseline(dial, [Probe(80, p) for p in topology.protocols], [TargetMode.POD_IP], 10)
        connect = AgnhostConnect()
        probers: list[tuple[str, Prober, int]] = [
            ("per pair (upstream)", PerPairExecProber(kube, method=connect), PER_PAIR_PASSES),
            ("batched, netexec dial", dial, BATCHED_PASSES),
            (
                "batched, netexec dial, kept shells",
                ExecProber(
                    kube, method=NetexecDial(DIAL_PORT), parallel_sources=len(POD_KEYS), keep_shells=True
                ),
                BATCHED_PASSES,
            ),
            (
                "batched, dialer, kept shells",
                ExecProber(kube, method=MultiDial(), parallel_sources=len(POD_KEYS), keep_shells=True),
                BATCHED_PASSES,
            ),
        ]
        measured: dict[str, list[Measured]] = {}
        for case_id in CASES:
            case = by_id(case_id)
            (expected_table,) = expected_tables(case, topology.world())
            topology.reset()
            topology.apply_state(states(case)[0])
            jobs = topology.jobs(expected_table.probes, TargetMode.POD_IP)
            expected = {
                j: expected_table.cell(j.source.key, j.target_key, Probe(j.port, j.protocol)) for j in jobs
            }
            probe_until_expected(dial, jobs, expected, max_attempts=10)  # in force before timing starts
            measured[case_id] = [measure(name, p, jobs, expected, passes) for name, p, passes in probers]
        return measured
    finally:
        for name in created:
            kube.delete_namespace(name)


def time_catalog(extra_args: Sequence[str]) -> tuple[float, int, str]:
    """Wall time of the hand-written catalog (every case, every target mode), its exit code and summary."""
    catalog = "suites/netpol/test_networkpolicy.py"
    command = [sys.executable, "-m", "pytest", catalog, "-q", "-p", "no:randomly", *extra_args]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    lines = done.stdout.splitlines()
    summary = next((line for line in reversed(lines) if " in " in line), "(no summary)").strip("= ")
    failed = [line for line in lines if line.startswith("FAILED ")]
    return elapsed, done.returncode, "; ".join([summary, *failed])


def run() -> None:
    if not os.environ.get("KUBECONFIG"):
        print("probers: skipped (no cluster: KUBECONFIG is not set; `make bench` brings up the test bed)")
        return
    kube = KubeCluster(api_client(None, None))
    images = ImageSettings(
        os.environ.get("NETCONFORM_PROBE_IMAGE", "registry.k8s.io/e2e-test-images/agnhost:2.63.0"),
        os.environ.get("NETCONFORM_IMAGE_PULL_POLICY", "IfNotPresent"),
    )
    print(f"probers: {len(POD_KEYS)} pods in {len(NAMESPACES)} namespaces, pod IPs, 288 probes per table")
    for case_id, rows in compare_probers(kube, images).items():
        print(f"  case {case_id}:")
        for row in rows:
            print(
                f"    {row.name:34s} {row.seconds:7.2f} s = {row.rate:7.1f} probes/s"
                f"   (cells off the expectation: {row.wrong})"
            )
            if row.example:
                print(f"      first: {row.example}")
        ratio = rows[-1].rate / rows[0].rate
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        print(f"    batched + dialer vs per pair: {ratio:.1f}x ({verdict} the {TARGET_RATIO:g}x target)")
    elapsed, code, summary = time_catalog(["-n", str(CATALOG_WORKERS)])
    verdict = "meets" if elapsed < TARGET_CATALOG_S and code == 0 else "MISSES"
    print(
        f"catalog (-n {CATALOG_WORKERS}): {elapsed / 60:.1f} min, pytest exit {code}: {summary} "
        f"({verdict} the {TARGET_CATALOG_S / 60:g} min target)"
    )


if __name__ == "__main__":
    run()
