"""The simulated cluster the plugin tier runs suites/netpol against: a KubeCluster stand-in that keeps
policies and labels, and an oracle that asks the engine about the REAL names (so name mapping, CIDR resolution
and label changes are exercised too). ``netpol_suite`` lays out a pytester directory with the suite module
copied in unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Child runs skip the plugins they do not use (see child_pytest.py).
PYTESTER_ADDOPTS = "-p no:hypothesispytest"

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "suites" / "netpol" / "test_networkpolicy.py"

# The simulated cluster: a KubeCluster stand-in that keeps policies and labels, and an oracle that asks the
# engine about the REAL names (so name mapping, CIDR resolution and label changes are exercised too).
SIMULATION = """
import ipaddress
import os

import pytest

from netconform.checks.netpol.topology import NetpolTopology, SctpSupport
from netconform.checks.netpol import run as netpol_run
from netconform.checks.netpol.enforcement import prove_enforcement
from netconform.adapters.probe.simulated import SimulatedProber
from netconform.core.netpol.enforcement import decide
from netconform.core.profiles import PROFILES, ProfileName
from netconform.core.netpol import PolicyEngine, parse_policy
from netconform.core.netpol.cases.model import NAMESPACES, POD_KEYS, container_ports
from netconform.core.netpol.model import Cluster, Namespace, Pod
from netconform.core.truthtable import Cell, Probe, Protocol

netpol_run.STEP_PAUSE_S = 0.0
REAL = {ns: f"nc-sim-{ns}" for ns in NAMESPACES}
IPS = {key: ipaddress.ip_address(f"10.244.0.{10 + i}") for i, key in enumerate(POD_KEYS)}
# "y/a->x/b 80/TCP,y/a->x/c 81/UDP": these cells always connect
FLIP = set(os.environ.get("NETPOL_SIM_FLIP", "").split(","))
UNENFORCED = os.environ.get("NETPOL_SIM_UNENFORCED") == "1"  # a CNI that ignores NetworkPolicy


class FakeKube:
    def __init__(self):
        self.policies = {}
        self.pod_labels = {key: {"pod": key[2]} for key in POD_KEYS}
        self.namespace_labels = {ns: {"ns": ns} for ns in NAMESPACES}

    def replace_network_policy(self, namespace, manifest):
        self.policies[(namespace, manifest["metadata"]["name"])] = manifest

    def delete_network_policy(self, namespace, name):
        self.policies.pop((namespace, name), None)

    def label_pod(self, namespace, name, labels):
        base = next(ns for ns, real in REAL.items() if real == namespace)
        _patch(self.pod_labels[f"{base}/{name}"], labels)

    def label_namespace(self, name, labels):
        base = next(ns for ns, real in REAL.items() if real == name)
        _patch(self.namespace_labels[base], labels)


def _patch(current, changes):
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value


def oracle(kube):
    def cell(job):
        protocols = (Protocol.TCP, Protocol.UDP)
        cluster = Cluster(
            tuple(Namespace(REAL[ns], kube.namespace_labels[ns]) for ns in NAMESPACES),
            tuple(
                Pod(REAL[k[0]], k[2], IPS[k], kube.pod_labels[k], container_ports(protocols))
                for k in POD_KEYS
            ),
        )
        policies = [parse_policy({**doc, "metadata": {**doc["metadata"], "namespace": ns}}, "sim")
                    for (ns, _), doc in kube.policies.items()]
        source = f"{job.source.namespace}/{job.source.pod}"
        target = f"{REAL[job.target_key[0]]}/{job.target_key[2]}"
        probe = Probe(job.port, job.protocol)
        if UNENFORCED or f"{job.source.key}->{job.target_key} {probe}" in FLIP:
            return Cell.ALLOWED
        allowed = PolicyEngine(cluster, policies).is_allowed(source, target, probe)
        return Cell.ALLOWED if allowed else Cell.REFUSED

    return cell


@pytest.fixture(scope="session")
def sctp_support():
    return SctpSupport(False, "simulated: no SCTP")


@pytest.fixture(scope="session")
def netpol_topology():
    kube = FakeKube()
    services = {key: f"10.96.1.{i}" for i, key in enumerate(POD_KEYS)}
    return NetpolTopology(kube, REAL, IPS, services, (Protocol.TCP, Protocol.UDP))


@pytest.fixture(scope="session")
def netpol_prober(netpol_topology):
    return SimulatedProber(oracle(netpol_topology.kube))


@pytest.fixture(scope="session")
def profile():
    return PROFILES[ProfileName(os.environ.get("NETPOL_SIM_PROFILE", "generic"))]


@pytest.fixture(scope="session")
def netpol_enforcement(profile, netpol_topology, netpol_prober):
    return decide(profile, prove_enforcement(netpol_topology, netpol_prober, pause_s=0))
"""


def netpol_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("PYTEST_ADDOPTS", PYTESTER_ADDOPTS)
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin", "simulation"]\n')
    pytester.makepyfile(simulation=SIMULATION)
    pytester.makeini("[pytest]\nmarkers =\n  netpol: area\n  smoke: area\n  cluster: needs a cluster\n")
    shutil.copy(SUITE, pytester.path / "test_networkpolicy.py")
    return pytester
