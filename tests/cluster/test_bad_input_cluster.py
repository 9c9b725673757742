"""Bad input that needs a live API server: wrong or revoked credentials, a ServiceAccount without rights,
probe images that cannot start, pods that never become Ready. Each ends in one line and a distinct exit
code, with nothing of the run left in the cluster."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml
from child_pytest import run_pytest

from netconform.adapters.kube import manifests, sweep
from netconform.adapters.kube.cluster import KubeCluster, PodStartFailure
from netconform.adapters.kube.serviceaccount_kubeconfig import (
    kubeconfig_for_token,
    write_serviceaccount_kubeconfig,
)
from netconform.adapters.waits import Bound, WaitTimeout
from netconform.cli import main
from netconform.errors import RunExitCode

REPO = Path(__file__).resolve().parents[2]
QUICK = Bound("pods to become Ready", timeout_s=8, interval_s=1)
TEST_FILE = """
from netconform.adapters.kube import manifests

def test_pod(kube, namespace, images):
    kube.create(namespace, manifests.client_pod("c", {"app": "c"}, images))
    kube.wait_pods_ready(namespace, ["c"])

def test_second(namespace):
    pass
"""


def run_suite(tmp: Path, *args: str, test_file: str = TEST_FILE) -> tuple[int, str, str]:
    """A small `pytest` run through the plugin; returns (exit code, output, run id)."""
    (tmp / "conftest.py").write_text('pytest_plugins = ["fixtures.plugin"]\n')
    (tmp / "test_run.py").write_text(test_file)
    # A --run-id in ``args`` comes later on the command line and wins.
    run_id = f"h9bad{secrets.token_hex(3)}"
    done = run_pytest(tmp, "-q", "--run-id", run_id, *args, cluster=True, timeout_s=300)
    return done.returncode, done.stdout + done.stderr, run_id


def assert_one_line(output: str, line_start: str) -> None:
    assert "Traceback" not in output, output
    assert "INTERNALERROR" not in output, output
    assert any(line.startswith(line_start) for line in output.splitlines()), output


def assert_nothing_left(kube: KubeCluster, run_id: str) -> None:
    left = [x.describe() for x in sweep.find(kube, run_id=run_id) if not x.terminating]
    assert not left, left


@pytest.fixture
def token_kubeconfig(kube: KubeCluster, tmp_path: Path) -> Path:
    path = tmp_path / "garbage-token.kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig_for_token(kube, "not-a-token", "someone")))
    return path


@pytest.fixture
def no_rights_kubeconfig(kube: KubeCluster, namespace: str, tmp_path: Path) -> Path:
    """A ServiceAccount bound to nothing: authenticated, allowed only the discovery defaults."""
    kube.create(namespace, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}})
    return write_serviceaccount_kubeconfig(kube, namespace, "nobody", tmp_path / "nobody.kubeconfig")


def test_invalid_token_cli(token_kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--kubeconfig", str(token_kubeconfig)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(
        "netconform: error: unauthorized: read /version — credentials expired or invalid"
    )


def test_invalid_token_run(token_kubeconfig: Path, tmp_path: Path) -> None:
    code, output, _ = run_suite(tmp_path, "--kubeconfig", str(token_kubeconfig))
    assert code == RunExitCode.CANNOT_REACH, output
    assert_one_line(output, "netconform: unauthorized: read /version — credentials expired or invalid")


def test_revoked_token_cli(
    kube: KubeCluster, namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bound token dies with its ServiceAccount: what a rotated or deleted CI identity looks like."""
    kube.create(namespace, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "gone"}})
    kubeconfig = write_serviceaccount_kubeconfig(kube, namespace, "gone", tmp_path / "gone.kubeconfig")
    kube.core.delete_namespaced_service_account("gone", namespace)
    assert main(["detect", "--kubeconfig", str(kubeconfig)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("netconform: error: unauthorized: read /version"), err


def test_forbidden_cli_names_verb_and_resource(
    no_rights_kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["detect", "--kubeconfig", str(no_rights_kubeconfig)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("netconform: error: forbidden: cannot list daemonsets in all namespaces"), err
    assert 'cannot list resource "daemonsets" in API group "apps"' in err[0]


def test_forbidden_run_names_verb_and_resource(
    kube: KubeCluster, no_rights_kubeconfig: Path, tmp_path: Path
) -> None:
    code, output, run_id = run_suite(tmp_path, "--kubeconfig", str(no_rights_kubeconfig))
    assert code == RunExitCode.FORBIDDEN, output
    assert_one_line(output, "netconform: forbidden: cannot create namespace nc-")
    assert 'cannot create resource "namespaces"' in output
    assert_nothing_left(kube, run_id)


def test_image_that_cannot_start_stops_the_run_quickly(kube: KubeCluster, tmp_path: Path) -> None:
    code, output, run_id = run_suite(
        tmp_path, "--probe-image", "netconform.local/absent:1", "--image-pull-policy", "Never"
    )
    assert code == RunExitCode.PODS_CANNOT_START, output
    assert_one_line(output, "netconform: pod nc-")
    assert (
        "will not start: the image is not on the node and the pull policy is Never (ErrImageNeverPull"
        in output
    )
    assert_nothing_left(kube, run_id)


def test_invalid_image_name_is_detected_at_once(
    kube: KubeCluster, namespace: str, images: manifests.ImageSettings
) -> None:
    """A reference the kubelet rejects (it got past us only because it was created directly)."""
    bad = manifests.ImageSettings("netconform.local/Probe:1", images.pull_policy)
    kube.create(namespace, manifests.client_pod("c", {"app": "c"}, bad))
    with pytest.raises(PodStartFailure) as failure:
        kube.wait_pods_ready(namespace, ["c"], QUICK)
    assert failure.value.reason == "InvalidImageName"
    assert str(failure.value).startswith(f"pod {namespace}/c will not start: the image reference is invalid")


def test_pods_that_never_become_ready_time_out_with_the_reason(
    kube: KubeCluster, namespace: str, images: manifests.ImageSettings
) -> None:
    pod = manifests.client_pod("never-ready", {"app": "n"}, images)
    pod["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["false"]}, "periodSeconds": 1}
    kube.create(namespace, pod)
    with pytest.raises(WaitTimeout) as failure:
        kube.wait_pods_ready(namespace, ["never-ready"], QUICK)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("timed out after 8s waiting for pods to become Ready: never-ready: "), message
