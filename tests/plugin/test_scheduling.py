"""fixtures.scheduling: with -n, one case's target modes run in a row on one worker; other tests as `load`."""

from __future__ import annotations

import pytest
from child_pytest import PYTESTER_ADDOPTS, REPO

from fixtures.scheduling import work_unit

pytest_plugins = ["pytester"]

CATALOG = "suites/netpol/test_networkpolicy.py::test_networkpolicy"


@pytest.mark.parametrize(
    ("nodeid", "unit"),
    [
        (f"{CATALOG}[deny-all-ingress[pod-ip]]", f"{CATALOG}[deny-all-ingress]"),
        (f"{CATALOG}[deny-all-ingress[service-ip]]", f"{CATALOG}[deny-all-ingress]"),
        (f"{CATALOG}[deny-all-ingress[service-dns]]", f"{CATALOG}[deny-all-ingress]"),
    ],
)
def test_work_unit_drops_the_target_mode(nodeid: str, unit: str) -> None:
    assert work_unit(nodeid) == unit


@pytest.mark.parametrize(
    "nodeid",
    [
        f"{CATALOG}[deny-all-ingress[node-ip]]",  # not a target mode
        "suites/netpol/test_generated.py::test_generated[gen-1-4]",
        "suites/smoke/test_x.py::test_y[pod-ip]",  # a mode, but not inside a case's parameter id
        "suites/smoke/test_x.py::test_y",
    ],
)
def test_other_tests_are_units_of_their_own(nodeid: str) -> None:
    assert work_unit(nodeid) == nodeid


def test_a_cases_modes_share_a_worker_and_other_tests_spread(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # xdist workers import fixtures.plugin from the repo
    monkeypatch.setenv("PYTEST_ADDOPTS", PYTESTER_ADDOPTS)
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]\n')
    pytester.makepyfile(
        """
        import pathlib, time
        import pytest

        MODES = ("pod-ip", "service-ip", "service-dns")

        @pytest.mark.parametrize(
            ("case", "mode"), [pytest.param(c, m, id=f"c{c}[{m}]") for c in range(6) for m in MODES]
        )
        def test_case(case, mode, worker_id):
            time.sleep(0.05)  # long enough that both workers take work
            (pathlib.Path.cwd() / f"case-{case}-{mode}").write_text(worker_id)

        @pytest.mark.parametrize("n", range(6))
        def test_other(n, worker_id):
            time.sleep(0.05)
            (pathlib.Path.cwd() / f"other-{n}").write_text(worker_id)
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=24)
    workers = {f.name: f.read_text() for f in pytester.path.glob("case-*")}
    for case in range(6):
        assert len({w for name, w in workers.items() if name.startswith(f"case-{case}-")}) == 1, workers
    assert len(set(workers.values())) == 2  # the cases themselves spread over both workers
    others = {f.read_text() for f in pytester.path.glob("other-*")}
    assert len(others) == 2, others  # tests without modes are not grouped
