"""A simulated cluster for the netpol suite: a pytest plugin the child runs of test_netpol_suite.py load.

A ``KubeCluster`` stand-in keeps the policies and labels the suite writes; the simulated prober's oracle asks
the policy engine about the REAL names, so name mapping, CIDR resolution and label changes are exercised too.
The suite's own cluster fixtures are overridden here; everything else (the catalog, the verdicts, the report)
is the real code.

Knobs, from the environment of the child run (the parent test sets them):

- ``NETPOL_SIM_FLIP="y/a->x/b 80/TCP,y/a->x/c 81/UDP"``: these cells always connect (a CNI bug).
- ``NETPOL_SIM_UNENFORCED=1``: every cell connects (a CNI that ignores NetworkPolicy).
- ``NETPOL_SIM_PROFILE=vpc-cni``: the profile the suite judges against (default ``generic``).
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any, cast

import pytest

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.probe.model import ProbeJob
from netconform.adapters.probe.simulated import Oracle, SimulatedProber
from netconform.checks.netpol import run as netpol_run
from netconform.checks.netpol.enforcement import prove_enforcement
from netconform.checks.netpol.topology import NetpolTopology, SctpSupport
from netconform.core.netpol import PolicyEngine, parse_policy
from netconform.core.netpol.cases.model import NAMESPACES, POD_KEYS, container_ports
from netconform.core.netpol.enforcement import Decision, decide
from netconform.core.netpol.model import Cluster, IPAddress, Namespace, Pod
from netconform.core.profiles import PROFILES, Profile, ProfileName
from netconform.core.truthtable import Cell, Probe, Protocol

REAL = {ns: f"nc-sim-{ns}" for ns in NAMESPACES}
IPS: dict[str, IPAddress] = {
    key: ipaddress.ip_address(f"10.244.0.{10 + i}") for i, key in enumerate(POD_KEYS)
}
PROTOCOLS = (Protocol.TCP, Protocol.UDP)


class SimulatedKube:
    """The part of ``KubeCluster`` the netpol suite writes through, kept in memory."""

    def __init__(self) -> None:
        self.policies: dict[tuple[str, str], dict[str, Any]] = {}
        self.pod_labels = {key: {"pod": key[2]} for key in POD_KEYS}
        self.namespace_labels = {ns: {"ns": ns} for ns in NAMESPACES}

    def replace_network_policy(self, namespace: str, manifest: dict[str, Any]) -> None:
        self.policies[(namespace, manifest["metadata"]["name"])] = manifest

    def delete_network_policy(self, namespace: str, name: str) -> None:
        self.policies.pop((namespace, name), None)

    def label_pod(self, namespace: str, name: str, new_labels: dict[str, str | None]) -> None:
        _patch(self.pod_labels[f"{_base(namespace)}/{name}"], new_labels)

    def label_namespace(self, name: str, new_labels: dict[str, str | None]) -> None:
        _patch(self.namespace_labels[_base(name)], new_labels)


def _base(real: str) -> str:
    return next(ns for ns, name in REAL.items() if name == real)


def _patch(current: dict[str, str], changes: dict[str, str | None]) -> None:
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value


def oracle(kube: SimulatedKube) -> Oracle:
    """What a faithful CNI would answer for one probe, given what the suite applied so far."""
    flip = set(os.environ.get("NETPOL_SIM_FLIP", "").split(","))
    unenforced = os.environ.get("NETPOL_SIM_UNENFORCED") == "1"

    def cell(job: ProbeJob) -> Cell:
        cluster = Cluster(
            tuple(Namespace(REAL[ns], kube.namespace_labels[ns]) for ns in NAMESPACES),
            tuple(
                Pod(REAL[k[0]], k[2], IPS[k], kube.pod_labels[k], container_ports(PROTOCOLS))
                for k in POD_KEYS
            ),
        )
        policies = [
            parse_policy({**doc, "metadata": {**doc["metadata"], "namespace": ns}}, "sim")
            for (ns, _), doc in kube.policies.items()
        ]
        probe = Probe(job.port, job.protocol)
        if unenforced or f"{job.source.key}->{job.target_key} {probe}" in flip:
            return Cell.ALLOWED
        source = f"{job.source.namespace}/{job.source.pod}"
        target = f"{REAL[job.target_key[0]]}/{job.target_key[2]}"
        allowed = PolicyEngine(cluster, policies).is_allowed(source, target, probe)
        return Cell.ALLOWED if allowed else Cell.REFUSED

    return cell


def pytest_configure(config: pytest.Config) -> None:
    netpol_run.STEP_PAUSE_S = 0.0  # nothing to settle in a simulation


@pytest.fixture(scope="session")
def fake_kube() -> SimulatedKube:
    return SimulatedKube()


@pytest.fixture(scope="session")
def sctp_support() -> SctpSupport:
    return SctpSupport(False, "simulated: no SCTP")


@pytest.fixture(scope="session")
def netpol_topology(fake_kube: SimulatedKube) -> NetpolTopology:
    services = {key: f"10.96.1.{i}" for i, key in enumerate(POD_KEYS)}
    # The suite only writes through the four methods SimulatedKube has; the cast says so to the type checker.
    return NetpolTopology(cast(KubeCluster, fake_kube), REAL, IPS, services, PROTOCOLS)


@pytest.fixture(scope="session")
def netpol_prober(fake_kube: SimulatedKube) -> SimulatedProber:
    return SimulatedProber(oracle(fake_kube))


@pytest.fixture(scope="session")
def profile() -> Profile:
    return PROFILES[ProfileName(os.environ.get("NETPOL_SIM_PROFILE", "generic"))]


@pytest.fixture(scope="session")
def netpol_enforcement(
    profile: Profile, netpol_topology: NetpolTopology, netpol_prober: SimulatedProber
) -> Decision:
    return decide(profile, prove_enforcement(netpol_topology, netpol_prober, pause_s=0))
