"""The test topology (the upstream e2e model) and a compact grid notation for expected truth tables.

Namespaces x, y, z; pods a, b, c in each; pod labels ``pod: <name>``; namespace labels ``ns: <name>`` and, for
selector tests, ``team: blue`` on y and ``team: red`` on z. Pod IPs are 10.0.<1|2|3>.<1|2|3> (x/a 10.0.1.1,
y/b 10.0.2.2, ...). Every pod serves ports 80 and 81 over TCP, UDP and SCTP, with container ports named
``serve-<port>-<proto>`` as upstream does.

Grids: one row per source, columns x/a x/b x/c  y/a y/b y/c  z/a z/b z/c in three groups of three::

    x/a  ... .X. XXX      # x/a may reach x/*, y/a, y/c; nothing in z
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from netconform.core.truthtable import Cell, Probe, TruthTable

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PODS = tuple(f"{ns}/{pod}" for ns in NAMESPACES for pod in POD_NAMES)
NAMESPACE_LABELS = {"x": {"ns": "x"}, "y": {"ns": "y", "team": "blue"}, "z": {"ns": "z", "team": "red"}}

ALL_ALLOWED = "\n".join(f"{pod} ... ... ..." for pod in PODS)


def ip_of(pod: str) -> str:
    ns, name = pod.split("/")
    return f"10.0.{NAMESPACES.index(ns) + 1}.{POD_NAMES.index(name) + 1}"


def default_ports() -> list[dict[str, Any]]:
    return [
        {"name": f"serve-{port}-{proto.lower()}", "containerPort": port, "protocol": proto}
        for port in (80, 81)
        for proto in ("TCP", "UDP", "SCTP")
    ]


def document(
    policies: Sequence[Mapping[str, Any]],
    probes: Sequence[Probe],
    ports: Mapping[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A truth-table input document; ``ports`` replaces the container ports of the named pods."""
    return {
        "namespaces": [{"name": ns, "labels": dict(NAMESPACE_LABELS[ns])} for ns in NAMESPACES],
        "pods": [
            {
                "namespace": pod.split("/")[0],
                "name": pod.split("/")[1],
                "labels": {"pod": pod.split("/")[1]},
                "ip": ip_of(pod),
                "ports": (ports or {}).get(pod, default_ports()),
            }
            for pod in PODS
        ],
        "policies": [dict(policy) for policy in policies],
        "probes": [{"port": p.port, "protocol": p.protocol.value} for p in probes],
    }


def grid(text: str) -> str:
    """Expand the compact grid (``x/a ... .X. XXX``) to the TruthTable text-grid form."""
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    sources = [fields[0] for fields in lines]
    if sources != list(PODS):
        raise ValueError(f"grid rows must be {PODS}, got {sources}")
    rows = []
    for fields in lines:
        symbols = "".join(fields[1:])
        if len(symbols) != len(PODS):
            raise ValueError(f"row {fields[0]} has {len(symbols)} cells")
        rows.append(" ".join([fields[0], *symbols]))
    return "\n".join([" ".join(PODS), *rows])


@dataclass(frozen=True)
class ScenarioCase:
    """One scenario: policies (YAML), the full expected grid per probe, optional container-port overrides."""

    name: str
    policies: str
    expected: Mapping[str, str]
    ports: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    # False: a cluster with StrictIPCIDRValidation off (before v1.36): host bits in ipBlock CIDRs accepted.
    strict_cidr: bool = True

    @property
    def probes(self) -> list[Probe]:
        return [Probe.parse(key) for key in self.expected]

    def document(self) -> dict[str, Any]:
        return document(list(yaml.safe_load_all(self.policies)), self.probes, self.ports)

    def expected_table(self) -> TruthTable:
        return TruthTable.from_grids({Probe.parse(k): grid(v) for k, v in self.expected.items()})


def allowed_cells(table: TruthTable) -> set[tuple[Probe, str, str]]:
    return {(probe, src, dst) for probe, src, dst, state in table.cells() if state is Cell.ALLOWED}
