"""deploy/rbac.yaml is enough and no more: the suites run as ServiceAccounts bound to exactly its roles.

Each run is a subprocess (`pytest ... --kubeconfig <ServiceAccount kubeconfig>`), so every API call the
harness makes is checked by the API server's RBAC, not by the admin credentials of this test.
"""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from child_pytest import pytest_command, run_pytest

from netconform.adapters.junit import load_run
from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.serviceaccount_kubeconfig import write_serviceaccount_kubeconfig
from netconform.core.run.outcomes import Outcome
from netconform.errors import RunExitCode
from tests.cluster.shipped_rbac import SA_NAMESPACE, apply, remove, shipped_rbac_applied

REPO = Path(__file__).resolve().parents[2]
# What runs as the ServiceAccount: every suite that exists (minus the disruptive fill test, which is
# serial and slow) and the test bed's basics (namespaces, pods, Services, exec, a NetworkPolicy).
FULL_RUN = os.environ.get("NETCONFORM_RBAC_TARGETS", "suites tests/cluster/test_testbed_basics.py").split()
RUN_TIMEOUT_S = 1500


@pytest.fixture(scope="module")
def rbac_applied(kube: KubeCluster) -> Iterator[list[dict[str, Any]]]:
    with shipped_rbac_applied(kube) as docs:
        yield docs


def run_as(kube: KubeCluster, service_account: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run pytest with only ``service_account``'s token; returns (exit code, output, run id)."""
    kubeconfig = write_serviceaccount_kubeconfig(
        kube, SA_NAMESPACE, service_account, tmp_path / f"{service_account}.kubeconfig"
    )
    run_id = f"h9rbac{secrets.token_hex(3)}"
    child_args = ("-q", "-rfE", "--kubeconfig", str(kubeconfig), "--run-id", run_id, *args)
    command = pytest_command(*child_args)
    done = run_pytest(REPO, *child_args, cluster=True, timeout_s=RUN_TIMEOUT_S)
    output = done.stdout + done.stderr
    print(f"$ {' '.join(command)}\n-> exit {done.returncode}\n{output[-3000:]}")
    return done.returncode, output, run_id


def forbidden_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "forbidden" in line.lower()]


def test_full_run_needs_nothing_beyond_the_shipped_role(
    kube: KubeCluster, rbac_applied: list[dict[str, Any]], tmp_path: Path
) -> None:
    code, output, _ = run_as(kube, "netconform-runner", tmp_path, *FULL_RUN, "-m", "not disruptive")
    assert not forbidden_lines(output), "\n".join(forbidden_lines(output)[:5])
    assert code == 0, f"the suites did not pass as netconform-runner (exit {code}):\n{output[-2000:]}"


def test_read_only_run_needs_only_the_read_only_role(
    kube: KubeCluster, rbac_applied: list[dict[str, Any]], tmp_path: Path
) -> None:
    junit = tmp_path / "read-only.xml"
    code, output, _ = run_as(
        kube, "netconform-reader", tmp_path, "suites", "--read-only", "-rs", f"--junitxml={junit}"
    )
    assert not forbidden_lines(output), "\n".join(forbidden_lines(output)[:5])
    # Exit 0, not "0 or 5": the read-only checks must have run and passed, everything else skipped.
    assert code == 0, f"read-only suites did not pass as netconform-reader (exit {code}):\n{output[-2000:]}"
    verdicts = load_run(junit).verdicts
    audit = next(t for t in verdicts if "test_cluster_webhooks_and_api_services_survive_the_profile" in t)
    assert verdicts[audit].outcome is Outcome.PASSED, verdicts[audit]
    others = [t for t, v in verdicts.items() if "density" not in t and "test_audit" not in t]
    assert others, "the suites' other tests were not collected"
    ran = [t for t in others if verdicts[t].outcome is not Outcome.SKIPPED]
    assert not ran, f"tests that create objects ran under --read-only: {ran[:5]}"


@pytest.fixture
def role_without_networkpolicies(kube: KubeCluster, rbac_applied: list[dict[str, Any]]) -> Iterator[str]:
    """The shipped run role minus its NetworkPolicy rule, bound to a ServiceAccount of its own."""
    tag = secrets.token_hex(3)
    role = copy.deepcopy(next(d for d in rbac_applied if d["metadata"]["name"] == "netconform-run"))
    role["metadata"] = {"name": f"netconform-run-minus-netpol-{tag}", "labels": labels.harness_labels(tag)}
    role["rules"] = [r for r in role["rules"] if "networkpolicies" not in r["resources"]]
    account = f"netconform-minus-netpol-{tag}"
    docs = [
        role,
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": account, "namespace": SA_NAMESPACE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": role["metadata"]["name"], "labels": labels.harness_labels(tag)},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": role["metadata"]["name"]},
         "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": SA_NAMESPACE}]},
    ]  # fmt: skip
    for doc in docs:
        apply(kube, doc)
    yield account
    for doc in reversed(docs):
        remove(kube, doc)


def test_one_rule_less_stops_the_run_naming_verb_and_resource(
    kube: KubeCluster, role_without_networkpolicies: str, tmp_path: Path
) -> None:
    target = "tests/cluster/test_testbed_basics.py::test_deny_all_blocks_and_deleting_it_restores"
    code, output, _ = run_as(kube, role_without_networkpolicies, tmp_path, target)
    assert code == RunExitCode.FORBIDDEN, output[-2000:]
    lines = forbidden_lines(output)
    assert any('cannot create resource "networkpolicies"' in line for line in lines), lines
    assert any(line.startswith("netconform: forbidden: cannot create networkpolicy") for line in lines), lines
    assert "Traceback" not in output
