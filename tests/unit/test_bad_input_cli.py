"""Bad input to the `netconform` command: one line on stderr, a distinct exit code, never a traceback.

Exit codes: 2 bad input (files, arguments, names), 3 could not check (cluster unreachable, credentials,
RBAC, AWS). Cases that need a live API server are in tests/cluster/test_bad_input_cluster.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from netconform.cli import main

NO_AWS = {
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def unreachable_kubeconfig(tmp: Path) -> Path:
    return write(
        tmp,
        "unreachable.kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: abc}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n",
    )


Case = tuple[str, Callable[[Path], list[str]], int, str, dict[str, str]]
CASES: list[Case] = [
    (
        "missing kubeconfig",
        lambda t: ["detect", "--kubeconfig", str(t / "absent")],
        2,
        "kubeconfig not found: {tmp}/absent",
        {},
    ),
    (
        "kubeconfig is not YAML",
        lambda t: ["detect", "--kubeconfig", str(write(t, "k", "clusters: [\n"))],
        2,
        "kubeconfig {tmp}/k is not valid YAML: ",
        {},
    ),
    (
        "kubeconfig is YAML but no kubeconfig",
        lambda t: ["detect", "--kubeconfig", str(write(t, "k", "hello\n"))],
        2,
        "kubeconfig {tmp}/k is not a kubeconfig (expected clusters, contexts, users)",
        {},
    ),
    (
        "unknown context",
        lambda t: ["detect", "--kubeconfig", str(unreachable_kubeconfig(t)), "--context", "nope"],
        2,
        "cannot use kubeconfig {tmp}/unreachable.kubeconfig: Invalid kube-config file. Expected object with "
        "name nope",
        {},
    ),
    (
        "unreachable API server",
        lambda t: ["sweep", "--run-id", "x", "--dry-run", "--kubeconfig", str(unreachable_kubeconfig(t))],
        3,
        "read /version: cannot reach the API server (Connection refused at 127.0.0.1:1)",
        {},
    ),
    (
        "sweep run id that is no label value",
        lambda t: ["sweep", "--run-id", "a b", "--kubeconfig", str(unreachable_kubeconfig(t))],
        2,
        "--run-id 'a b' is not a valid label value",
        {},
    ),
    (
        "policy file missing",
        lambda t: ["policy", "truth-table", str(t / "absent.yaml")],
        2,
        "{tmp}/absent.yaml: cannot read: No such file or directory",
        {},
    ),
    (
        "policy file not YAML",
        lambda t: ["policy", "truth-table", str(write(t, "p.yaml", "policies: [\n"))],
        2,
        "{tmp}/p.yaml:2:1: invalid YAML: ",
        {},
    ),
    (
        "policy file with an unknown field",
        lambda t: ["policy", "truth-table", str(write(t, "p.yaml", "apiVersion: v1\nkind: Pod\n"))],
        2,
        "{tmp}/p.yaml: apiVersion: unknown field (known fields: ",
        {},
    ),
    ("unknown instance type", lambda t: ["max-pods", "zz.huge"], 2, "unknown instance type 'zz.huge'", {}),
    (
        "no AWS credentials",
        lambda t: ["preflight", "--cluster", "demo", "--region", "eu-west-1"],
        3,
        "no AWS credentials found: ",
        {**NO_AWS, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": ""},
    ),
    (
        "AWS endpoint unreachable",
        lambda t: ["preflight", "--cluster", "demo", "--region", "eu-west-1"],
        3,
        "eks:DescribeCluster: cannot reach the AWS endpoint: ",
        {
            **NO_AWS,
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_a_distinct_exit_code(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, args, code, message, env = case
    monkeypatch.delenv("KUBECONFIG", raising=False)
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if value:
            monkeypatch.setenv(name, value)
    assert main(args(tmp_path)) == code
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("netconform: error: " + message.format(tmp=tmp_path)), lines[0]


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (
            "api-500",
            "netconform: error: netconform detect: an API call failed: API server answered 500 (etcdserver: "
            "request timed out)",
        ),
        (
            "api-422",
            "netconform: error: netconform detect: an API call failed: field is immutable (HTTP 422)",
        ),
    ],
)
def test_an_unexpected_api_error_exits_3_in_one_line(
    raised: str, line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An API error no command translated itself still ends as 'could not check' (3), not a traceback (1)."""
    import json

    from kubernetes.client.exceptions import ApiException

    from netconform.commands import detect

    status, message = {
        "api-500": (500, "etcdserver: request timed out"),
        "api-422": (422, "field is immutable"),
    }[raised]

    def fail(_args: object) -> int:
        err = ApiException(status=status, reason="x")
        err.body = json.dumps({"kind": "Status", "message": message})
        raise err

    monkeypatch.setattr(detect, "run", fail)
    assert main(["detect"]) == 3
    err = capsys.readouterr().err
    assert err.strip() == line
    assert "Traceback" not in err
