"""How one probe runs inside a source pod: the command, how to read its answer, and how long it may take.

Three methods. Two need only the agnhost image (agnhost + its busybox base):

- :class:`AgnhostConnect` runs ``/agnhost connect`` per probe (upstream's e2e netpol way). Each probe is a
  fresh 60 MB Go process: on a 2-core node, ~15 ms of CPU each, which dominates a 288-probe table.
- :class:`NetexecDial` asks the source pod's own ``agnhost netexec`` to dial the target (``/dial``) with one
  busybox ``wget`` to localhost. The dial happens in the source pod's network namespace, so policy applies
  exactly as to any other client, but no Go process starts per probe: ~10× cheaper. It needs the source
  container to run netexec and the target to speak netexec's protocols (HTTP over TCP, "hostname" over UDP
  and SCTP). netexec's own dial timeout is fixed at 5 s, so the batch kills a probe that has no answer
  sooner (``needs_deadline``): it is blocked (netexec finishes its dial unseen). Alone, the same probe runs
  under ``timeout`` (see :func:`standalone`).

The third, :class:`MultiDial`, needs our own probe client in the image (``/netconform-dial``, built from
testbed/dialer; the test bed's probe image has it): one process per source pod per pass dials every target at
once, each within its own deadline, and prints the batch's result lines itself. A 288-probe pass is then 9
process starts instead of 288 ``wget`` forks plus netexec's HTTP round trips. The conversation is
``agnhost connect``'s (a TCP connection that opens; a UDP or SCTP "hostname" answered by netexec), and so are
its words (TIMEOUT, REFUSED, DNS:, OTHER:).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol as TypingProtocol
from typing import runtime_checkable
from urllib.parse import urlencode

from netconform.adapters.probe.model import ProbeJob, ProbeResult
from netconform.core.truthtable import Cell, Protocol

CONNECT_TIMEOUT_S = 1.0
# netexec dials in-process within milliseconds; the deadline also covers starting busybox wget and the
# localhost round trip. One second (upstream's connect timeout) proved too short under three pytest workers on
# the 2-core bed: whole sources missed it on every attempt. (netexec's own dial timeout, 5 s, is hard-coded.)
DIAL_TIMEOUT_S = 2
TIMED_OUT = (124, 143)  # killed at the deadline: 124 from coreutils `timeout`, 128+SIGTERM otherwise
# The network's own "no way there": the same drop as a timeout, answered at once once the kernel's neighbour
# entry for the next hop has failed (a packet to an unprogrammed Service IP, or to a dead pod's address).
UNREACHABLE = ("no route to host", "host is unreachable", "network is unreachable")


DIALER_PATH = "/netconform-dial"


class ProbeMethod(TypingProtocol):
    @property
    def timeout_s(self) -> float:
        """The longest one probe can take inside the pod (a blocked probe takes this long)."""
        ...

    @property
    def needs_deadline(self) -> bool:
        """True when the command does not bound itself: whoever runs it must kill it at ``timeout_s``."""
        ...

    def command(self, job: ProbeJob) -> list[str]: ...

    def classify(self, returncode: int, output: str) -> Cell: ...

    def describe(self, returncode: int, output: str) -> str:
        """What the probe said, for the report (the raw output unless there is a clearer word)."""
        ...


@runtime_checkable
class BatchProbeMethod(ProbeMethod, TypingProtocol):
    """A method whose one command runs a source's whole batch and prints the batch's result lines
    (exec_prober's format) itself, each probe bounded within ``timeout_s``."""

    def batch_command(self, jobs: Sequence[ProbeJob]) -> list[str]: ...


def standalone(job: ProbeJob, method: ProbeMethod) -> list[str]:
    """The command that runs one probe on its own, bounded (reproduce lines, one exec per probe)."""
    command = method.command(job)
    return ["timeout", f"{method.timeout_s:g}", *command] if method.needs_deadline else command


def reproduce(job: ProbeJob, method: ProbeMethod) -> str:
    """The kubectl line that runs this one probe by hand."""
    where = f"-n {job.source.namespace} {job.source.pod}"
    if job.source.container:
        where += f" -c {job.source.container}"
    return f"kubectl exec {where} -- {shlex.join(standalone(job, method))}"


def answered(job: ProbeJob, method: ProbeMethod, returncode: int, output: str) -> ProbeResult:
    """The result of a probe that ran: the method reads its exit status and output."""
    state = method.classify(returncode, output)
    return ProbeResult(job, state, method.describe(returncode, output), reproduce(job, method))


def not_run(job: ProbeJob, method: ProbeMethod, why: str) -> ProbeResult:
    """A probe that could not run (the exec failed): an error, never a verdict on the network."""
    return ProbeResult(job, Cell.PROBE_ERROR, why, reproduce(job, method))


@dataclass(frozen=True)
class AgnhostConnect:
    timeout_s: float = CONNECT_TIMEOUT_S
    needs_deadline = False  # --timeout bounds the dial

    def command(self, job: ProbeJob) -> list[str]:
        return [
            "/agnhost",
            "connect",
            _host_port(job.address, job.port),
            f"--timeout={self.timeout_s:g}s",
            f"--protocol={job.protocol.value.lower()}",
        ]

    def classify(self, returncode: int, output: str) -> Cell:
        return _connect_cell(returncode, output)

    def describe(self, returncode: int, output: str) -> str:
        return output


_DIAL_PROTOCOL = {Protocol.TCP: "http", Protocol.UDP: "udp", Protocol.SCTP: "sctp"}


@dataclass(frozen=True)
class NetexecDial:
    """``/dial`` on the source container's netexec, listening on ``port`` (the pod's own HTTP port)."""

    port: int = 80
    timeout_s: float = DIAL_TIMEOUT_S
    needs_deadline = True

    def command(self, job: ProbeJob) -> list[str]:
        query = urlencode(
            {
                "host": job.address,
                "port": job.port,
                "protocol": _DIAL_PROTOCOL[job.protocol],
                "request": "hostname",
                "tries": 1,
            }
        )
        # No wget -T: the Debian static busybox crashes on it; the deadline is the batch's (or `timeout`'s).
        return ["wget", "-q", "-O", "-", f"http://127.0.0.1:{self.port}/dial?{query}"]

    def classify(self, returncode: int, output: str) -> Cell:
        """netexec answers {"responses": [...]} or {"errors": [...]}; wget fails only when netexec itself does
        (HTTP 400: the name did not resolve or a parameter was bad; or nothing listens on the dial port)."""
        if returncode in TIMED_OUT:
            return Cell.BLOCKED
        if returncode != 0:
            return Cell.PROBE_ERROR
        try:
            answer = json.loads(output)
        except ValueError:
            return Cell.PROBE_ERROR
        if not isinstance(answer, dict):
            return Cell.PROBE_ERROR
        if answer.get("responses"):
            return Cell.ALLOWED
        error = " ".join(str(e) for e in answer.get("errors", []))
        if "connection refused" in error:
            return Cell.REFUSED
        if "timeout" in error or "deadline exceeded" in error or _unreachable(error):
            return Cell.BLOCKED
        return Cell.PROBE_ERROR

    def describe(self, returncode: int, output: str) -> str:
        if returncode in TIMED_OUT:
            return f"TIMEOUT: no answer within {self.timeout_s:g} s"
        return output


@dataclass(frozen=True)
class MultiDial:
    """``/netconform-dial`` in the source container: every target of a batch in one process."""

    timeout_s: float = DIAL_TIMEOUT_S
    path: str = DIALER_PATH
    needs_deadline = False  # --timeout bounds every dial, and the process bounds itself a second later

    def command(self, job: ProbeJob) -> list[str]:
        return self.batch_command([job])

    def batch_command(self, jobs: Sequence[ProbeJob]) -> list[str]:
        return [self.path, f"--timeout={self.timeout_s:g}s", *(_target(job) for job in jobs)]

    def classify(self, returncode: int, output: str) -> Cell:
        """The dialer's words are agnhost connect's: 0 answered; TIMEOUT, REFUSED, DNS:, OTHER: otherwise."""
        return _connect_cell(returncode, output)

    def describe(self, returncode: int, output: str) -> str:
        return output


def _connect_cell(returncode: int, output: str) -> Cell:
    """agnhost connect's words: exit 0 connected; else TIMEOUT, REFUSED, DNS:, OTHER: on stderr."""
    if returncode == 0:
        return Cell.ALLOWED
    if output.startswith("TIMEOUT") or "i/o timeout" in output or _unreachable(output):
        return Cell.BLOCKED
    if output.startswith("REFUSED") or "connection refused" in output:
        return Cell.REFUSED
    return Cell.PROBE_ERROR


def _target(job: ProbeJob) -> str:
    return f"{job.protocol.value.lower()}:{_host_port(job.address, job.port)}"


def _unreachable(text: str) -> bool:
    lowered = text.lower()
    return any(words in lowered for words in UNREACHABLE)


def _host_port(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
