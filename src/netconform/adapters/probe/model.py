"""What a probe asks and what it found. Probes report; they do not raise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from netconform.core.truthtable import Cell, Protocol


@dataclass(frozen=True)
class Endpoint:
    """A pod as the prober sees it: where to exec (source) or what to dial (target)."""

    key: str  # the model's name, e.g. "x/a"
    namespace: str  # the real namespace
    pod: str
    container: str | None = None


@dataclass(frozen=True)
class ProbeJob:
    source: Endpoint
    target_key: str  # the model's name of the destination (pod, service or host)
    address: str  # IP or DNS name to dial
    port: int
    protocol: Protocol


@dataclass(frozen=True)
class ProbeResult:
    job: ProbeJob
    state: Cell
    detail: str  # what the probe said (agnhost's or netexec's words) or why the probe itself failed
    reproduce: str
    attempts: int = 1

    def describe(self) -> str:
        return (
            f"{self.job.source.key} -> {self.job.target_key} {self.job.port}/{self.job.protocol.value}: "
            f"{self.state.name.lower()} ({self.detail or 'connected'}); reproduce: {self.reproduce}"
        )


class Prober(TypingProtocol):
    """Runs a batch of probes; one result per job, in the same order."""

    def probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]: ...
