"""Install and run it anywhere (issue 19), on the test bed.

- The wheel, in a fresh virtualenv outside the repository, runs `netconform run -m smoke` and passes.
- The image (`make image`, imported into every node) runs `netconform run --in-cluster`: status shows the
  area counts, retrieve brings back results that `make report` renders, delete leaves no object of the run.
- Bad input (an unknown image, a caller without the RBAC to create the run, a pod that cannot start) and an
  interrupted `run --wait` are one line, a distinct exit code, and nothing left behind.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netconform
from netconform.adapters.junit import load_run
from netconform.adapters.kube import incluster, sweep
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.serviceaccount_kubeconfig import write_serviceaccount_kubeconfig
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.core.run.outcomes import Outcome
from netconform.errors import RunExitCode
from netconform.testbed import images, lifecycle
from tests.cluster.shipped_rbac import SA_NAMESPACE, shipped_rbac_applied

REPO = Path(__file__).resolve().parents[2]
VERSION = netconform.__version__
IMAGE = f"netconform.local/netconform:{VERSION}"
IMAGE_ARCHIVE = REPO / "dist" / f"netconform-{VERSION}.oci.tar"
CLI = [str(REPO / ".venv/bin/netconform")]
RUN_FINISHED = Bound("the in-cluster smoke and apiserver run to finish", timeout_s=1200, interval_s=10)
STARTED = Bound("the in-cluster run to report its start", timeout_s=300, interval_s=1)


def cli(*args: str, timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    print(f"$ netconform {' '.join(args)}\n-> exit {done.returncode}")
    print(done.stdout[-3000:] + done.stderr[-2000:])
    return done


def leftovers(kube: KubeCluster, run_id: str) -> list[str]:
    """Every object of the run: the runner's (by its label) and the tests' (by the harness's labels)."""
    found = [f"Namespace/{r.namespace}" for r in incluster.find(kube, run_id)]
    bindings = kube.rbac.list_cluster_role_binding(label_selector=incluster.selector(run_id)).items
    found += [f"ClusterRoleBinding/{b.metadata.name}" for b in bindings]
    found += [f"{x.kind}/{x.name}" for x in sweep.find(kube, run_id=run_id)]
    return found


def run_id_of(output: str) -> str:
    match = re.search(r"in-cluster run (\w+) started", output)
    assert match, output
    return match.group(1)


@pytest.fixture(scope="module")
def roles(kube: KubeCluster) -> Iterator[list[dict[str, Any]]]:
    """deploy/rbac.yaml applied: the role the run's ServiceAccount is bound to, and its example identities."""
    with shipped_rbac_applied(kube) as docs:
        yield docs


@pytest.fixture(scope="module")
def image_on_nodes() -> str:
    if not IMAGE_ARCHIVE.exists():
        pytest.fail(f"{IMAGE_ARCHIVE} is missing: `make image` builds it (make test-cluster does)")
    lifecycle.import_image(IMAGE_ARCHIVE, IMAGE)
    return IMAGE


def test_in_cluster_run_status_retrieve_report_delete(
    kube: KubeCluster, roles: list[dict[str, Any]], image_on_nodes: str, tmp_path: Path
) -> None:
    started = cli("run", "--in-cluster", "--image", image_on_nodes, "--runner-pull-policy", "Never",
                  "-m", "smoke or apiserver", "-p", "no:randomly")  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = run_id_of(started.stdout)
    try:

        def finished() -> str:
            status = cli("status", "--run-id", run_id, timeout_s=120)
            assert status.returncode == 0, status.stderr
            if "finished" not in status.stdout:
                raise NotYet(status.stdout.splitlines()[0])
            return status.stdout

        last = wait_until(RUN_FINISHED, finished)
        assert "finished, pytest exit code 0" in last, last
        assert re.search(r"netconform ▸ smoke: (\d+)/\1 done", last), last  # the area counts
        assert re.search(r"netconform ▸ apiserver: (\d+)/\1 done", last), last

        tarball = tmp_path / "results.tar.gz"
        got = cli("retrieve", "--run-id", run_id, "-o", str(tarball))
        assert got.returncode == 0, got.stderr
        out = tmp_path / "results"
        with tarfile.open(tarball) as archive:
            archive.extractall(out, filter="data")
        assert (out / "exit-code").read_text().strip() == "0"
        verdicts = load_run(out / "junit.xml").verdicts
        assert any("suites/smoke" in t or "smoke." in t for t in verdicts), sorted(verdicts)[:5]
        assert any("apiserver" in t for t in verdicts), sorted(verdicts)[:5]
        assert list((out / "allure-results").glob("*-result.json"))
        report = subprocess.run(
            ["bash", "reports/make-report.sh"], cwd=REPO, capture_output=True, text=True, timeout=600,
            env={**os.environ, "RESULTS": str(out / "allure-results")}, check=False,
        )  # fmt: skip
        assert report.returncode == 0, report.stderr
        assert (REPO / "reports/allure-report/index.html").stat().st_size > 10_000
    finally:
        deleted = cli("delete", "--run-id", run_id)
    assert deleted.returncode == 0, deleted.stderr
    assert leftovers(kube, run_id) == []


@pytest.mark.parametrize(
    ("case", "code", "says"),
    [
        ("unknown image", RunExitCode.PODS_CANNOT_START, "pod cannot start: the image is not on the node"),
        ("not the harness's image", RunExitCode.PODS_CANNOT_START, "pod cannot start"),
        ("no RBAC for the run", RunExitCode.FORBIDDEN, "needs permission to"),
    ],
)
def test_bad_input_is_one_line_a_distinct_code_and_nothing_left(  # noqa: PLR0917
    kube: KubeCluster,
    roles: list[dict[str, Any]],
    tmp_path: Path,
    case: str,
    code: RunExitCode,
    says: str,
) -> None:
    before = {r.run_id for r in incluster.find(kube)}
    args = ["run", "--in-cluster", "--runner-pull-policy", "Never", "-m", "smoke"]
    if case == "unknown image":
        args += ["--image", "netconform.local/no-such-image:1"]
    elif case == "not the harness's image":
        args += ["--image", images.PROBE_IMAGE]  # on every node, but no `netconform` in it
    else:
        kubeconfig = write_serviceaccount_kubeconfig(
            kube, SA_NAMESPACE, "netconform-runner", tmp_path / "sa.kubeconfig"
        )
        args += ["--image", IMAGE, "--kubeconfig", str(kubeconfig)]
    done = cli(*args, timeout_s=400)
    assert done.returncode == code, done.stderr
    assert says in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    new = {r.run_id for r in incluster.find(kube)} - before
    assert not new, f"left behind: {new}"
    bindings = kube.rbac.list_cluster_role_binding(label_selector=incluster.RUN_LABEL).items
    assert not [b for b in bindings if b.metadata.labels[incluster.RUN_LABEL] not in before]


def test_interrupting_run_wait_leaves_nothing_behind(
    kube: KubeCluster, roles: list[dict[str, Any]], image_on_nodes: str
) -> None:
    proc = subprocess.Popen(
        [*CLI, "run", "--in-cluster", "--wait", "--image", image_on_nodes, "--runner-pull-policy", "Never",
         "-m", "smoke"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "in-cluster run ID started: pod ..." once the pod runs
    run_id = run_id_of(first)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    print(first + out + err)
    assert proc.returncode == 130, err
    assert "Traceback" not in err

    def gone() -> None:
        if left := leftovers(kube, run_id):
            raise NotYet(", ".join(left))

    wait_until(Bound("the interrupted run's objects to go", 180, 2), gone)


# Last: the slowest (a virtualenv from the lock), the one that needs no image.
def test_wheel_in_a_fresh_venv_outside_the_repository_passes_smoke(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    pip = ["--quiet", "--disable-pip-version-check"]
    subprocess.run([str(REPO / ".venv/bin/pip"), "wheel", *pip, "--no-deps", "-w", str(dist), str(REPO)],
                   check=True, timeout=600)  # fmt: skip
    (wheel,) = dist.glob("netconform-*.whl")
    venv = tmp_path / "venv"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=300)
    vpip = [str(venv / "bin/pip"), "install", *pip]
    subprocess.run([*vpip, "--require-hashes", "-r", str(REPO / "requirements-runtime.lock")],
                   check=True, timeout=900)  # fmt: skip
    subprocess.run([*vpip, "--no-deps", str(wheel)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    version = subprocess.run([str(venv / "bin/netconform"), "--version"], capture_output=True, text=True,
                             env=env, cwd=tmp_path, check=True)  # fmt: skip
    assert version.stdout.strip() == f"netconform {VERSION}"
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import fixtures.plugin, suites; print(fixtures.plugin.__file__); "
         "print(suites.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert all(line.startswith(str(venv)) for line in where.stdout.split()), where.stdout  # not the clone's

    junit, alluredir = tmp_path / "junit.xml", tmp_path / "allure-results"
    done = subprocess.run(
        [str(venv / "bin/netconform"), "run", "-m", "smoke", f"--junitxml={junit}",
         f"--alluredir={alluredir}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    print(output[-4000:])
    assert done.returncode == 0, output[-3000:]
    verdicts = load_run(junit).verdicts
    passed = [t for t, v in verdicts.items() if v.outcome is Outcome.PASSED]
    assert len(passed) >= 5, sorted(verdicts)
    assert all("smoke" in t for t in verdicts), sorted(verdicts)
    assert f"netconform-{VERSION}" in output  # pytest's header names the installed plugin's version
    environment = (alluredir / "environment.properties").read_text().splitlines()
    assert f"harness.version={VERSION}" in environment  # and the report does
