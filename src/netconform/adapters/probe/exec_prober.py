"""The real prober: one exec per source pod runs all of that pod's probes concurrently.

Upstream's e2e suite runs one `kubectl exec` per cell (81 per table, 3 workers); on a 2-core machine the
exec round trip dominates. Batching per source turns 72 execs into 9, each running the probe command for every
target in parallel inside the pod and reading back one line per probe. What the probe command is (agnhost
connect, netexec /dial) is the :class:`~netconform.adapters.probe.methods.ProbeMethod`'s business; a
:class:`~netconform.adapters.probe.methods.BatchProbeMethod` (our dialer) is one command for the whole batch
that prints the result lines itself, so no shell starts a process per probe.
"""

from __future__ import annotations

import math
import re
import shlex
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import KubeError
from netconform.adapters.probe.methods import (
    AgnhostConnect,
    BatchProbeMethod,
    ProbeMethod,
    answered,
    not_run,
)
from netconform.adapters.probe.model import Endpoint, ProbeJob, ProbeResult

_MARK = "@@netconform"  # testbed/dialer/main.go prints the same lines (probe.methods.MultiDial)
_RESULT_LINE = re.compile(rf"^{_MARK} (\d+) (\d+) ?(.*)$")
EXEC_SLACK_S = 20.0  # beyond the probe timeout: exec setup on a loaded API server


class ExecProber:
    def __init__(
        self,
        cluster: KubeCluster,
        *,
        method: ProbeMethod | None = None,
        parallel_sources: int = 6,
        keep_shells: bool = False,
    ):
        """``keep_shells``: run each batch in the source container's kept shell (KubeCluster.run_script)
        instead of a new exec: for a prober that probes the same pods many times (the netpol suite)."""
        self.cluster = cluster
        self.method: ProbeMethod = method or AgnhostConnect()
        self.parallel_sources = parallel_sources
        self.keep_shells = keep_shells

    def probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]:
        by_source: dict[Endpoint, list[int]] = defaultdict(list)
        for index, job in enumerate(jobs):
            by_source[job.source].append(index)
        results: list[ProbeResult | None] = [None] * len(jobs)
        with ThreadPoolExecutor(max_workers=self.parallel_sources) as pool:
            batches = {
                pool.submit(self._probe_from, source, [jobs[i] for i in indexes]): indexes
                for source, indexes in by_source.items()
            }
            for future, indexes in batches.items():
                for index, result in zip(indexes, future.result(), strict=True):
                    results[index] = result
        return [r for r in results if r is not None]

    def _probe_from(self, source: Endpoint, jobs: list[ProbeJob]) -> list[ProbeResult]:
        if isinstance(self.method, BatchProbeMethod):
            script = shlex.join(self.method.batch_command(jobs))  # it prints the result lines itself
        else:
            deadline = self.method.timeout_s if self.method.needs_deadline else None
            script = batch_script([self.method.command(job) for job in jobs], deadline)
        timeout_s = self.method.timeout_s + EXEC_SLACK_S
        try:
            if self.keep_shells:
                outcome = self.cluster.run_script(
                    source.namespace, source.pod, script, container=source.container, timeout_s=timeout_s
                )
            else:
                outcome = self.cluster.exec(
                    source.namespace,
                    source.pod,
                    ["/bin/sh", "-c", script],
                    container=source.container,
                    timeout_s=timeout_s,
                )
        except KubeError as err:
            return [not_run(job, self.method, f"exec failed: {err}") for job in jobs]
        parsed = parse_batch_output(outcome.stdout)
        results = []
        for index, job in enumerate(jobs):
            if index not in parsed:
                detail = (
                    f"no result from the batch (exec rc {outcome.returncode}: {outcome.stderr.strip()[:200]})"
                )
                results.append(not_run(job, self.method, detail))
                continue
            returncode, text = parsed[index]
            results.append(answered(job, self.method, returncode, text))
        return results


def batch_script(commands: Sequence[Sequence[str]], deadline_s: float | None = None) -> str:
    """A POSIX shell script that runs every command in the background and prints one line per command:
    its exit status and the first line of its output.

    Per command it starts that command and nothing else (the 2-core test bed pays for every fork: a helper
    process or two per probe made a 288-probe table cost more CPU than the probes). With ``deadline_s``, one
    watchdog kills whatever still runs at the deadline (exit 143); it checks that the batch is still going, so
    a late watchdog never touches a reused PID, and its output goes nowhere, so the exec ends with the batch.
    """
    lines = ["d=$(mktemp -d)"]
    for index, command in enumerate(commands):
        lines.append(f'{shlex.join(command)} >"$d/{index}" 2>&1 & p{index}=$!')
    pids = " ".join(f"$p{index}" for index in range(len(commands)))
    if deadline_s is not None and commands:
        lines.append(
            f'( sleep {math.ceil(deadline_s)}; [ -d "$d" ] && kill {pids} ) >/dev/null 2>&1 </dev/null &'
        )
    for index in range(len(commands)):
        lines.append(f'wait $p{index}; r=$?; o=; IFS= read -r o <"$d/{index}"')
        lines.append(f"printf '%s\\n' \"{_MARK} {index} $r $o\"")
    lines.append('rm -rf "$d"')
    return "\n".join(lines)


def parse_batch_output(stdout: str) -> dict[int, tuple[int, str]]:
    parsed = {}
    for line in stdout.splitlines():
        match = _RESULT_LINE.match(line.strip())
        if match:
            parsed[int(match.group(1))] = (int(match.group(2)), match.group(3).strip())
    return parsed
