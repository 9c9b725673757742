"""The two probe clients read the same tables on kube-router: our dialer (/netconform-dial, one process per
source per pass, what the suites use where the image has it) and netexec's /dial (one busybox wget per probe,
what they use with upstream's agnhost image). The suites' verdicts must not depend on which one a cluster
gets, so every cell is compared, in each target mode, under policies that allow, reject and isolate egress.
"""

from __future__ import annotations

from fixtures.namespaces import NamespaceSet
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.methods import MultiDial, NetexecDial
from netconform.adapters.probe.model import ProbeResult
from netconform.adapters.probe.retry import probe_until_expected
from netconform.checks.netpol.topology import DIAL_PORT, NetpolTopology, inspect_probe_image
from netconform.core.netpol.cases import by_id
from netconform.core.netpol.cases.model import POD_KEYS, TargetMode, with_dns_egress
from netconform.core.netpol.cases.plan import plan_case
from netconform.core.truthtable import Cell, Probe

# An ingress allow-list, UDP-only rules, and egress isolation (the dial itself is what the policy drops).
CASES = ("pod-selector-ingress", "udp-only-blocks-tcp", "deny-all-egress")


def _cells(results: list[ProbeResult]) -> dict[tuple[str, str, Probe], Cell]:
    return {(r.job.source.key, r.job.target_key, Probe(r.job.port, r.job.protocol)): r.state for r in results}


def test_the_dialer_and_netexec_dial_read_every_cell_alike(
    kube: KubeCluster, images: ImageSettings, namespaces: NamespaceSet
) -> None:
    probe_image = inspect_probe_image(kube, namespaces.make("probe-image", {}), images)
    assert probe_image.dialer, probe_image.dialer_evidence  # the bed's probe image carries it
    assert probe_image.method() == MultiDial()
    topology = NetpolTopology.deploy(kube, images, namespaces.make, sctp=False)
    dialer = ExecProber(kube, method=MultiDial(), parallel_sources=len(POD_KEYS), keep_shells=True)
    netexec = ExecProber(
        kube, method=NetexecDial(DIAL_PORT), parallel_sources=len(POD_KEYS), keep_shells=True
    )
    for case_id in CASES:
        case = by_id(case_id)
        for mode in TargetMode:
            plan = plan_case(case, topology.world(), mode)
            topology.reset()
            topology.apply_state(plan.steps[0].state, with_dns_egress if plan.dns_egress else None)
            expected = plan.steps[0].expected
            jobs = topology.jobs(expected.probes, mode)
            wanted = {j: expected.cell(j.source.key, j.target_key, Probe(j.port, j.protocol)) for j in jobs}
            # the engine's rules in place (as read by the upstream-image client), then one pass of each
            probe_until_expected(netexec, jobs, wanted, max_attempts=8, pause_s=1.0, confirm=False)
            by_netexec = _cells(netexec.probe(jobs))
            by_dialer = _cells(dialer.probe(jobs))
            differ = {k: (v, by_dialer[k]) for k, v in by_netexec.items() if by_dialer[k] is not v}
            assert not differ, f"{case_id} [{mode.value}]: netexec /dial vs dialer: {differ}"
            assert set(by_dialer.values()) >= {Cell.ALLOWED, Cell.REFUSED}, f"{case_id} [{mode.value}]"
