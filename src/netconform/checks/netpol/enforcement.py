"""One probe that proves whether the cluster enforces NetworkPolicy at all (core.netpol.enforcement decides).

The catalog's deny-all-ingress state goes in (policy x/deny-ingress); y/b -> x/a on 80/TCP by pod IP is probed
until it is blocked or the attempts run out; the topology is reset and the pod-IP matrix must flow again
before any case starts.
"""

from __future__ import annotations

import time

from netconform.adapters.probe.model import ProbeJob, Prober
from netconform.adapters.probe.retry import probe_until_expected
from netconform.checks.netpol.run import BASELINE_ATTEMPTS, STEP_PAUSE_S
from netconform.checks.netpol.topology import NetpolTopology
from netconform.core.netpol.cases import by_id, states
from netconform.core.netpol.cases.model import TargetMode
from netconform.core.netpol.enforcement import EnforcementProof
from netconform.core.truthtable import Cell, Probe, Protocol, satisfies
from netconform.errors import CannotCheck

CHECK_CASE = "deny-all-ingress"  # its one step: a deny-all ingress policy in x
SOURCE, TARGET = "y/b", "x/a"
PROBE = Probe(80, Protocol.TCP)
# Engines program a new policy in well under a second (kube-router) to a few seconds (Calico, the VPC CNI's
# agent); 15 attempts 1 s apart, each up to the probe deadline, give one 15-45 s before "not enforced" holds.
PROOF_ATTEMPTS = 15


def prove_enforcement(
    topology: NetpolTopology,
    prober: Prober,
    *,
    attempts: int = PROOF_ATTEMPTS,
    pause_s: float = STEP_PAUSE_S,
) -> EnforcementProof:
    job = _the_job(topology)
    namespace = topology.namespace_names["x"]
    started = time.monotonic()
    topology.apply_state(states(by_id(CHECK_CASE))[0])
    try:
        result = probe_until_expected(
            prober, [job], {job: Cell.BLOCKED}, max_attempts=attempts, pause_s=pause_s, confirm=False
        )[0]
    finally:
        topology.reset()
    elapsed = time.monotonic() - started
    if result.state is Cell.PROBE_ERROR:
        raise CannotCheck(f"the NetworkPolicy enforcement probe could not run: {result.describe()}")
    enforced = satisfies(Cell.BLOCKED, result.state)
    seen = (
        f"{result.state.name.lower()} after {result.attempts} attempt(s)"
        if enforced
        else f"still allowed after {result.attempts} attempts over {elapsed:.0f} s"
    )
    evidence = (
        f"with a deny-all ingress policy in {namespace} (x), {SOURCE} -> {TARGET} {PROBE}: {seen}; "
        f"reproduce with that policy applied: {result.reproduce}"
    )
    # Traffic must flow again before a case starts: a lingering deny would be mistaken for the case's.
    topology.check_baseline(prober, [PROBE], [TargetMode.POD_IP], BASELINE_ATTEMPTS, pause_s=pause_s)
    return EnforcementProof(enforced, evidence)


def _the_job(topology: NetpolTopology) -> ProbeJob:
    for job in topology.jobs([PROBE], TargetMode.POD_IP):
        if job.source.key == SOURCE and job.target_key == TARGET:
            return job
    raise AssertionError(
        f"the topology has no {SOURCE} -> {TARGET} pair"
    )  # NetpolTopology.jobs makes every pair
