"""Per-node pod-density verdicts: the ceiling the ENI math expects against what each node advertises.

Three numbers per node: the expected ceiling (``maxpods.max_pods`` for the node's instance type under
the cluster's CNI configuration, capped 110/250 like a managed node group), the IP ceiling (the same,
uncapped: beyond it the CNI has no IP to give), and the advertised value (``status.allocatable.pods``,
which the scheduler uses; ``capacity`` when allocatable is missing). The verdict explains any gap:

* prefix delegation is on but the node advertises the secondary-IP value: the node group was not told
  (``--max-pods`` / eksctl ``max-pods-per-node`` / a new node group);
* advertised above the IP ceiling: the pods beyond it stay ContainerCreating with "failed to assign an IP
  address to container";
* advertised below the expected value: capacity the ENIs could serve is unused (or the CNI configuration
  we read is not the one the nodes were built with);
* an instance type that is not an EC2 type (the test bed's ``netconform-testbed``) or a CNI that does not
  take pod IPs from ENIs (overlay, unrecognised): the advertised value *is* the ceiling.

Pure: the kube adapter reads nodes into ``NodeFacts``; suites and the CLI render the verdicts.
"""

from __future__ import annotations

import dataclasses
import enum
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from netconform.core.density.maxpods import (
    PODS_ON_HOST_NETWORK,
    DensityOptions,
    IpMode,
    MaxPods,
    WarmPool,
    WarmPoolConfig,
    max_pods,
    warm_pool,
)
from netconform.core.density.vpc_cni_config import VpcCniConfig
from netconform.core.findings import Severity
from netconform.core.instance_types import InstanceLimits
from netconform.core.profiles import DensityFormula, Profile


class CeilingVerdict(enum.Enum):
    MATCH = "match"
    UNCAPPED_MATCH = "match (uncapped)"
    ADVERTISED_IS_CEILING = "advertised is the ceiling"
    ABOVE_CAP = "above the node-group cap"
    PREFIX_NOT_APPLIED = "prefix delegation not applied"
    ABOVE_IP_CEILING = "above the IP ceiling"
    BELOW_EXPECTED = "below expected"
    NO_CAPACITY = "no pods capacity"

    @property
    def severity(self) -> Severity:
        if self in (
            CeilingVerdict.MATCH,
            CeilingVerdict.UNCAPPED_MATCH,
            CeilingVerdict.ADVERTISED_IS_CEILING,
        ):
            return Severity.OK
        if self is CeilingVerdict.ABOVE_CAP:
            return Severity.WARNING
        return Severity.ERROR


class Basis(enum.Enum):
    """Where pod IPs come from, hence whether the ENI math is a hard ceiling."""

    ENI = "eni"
    """VPC CNI: every pod IP is an ENI secondary IP (or inside a delegated prefix)."""
    KUBELET = "kubelet"
    """Overlay or unrecognised CNI: no ENI limit applies; the kubelet's max-pods is the ceiling."""


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What density needs to know about one node (read by ``adapters.kube.nodes``)."""

    name: str
    instance_type: str | None = None
    node_group: str | None = None
    capacity_pods: int | None = None
    allocatable_pods: int | None = None
    ready: bool = True
    unschedulable: bool = False
    taints: tuple[str, ...] = ()
    """``key=value:Effect`` of every taint."""
    fake: bool = False
    """A KWOK node: nothing really runs there."""

    @property
    def advertised(self) -> int | None:
        return self.allocatable_pods if self.allocatable_pods is not None else self.capacity_pods

    @property
    def accepts_pods(self) -> bool:
        """Ready, not cordoned, no NoSchedule/NoExecute taint and not fake: a fill test may use it."""
        blocking = any(t.endswith((":NoSchedule", ":NoExecute")) for t in self.taints)
        return self.ready and not self.unschedulable and not blocking and not self.fake


@dataclass(frozen=True, slots=True)
class DensityContext:
    """How every node is judged: the basis, the calculator's options, the instance-type limits."""

    basis: Basis
    options: DensityOptions
    catalog: Mapping[str, InstanceLimits]
    why: str
    """One line: profile and CNI configuration behind the expectation."""


@dataclass(frozen=True, slots=True)
class NodeVerdict:
    node: NodeFacts
    verdict: CeilingVerdict
    explanation: str
    expected: MaxPods | None = None
    """The expected ceiling (capped), None for types the catalog does not know."""
    ip_ceiling: int | None = None
    """The uncapped ENI value: pods beyond it get no IP (only meaningful on the ENI basis)."""

    @property
    def severity(self) -> Severity:
        return self.verdict.severity

    def describe(self) -> str:
        """A paragraph for a failure message: the node, the three numbers, the reason, the derivation."""
        node = self.node
        where = ", ".join(x for x in (node.instance_type, node.node_group) if x) or "no instance type"
        expected = self.expected.value if self.expected else "-"
        lines = [
            f"node {node.name} ({where}): expected {expected}, advertised {_num(node.advertised)}"
            f" → {self.verdict.value}: {self.explanation}"
        ]
        if node.capacity_pods is not None and node.capacity_pods != node.allocatable_pods:
            lines.append(
                f"  capacity.pods {node.capacity_pods}, allocatable.pods {_num(node.allocatable_pods)}"
            )
        if self.expected is not None:
            lines.append(f"  derivation: {self.expected.explain()}")
        lines.append(f"  kubectl get node {node.name} -o jsonpath='{{.status.allocatable.pods}}'")
        return "\n".join(lines)


def context_for(
    profile: Profile, config: VpcCniConfig | None, catalog: Mapping[str, InstanceLimits]
) -> DensityContext:
    """The expectation for a cluster: profile decides the basis, aws-node the calculator's options."""
    options = config.density_options() if config is not None else DensityOptions()
    reasons = [f"profile {profile.name.value}"]
    if profile.density is DensityFormula.ENI_PREFIX and not options.prefix_delegation:
        if config is None:  # nothing observed to go by: the profile's setting, said as such
            options = dataclasses.replace(options, prefix_delegation=True)
            reasons.append("prefix delegation from the profile (aws-node not read)")
        else:  # the running aws-node is the observation; the profile's claim does not override it
            reasons.append("the profile says prefix delegation, the running aws-node does not enable it")
    reasons.append(config.describe() if config else "no aws-node: stock VPC CNI settings assumed")
    basis = Basis.KUBELET if profile.density is DensityFormula.KUBELET_CONFIGURED else Basis.ENI
    if basis is Basis.KUBELET:
        reasons.append("pod IPs do not come from ENIs: advertised values are the ceilings")
    return DensityContext(basis=basis, options=options, catalog=catalog, why="; ".join(reasons))


def judge_node(node: NodeFacts, context: DensityContext) -> NodeVerdict:
    """The verdict for one node (see the module docstring for the cases)."""
    advertised = node.advertised
    limits = context.catalog.get((node.instance_type or "").strip().lower())
    if limits is None:
        label = f"instance type {node.instance_type!r}" if node.instance_type else "no instance-type label"
        return NodeVerdict(
            node,
            CeilingVerdict.ADVERTISED_IS_CEILING if advertised is not None else CeilingVerdict.NO_CAPACITY,
            f"{label} is not an EC2 type (not an EKS node): the advertised value is the ceiling",
        )
    expected = max_pods(limits, context.options)
    ip_ceiling = max_pods(limits, dataclasses.replace(context.options, uncapped=True)).value
    verdict, explanation = _verdict(node, context, expected, ip_ceiling)
    return NodeVerdict(node, verdict, explanation, expected, ip_ceiling)


def _verdict(
    node: NodeFacts, context: DensityContext, expected: MaxPods, ip_ceiling: int
) -> tuple[CeilingVerdict, str]:
    advertised = node.advertised
    if advertised is None:
        return CeilingVerdict.NO_CAPACITY, "the node reports no pods capacity (kubelet not registered yet?)"
    if context.basis is Basis.KUBELET:
        return CeilingVerdict.ADVERTISED_IS_CEILING, (
            f"pod IPs do not come from ENIs; the ENI default for {expected.instance_type} would be "
            f"{expected.value} (nodes keep it unless --max-pods / max-pods-per-node overrides it)"
        )
    if advertised == expected.value:
        return CeilingVerdict.MATCH, "as the ENI math expects"
    if expected.mode is IpMode.PREFIX_DELEGATION:
        secondary = _secondary_values(expected.instance_type, context)
        if advertised in secondary:
            return CeilingVerdict.PREFIX_NOT_APPLIED, (
                f"prefix delegation is on but the node still advertises the secondary-IP value {advertised}:"
                f" the node group needs --max-pods={expected.value} (eksctl max-pods-per-node, or a new"
                " managed node group) to use the prefixes"
            )
    if advertised > ip_ceiling:
        return CeilingVerdict.ABOVE_IP_CEILING, (
            f"the ENIs give only {ip_ceiling - PODS_ON_HOST_NETWORK} pod IPs (+{PODS_ON_HOST_NETWORK}"
            f" host-network pods = {ip_ceiling}): pods beyond that stay ContainerCreating with 'failed to"
            f" assign an IP address to container'; set the kubelet's max-pods to {expected.value}"
        )
    if advertised == ip_ceiling:
        return CeilingVerdict.UNCAPPED_MATCH, (
            f"the uncapped ENI value (self-managed AL2 or AL2023 nodeadm, without the {expected.cap} cap)"
        )
    if advertised > expected.value:
        return CeilingVerdict.ABOVE_CAP, (
            f"above the managed node group cap {expected.cap} but within the IP ceiling {ip_ceiling}"
        )
    return CeilingVerdict.BELOW_EXPECTED, (
        f"{expected.value - advertised} pods fewer than the ENIs allow: the kubelet's max-pods is set lower,"
        " or the nodes were built for another CNI configuration (custom networking, MAX_ENI) than the one"
        " read from aws-node"
    )


def _secondary_values(instance_type: str, context: DensityContext) -> set[int]:
    limits = context.catalog[instance_type]
    plain = dataclasses.replace(context.options, prefix_delegation=False)
    capped = max_pods(limits, plain).value
    uncapped = max_pods(limits, dataclasses.replace(plain, uncapped=True)).value
    return {capped, uncapped}


def judge_nodes(nodes: Iterable[NodeFacts], context: DensityContext) -> list[NodeVerdict]:
    return [judge_node(node, context) for node in sorted(nodes, key=lambda n: n.name)]


def mismatches(verdicts: Iterable[NodeVerdict]) -> list[NodeVerdict]:
    return [v for v in verdicts if v.severity is Severity.ERROR]


# --- node-group table ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupRow:
    """Nodes of one node group that share instance type, numbers and verdict."""

    node_group: str
    instance_type: str
    count: int
    expected: int | None
    advertised: int | None
    verdict: CeilingVerdict
    example: str
    """One node of the row, for kubectl."""


def group_rows(verdicts: Iterable[NodeVerdict]) -> list[GroupRow]:
    """The node-group table: one row per (group, type, expected, advertised, verdict), mismatches first."""
    buckets: dict[tuple[str, str, int | None, int | None, CeilingVerdict], list[str]] = {}
    for v in verdicts:
        key = (
            v.node.node_group or "-",
            v.node.instance_type or "-",
            v.expected.value if v.expected else None,
            v.node.advertised,
            v.verdict,
        )
        buckets.setdefault(key, []).append(v.node.name)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.OK: 2}
    rows = [
        GroupRow(group, itype, len(names), expected, advertised, verdict, min(names))
        for (group, itype, expected, advertised, verdict), names in buckets.items()
    ]
    return sorted(rows, key=lambda r: (order[r.verdict.severity], r.node_group, r.instance_type))


_HEADER = ("node group", "instance type", "nodes", "expected", "advertised", "verdict", "e.g. node")


def _cells(row: GroupRow) -> tuple[str, ...]:
    return (
        row.node_group,
        row.instance_type,
        str(row.count),
        _num(row.expected),
        _num(row.advertised),
        row.verdict.value,
        row.example,
    )


def render_groups_text(rows: Sequence[GroupRow]) -> str:
    table = [_HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADER))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table)


def render_groups_html(rows: Sequence[GroupRow], title: str = "") -> str:
    colour = {Severity.OK: "#e6f4ea", Severity.WARNING: "#fff4ce", Severity.ERROR: "#fce8e6"}
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADER)
    body = "".join(
        f'<tr style="background:{colour[r.verdict.severity]}">'
        + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(r))
        + "</tr>"
        for r in rows
    )
    caption = f"<p>{html.escape(title)}</p>" if title else ""
    return (
        f"{caption}<table border='1' cellspacing='0' cellpadding='4'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def summary(verdicts: Sequence[NodeVerdict]) -> str:
    counts = {s: sum(1 for v in verdicts if v.severity is s) for s in Severity}
    return (
        f"{len(verdicts)} nodes: {counts[Severity.OK]} ok, {counts[Severity.WARNING]} warnings, "
        f"{counts[Severity.ERROR]} mismatches"
    )


# --- warm pool beside the ceiling ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarmPoolRow:
    node_group: str
    instance_type: str
    ceiling: int
    """The pods the node advertises (or the expected value when it advertises none)."""
    idle: WarmPool
    """What the node holds with no pods."""
    full: WarmPool
    """What it holds at the ceiling (host-network pods need no IP)."""


def warm_pool_rows(
    verdicts: Iterable[NodeVerdict], config: VpcCniConfig, catalog: Mapping[str, InstanceLimits]
) -> list[WarmPoolRow]:
    """One row per (node group, instance type) with known limits: IPs held idle and at the ceiling."""
    seen: dict[tuple[str, str], WarmPoolRow] = {}
    for v in verdicts:
        if v.expected is None:
            continue
        key = (v.node.node_group or "-", v.expected.instance_type)
        if key in seen:
            continue
        limits = catalog[v.expected.instance_type]
        pool_config: WarmPoolConfig = config.warm_pool_config(
            prefix_delegation=v.expected.mode is IpMode.PREFIX_DELEGATION
        )
        ceiling = v.node.advertised if v.node.advertised is not None else v.expected.value
        pods = max(ceiling - PODS_ON_HOST_NETWORK, 0)
        seen[key] = WarmPoolRow(
            key[0], key[1], ceiling, warm_pool(limits, pool_config, 0), warm_pool(limits, pool_config, pods)
        )
    return sorted(seen.values(), key=lambda r: (r.node_group, r.instance_type))


def render_warm_pool_text(rows: Sequence[WarmPoolRow]) -> str:
    header = ("node group", "instance type", "ceiling", "rule", "idle: ENIs/IPs", "full: ENIs/IPs", "no IP")
    table = [header]
    for r in rows:
        table.append(
            (
                r.node_group,
                r.instance_type,
                str(r.ceiling),
                r.idle.rule,
                _pool(r.idle),
                _pool(r.full),
                str(r.full.pods_without_ip),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table)


def starved_rows(rows: Iterable[WarmPoolRow]) -> list[str]:
    """Rows whose node, filled to its ceiling, would leave pods without an IP, explained."""
    return [
        f"{r.node_group}/{r.instance_type}: at {r.ceiling} pods {r.full.pods_without_ip} would get no IP"
        f" ({r.full.rule}: the pool holds {r.full.ips} IPs for {r.ceiling - PODS_ON_HOST_NETWORK} pods)"
        for r in rows
        if r.full.pods_without_ip > 0
    ]


def _pool(pool: WarmPool) -> str:
    prefixes = f" ({pool.prefixes} prefixes)" if pool.prefixes is not None else ""
    return f"{pool.enis_text}/{pool.ips}{prefixes}"


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)
