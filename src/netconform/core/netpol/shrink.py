"""Shrink a case that disagrees to a minimal one that still does (greedy delta debugging, pure).

The caller supplies ``still_fails(case) -> bool`` (the adapter layer: deploy, probe, compare with the engine).
Candidates are tried smallest-first in the order the report cares about: fewer policies, then steps, rules,
peers, ports, and last the details (ipBlock excepts, selector entries, label changes). The first candidate
that still fails is kept and the search restarts from it, until none does or ``max_tests`` calls were spent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from netconform.core.netpol.cases.model import Case, Step

_RULE_FIELDS = (("ingress", "from"), ("egress", "to"))


def shrink(case: Case, still_fails: Callable[[Case], bool], *, max_tests: int = 2000) -> Case:
    """The smallest case found that ``still_fails``; ``case`` itself if nothing smaller does."""
    current = case
    tests = 0
    progress = True
    while progress:
        progress = False
        for candidate in candidates(current):
            tests += 1
            if tests > max_tests:
                return current
            if still_fails(candidate):
                current, progress = candidate, True
                break
    return current


def size(case: Case) -> tuple[int, int, int, int]:
    """(policies, rules, peers, ports) over every policy a case applies: what shrinking minimises."""
    docs = {_key(doc): doc for step in case.steps for doc in step.apply}
    rules = [
        rule for doc in docs.values() for field, _ in _RULE_FIELDS for rule in _spec(doc).get(field) or ()
    ]
    peers = sum(len((rule or {}).get(peers) or ()) for rule in rules for peers in ("from", "to"))
    ports = sum(len((rule or {}).get("ports") or ()) for rule in rules)
    return len(docs), len(rules), peers, ports


def candidates(case: Case) -> Iterator[Case]:
    """Every one-step-smaller case, biggest cuts first."""
    keys = list(dict.fromkeys(_key(doc) for step in case.steps for doc in step.apply))
    for key in keys:
        yield _without_policy(case, key)
    for i in range(len(case.steps)):
        if len(case.steps) > 1:
            yield replace(case, steps=case.steps[:i] + case.steps[i + 1 :])
    for path in ("rules", "peers", "ports", "except", "selectors"):
        yield from _edits(case, path)
    for i, step in enumerate(case.steps):
        for target in step.pod_labels:
            pods = {k: v for k, v in step.pod_labels.items() if k != target}
            yield _with_step(case, i, replace(step, pod_labels=pods))
        for target in step.namespace_labels:
            namespaces = {k: v for k, v in step.namespace_labels.items() if k != target}
            yield _with_step(case, i, replace(step, namespace_labels=namespaces))


def _edits(case: Case, what: str) -> Iterator[Case]:
    """Cases with one list entry of kind ``what`` removed from one applied policy document."""
    for i, step in enumerate(case.steps):
        for j, doc in enumerate(step.apply):
            for smaller in _smaller_docs(thaw(doc), what):
                apply = (*step.apply[:j], smaller, *step.apply[j + 1 :])
                yield _with_step(case, i, replace(step, apply=apply))


def _smaller_docs(doc: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
    spec = doc.setdefault("spec", {}) or {}
    for field, peers_field in _RULE_FIELDS:
        rules = spec.get(field) or []
        for r, raw_rule in enumerate(rules):
            if what == "rules":
                yield _edited(doc, [field], rules[:r] + rules[r + 1 :])
                continue
            rule = raw_rule or {}
            lists = {"peers": [peers_field], "ports": ["ports"]}.get(what)
            if lists is not None:
                entries = rule.get(lists[0]) or []
                for e in range(len(entries)):
                    yield _edited(doc, [field, r, lists[0]], entries[:e] + entries[e + 1 :])
            elif what == "except":
                for p, peer in enumerate(rule.get(peers_field) or []):
                    excepts = ((peer or {}).get("ipBlock") or {}).get("except") or []
                    for e in range(len(excepts)):
                        path = [field, r, peers_field, p, "ipBlock", "except"]
                        yield _edited(doc, path, excepts[:e] + excepts[e + 1 :])
            elif what == "selectors":
                for p, peer in enumerate(rule.get(peers_field) or []):
                    for selector_field in ("podSelector", "namespaceSelector"):
                        selector = (peer or {}).get(selector_field)
                        if selector:
                            yield from _smaller_selectors(
                                doc, [field, r, peers_field, p, selector_field], selector
                            )
    if spec.get("podSelector") and what == "selectors":
        yield from _smaller_selectors(doc, ["podSelector"], spec["podSelector"])


def _smaller_selectors(
    doc: dict[str, Any], path: list[Any], selector: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    for label in selector.get("matchLabels") or {}:
        smaller = {k: v for k, v in selector["matchLabels"].items() if k != label}
        yield _edited(doc, [*path, "matchLabels"], smaller)
    expressions = selector.get("matchExpressions") or []
    for e in range(len(expressions)):
        yield _edited(doc, [*path, "matchExpressions"], expressions[:e] + expressions[e + 1 :])


def _edited(doc: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A copy of doc with ``spec.<path>`` set to value."""
    copy: dict[str, Any] = thaw(doc)
    target: Any = copy["spec"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def _without_policy(case: Case, key: str) -> Case:
    steps = tuple(
        replace(
            step,
            apply=tuple(doc for doc in step.apply if _key(doc) != key),
            delete=tuple(name for name in step.delete if name != key),
        )
        for step in case.steps
    )
    return replace(case, steps=steps)


def _with_step(case: Case, index: int, step: Step) -> Case:
    return replace(case, steps=(*case.steps[:index], step, *case.steps[index + 1 :]))


def _key(doc: Mapping[str, Any]) -> str:
    return f"{doc['metadata']['namespace']}/{doc['metadata']['name']}"


def _spec(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    spec: Mapping[str, Any] = doc.get("spec") or {}
    return spec


def thaw(value: Any) -> Any:
    """A deep, mutable copy of a policy document (mappings → dicts, sequences → lists; placeholders kept)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(item) for item in value]
    return value
