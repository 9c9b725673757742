"""A policy the harness did not create is named by what it does, in the one line that stops the run."""

from __future__ import annotations

from netconform.core.netpol.foreign import describe, stop_line

DENY_ALL = {
    "metadata": {"name": "default-deny"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}
ALLOW_DNS = {
    "metadata": {"name": "allow-dns"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "x"}},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
    },
}


def test_policies_are_described_by_what_they_do() -> None:
    assert describe(DENY_ALL) == "NetworkPolicy default-deny (all pods; ingress and egress denied)"
    assert describe(ALLOW_DNS) == "NetworkPolicy allow-dns (some pods; with allow rules)"
    assert describe({"metadata": {"name": "i"}, "spec": {"podSelector": {}}}) == (
        "NetworkPolicy i (all pods; ingress denied)"
    )


def test_the_stop_line_names_policy_namespace_and_fix() -> None:
    line = stop_line([DENY_ALL], "nc-r1-canary-ab12", "netconform.io/owner=netconform")
    assert "\n" not in line
    assert line.startswith(
        "foreign NetworkPolicy in every new namespace: NetworkPolicy default-deny (all pods; ingress and "
        "egress denied) appeared in nc-r1-canary-ab12"
    )
    assert "exclude namespaces labelled netconform.io/owner=netconform" in line
