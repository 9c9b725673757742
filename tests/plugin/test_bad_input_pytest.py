"""Bad input to a `pytest suites` run: the run stops with one line and an exit code of
netconform.errors.RunExitCode (4 bad input, 6 unreachable or credentials rejected), never a traceback, also
under xdist (where pytest.exit in a worker would end in an INTERNALERROR)."""

from __future__ import annotations

from pathlib import Path

import pytest
from child_pytest import run_pytest

from netconform.errors import RunExitCode

TEST_FILE = "def test_needs_a_namespace(namespace):\n    pass\n\ndef test_second(namespace):\n    pass\n"


def run(tmp: Path, *args: str) -> tuple[int, str]:
    (tmp / "conftest.py").write_text('pytest_plugins = ["fixtures.plugin"]\n')
    (tmp / "test_bad.py").write_text(TEST_FILE)
    done = run_pytest(tmp, "-q", *args)
    return done.returncode, done.stdout + done.stderr


def unreachable(tmp: Path) -> str:
    path = tmp / "unreachable.kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: abc}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    return str(path)


def garbage(tmp: Path) -> str:
    (tmp / "garbage.kubeconfig").write_text("clusters: [\n")
    return str(tmp / "garbage.kubeconfig")


CASES = {
    "missing kubeconfig": (
        lambda t: ["--kubeconfig", str(t / "absent")],
        RunExitCode.BAD_INPUT,
        "netconform: kubeconfig not found: {tmp}/absent",
    ),
    "kubeconfig not YAML": (
        lambda t: ["--kubeconfig", garbage(t)],
        RunExitCode.BAD_INPUT,
        "netconform: kubeconfig {tmp}/garbage.kubeconfig is not valid YAML",
    ),
    "unknown context": (
        lambda t: ["--kubeconfig", unreachable(t), "--context", "nope"],
        RunExitCode.BAD_INPUT,
        "netconform: cannot use kubeconfig {tmp}/unreachable.kubeconfig: Invalid kube-config file. "
        "Expected object with name nope",
    ),
    "unreachable API server": (
        lambda t: ["--kubeconfig", unreachable(t)],
        RunExitCode.CANNOT_REACH,
        "netconform: read /version: cannot reach the API server (Connection refused at 127.0.0.1:1)",
    ),
    "unreachable API server under xdist": (
        lambda t: ["--kubeconfig", unreachable(t), "-n", "2"],
        RunExitCode.CANNOT_REACH,
        "netconform: read /version: cannot reach the API server (Connection refused at 127.0.0.1:1)",
    ),
    "unknown profile": (
        lambda t: ["--kubeconfig", unreachable(t), "--profile", "flannel"],
        RunExitCode.BAD_INPUT,
        "ERROR: unknown profile 'flannel'; choose one of: vpc-cni",
    ),
    "invalid probe image reference": (
        lambda t: ["--kubeconfig", unreachable(t), "--probe-image", "Netconform.local/Probe::1"],
        RunExitCode.BAD_INPUT,
        "ERROR: --probe-image: 'Netconform.local/Probe::1' is not a valid image reference",
    ),
    "run id that is no label value": (
        lambda t: ["--kubeconfig", unreachable(t), "--run-id", "no spaces please"],
        RunExitCode.BAD_INPUT,
        "ERROR: --run-id: 'no spaces please' is not a valid label value",
    ),
    "node selector without a value": (
        lambda t: ["--kubeconfig", unreachable(t), "--node-selector", "pool"],
        RunExitCode.BAD_INPUT,
        "ERROR: --node-selector: expected KEY=VALUE, got 'pool'",
    ),
    "toleration with an unknown effect": (
        lambda t: ["--kubeconfig", unreachable(t), "--toleration", "dedicated=infra:NoPlace"],
        RunExitCode.BAD_INPUT,
        "ERROR: --toleration: effect must be one of NoSchedule, PreferNoSchedule, NoExecute, got 'NoPlace'",
    ),
    "toleration with an empty value": (
        lambda t: ["--kubeconfig", unreachable(t), "--toleration", "dedicated=:NoSchedule"],
        RunExitCode.BAD_INPUT,
        "ERROR: --toleration: empty value in 'dedicated=:NoSchedule'",
    ),
    "image registry given as a URL": (
        lambda t: ["--kubeconfig", unreachable(t), "--image-registry", "https://mirror.example"],
        RunExitCode.BAD_INPUT,
        "ERROR: --image-registry: expected a registry host[:port][/path]",
    ),
    "pull secret without a namespace": (
        lambda t: ["--kubeconfig", unreachable(t), "--image-pull-secret", "regcred"],
        RunExitCode.BAD_INPUT,
        "ERROR: --image-pull-secret must be NAMESPACE/NAME of the Secret to copy, got 'regcred'",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_run_stops_with_one_line_and_its_exit_code(name: str, tmp_path: Path) -> None:
    args, code, message = CASES[name]
    returncode, output = run(tmp_path, *args(tmp_path))
    expected = message.format(tmp=tmp_path)
    assert returncode == code, output
    assert "Traceback" not in output, output
    assert "INTERNALERROR" not in output, output
    # The one line, whole and on its own (the last thing a CI log shows for a stopped run).
    assert any(line.startswith(expected) for line in output.splitlines()), output
