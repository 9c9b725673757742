"""The shrinker: a planted engine bug, found on generated cases, shrinks to one policy with one rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from netconform.core.netpol import PolicyEngine
from netconform.core.netpol.cases import Case, World, expected_tables, states
from netconform.core.netpol.cases.model import engine_inputs
from netconform.core.netpol.generate import generate
from netconform.core.netpol.policy import NetworkPolicy, PortRule, Rule
from netconform.core.netpol.shrink import shrink, size
from netconform.core.truthtable import TruthTable

WORLD = World.model()


def ignore_end_port(policy: NetworkPolicy) -> NetworkPolicy:
    """The planted bug: a CNI that reads ``port: 80, endPort: 90`` as port 80 alone."""

    def rule(r: Rule) -> Rule:
        return replace(r, ports=tuple(PortRule(p.protocol, p.port) for p in r.ports))

    return replace(policy, ingress=tuple(map(rule, policy.ingress)), egress=tuple(map(rule, policy.egress)))


def buggy_tables(case: Case) -> list[TruthTable]:
    tables = []
    for state in states(case):
        cluster, policies = engine_inputs(state, WORLD)
        engine = PolicyEngine(cluster, [ignore_end_port(p) for p in policies])
        tables.append(engine.truth_table(case.probes))
    return tables


def disagrees(case: Case) -> bool:
    return expected_tables(case, WORLD) != buggy_tables(case)


def counting(predicate: Callable[[Case], bool]) -> tuple[Callable[[Case], bool], list[int]]:
    calls = [0]

    def wrapped(case: Case) -> bool:
        calls[0] += 1
        return predicate(case)

    return wrapped, calls


def test_a_planted_bug_shrinks_to_one_policy_with_one_rule_and_one_port() -> None:
    failing = [case for case in generate(17, 200) if disagrees(case)]
    assert len(failing) >= 3, "the generator must reach the planted bug"
    for case in failing[:3]:
        predicate, calls = counting(disagrees)
        small = shrink(case, predicate)
        assert disagrees(small)
        policies, rules, _peers, ports = size(small)
        assert (policies, rules, ports) == (1, 1, 1), (case.id, small)
        assert size(small) <= size(case)
        assert small.id == case.id  # still replays as the case it came from
        assert len(small.steps) == 1
        (doc,) = small.steps[0].apply
        rule = (doc["spec"].get("ingress") or doc["spec"].get("egress"))[0]
        assert "endPort" in rule["ports"][0]
        assert calls[0] < 2000


def test_a_case_that_cannot_shrink_comes_back_unchanged() -> None:
    case = generate(17, 1)[0]
    assert shrink(case, lambda candidate: candidate == case) == case
    assert shrink(case, lambda candidate: False) == case


def test_shrinking_stops_after_the_budget() -> None:
    case = max(generate(17, 50), key=size)
    predicate, calls = counting(lambda candidate: False)  # never shrinks: tries every candidate
    shrink(case, predicate, max_tests=5)
    assert calls[0] == 5
