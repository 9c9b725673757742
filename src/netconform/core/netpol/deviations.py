"""Known CNI deviations: cells where an implementation is known to differ from the API, declared as data.

A deviation names the cells it covers (case, target mode, source -> destination, port/protocol; ``*`` is a
wildcard), what the CNI does instead, a reason and a link. Or it names a *shape*: a mechanism of the CNI
(core.netpol.mechanisms) that, run on the step's own cluster and policies, predicts the observed verdict of
each cell it covers, so it covers a generated case of that shape whatever its id, and no other cell.

A wrong cell that a deviation covers is reported as a *known deviation* (the test is marked xfail with the
reason), never passed in silence; a wrong cell no deviation covers fails the test as always. A deviation may
instead name whole protocols the cluster cannot carry at all (SCTP on a kernel without it).

The file (YAML or JSON, parsed elsewhere) looks like::

    cni: kube-router v2.1.0 on the netconform test bed
    deviations:
      - id: same-node-egress-not-enforced
        cases: [deny-all-allow-dns-everywhere]
        modes: [pod-ip]
        cells: ["z/c -> z/a", "z/c -> z/b */TCP"]
        observed: [allowed]
        reason: ...
        link: https://...
      - id: one-chain-per-policy
        shape: one-chain-per-policy
        observed: [allowed]
        reason: ...
        link: https://...
      - id: no-sctp
        protocols: [SCTP]
        reason: ...
        link: ...
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netconform.core.netpol.mechanisms import MECHANISMS, Mechanism
from netconform.core.netpol.model import Cluster
from netconform.core.netpol.policy import NetworkPolicy
from netconform.core.truthtable import Cell, CellDiff, Protocol, satisfies
from netconform.errors import InputError

_CELL = re.compile(
    r"^\s*(?P<src>\S+)\s*->\s*(?P<dst>\S+)(?:\s+(?P<port>\*|\d+)/(?P<proto>\*|[A-Za-z]+))?\s*$"
)
_KEYS = {"id", "cases", "modes", "cells", "observed", "protocols", "shape", "reason", "link"}


class DeviationsError(InputError):
    """The deviations file is not what this module reads: one line says where and why."""


@dataclass(frozen=True)
class CellPattern:
    """``source -> destination [port/protocol]`` with ``*`` wildcards in each part (``x/*``, ``*/a``)."""

    source: str
    destination: str
    port: int | None = None  # None: any port
    protocol: Protocol | None = None  # None: any protocol

    def matches(self, cell: CellDiff) -> bool:
        return (
            fnmatch.fnmatchcase(cell.source, self.source)
            and fnmatch.fnmatchcase(cell.destination, self.destination)
            and (self.port is None or cell.probe.port == self.port)
            and (self.protocol is None or cell.probe.protocol is self.protocol)
        )


@dataclass(frozen=True)
class Deviation:
    id: str
    reason: str
    link: str
    cases: tuple[str, ...] = ("*",)  # case ids (glob patterns)
    modes: tuple[str, ...] = ("*",)  # target modes: pod-ip, service-ip, service-dns
    cells: tuple[CellPattern, ...] = (CellPattern("*", "*"),)
    observed: frozenset[Cell] = frozenset()  # what the CNI does instead; empty: whatever it does
    protocols: frozenset[Protocol] = frozenset()  # whole protocols the cluster cannot carry
    shape: str | None = None  # a name in core.netpol.mechanisms.MECHANISMS

    @property
    def mechanism(self) -> Mechanism | None:
        return None if self.shape is None else MECHANISMS[self.shape]

    def applies_to(self, case_id: str, mode: str) -> bool:
        return any(fnmatch.fnmatchcase(case_id, c) for c in self.cases) and any(
            fnmatch.fnmatchcase(mode, m) for m in self.modes
        )

    def covers(
        self,
        case_id: str,
        mode: str,
        cell: CellDiff,
        *,
        cluster: Cluster | None = None,
        policies: Sequence[NetworkPolicy] = (),
    ) -> bool:
        """Whether this deviation explains the wrong cell; a shape needs the step's cluster and policies."""
        if self.protocols:
            return cell.probe.protocol in self.protocols and self.applies_to(case_id, mode)
        named = (
            self.applies_to(case_id, mode)
            and (not self.observed or cell.observed in self.observed)
            and any(pattern.matches(cell) for pattern in self.cells)
        )
        mechanism = self.mechanism
        if mechanism is None or not named:
            return named
        if cluster is None:
            return False  # nothing to run the mechanism on: never cover by name alone
        # A model says ALLOWED or BLOCKED; a CNI that rejects shows BLOCKED as REFUSED (truthtable.satisfies)
        return satisfies(
            mechanism(cluster, policies, cell.source, cell.destination, cell.probe), cell.observed
        )

    def describe(self) -> str:
        return f"{self.id}: {self.reason} ({self.link})"


@dataclass(frozen=True)
class Deviations:
    """The declared deviations of one CNI (empty: none declared, every difference fails)."""

    cni: str = ""
    entries: tuple[Deviation, ...] = ()

    def explain(
        self,
        case_id: str,
        mode: str,
        cell: CellDiff,
        *,
        cluster: Cluster | None = None,
        policies: Sequence[NetworkPolicy] = (),
    ) -> Deviation | None:
        """The first deviation that covers this wrong cell, or None (then the cell is a failure)."""
        return next(
            (d for d in self.entries if d.covers(case_id, mode, cell, cluster=cluster, policies=policies)),
            None,
        )

    def unavailable(self, protocol: Protocol, case_id: str = "*", mode: str = "*") -> Deviation | None:
        """A declaration that the cluster cannot carry ``protocol`` at all (for this case and mode)."""
        return next(
            (d for d in self.entries if protocol in d.protocols and d.applies_to(case_id, mode)),
            None,
        )

    def declared_for(self, case_id: str, mode: str) -> tuple[Deviation, ...]:
        """Entries that name this case's cells (not protocols, not shapes: those say when they apply)."""
        return tuple(
            d for d in self.entries if not d.protocols and d.shape is None and d.applies_to(case_id, mode)
        )

    def shaped(self, case_id: str, mode: str) -> tuple[Deviation, ...]:
        """Entries that name a mechanism, for this case and mode."""
        return tuple(d for d in self.entries if d.shape is not None and d.applies_to(case_id, mode))

    def predicted(
        self,
        case_id: str,
        mode: str,
        cluster: Cluster,
        policies: Sequence[NetworkPolicy],
        cell: CellDiff,
    ) -> Cell | None:
        """What a declared mechanism says the CNI does in this cell instead of ``cell.expected`` (None: it
        agrees with the API, or no shape is declared). ``cell.observed`` is ignored."""
        for deviation in self.shaped(case_id, mode):
            mechanism = deviation.mechanism
            if mechanism is None:
                continue
            state = mechanism(cluster, policies, cell.source, cell.destination, cell.probe)
            if state is not cell.expected and (not deviation.observed or state in deviation.observed):
                return state
        return None


NO_DEVIATIONS = Deviations()


def parse_deviations(document: Any, source: str = "deviations") -> Deviations:
    """Read a parsed YAML/JSON document; DeviationsError (one line, naming the entry) when it is malformed."""
    if not isinstance(document, Mapping):
        raise DeviationsError(f"{source}: expected a mapping with 'cni' and 'deviations'")
    cni = document.get("cni", "")
    raw = document.get("deviations", [])
    if not isinstance(cni, str) or not isinstance(raw, list):
        raise DeviationsError(f"{source}: 'cni' must be a string and 'deviations' a list")
    entries = [_deviation(entry, f"{source}: deviation {n + 1}") for n, entry in enumerate(raw)]
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DeviationsError(f"{source}: duplicate deviation id(s): {', '.join(duplicates)}")
    return Deviations(cni, tuple(entries))


def _deviation(entry: Any, where: str) -> Deviation:
    if not isinstance(entry, Mapping):
        raise DeviationsError(f"{where}: expected a mapping")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise DeviationsError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})"
        )
    for key in ("id", "reason", "link"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise DeviationsError(f"{where}: '{key}' is required (a non-empty string)")
    where = f"{where} ({entry['id']})"
    protocols = frozenset(_protocol(p, where) for p in _strings(entry, "protocols", where, ()))
    if protocols and ("cells" in entry or "observed" in entry or "shape" in entry):
        raise DeviationsError(
            f"{where}: 'protocols' declares whole protocols; it takes no 'cells', 'observed' or 'shape'"
        )
    shape = entry.get("shape")
    if shape is not None and shape not in MECHANISMS:
        known = ", ".join(sorted(MECHANISMS))
        raise DeviationsError(f"{where}: unknown shape {shape!r} (known: {known})")
    return Deviation(
        id=entry["id"],
        reason=" ".join(entry["reason"].split()),
        link=entry["link"].strip(),
        cases=_strings(entry, "cases", where, ("*",)),
        modes=_strings(entry, "modes", where, ("*",)),
        cells=tuple(_cell(c, where) for c in _strings(entry, "cells", where, ("* -> *",))),
        observed=frozenset(_observed(o, where) for o in _strings(entry, "observed", where, ())),
        protocols=protocols,
        shape=shape,
    )


def _strings(entry: Mapping[str, Any], key: str, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return default
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not all(isinstance(v, str) for v in value)
    ):
        raise DeviationsError(f"{where}: '{key}' must be a list of strings")
    if not value:
        raise DeviationsError(f"{where}: '{key}' is empty (leave it out to mean all)")
    return tuple(value)


def _cell(text: str, where: str) -> CellPattern:
    match = _CELL.match(text)
    if not match:
        raise DeviationsError(f"{where}: cell {text!r} is not 'source -> destination [port/protocol]'")
    port, proto = match.group("port"), match.group("proto")
    return CellPattern(
        match.group("src"),
        match.group("dst"),
        None if port in (None, "*") else int(port),
        None if proto in (None, "*") else _protocol(proto, where),
    )


def _protocol(text: str, where: str) -> Protocol:
    try:
        return Protocol(text.upper())
    except ValueError:
        raise DeviationsError(f"{where}: unknown protocol {text!r} (TCP, UDP or SCTP)") from None


def _observed(text: str, where: str) -> Cell:
    try:
        return Cell[text.upper().replace("-", "_").replace(" ", "_")]
    except KeyError:
        names = ", ".join(c.name.lower() for c in Cell)
        raise DeviationsError(f"{where}: unknown observed state {text!r} ({names})") from None
