"""core.spread: which nodes carry cross-node probes and how many pods reach a secondary ENI."""

from __future__ import annotations

import pytest

from netconform.core.connectivity.spread import (
    NodeView,
    describe_placement,
    plan_eni_spread,
    ring_pairs,
    round_robin,
    unusable_reasons,
    usable_nodes,
)


def test_usable_nodes_leave_out_simulated_unready_and_tainted_sorted() -> None:
    nodes = [
        NodeView("n2", "10.0.0.2"),
        NodeView("kwok-1", "10.1.0.1", simulated=True),
        NodeView("n3", "10.0.0.3", ready=False),
        NodeView("n4", "10.0.0.4", schedulable=False),
        NodeView("n1", "10.0.0.1"),
    ]
    assert [n.name for n in usable_nodes(nodes)] == ["n1", "n2"]
    assert unusable_reasons(nodes) == [
        "1 simulated (no dataplane): kwok-1",
        "1 not Ready: n3",
        "1 cordoned or tainted: n4",
    ]


def test_unusable_reasons_stay_short_for_many_fake_nodes() -> None:
    nodes = [NodeView(f"kwok-{i:03d}", "", simulated=True, ready=False) for i in range(200)]
    assert unusable_reasons(nodes) == [
        "200 simulated (no dataplane), not Ready: kwok-000, kwok-001, kwok-002, ..."
    ]


@pytest.mark.parametrize(
    ("names", "limit", "pairs"),
    [
        ([], 8, []),
        (["a"], 8, []),
        (["a", "b"], 8, [("a", "b"), ("b", "a")]),
        (["a", "b", "c"], 8, [("a", "b"), ("b", "c"), ("c", "a")]),
        (["a", "b", "c", "d"], 3, [("a", "b"), ("b", "c"), ("c", "a")]),
    ],
)
def test_ring_pairs(names: list[str], limit: int, pairs: list[tuple[str, str]]) -> None:
    assert ring_pairs(names, limit) == pairs


def test_every_ring_node_sends_and_receives_once() -> None:
    pairs = ring_pairs([f"n{i}" for i in range(6)])
    assert sorted(s for s, _ in pairs) == sorted(t for _, t in pairs) == [f"n{i}" for i in range(6)]


@pytest.mark.parametrize(
    ("ips_per_eni", "existing", "prefix", "max_pods", "expected"),
    [
        (10, 0, False, 29, (10, None)),  # m5.large: primary ENI holds 9 pods, the 10th must be elsewhere
        (10, 4, False, 29, (6, None)),  # four pods already there (aws-node's are hostNetwork and not counted)
        (10, 9, False, 29, (1, None)),
        (10, 25, False, 29, (1, None)),  # already beyond the primary ENI: one pod of our own suffices
        (6, 0, False, 17, (6, None)),  # t3.medium
        (30, 0, False, 234, (30, None)),  # m5.4xlarge: 30 pods, under the cap
        (50, 0, False, 737, (0, "over the smoke suite's cap")),
        (10, 0, True, 110, (0, "with prefix delegation), over its max pods (110)")),  # 144 > 110
        (None, 0, False, 110, (0, "no known limits")),
        (10, 20, False, 20, (0, "max pods")),  # full node: no room for our pod
    ],
)
def test_plan_eni_spread(
    ips_per_eni: int | None, existing: int, prefix: bool, max_pods: int, expected: tuple[int, str | None]
) -> None:
    pods, skip_phrase = expected
    node = NodeView("n2", "10.0.0.2", instance_type="m5.large", pods_with_pod_ips=existing, max_pods=max_pods)
    plan = plan_eni_spread(node, ips_per_eni, prefix_delegation=prefix)
    assert plan.pods == pods
    if skip_phrase is None:
        assert (plan.node, plan.skipped) == ("n2", None)
        assert existing + plan.pods >= ips_per_eni  # type: ignore[operator]  # pigeonhole: one beyond primary
    else:
        assert plan.node is None
        assert skip_phrase in (plan.skipped or "")


def test_round_robin_is_fixed_and_gives_both_node_relations() -> None:
    keys = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"]
    placement = round_robin(keys, ["n1", "n2"])
    assert placement == round_robin(keys, ["n1", "n2"])
    assert placement["z/c"] == placement["z/a"] == "n1"
    assert placement["z/b"] == "n2"
    assert describe_placement(placement) == "n1: x/a, x/c, y/b, z/a, z/c; n2: x/b, y/a, y/c, z/b"
    assert round_robin(keys, []) == {}
    assert set(round_robin(keys, ["n1", "n2", "n3"]).values()) == {"n1", "n2", "n3"}
