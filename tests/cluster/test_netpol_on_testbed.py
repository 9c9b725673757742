"""suites/netpol against kube-router on the test bed: a representative subset in every target mode, SCTP as
a declared known deviation with its evidence, a rule flipped behind the engine's back caught by name, and the
enforcement check's verdicts (a profile that does not fit; kube-router stopped).

The full catalog (every case in every target mode) runs in `make conformance` and the nightly job (`pytest
suites/netpol -n 2`, about 2 min 15 s on the bed); this module is the part that asserts on the
suite's verdicts.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import allure
from suite_runs import run_suite

from fixtures.namespaces import NamespaceSet
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.exec_prober import ExecProber
from netconform.adapters.probe.methods import DIALER_PATH, NetexecDial
from netconform.checks.netpol.run import BASELINE_PROBES, run_case
from netconform.checks.netpol.topology import DIAL_PORT, NetpolTopology
from netconform.core.netpol.cases import Case, by_id, states
from netconform.core.netpol.cases.model import POD_KEYS, TargetMode
from netconform.core.run.outcomes import Outcome
from netconform.report.netpol import verdict_html, verdict_text
from netconform.testbed import lifecycle

NETPOL = "suites/netpol/test_networkpolicy.py::test_networkpolicy"
# One case per feature family in pod-IP mode; the Service modes on cases whose tables differ most.
POD_IP_CASES = (
    "deny-all-ingress", "deny-all-egress", "ns-and-pod-ingress", "ns-or-pod-two-rules",
    "named-port-egress", "end-port-ingress-range", "ip-block-ingress-except", "pod-label-change-peer",
    "namespace-label-change-peer", "udp-only-blocks-tcp", "deny-egress-allow-dns",
    "ingress-and-egress-both-ends", "delete-policy-restores",
)  # fmt: skip
SERVICE_CASES = ("deny-all-ingress", "ns-or-pod-two-rules", "named-port-egress")
SCTP_CASE = "sctp-allow-port-80"  # TCP and UDP probed for real; SCTP a known deviation on this kernel
ONE_CASE = f"{NETPOL}[deny-all-ingress[pod-ip]]"


def test_a_representative_subset_passes_in_every_target_mode(tmp_path: Path) -> None:
    ids = [f"{NETPOL}[{case}[pod-ip]]" for case in (*POD_IP_CASES, SCTP_CASE)]
    ids += [f"{NETPOL}[{case}[{mode}]]" for case in SERVICE_CASES for mode in ("service-ip", "service-dns")]
    result = run_suite(tmp_path / "junit.xml", *ids, "-rx", "-s")  # -s: the session fixtures' lines
    assert result.returncode == 0, result.output[-6000:]
    # the bed's probe image has the dialer, and the suite was seen to pick it
    assert f"netpol probe client {DIALER_PATH}, one process per source per pass" in result.output
    assert result.outcomes(Outcome.FAILED) == [], result.output[-6000:]
    assert len(result.outcomes(Outcome.PASSED)) == len(ids) - 1, result.output[-6000:]
    # SCTP: reported as the test bed's declared deviation, with the evidence, never as a pass.
    (known,) = result.outcomes(Outcome.KNOWN)
    assert SCTP_CASE in known
    assert "no-sctp-in-the-kernel" in result.output
    assert "protocol not supported" in result.output


def flipped_behind_the_engines_back(case_id: str, peer: str, instead: str) -> tuple[Case, Case]:
    """The case, and a copy whose policy admits pod ``instead`` where the case admits ``peer``."""
    case = by_id(case_id)
    (document,) = case.steps[0].apply
    text = json.dumps(document, default=dict).replace(f'"pod": "{peer}"', f'"pod": "{instead}"')
    flipped = replace(case, steps=(replace(case.steps[0], apply=(json.loads(text),)),))
    return case, flipped


def test_a_rule_flipped_behind_the_engines_back_fails_naming_the_cells(
    kube: KubeCluster, images: ImageSettings, namespaces: NamespaceSet
) -> None:
    topology = NetpolTopology.deploy(kube, images, namespaces.make, sctp=False)
    prober = ExecProber(kube, method=NetexecDial(DIAL_PORT), parallel_sources=len(POD_KEYS), keep_shells=True)
    topology.check_baseline(prober, BASELINE_PROBES, [TargetMode.POD_IP], attempts=10)
    # The engine expects "x/a admits x/b only"; the cluster gets "x/a admits x/c only".
    case, flipped = flipped_behind_the_engines_back("pod-selector-ingress", peer="b", instead="c")
    topology.apply_state(states(flipped)[0])
    topology.state_key = (case.id, 0, False)  # run_case takes it as applied

    (run,) = run_case(topology, prober, case, TargetMode.POD_IP)

    verdict = run.verdict
    text = verdict_text(verdict)
    # The report shows what a reader of a real failure would see (README's screenshot of a failing table).
    allure.dynamic.description_html(verdict_html(verdict))
    assert not verdict.passed
    assert {(c.source, c.destination) for c in verdict.differences} == {("x/b", "x/a"), ("x/c", "x/a")}
    assert len(verdict.differences) == 4 * 2  # 80/81 × TCP/UDP for each of the two pairs
    assert "FAIL: 8 wrong cell(s) of 288 probed" in text
    assert "x/c -> x/a on 80/TCP: expected BLOCKED, observed ALLOWED" in text
    assert "x/b -> x/a on 81/UDP: expected ALLOWED, observed" in text
    real_x = topology.namespace_names["x"]
    assert f"reproduce: kubectl exec -n {real_x} c -c cont-80 -- timeout 2 wget -q -O - " in text
    # The engine's explanation names the rule the cluster should have applied.
    assert "x/from-b" in text


def test_a_profile_without_policy_fails_on_a_cluster_that_enforces_it(tmp_path: Path) -> None:
    result = run_suite(tmp_path / "junit.xml", ONE_CASE, "--profile", "vpc-cni")
    assert result.returncode == 1, result.output[-3000:]
    assert len(result.outcomes(Outcome.FAILED)) == 1
    # One line, with the proof: kube-router rejected the probe once the deny-all was in.
    assert (
        "profile vpc-cni (Amazon VPC CNI (secondary IPs, no network policy)) does not enforce NetworkPolicy, "
        "but this cluster does: with a deny-all ingress policy in" in result.output
    ), result.output[-3000:]
    assert "y/b -> x/a 80/TCP: refused after" in result.output
    assert "expected BLOCKED" not in result.output  # no grids: the case itself never ran


def test_with_the_policy_engine_stopped_the_suite_proves_nothing_is_enforced(tmp_path: Path) -> None:
    with lifecycle.policy_engine_stopped():
        unknown = run_suite(tmp_path / "generic.xml", ONE_CASE, "--profile", "generic", "-rs")
        expected = run_suite(tmp_path / "netpol.xml", ONE_CASE, "--profile", "vpc-cni-netpol")
    back = run_suite(tmp_path / "back.xml", ONE_CASE, "--profile", "generic")

    # A profile that makes no claim: skipped, with the probe that proves it and how to repeat it.
    assert unknown.returncode == 0, unknown.output[-3000:]
    assert len(unknown.outcomes(Outcome.SKIPPED)) == 1, unknown.output[-3000:]
    assert "NetworkPolicy is not enforced on this cluster, and profile generic" in unknown.output
    assert "y/b -> x/a 80/TCP: still allowed after 15 attempts" in unknown.output
    assert "reproduce with that policy applied: kubectl exec -n " in unknown.output
    # A profile that expects enforcement: one line naming the engine, not a diff grid.
    assert expected.returncode == 1, expected.output[-3000:]
    assert len(expected.outcomes(Outcome.FAILED)) == 1
    assert "is aws-network-policy-agent running and healthy?" in expected.output
    assert "expected BLOCKED" not in expected.output
    # kube-router back: the same case runs and passes again.
    assert back.returncode == 0, back.output[-3000:]
    assert len(back.outcomes(Outcome.PASSED)) == 1
