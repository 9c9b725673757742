"""The reporting plugin, run inside pytest (pytester): labels, environment, categories, redaction, xdist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

# Child runs skip the plugins they do not use (see child_pytest.py).
PYTESTER_ADDOPTS = "-p no:hypothesispytest"

REPO = Path(__file__).resolve().parents[2]
INI = "[pytest]\nmarkers =\n  netpol: area\n  density: area\n  cluster: needs a cluster\n"

# Fake credentials in the shapes that matter; none of them may reach a file the run writes.
TOKEN = "kubeconfig-token-5f1b2c3d4e"
CLIENT_KEY = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVB"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_SESSION = "IQoJb3JpZ2luX2VjEPr0123456789abcdefSESSION"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl"
SECRETS = (TOKEN, CLIENT_KEY, AWS_KEY_ID, AWS_SECRET, AWS_SESSION, JWT)


@pytest.fixture
def harness(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # xdist workers import fixtures.plugin from the repo
    monkeypatch.setenv("PYTEST_ADDOPTS", PYTESTER_ADDOPTS)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]\n')
    pytester.makeini(INI)
    return pytester


def _results(alluredir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(alluredir.glob("*-result.json"))]


def _labels(result: dict[str, Any]) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    for label in result["labels"]:
        labels.setdefault(label["name"], []).append(label["value"])
    return labels


def test_labels_epic_feature_story_severity_and_doc_link(harness: pytest.Pytester) -> None:
    suite = harness.mkpydir("suites") / "netpol"
    suite.mkdir()
    (suite / "__init__.py").write_text("")
    (suite / "test_deny.py").write_text(
        '"""Default deny: a namespace that denies all ingress.\n\nMore text."""\n'
        "import pytest\n\n"
        "@pytest.mark.parametrize('protocol', ['TCP', 'UDP'])\n"
        "def test_deny_all_blocks_ingress(protocol): pass\n"
    )
    result = harness.runpytest("--alluredir", "out", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    results = _results(harness.path / "out")
    assert len(results) == 2
    labels = _labels(results[0])
    assert labels["epic"] == ["netpol"]
    assert labels["feature"] == ["Default deny: a namespace that denies all ingress"]
    assert labels["story"] == ["Deny all blocks ingress"]
    assert labels["severity"] == ["critical"]
    assert {r["name"] for r in results} == {"Deny all blocks ingress [TCP]", "Deny all blocks ingress [UDP]"}
    assert {p["value"] for r in results for p in r["parameters"]} == {"TCP", "UDP"}  # not "'TCP'"
    assert results[0]["links"][0]["url"].startswith(
        "https://kubernetes.io/docs/concepts/services-networking/"
    )


def test_own_severity_wins_over_the_area_default(harness: pytest.Pytester) -> None:
    harness.makepyfile(
        "import allure, pytest\n\n"
        "@pytest.mark.density\n@allure.severity(allure.severity_level.MINOR)\ndef test_x(): pass\n"
    )
    harness.runpytest("--alluredir", "out").assert_outcomes(passed=1)
    labels = _labels(_results(harness.path / "out")[0])
    assert labels["severity"] == ["minor"]
    assert labels["epic"] == ["density"]


FAKE_CLUSTER_CONFTEST = """
import pytest
from netconform.core.profiles import profile_by_name

@pytest.fixture(scope="session")
def profile():
    return profile_by_name("calico-overlay")
"""


def test_xdist_results_of_all_workers_in_one_dir_and_environment_written_once(
    harness: pytest.Pytester,
) -> None:
    harness.makeconftest('pytest_plugins = ["fixtures.plugin"]\n' + FAKE_CLUSTER_CONFTEST)
    harness.makepyfile(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', range(6))\n"
        "def test_uses_profile(profile, n): assert n != 5, 'expected ALLOWED, observed BLOCKED'\n"
    )
    result = harness.runpytest_subprocess("-n", "2", "--alluredir", "out", "--run-id", "run42")
    result.assert_outcomes(passed=5, failed=1)
    results = _results(harness.path / "out")
    assert len(results) == 6
    assert len({_labels(r)["thread"][0].split("-")[0] for r in results}) == 2  # both workers wrote
    environment = (harness.path / "out" / "environment.properties").read_text().splitlines()
    assert "profile=calico-overlay" in environment  # learnt on a worker, written by the controller
    assert "run.id=run42" in environment
    assert any(line.startswith("harness.version=") for line in environment)
    assert all(
        r["parameters"][-1] == {"name": "profile", "value": "calico-overlay", "excluded": True}
        for r in results
    )
    # the terminal summary covers the workers' reports
    result.stdout.fnmatch_lines(
        [
            "*netconform summary*",
            "run.id run42, profile calico-overlay",
            "area*passed*failed*error*skipped*known",
            "harness*5*1*0*0",
            "worst findings:",
            "*FAILED *test_xdist_results*::test_uses_profile[[]5]",
            "*Product failures: AssertionError: expected ALLOWED, observed BLOCKED",
        ]
    )


def test_failures_are_categorised_for_the_terminal_and_for_allure(harness: pytest.Pytester) -> None:
    harness.makepyfile(
        """
        import pytest
        from netconform.adapters.waits import WaitTimeout

        @pytest.fixture
        def pods():
            raise WaitTimeout("timed out after 120s waiting for pods ready: a ErrImagePull")

        def test_product(): assert False, "expected BLOCKED, observed ALLOWED"
        def test_image(pods): pass
        def test_slow(): raise WaitTimeout("timed out after 60s waiting for endpoints")
        """
    )
    result = harness.runpytest("--alluredir", "out", "-p", "no:randomly")
    result.assert_outcomes(failed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*FAILED *::test_product",
            "*Product failures: AssertionError: expected BLOCKED*",
            "*ERROR  *::test_image",
            "*Environment: image pull: *WaitTimeout: timed out after 120s*",
            "*FAILED *::test_slow",
            "*Environment: timeouts: *",
        ]
    )
    by_name = {r["name"]: r for r in _results(harness.path / "out")}
    assert by_name["Product"]["status"] == "failed"
    assert by_name["Slow"]["status"] == "broken"
    categories = json.loads((harness.path / "out" / "categories.json").read_text())
    assert [c["name"] for c in categories][:2] == [
        "Environment: cluster unreachable",
        "Environment: image pull",
    ]


def test_secrets_never_reach_allure_results_or_junit(
    harness: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubeconfig = harness.path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://10.0.0.1'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"
        f"users:\n- name: u\n  user:\n    token: {TOKEN}\n"
        f"- name: k\n  user:\n    client-key-data: {CLIENT_KEY}\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_SESSION)
    harness.makepyfile(
        f"""
        import logging, os, pathlib, sys
        import allure
        from fixtures.reporting import attach

        def test_leaks_everything_it_can():
            kubeconfig = pathlib.Path(os.environ["KUBECONFIG"]).read_text()
            print(kubeconfig)
            print("secret bare:", os.environ["AWS_SECRET_ACCESS_KEY"], os.environ["AWS_SESSION_TOKEN"])
            print("Authorization: Bearer {JWT}", file=sys.stderr)
            logging.getLogger("x").warning("aws key %s", os.environ["AWS_ACCESS_KEY_ID"])
            attach("kubeconfig", kubeconfig)
            allure.attach(os.environ["AWS_SECRET_ACCESS_KEY"], name="raw allure attach")
            allure.dynamic.parameter("token", "{TOKEN}")
            assert False, f"token {TOKEN} and key {{os.environ['AWS_SECRET_ACCESS_KEY']}}"
        """
    )
    result = harness.runpytest("--alluredir", "out", "--junitxml", "junit.xml", "-rA")
    result.assert_outcomes(failed=1)
    written = {p: p.read_bytes().decode("utf-8", "replace") for p in (harness.path / "out").iterdir()}
    written[harness.path / "junit.xml"] = (harness.path / "junit.xml").read_text()
    written[Path("stdout")] = result.stdout.str()
    assert len(written) >= 6  # the result, its attachments (log, stdout, stderr, ours), environment, junit
    for path, text in written.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret[:12]}... leaked into {path.name}"
    assert any("<redacted>" in t for p, t in written.items() if p.name.endswith("-attachment.txt"))
