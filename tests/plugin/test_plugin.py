"""The pytest plugin, run inside pytest (pytester): options, read-only mode, names, run ids."""

from __future__ import annotations

import re

import pytest
from child_pytest import PYTESTER_ADDOPTS, REPO

from fixtures.namespaces import MAX_NAME, namespace_name

pytest_plugins = ["pytester"]


@pytest.fixture
def harness(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # xdist workers import fixtures.plugin from the repo
    monkeypatch.setenv("PYTEST_ADDOPTS", PYTESTER_ADDOPTS)
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]\n')
    pytester.makeini(
        "[pytest]\nmarkers =\n  readonly: creates nothing\n  netpol: area\n  cluster: needs a cluster\n"
    )
    return pytester


def test_unknown_profile_is_a_usage_error(harness: pytest.Pytester) -> None:
    harness.makepyfile("def test_x(): pass\n")
    result = harness.runpytest("--profile", "flannel")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown profile 'flannel'; choose one of: vpc-cni, *"])


def test_read_only_skips_everything_not_marked_readonly(harness: pytest.Pytester) -> None:
    harness.makepyfile(
        """
        import pytest

        @pytest.mark.readonly
        def test_reads(): pass

        def test_creates(): pass
        """
    )
    result = harness.runpytest("--read-only", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*creates objects in the cluster; skipped by --read-only*"])


def test_run_id_option_reaches_the_fixture(harness: pytest.Pytester) -> None:
    harness.makepyfile("def test_id(run_id):\n    assert run_id == 'abc123'\n")
    harness.runpytest("--run-id", "abc123").assert_outcomes(passed=1)


def test_workers_share_the_controllers_run_id(harness: pytest.Pytester) -> None:
    harness.makepyfile(
        """
        import pathlib
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_id(run_id, n, worker_id):
            (pathlib.Path.cwd() / f"id-{n}-{worker_id}").write_text(run_id)
        """
    )
    result = harness.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=4)
    files = list(harness.path.glob("id-*"))
    assert len({f.name.rsplit("-", 1)[1] for f in files}) == 2  # both workers ran tests
    assert len({f.read_text() for f in files}) == 1


def test_missing_kubeconfig_stops_the_run_with_one_line_and_exit_4(harness: pytest.Pytester) -> None:
    harness.makepyfile("def test_needs_cluster(kube): pass\n")
    missing = harness.path / "missing.kubeconfig"
    result = harness.runpytest("--kubeconfig", str(missing))
    assert result.ret == 4  # fixtures.safety.RunExitCode.BAD_INPUT (pytest uses 2 for interrupted)
    result.stdout.fnmatch_lines([f"*netconform: kubeconfig not found: {missing}*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("run_id", "worker", "slug"),
    [("11261230abcd", "gw0", "x"), ("r" * 40, "gw12", "a-very-long-test-name_with_UPPER and spaces" * 3)],
)
def test_namespace_names_are_valid_dns_labels(run_id: str, worker: str, slug: str) -> None:
    name = namespace_name(run_id, worker, slug)
    assert len(name) <= MAX_NAME
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name
    assert name.startswith(f"nc-{run_id[:12]}-{worker}-")


def test_a_node_without_room_for_pinned_pods_stops_the_run_once(harness: pytest.Pytester) -> None:
    # The kubelet rejects a pod pinned to a full node (OutOfpods): every test needing that placement would
    # error the same way (the VPC CNI bed's t3.small gave 190 identical errors); the run stops at the first.
    harness.makepyfile(
        """
        import pytest
        from netconform.adapters.kube.cluster import PodStartFailure

        @pytest.fixture(scope="session")
        def topology():
            raise PodStartFailure("pod x/a was rejected by node n1: Node didn't have enough resource: pods",
                                  "OutOfpods")

        @pytest.mark.parametrize("case", range(5))
        def test_case(topology, case): pass
        """
    )
    result = harness.runpytest("-p", "no:randomly")
    assert result.ret == 8  # RunExitCode.PODS_CANNOT_START
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*netconform: pod x/a was rejected by node n1*"])
    assert "Traceback" not in result.stdout.str()
