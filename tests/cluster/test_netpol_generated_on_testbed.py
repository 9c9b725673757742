"""The generated tier against kube-router on the test bed: a planted engine bug is found and shrunk.

The bug: the cluster gets every policy without its ipBlock ``except`` lists, while the engine computes the
expected tables from the policies as written (a rule changed behind the engine's back). Among the first cases
of a fixed seed, the smallest whose expected tables the plant changes (found by the engine alone, over this
bed's real pod IPs) is probed; it must disagree, and shrinking on the cluster must bring it down to one policy
with one rule, reported with its YAML, the apply line and the wrong cells' kubectl exec lines.

The seed's full run (CI: 30 cases) is scripts/cluster-tier.sh's; this module asserts on the shrinking.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fixtures.namespaces import NamespaceSet
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.methods import NetexecDial
from netconform.checks.netpol.generated import run_generated
from netconform.checks.netpol.run import BASELINE_PROBES
from netconform.checks.netpol.topology import DIAL_PORT, NetpolTopology
from netconform.core.netpol.cases.model import POD_KEYS, Case, PolicyDoc, TargetMode, World, expected_tables
from netconform.core.netpol.generate import case_at
from netconform.core.netpol.shrink import size, thaw

PLANT_SEED = 3
SEARCHED = 60  # cases of the seed the engine looks through for one the plant changes


def drop_except(doc: PolicyDoc) -> PolicyDoc:
    """The planted bug: what the cluster gets has no ipBlock except."""
    copy: dict[str, Any] = thaw(doc)
    for field, peers in (("ingress", "from"), ("egress", "to")):
        for rule in copy["spec"].get(field) or []:
            for peer in (rule or {}).get(peers) or []:
                if peer and peer.get("ipBlock"):
                    peer["ipBlock"].pop("except", None)
    return copy


def _planted(case: Case) -> Case:
    steps = tuple(replace(step, apply=tuple(drop_except(d) for d in step.apply)) for step in case.steps)
    return replace(case, steps=steps)


def _isolates_egress(case: Case) -> bool:
    """Egress isolation would also meet kube-router's own declared deviation; the plant is kept apart."""
    for step in case.steps:
        for doc in step.apply:
            spec = doc["spec"]
            types = spec.get("policyTypes")
            if "Egress" in (types if types is not None else (["Egress"] if "egress" in spec else [])):
                return True
    return False


def case_the_plant_changes(world: World) -> Case:
    found = [
        case
        for index in range(SEARCHED)
        if not _isolates_egress(case := case_at(PLANT_SEED, index, world))
        and expected_tables(case, world) != expected_tables(_planted(case), world)
    ]
    assert found, f"none of the first {SEARCHED} cases of seed {PLANT_SEED} exercises an except here"
    return min(found, key=size)


def test_a_planted_engine_bug_is_found_and_shrunk_to_one_policy_with_one_rule(
    kube: KubeCluster, images: ImageSettings, namespaces: NamespaceSet
) -> None:
    topology = NetpolTopology.deploy(kube, images, namespaces.make, sctp=False)
    prober = ExecProber(kube, method=NetexecDial(DIAL_PORT), parallel_sources=len(POD_KEYS), keep_shells=True)
    topology.check_baseline(prober, BASELINE_PROBES, [TargetMode.POD_IP], attempts=10)
    case = case_the_plant_changes(topology.world())

    result = run_generated(topology, prober, case, cluster_transform=drop_except)

    assert not result.passed, f"{case.id} agreed with the engine despite the plant"
    shrunk = result.shrunk
    assert shrunk is not None
    assert shrunk.failing is not None, shrunk.report  # the minimal case disagrees under the full budget too
    policies, rules, _peers, _ports = size(shrunk.case)
    assert (policies, rules) == (1, 1), shrunk.report
    report = shrunk.report
    assert f"generated case {case.id} (" in report
    assert f"--netpol-generated-case {PLANT_SEED}:{case.index}" in report
    assert "kubectl apply -f - <<'EOF'" in report
    assert "except:" in report  # the YAML is the policy as written: the except the cluster ignored
    assert "expected BLOCKED, observed " in report
    assert "reproduce: kubectl exec -n " in report
    print(report)
