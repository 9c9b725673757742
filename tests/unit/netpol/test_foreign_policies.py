"""Policies the harness did not create: named by what they do, and folded into every expected table."""

from __future__ import annotations

from dataclasses import replace

from netconform.core.netpol.cases import by_id
from netconform.core.netpol.cases.model import TargetMode, World, expected_tables
from netconform.core.netpol.cases.plan import plan_case
from netconform.core.netpol.explain import explain
from netconform.core.netpol.foreign import allow_all, clashes, describe, folded_note, seen_line, to_model
from netconform.core.truthtable import Cell, Probe, Protocol

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
TCP80 = Probe(80, Protocol.TCP)
REAL = {"nc-r1-gw0-x-ab12": "x", "nc-r1-gw0-y-cd34": "y", "nc-r1-gw0-z-ef56": "z"}


def generated_default_deny(real_namespace: str) -> dict[str, object]:
    """What the hardened bed's namespace controller leaves in a namespace, as the API returns it."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "default-deny",
            "namespace": real_namespace,
            "uid": "0f8e",
            "resourceVersion": "812",
            "labels": {"app.kubernetes.io/managed-by": "netconform-testbed-generate"},
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def world_with_default_deny() -> World:
    standing = {
        f"{model}/default-deny": to_model(generated_default_deny(real), REAL) for real, model in REAL.items()
    }
    return replace(World.model(), standing=standing)


def test_policies_are_described_by_what_they_do() -> None:
    assert describe(DENY_ALL) == "NetworkPolicy default-deny (all pods; ingress and egress denied)"
    assert describe(ALLOW_DNS) == "NetworkPolicy allow-dns (some pods; with allow rules)"
    assert describe({"metadata": {"name": "i"}, "spec": {"podSelector": {}}}) == (
        "NetworkPolicy i (all pods; ingress denied)"
    )


def test_the_warning_names_policy_namespace_what_the_harness_does_and_the_fix() -> None:
    line = seen_line([DENY_ALL], "nc-r1-canary-ab12", "netconform.io/owner=netconform")
    assert "\n" not in line
    assert line.startswith(
        "foreign NetworkPolicy in every new namespace: NetworkPolicy default-deny (all pods; ingress and "
        "egress denied) appeared in nc-r1-canary-ab12 without the harness creating it — folded into the "
        "NetworkPolicy suite's expected tables"
    )
    assert "netconform-allow-all" in line
    assert "exclude namespaces labelled netconform.io/owner=netconform" in line


def test_a_foreign_policy_is_read_in_model_names() -> None:
    selecting = {
        "metadata": {"name": "from-y", "namespace": "nc-r1-gw0-x-ab12", "uid": "1"},
        "spec": {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "nc-r1-gw0-y-cd34"}
                            }
                        }
                    ]
                }
            ],
        },
        "status": {},
    }
    assert to_model(selecting, REAL) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "from-y", "namespace": "x"},
        "spec": {
            "podSelector": {},
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}}]}
            ],
        },
    }


def test_a_generated_default_deny_is_in_every_expected_table() -> None:
    case = by_id("ns-selector-ingress")  # ingress to x/a from y; egress open otherwise
    plain = expected_tables(case, World.model())[-1]
    folded = expected_tables(case, world_with_default_deny())[-1]
    assert plain.cell("y/a", "x/a", TCP80) is Cell.ALLOWED
    # The generated policy isolates every pod both ways and allows nothing: every cell is blocked now.
    assert {state for _, _, _, state in folded.cells()} == {Cell.BLOCKED}


def test_a_case_that_opens_both_directions_gets_through_the_default_deny() -> None:
    case = by_id("deny-all-egress")
    allow_both = {
        "x/default-deny": to_model(generated_default_deny("nc-r1-gw0-x-ab12"), REAL),
        "x/open": to_model(
            {
                "metadata": {"name": "open", "namespace": "nc-r1-gw0-x-ab12"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
            },
            REAL,
        ),
    }
    table = expected_tables(case, replace(World.model(), standing=allow_both))[-1]
    # x's ingress is open again (the foreign allow), x's egress is closed by the case and the default-deny.
    assert table.cell("y/a", "x/a", TCP80) is Cell.ALLOWED
    assert table.cell("x/a", "y/a", TCP80) is Cell.BLOCKED


def test_a_cell_the_foreign_policy_decides_is_explained_by_it() -> None:
    plan = plan_case(by_id("ns-selector-ingress"), world_with_default_deny(), TargetMode.POD_IP)
    step = plan.steps[-1]
    text = explain(step.cluster, step.policies, "y/a", "x/a", TCP80).render()
    assert "default-deny" in text, text


def test_dns_mode_adds_a_companion_for_egress_isolating_foreign_policies_only() -> None:
    world = world_with_default_deny()
    companions = world.dns_companions()
    assert sorted(companions) == ["x/nc-dns-default-deny", "y/nc-dns-default-deny", "z/nc-dns-default-deny"]
    egress = companions["x/nc-dns-default-deny"]["spec"]["egress"]
    assert [p["port"] for rule in egress for p in rule["ports"]] == [53, 53]
    ingress_only = replace(
        World.model(),
        standing={"x/i": {"metadata": {"name": "i", "namespace": "x"}, "spec": {"podSelector": {}}}},
    )
    assert ingress_only.dns_companions() == {}
    # The companions open only port 53: the DNS-mode expectation on 80/81 is the pod-IP one.
    case = by_id("deny-all-ingress")
    dns = plan_case(case, world, TargetMode.SERVICE_DNS).steps[-1].expected
    pod_ip = plan_case(case, world, TargetMode.POD_IP).steps[-1].expected
    assert dns == pod_ip


def test_allow_all_opens_every_pod_both_ways() -> None:
    doc = allow_all("nc-r1-gw0-t-0001")
    assert doc["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{}],
        "egress": [{}],
    }
    assert doc["metadata"] == {"name": "netconform-allow-all", "namespace": "nc-r1-gw0-t-0001"}


def test_case_policies_named_like_a_foreign_one_are_found() -> None:
    assert clashes(["x/default-deny", "y/default-deny"], ["x/deny-all", "y/default-deny"]) == [
        "y/default-deny"
    ]
    assert clashes([], ["x/deny-all"]) == []


def test_the_report_note_lists_each_folded_policy() -> None:
    world = world_with_default_deny()
    note = folded_note(world.standing)
    assert note.startswith(
        "foreign NetworkPolicies folded into every expected table: x: NetworkPolicy default-deny"
    )
    assert note.count("default-deny") == 3
    assert folded_note({}) == "no foreign NetworkPolicies in the model's namespaces"
