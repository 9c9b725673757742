"""The generated tier's wiring against the simulated cluster (simulated_cluster.py: the engine as dataplane).

A faithful simulation passes the seed's cases; a simulated CNI that ignores ipBlock ``except`` (a planted
engine bug: the cluster is told one thing, the engine believes another) fails the case that exercises it,
and the report shows the case shrunk to one policy with one rule, its YAML, the apply line and the cells.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from child_pytest import PYTESTER_ADDOPTS, REPO

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent
SUITE = REPO / "suites" / "netpol" / "test_generated.py"

# Loaded after the simulation: with NETPOL_SIM_DROP_EXCEPT=1 the simulated CNI forgets every ipBlock except.
PLANT = """
import os

import simulated_cluster


def _drop_except(manifest):
    for field, peers in (("ingress", "from"), ("egress", "to")):
        for rule in manifest["spec"].get(field) or []:
            for peer in (rule or {}).get(peers) or []:
                if peer and peer.get("ipBlock"):
                    peer["ipBlock"].pop("except", None)
    return manifest


if os.environ.get("NETPOL_SIM_DROP_EXCEPT") == "1":
    _replace = simulated_cluster.SimulatedKube.replace_network_policy

    def replace_network_policy(self, namespace, manifest):
        _replace(self, namespace, _drop_except(manifest))

    simulated_cluster.SimulatedKube.replace_network_policy = replace_network_policy
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The repository for fixtures.plugin, this folder for simulated_cluster.py; -m names the opt-in tier.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join((str(REPO), str(HERE))))
    monkeypatch.setenv("PYTEST_ADDOPTS", f"{PYTESTER_ADDOPTS} -m netpol_generated")
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin", "simulated_cluster", "plant"]\n')
    pytester.makepyfile(plant=PLANT)
    pytester.makeini("[pytest]\nmarkers =\n  netpol_generated: area\n  cluster: needs a cluster\n")
    shutil.copy(SUITE, pytester.path / "test_generated.py")
    return pytester


def test_a_faithful_cluster_passes_every_generated_case_of_the_seed(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("-p", "no:randomly", "--netpol-seed", "1", "--netpol-generated", "20")
    result.assert_outcomes(passed=20)


def test_a_planted_bug_is_found_and_shrunk_to_one_policy_with_one_rule(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SIM_DROP_EXCEPT", "1")
    result = suite.runpytest_subprocess("-p", "no:randomly", "--netpol-generated-case", "1:17")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "generated case gen-1-17 (3 policies, 3 rules) disagrees with the policy engine" in out, out
    assert "replay: pytest suites -m netpol_generated --netpol-generated-case 1:17" in out
    assert "-> (1, 1, 1, " in out, out  # (policies, rules, peers, ports) after shrinking
    result.stdout.fnmatch_lines(
        [
            "*kubectl apply -f - <<'EOF'",
            "*  namespace: nc-sim-*",
            "*      except:",
            "*EOF",
            "*expected BLOCKED, observed ALLOWED*",
            "*reproduce: kubectl exec -n nc-sim-* -- timeout 2 wget -q -O - *",
        ]
    )


def test_a_malformed_case_reference_stops_the_run_with_one_line(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("--netpol-generated-case", "7-3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ['ERROR: --netpol-generated-case: expected SEED:INDEX (two non-negative integers), got "7-3"']
    )
