"""NetworkPolicy suite fixtures: the x/y/z × a/b/c topology, deployed once per session (per xdist worker)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fixtures.cluster import stop_run
from fixtures.namespaces import NamespaceFactory, NamespaceSet, any_failed
from fixtures.reporting import attach
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.checks.connectivity.baseline import node_views
from netconform.checks.netpol.enforcement import prove_enforcement
from netconform.checks.netpol.run import BASELINE_PROBES
from netconform.checks.netpol.topology import (
    READINESS_ATTEMPTS,
    NetpolTopology,
    ProbeImage,
    SctpSupport,
    inspect_probe_image,
)
from netconform.core.connectivity.spread import describe_placement, usable_nodes
from netconform.core.netpol.cases.model import POD_KEYS, TargetMode
from netconform.core.netpol.enforcement import Decision, decide
from netconform.core.netpol.foreign import ForeignPolicyUnmodelled, folded_note
from netconform.core.profiles import Profile
from netconform.core.truthtable import Probe, Protocol


@pytest.fixture(scope="session")
def netpol_probe_image(
    kube: KubeCluster, images: ImageSettings, netpol_namespaces: NamespaceSet
) -> ProbeImage:
    """Observed once in a short-lived pod: SCTP sockets, and which probe client the image has."""
    ns = netpol_namespaces.make("x", {"ns": "x"})
    probe_image = inspect_probe_image(kube, ns, images)
    attach("netpol probe client", probe_image.describe())
    print(f"\nnetpol {probe_image.describe()}")
    return probe_image


@pytest.fixture(scope="session")
def netpol_prober(kube: KubeCluster, netpol_probe_image: ProbeImage) -> ExecProber:
    """Every source at once, in its kept shell: our dialer (one process per source per pass) where the image
    has it, else one busybox wget per probe to the source's own netexec, which dials in-process (agnhost
    connect would start a Go process per probe, ~10x the CPU)."""
    return ExecProber(
        kube, method=netpol_probe_image.method(), parallel_sources=len(POD_KEYS), keep_shells=True
    )


@pytest.fixture(scope="session")
def netpol_namespaces(
    namespace_factory: NamespaceFactory, request: pytest.FixtureRequest
) -> Iterator[NamespaceSet]:
    """x, y and z for the whole suite, released by the factory's keep policy when the session ends."""
    failed = any_failed(request, "netpol_topology")
    with namespace_factory.scoped("suites/netpol", failed, policy_model=True) as owned:
        yield owned


@pytest.fixture(scope="session")
def sctp_support(netpol_probe_image: ProbeImage) -> SctpSupport:
    """Detected once: can pods open SCTP sockets here (the test bed's kernel cannot)?"""
    return netpol_probe_image.sctp


@pytest.fixture(scope="session")
def netpol_topology(  # noqa: PLR0917 (pytest passes fixtures by name)
    sctp_support: SctpSupport,
    kube: KubeCluster,
    images: ImageSettings,
    netpol_namespaces: NamespaceSet,
    netpol_prober: ExecProber,
    foreign_policy_preflight: tuple[dict[str, Any], ...],
) -> NetpolTopology:
    """Deployed, Ready, and a fully green policy-free matrix in every target mode before any policy.

    Policies a controller put into x, y and z are folded into every expected table (one that cannot be
    modelled stops the run in one line, exit 12); the report names them."""
    try:
        topology = NetpolTopology.deploy(
            kube,
            images,
            netpol_namespaces.make,
            sctp=sctp_support.supported,
            nodes=[n.name for n in usable_nodes(node_views(kube))],  # the 9 pods across every real node
            expect_foreign=[p["metadata"]["name"] for p in foreign_policy_preflight],
        )
    except ForeignPolicyUnmodelled as err:
        stop_run(err)
    if topology.foreign:
        note = folded_note(topology.foreign)
        attach("foreign NetworkPolicies", note)
        print(f"\nnetpol model: {note}")
    # Which pod runs on which node, in the report and on the terminal: a cell's node relation matters.
    placement = describe_placement(topology.placement)
    attach("netpol pod placement", placement)
    print(f"\nnetpol model placement: {placement}")
    probes = [*BASELINE_PROBES, Probe(81, Protocol.TCP), Probe(81, Protocol.UDP)]
    topology.check_baseline(netpol_prober, probes, list(TargetMode), attempts=READINESS_ATTEMPTS)
    return topology


@pytest.fixture(scope="session")
def netpol_enforcement(
    profile: Profile, netpol_topology: NetpolTopology, netpol_prober: ExecProber
) -> Decision:
    """One deny-all probe, set against the profile: run the catalog, skip it with the proof, or fail it in one
    line (a dead policy engine, or a profile that does not fit the cluster)."""
    return decide(profile, prove_enforcement(netpol_topology, netpol_prober))
