"""The netpol suite's wiring, run inside pytest against a simulated cluster whose dataplane is the engine
(simulated_cluster.py).

A faithful simulation passes; one wrong cell fails with a verdict a person can act on (the cell, the kubectl
command, the grids, the deciding policy). The suite module itself is copied in unchanged.
"""

from __future__ import annotations

import fnmatch

import pytest
from netpol_simulation import netpol_suite

pytest_plugins = ["pytester"]


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return netpol_suite(pytester, monkeypatch)


SELECTION = (
    "deny-all-ingress[pod-ip] or pod-label-change-peer[service-ip] or ip-block-ingress-except[service-dns]"
)


def test_a_faithful_cluster_passes_and_sctp_cases_skip_with_the_reason(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess(
        "-p", "no:randomly", "-rs", "-k", f"{SELECTION} or sctp-deny-all-ingress"
    )
    result.assert_outcomes(passed=3, skipped=3)
    result.stdout.fnmatch_lines(["*SCTP: pods on this cluster cannot open SCTP sockets*simulated: no SCTP*"])


def test_one_wrong_cell_fails_with_a_readable_verdict(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SIM_FLIP", "y/a->x/b 80/TCP")
    result = suite.runpytest_subprocess("-p", "no:randomly", "-k", "deny-all-ingress[pod-ip] and not sctp")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*case deny-all-ingress [[]pod-ip[]] step 1/1 (apply): deny all ingress in x",
            "*FAIL: 1 wrong cell(s) of 288 probed*",
            "*80/TCP: 80 correct, 1 wrong*",
            "*y/a -> x/b on 80/TCP: expected BLOCKED, observed ALLOWED*",
            "*reproduce: kubectl exec -n nc-sim-y a -c cont-80 -- timeout 2 wget -q -O - "
            "'http://127.0.0.1:80/dial?host=10.244.0.11&port=80&protocol=http&request=hostname&tries=1'",
            "*usually means: the CNI let through a connection no policy allows*",
            "*ingress to x/b: BLOCKED (isolated by x/deny-ingress)*",
        ]
    )
    # The verdict names the cell and its attempts, and nothing else is wrong.
    assert "probes: 288, retried: 1, most attempts for one cell: 8" in result.stdout.str()


DEVIATIONS = """
cni: simulated
deviations:
  - id: lets-y-a-through
    cases: [deny-all-ingress]
    cells: ["y/a -> x/b 80/TCP"]
    observed: [allowed]
    reason: the simulated CNI lets y/a reach x/b
    link: https://example.org/simulated/1
  - id: no-sctp
    protocols: [SCTP]
    reason: no SCTP in the simulated kernel
    link: https://example.org/simulated/2
"""


def test_declared_deviations_are_reported_as_known_never_passed(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SIM_FLIP", "y/a->x/b 80/TCP")
    deviations = suite.path / "deviations.yaml"
    deviations.write_text(DEVIATIONS)
    result = suite.runpytest_subprocess(
        "-p", "no:randomly", "-rx", f"--netpol-deviations={deviations}",
        "-k", "deny-all-ingress[pod-ip] or sctp-deny-all-ingress[pod-ip] or pod-label-change-peer[pod-ip]",
    )  # fmt: skip
    # The flipped cell and the SCTP-only case are known deviations (xfail, with cells, link and evidence);
    # the case the deviations do not touch still passes.
    result.assert_outcomes(passed=1, xfailed=2)
    result.stdout.fnmatch_lines_random(
        [
            # the cells and the link; the reason paragraph is in the step's attachment, not on every line
            "*deny-all-ingress[[]pod-ip[]]*lets-y-a-through: covers 1 cell(s): y/a -> x/b on 80/TCP: "
            "expected BLOCKED, observed ALLOWED (https://example.org/simulated/1)",
            "*sctp-deny-all-ingress[[]pod-ip[]]*no-sctp: no SCTP in the simulated kernel*"
            "evidence: simulated*",
        ]
    )
    result.stdout.fnmatch_lines(["*netpol*1*0*0*0*2*"])  # the summary counts them as known, not passed


def test_a_deviations_file_that_does_not_parse_stops_the_run_with_one_line(suite: pytest.Pytester) -> None:
    broken = suite.path / "deviations.yaml"
    broken.write_text("deviations:\n  - id: x\n    reason: r\n")
    result = suite.runpytest_subprocess(f"--netpol-deviations={broken}", "-k", "deny-all-ingress")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --netpol-deviations: *deviations.yaml: deviation 1: 'link' is required*"]
    )


def test_a_cluster_that_ignores_policy_is_skipped_with_the_proof_where_the_profile_says_so(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SIM_UNENFORCED", "1")
    monkeypatch.setenv("NETPOL_SIM_PROFILE", "vpc-cni")
    result = suite.runpytest_subprocess("-p", "no:randomly", "-rs", "-k", f"({SELECTION}) and not sctp")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]3[]] *NetworkPolicy is not enforced on this cluster, as profile vpc-cni (*) says; "
            "proved: with a deny-all ingress policy in nc-sim-x (x), y/b -> x/a 80/TCP: still allowed "
            "after 15 attempts over * s; reproduce with that policy applied: "
            "kubectl exec -n nc-sim-y b -c cont-80 -- *"
        ]
    )


def test_a_dead_policy_engine_fails_every_case_in_one_line(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SIM_UNENFORCED", "1")
    monkeypatch.setenv("NETPOL_SIM_PROFILE", "calico-overlay")
    result = suite.runpytest_subprocess("-p", "no:randomly", "-k", f"({SELECTION}) and not sctp")
    result.assert_outcomes(failed=3)
    one_line = (
        "NetworkPolicy is not enforced, though profile calico-overlay * is calico-felix running and healthy?"
    )
    assert len(fnmatch.filter(result.stdout.lines, one_line)) == 3, result.stdout.str()
    assert "expected BLOCKED" not in result.stdout.str()  # no grids: the one line says it all


def test_a_profile_that_denies_enforcement_on_an_enforcing_cluster_fails(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SIM_PROFILE", "vpc-cni")
    result = suite.runpytest_subprocess("-p", "no:randomly", "-k", "deny-all-ingress[pod-ip] and not sctp")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*this cluster does: *y/b -> x/a 80/TCP: refused after 1 attempt(s)*"])
