"""One exec per probe, as upstream's e2e netpol suite does: what the batched prober is measured against.

Not used by the suites; `make bench` runs it side by side with :class:`ExecProber` on the same table, and it
is a fallback for images without a shell (it execs the probe command directly).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import KubeError
from netconform.adapters.probe.exec_prober import EXEC_SLACK_S
from netconform.adapters.probe.methods import AgnhostConnect, ProbeMethod, answered, not_run, standalone
from netconform.adapters.probe.model import ProbeJob, ProbeResult

UPSTREAM_WORKERS = 3  # test/e2e/network/netpol probes with 3 goroutines


class PerPairExecProber:
    def __init__(
        self, cluster: KubeCluster, *, method: ProbeMethod | None = None, workers: int = UPSTREAM_WORKERS
    ):
        self.cluster = cluster
        self.method: ProbeMethod = method or AgnhostConnect()
        self.workers = workers

    def probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(self._probe_one, jobs))

    def _probe_one(self, job: ProbeJob) -> ProbeResult:
        try:
            outcome = self.cluster.exec(
                job.source.namespace,
                job.source.pod,
                standalone(job, self.method),
                container=job.source.container,
                timeout_s=self.method.timeout_s + EXEC_SLACK_S,
            )
        except KubeError as err:
            return not_run(job, self.method, f"exec failed: {err}")
        text = f"{outcome.stdout} {outcome.stderr}".strip()
        returncode = -1 if outcome.returncode is None else outcome.returncode  # None: the exec itself broke
        return answered(job, self.method, returncode, text)
