"""`netconform policy truth-table|explain`: output shape, readable text, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from netpol_model import PODS, document

from netconform.cli import main
from netconform.core.truthtable import Probe, Protocol

POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"namespace": "x", "name": "allow-b"},
    "spec": {
        "podSelector": {"matchLabels": {"pod": "a"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80}]}],
    },
}
PROBES = [Probe(80, Protocol.TCP), Probe(81, Protocol.UDP)]


def write(tmp_path: Path, doc: object, name: str = "cluster.yaml") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if name.endswith(".json") else yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def test_truth_table_json_has_every_pair_per_probe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, document([POLICY], PROBES), "cluster.json")
    assert main(["policy", "truth-table", path, "--output", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(p["port"], p["protocol"]) for p in out["probes"]] == [(80, "TCP"), (81, "UDP")]
    tcp = out["probes"][0]["reachability"]
    assert set(tcp) == set(PODS)
    assert all(set(row) == set(PODS) for row in tcp.values())
    assert tcp["x/b"]["x/a"] is True
    assert tcp["y/b"]["x/a"] is False
    assert tcp["x/a"]["x/a"] is False  # self pairs are computed like any other
    assert tcp["y/b"]["y/c"] is True
    assert out["probes"][1]["reachability"]["x/b"]["x/a"] is False  # the rule is 80/TCP only


def test_truth_table_text_is_a_grid_with_a_legend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "truth-table", write(tmp_path, document([POLICY], PROBES[:1]))]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "80/TCP  (rows: from, columns: to)"
    assert lines[1].split() == list(PODS)
    assert lines[2].split() == ["x/a", "X", ".", ".", ".", ".", ".", ".", ".", "."]
    assert lines[3].split() == ["x/b", *["."] * 9]
    assert "X blocked" in out
    assert ". allowed" in out


def test_explain_names_the_deciding_policy_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, document([POLICY], PROBES))
    assert main(["policy", "explain", path, "--from", "x/b", "--to", "x/a", "--port", "80"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "x/b -> x/a on 80/TCP: ALLOWED"
    assert "x/allow-b ingress[0] ALLOWS" in out
    assert (
        main(["policy", "explain", path, "--from", "y/b", "--to", "x/a", "--protocol", "udp", "--port", "81"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "y/b -> x/a on 81/UDP: BLOCKED"
    assert "isolated by x/allow-b" in out
    assert "no from entry matches y/b" in out


BAD_INPUTS = [
    (
        "unknown-field",
        lambda doc: doc["policies"][0]["spec"].update(podSelectr={}),
        "policies[0] (x/allow-b).spec.podSelectr: unknown field",
    ),
    (
        "bad-operator",
        lambda doc: doc["policies"][0]["spec"].update(
            podSelector={"matchExpressions": [{"key": "pod", "operator": "Equals", "values": ["a"]}]}
        ),
        "policies[0] (x/allow-b).spec.podSelector.matchExpressions[0].operator: "
        'Invalid value: "Equals": not a valid selector operator',
    ),
    (
        "bad-cidr",
        lambda doc: doc["policies"][0]["spec"].update(
            ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0/33"}}]}]
        ),
        "policies[0] (x/allow-b).spec.ingress[0].from[0].ipBlock.cidr: "
        'Invalid value: "10.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ),
    (
        "except-outside-cidr",
        lambda doc: doc["policies"][0]["spec"].update(
            ingress=[{"from": [{"ipBlock": {"cidr": "10.0.1.0/24", "except": ["10.0.2.0/25"]}}]}]
        ),
        "policies[0] (x/allow-b).spec.ingress[0].from[0].ipBlock.except[0]: "
        'Invalid value: "10.0.2.0/25": must be a strict subset of `cidr`',
    ),
    (
        "missing-namespace",
        lambda doc: doc["policies"][0]["metadata"].pop("namespace"),
        "policies[0].metadata.namespace: Required value",
    ),
    (
        "unknown-namespace",
        lambda doc: doc["policies"][0]["metadata"].update(namespace="w"),
        'policies[0].metadata.namespace: namespace "w" is not listed under namespaces',
    ),
    (
        "end-port-with-named-port",
        lambda doc: doc["policies"][0]["spec"].update(ingress=[{"ports": [{"port": "http", "endPort": 90}]}]),
        "policies[0] (x/allow-b).spec.ingress[0].ports[0].endPort: "
        "Invalid value: 90: may not be specified when `port` is non-numeric",
    ),
    (
        "end-port-below-port",
        lambda doc: doc["policies"][0]["spec"].update(ingress=[{"ports": [{"port": 80, "endPort": 79}]}]),
        "policies[0] (x/allow-b).spec.ingress[0].ports[0].endPort: "
        "Invalid value: 80: must be greater than or equal to `port`",
    ),
    (
        "bad-protocol",
        lambda doc: doc["policies"][0]["spec"].update(ingress=[{"ports": [{"protocol": "ICMP"}]}]),
        "policies[0] (x/allow-b).spec.ingress[0].ports[0].protocol: "
        'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    ),
    (
        "empty-peer",
        lambda doc: doc["policies"][0]["spec"].update(ingress=[{"from": [{}]}]),
        "policies[0] (x/allow-b).spec.ingress[0].from[0]: Required value: must specify a peer",
    ),
    (
        "ip-block-with-selector",
        lambda doc: doc["policies"][0]["spec"].update(
            egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]
        ),
        "policies[0] (x/allow-b).spec.egress[0].to[0]: "
        "Forbidden: may not specify both ipBlock and another peer",
    ),
    (
        "in-without-values",
        lambda doc: doc["policies"][0]["spec"].update(
            podSelector={"matchExpressions": [{"key": "pod", "operator": "In"}]}
        ),
        "policies[0] (x/allow-b).spec.podSelector.matchExpressions[0].values: "
        "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ),
    (
        "pod-in-unknown-namespace",
        lambda doc: doc["pods"][4].update(namespace="q"),
        'pods[4].namespace: namespace "q" is not listed under namespaces',
    ),
    (
        "bad-pod-ip",
        lambda doc: doc["pods"][0].update(ip="10.0.1.256"),
        'pods[0].ip: invalid IP address "10.0.1.256"',
    ),
    (
        "bad-policy-type",
        lambda doc: doc["policies"][0]["spec"].update(policyTypes=["Ingres"]),
        "policies[0] (x/allow-b).spec.policyTypes[0]: "
        'Unsupported value: "Ingres": supported values: "Ingress", "Egress"',
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_line_naming_the_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: object, message: str
) -> None:
    doc = json.loads(json.dumps(document([POLICY], PROBES)))
    mutate(doc)  # type: ignore[operator]
    path = write(tmp_path, doc)
    assert main(["policy", "truth-table", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"netconform: error: {path}: {message}")


def test_unreadable_and_malformed_files_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "truth-table", str(tmp_path / "missing.yaml")]) == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("namespaces: [\n  - x\n", encoding="utf-8")
    assert main(["policy", "truth-table", str(broken)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert "missing.yaml: cannot read" in err[0]
    assert err[1].startswith(f"netconform: error: {broken}:2:3: invalid YAML")


def test_explain_rejects_an_unknown_pod(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, document([POLICY], PROBES))
    assert main(["policy", "explain", path, "--from", "x/zz", "--to", "x/a"]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith('--from: no pod "x/zz" in ' + path + " (pods are written namespace/name)")
    )
