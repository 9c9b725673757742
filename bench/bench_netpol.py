"""Benchmark: the NetworkPolicy engine's truth table for 10 namespaces × 20 pods × 50 policies.

Target (issue 2): under 1 s on one core. The scenario is random but seeded: every run measures the same work.
Timing is engine construction plus the table for every probe, best of 5.
"""

from __future__ import annotations

import ipaddress
import random
import time
from typing import Any

from netconform.core.netpol import (
    Cluster,
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Operator,
    Peer,
    Pod,
    PolicyEngine,
    PortRule,
    Probe,
    Protocol,
    Requirement,
    Rule,
)

NAMESPACES = 10
PODS_PER_NAMESPACE = 20
POLICIES = 50
PROBES = (Probe(80, Protocol.TCP), Probe(81, Protocol.TCP), Probe(80, Protocol.UDP), Probe(81, Protocol.SCTP))
APPS = ("web", "api", "db", "cache", "worker")
TIERS = ("front", "back", "data")
TARGET_SECONDS = 1.0
REPEATS = 5


def build_cluster(rng: random.Random) -> Cluster:
    namespaces = tuple(
        Namespace(f"ns{n}", {"team": rng.choice(("blue", "red", "green"))}) for n in range(NAMESPACES)
    )
    pods = []
    for n, ns in enumerate(namespaces):
        for i in range(PODS_PER_NAMESPACE):
            ports = tuple(
                ContainerPort(port, protocol, f"serve-{port}-{protocol.value.lower()}")
                for port in (80, 81)
                for protocol in Protocol
            )
            labels = {"app": rng.choice(APPS), "tier": rng.choice(TIERS)}
            pods.append(Pod(ns.name, f"pod{i}", ipaddress.ip_address(f"10.{n}.0.{i + 1}"), labels, ports))
    return Cluster(namespaces, tuple(pods))


def random_selector(rng: random.Random) -> LabelSelector:
    choice = rng.random()
    if choice < 0.2:
        return LabelSelector()
    if choice < 0.6:
        return LabelSelector.of({"app": rng.choice(APPS)})
    return LabelSelector.of(
        {}, Requirement("tier", rng.choice([Operator.IN, Operator.NOT_IN]), frozenset(rng.sample(TIERS, 2)))
    )


def random_peer(rng: random.Random) -> Peer:
    kind = rng.random()
    if kind < 0.15:
        n = rng.randrange(NAMESPACES)
        return Peer(
            ip_block=IPBlock(
                ipaddress.ip_network(f"10.{n}.0.0/16"), (ipaddress.ip_network(f"10.{n}.0.0/29"),)
            )
        )
    namespace = LabelSelector.of({"team": rng.choice(("blue", "red", "green"))}) if kind < 0.6 else None
    return Peer(pod_selector=random_selector(rng), namespace_selector=namespace)


def random_port(rng: random.Random) -> PortRule:
    return rng.choice(
        [
            PortRule(Protocol.TCP, 80),
            PortRule(Protocol.TCP, 80, 90),
            PortRule(Protocol.UDP),
            PortRule(Protocol.TCP, "serve-81-tcp"),
            PortRule(Protocol.SCTP, "serve-81-sctp"),
        ]
    )


def random_rule(rng: random.Random) -> Rule:
    return Rule(
        tuple(random_peer(rng) for _ in range(rng.randint(0, 3))),
        tuple(random_port(rng) for _ in range(rng.randint(0, 2))),
    )


def build_policies(rng: random.Random) -> list[NetworkPolicy]:
    policies = []
    for i in range(POLICIES):
        types = rng.choice([{Direction.INGRESS}, {Direction.EGRESS}, {Direction.INGRESS, Direction.EGRESS}])
        policies.append(
            NetworkPolicy(
                namespace=f"ns{rng.randrange(NAMESPACES)}",
                name=f"policy{i}",
                pod_selector=random_selector(rng),
                policy_types=frozenset(types),
                ingress=tuple(random_rule(rng) for _ in range(rng.randint(0, 3))),
                egress=tuple(random_rule(rng) for _ in range(rng.randint(0, 3))),
            )
        )
    return policies


def run() -> dict[str, Any]:
    rng = random.Random(20240602)
    cluster = build_cluster(rng)
    policies = build_policies(rng)
    timings = []
    allowed = 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        table = PolicyEngine(cluster, policies).truth_table(PROBES)
        timings.append(time.perf_counter() - start)
        allowed = sum(1 for *_, state in table.cells() if state.name == "ALLOWED")
    best = min(timings)
    cells = len(cluster.pods) ** 2 * len(PROBES)
    result = {
        "name": "netpol truth table",
        "namespaces": NAMESPACES,
        "pods": len(cluster.pods),
        "policies": len(policies),
        "probes": len(PROBES),
        "cells": cells,
        "allowed_cells": allowed,
        "best_seconds": best,
        "target_seconds": TARGET_SECONDS,
        "within_target": best < TARGET_SECONDS,
    }
    print(
        f"netpol truth table: {NAMESPACES} ns x {PODS_PER_NAMESPACE} pods x {len(policies)} policies x "
        f"{len(PROBES)} probes ({cells} cells, {allowed} allowed): best of {REPEATS} {best * 1000:.1f} ms "
        f"(target < {TARGET_SECONDS:.0f} s: {'ok' if best < TARGET_SECONDS else 'MISSED'})"
    )
    return result


if __name__ == "__main__":
    run()
