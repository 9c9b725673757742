"""The NetworkPolicy conformance catalog: cases as data, in the model's names (x/y/z × a/b/c).

No case says what the answer is: the engine computes every expected table. Categories follow the issue
(and upstream's e2e inventory, plus what it lacks: endPort, DNS egress, ipBlock except from real IPs).
"""

from __future__ import annotations

from typing import Any

from netconform.core.netpol.cases.model import (
    Case,
    Cidr,
    NsName,
    PolicyDoc,
    Step,
    namespaces,
    pods,
    policy,
    port,
)
from netconform.core.truthtable import Protocol

DENY_INGRESS_X = policy("x", "deny-ingress", ingress=[])
DENY_EGRESS_X = policy("x", "deny-egress", egress=[])
DNS_RULE = {"ports": [port(53, "UDP"), port(53, "TCP")]}


def one(
    case_id: str,
    category: str,
    title: str,
    *docs: PolicyDoc,
    protocols: tuple[Protocol, ...] = (Protocol.TCP, Protocol.UDP),
) -> Case:
    """A single-step case: apply the policies, probe."""
    return Case(case_id, category, title, (Step("apply", tuple(docs)),), protocols=protocols)


def to_x_a(name: str, *rules: dict[str, Any]) -> PolicyDoc:
    """A policy in x selecting pod a, with these ingress rules."""
    return policy("x", name, pods("a"), ingress=list(rules))


def from_x_a(name: str, *rules: dict[str, Any]) -> PolicyDoc:
    """A policy in x selecting pod a, with these egress rules."""
    return policy("x", name, pods("a"), egress=list(rules))


CASES: tuple[Case, ...] = (
    # --- default deny -----------------------------------------------------------------------------------
    one("deny-all-ingress", "default-deny", "deny all ingress in x", DENY_INGRESS_X),
    one("deny-all-egress", "default-deny", "deny all egress in x", DENY_EGRESS_X),
    one(
        "deny-all-both",
        "default-deny",
        "deny ingress and egress in x (one policy)",
        policy("x", "deny-all", types=["Ingress", "Egress"]),
    ),
    one("deny-ingress-one-pod", "default-deny", "deny all ingress to x/a only", to_x_a("deny-a")),
    one(
        "deny-all-ingress-everywhere",
        "default-deny",
        "deny all ingress in x, y and z",
        *(policy(ns, "deny-ingress", ingress=[]) for ns in ("x", "y", "z")),
    ),
    one(
        "deny-ingress-defaulted-types",
        "default-deny",
        "policyTypes omitted and no rules: defaults to Ingress only (egress stays open)",
        {
            "metadata": {"name": "deny-defaulted", "namespace": "x"},
            "spec": {"podSelector": {}},
        },
    ),
    # --- podSelector ------------------------------------------------------------------------------------
    one(
        "pod-selector-ingress",
        "pod-selector",
        "x/a admits x/b only",
        to_x_a("from-b", {"from": [{"podSelector": pods("b")}]}),
    ),
    one(
        "pod-selector-match-expressions-in",
        "pod-selector",
        "x/a admits pods b and c of x (matchExpressions In)",
        to_x_a("from-b-c", {"from": [{"podSelector": pods("b", "c")}]}),
    ),
    one(
        "pod-selector-match-expressions-not-in",
        "pod-selector",
        "x/a admits pods of x whose pod label is not c (NotIn)",
        to_x_a(
            "not-c",
            {
                "from": [
                    {
                        "podSelector": {
                            "matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["c"]}]
                        }
                    }
                ]
            },
        ),
    ),
    one(
        "pod-selector-empty-same-namespace",
        "pod-selector",
        "an empty podSelector peer means every pod of the policy's namespace",
        to_x_a("from-x", {"from": [{"podSelector": {}}]}),
    ),
    one(
        "pod-selector-egress",
        "pod-selector",
        "x/a may reach x/b only",
        from_x_a("to-b", {"to": [{"podSelector": pods("b")}]}),
    ),
    # --- namespaceSelector ------------------------------------------------------------------------------
    one(
        "ns-selector-ingress",
        "namespace-selector",
        "x admits namespace y only",
        policy("x", "from-y", ingress=[{"from": [{"namespaceSelector": namespaces("y")}]}]),
    ),
    one(
        "ns-selector-match-expressions-in",
        "namespace-selector",
        "x/a admits namespaces y and z (In)",
        to_x_a("from-y-z", {"from": [{"namespaceSelector": namespaces("y", "z")}]}),
    ),
    one(
        "ns-selector-match-expressions-not-in",
        "namespace-selector",
        "x/a admits namespaces other than y (NotIn)",
        to_x_a(
            "not-y",
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchExpressions": [{"key": "ns", "operator": "NotIn", "values": ["y"]}]
                        }
                    }
                ]
            },
        ),
    ),
    one(
        "ns-selector-metadata-name",
        "namespace-selector",
        "x admits namespace z by its kubernetes.io/metadata.name label",
        policy(
            "x",
            "from-z-by-name",
            ingress=[
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NsName("z")}}}
                    ]
                }
            ],
        ),
    ),
    one(
        "ns-selector-empty-all-namespaces",
        "namespace-selector",
        "an empty namespaceSelector admits every namespace (on port 80; 81 stays closed)",
        to_x_a("from-all-ns", {"from": [{"namespaceSelector": {}}], "ports": [port(80), port(80, "UDP")]}),
    ),
    one(
        "ns-selector-egress",
        "namespace-selector",
        "x may reach namespace z only",
        policy("x", "to-z", egress=[{"to": [{"namespaceSelector": namespaces("z")}]}]),
    ),
    # --- both combined (AND) and OR'ed ------------------------------------------------------------------
    one(
        "ns-and-pod-ingress",
        "combined",
        "x/a admits pod b in namespace y (one peer: AND)",
        to_x_a("y-and-b", {"from": [{"namespaceSelector": namespaces("y"), "podSelector": pods("b")}]}),
    ),
    one(
        "ns-and-pod-match-expressions",
        "combined",
        "x/a admits pods not named a in namespaces y or z (In AND NotIn)",
        to_x_a(
            "yz-not-a",
            {
                "from": [
                    {
                        "namespaceSelector": namespaces("y", "z"),
                        "podSelector": {
                            "matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["a"]}]
                        },
                    }
                ]
            },
        ),
    ),
    one(
        "ns-and-pod-egress",
        "combined",
        "x may reach pod c in namespace z only",
        policy(
            "x", "to-z-c", egress=[{"to": [{"namespaceSelector": namespaces("z"), "podSelector": pods("c")}]}]
        ),
    ),
    one(
        "ns-or-pod-ingress",
        "combined",
        "x/a admits namespace y OR pod b of x (two peers)",
        to_x_a("y-or-b", {"from": [{"namespaceSelector": namespaces("y")}, {"podSelector": pods("b")}]}),
    ),
    one(
        "ns-or-pod-two-rules",
        "combined",
        "x/a admits namespace z in one rule, pod c of x in another",
        to_x_a(
            "two-rules",
            {"from": [{"namespaceSelector": namespaces("z")}]},
            {"from": [{"podSelector": pods("c")}]},
        ),
    ),
    one(
        "ns-empty-and-pod-selector",
        "combined",
        "x/a admits pod b of every namespace (empty namespaceSelector AND podSelector)",
        to_x_a("any-ns-b", {"from": [{"namespaceSelector": {}, "podSelector": pods("b")}]}),
    ),
    # --- allow-all precedence ---------------------------------------------------------------------------
    one(
        "allow-all-ingress-beats-deny",
        "allow-all",
        "deny all ingress in x and y plus allow all ingress to x: allow wins in x, y stays closed",
        DENY_INGRESS_X,
        policy("y", "deny-ingress", ingress=[]),
        policy("x", "allow-all", ingress=[{}]),
    ),
    one(
        "allow-all-egress-beats-deny",
        "allow-all",
        "deny all egress in x and y plus allow all egress from x: allow wins in x, y stays closed",
        DENY_EGRESS_X,
        policy("y", "deny-egress", egress=[]),
        policy("x", "allow-all-egress", egress=[{}]),
    ),
    one(
        "allow-all-ingress-one-pod",
        "allow-all",
        "deny ingress in x, allow everything to x/b",
        DENY_INGRESS_X,
        policy("x", "allow-b", pods("b"), ingress=[{}]),
    ),
    # --- stacked ----------------------------------------------------------------------------------------
    one(
        "stacked-ingress",
        "stacked",
        "two ingress policies on x/a add up: from y, and from x/c",
        to_x_a("from-y", {"from": [{"namespaceSelector": namespaces("y")}]}),
        to_x_a("from-c", {"from": [{"podSelector": pods("c")}]}),
    ),
    one(
        "stacked-egress",
        "stacked",
        "two egress policies on x add up: to z/a, and to y",
        policy(
            "x", "to-z-a", egress=[{"to": [{"namespaceSelector": namespaces("z"), "podSelector": pods("a")}]}]
        ),
        policy("x", "to-y", egress=[{"to": [{"namespaceSelector": namespaces("y")}]}]),
    ),
    one(
        "stacked-ingress-different-ports",
        "stacked",
        "x/a: port 80 from y in one policy, port 81 from z in another",
        to_x_a(
            "y-80", {"from": [{"namespaceSelector": namespaces("y")}], "ports": [port(80), port(80, "UDP")]}
        ),
        to_x_a(
            "z-81", {"from": [{"namespaceSelector": namespaces("z")}], "ports": [port(81), port(81, "UDP")]}
        ),
    ),
    # --- updated policies and label changes mid-case ----------------------------------------------------
    Case(
        "update-policy-peers",
        "update",
        "x/a admits y, then the policy is replaced to admit z",
        (
            Step("from-y", apply=(to_x_a("to-a", {"from": [{"namespaceSelector": namespaces("y")}]}),)),
            Step("from-z", apply=(to_x_a("to-a", {"from": [{"namespaceSelector": namespaces("z")}]}),)),
        ),
    ),
    Case(
        "update-policy-ports",
        "update",
        "x admits all on port 80, then on port 81 only",
        (
            Step("port-80", apply=(policy("x", "ports", ingress=[{"ports": [port(80), port(80, "UDP")]}]),)),
            Step("port-81", apply=(policy("x", "ports", ingress=[{"ports": [port(81), port(81, "UDP")]}]),)),
        ),
    ),
    Case(
        "update-policy-types",
        "update",
        "an ingress policy on x becomes ingress and egress",
        (
            Step(
                "ingress",
                apply=(policy("x", "both", ingress=[{"from": [{"namespaceSelector": namespaces("y")}]}]),),
            ),
            Step(
                "ingress-egress",
                apply=(
                    policy(
                        "x",
                        "both",
                        ingress=[{"from": [{"namespaceSelector": namespaces("y")}]}],
                        egress=[{"to": [{"namespaceSelector": namespaces("z")}]}],
                    ),
                ),
            ),
        ),
    ),
    Case(
        "pod-label-change-peer",
        "labels",
        "x/a admits pods labelled role=client; y/b gains the label, then loses it",
        (
            Step(
                "no-client",
                apply=(
                    to_x_a(
                        "clients",
                        {
                            "from": [
                                {"namespaceSelector": {}, "podSelector": {"matchLabels": {"role": "client"}}}
                            ]
                        },
                    ),
                ),
            ),
            Step("y-b-client", pod_labels={"y/b": {"role": "client"}}),
            Step("y-b-not-client", pod_labels={"y/b": {"role": None}}),
        ),
    ),
    Case(
        "pod-label-change-target",
        "labels",
        "a deny policy selects role=db; x/b gains the label and becomes isolated",
        (
            Step("no-db", apply=(policy("x", "deny-db", {"matchLabels": {"role": "db"}}, ingress=[]),)),
            Step("x-b-db", pod_labels={"x/b": {"role": "db"}}),
        ),
    ),
    Case(
        "namespace-label-change-peer",
        "labels",
        "x admits namespaces labelled team=blue; z gains the label, then y too, then z loses it",
        (
            Step(
                "nobody",
                apply=(
                    policy(
                        "x",
                        "blue",
                        ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}],
                    ),
                ),
            ),
            Step("z-blue", namespace_labels={"z": {"team": "blue"}}),
            Step("y-and-z-blue", namespace_labels={"y": {"team": "blue"}}),
            Step("y-blue", namespace_labels={"z": {"team": None}}),
        ),
    ),
    Case(
        "namespace-label-change-egress",
        "labels",
        "x may reach namespaces labelled open=yes; y gains the label",
        (
            Step(
                "closed",
                apply=(
                    policy(
                        "x",
                        "open",
                        egress=[{"to": [{"namespaceSelector": {"matchLabels": {"open": "yes"}}}]}],
                    ),
                ),
            ),
            Step("y-open", namespace_labels={"y": {"open": "yes"}}),
        ),
    ),
    # --- named ports ------------------------------------------------------------------------------------
    one(
        "named-port-ingress",
        "named-port",
        "x admits serve-80-tcp from y",
        policy(
            "x",
            "named",
            ingress=[{"from": [{"namespaceSelector": namespaces("y")}], "ports": [port("serve-80-tcp")]}],
        ),
    ),
    one(
        "named-port-ingress-udp",
        "named-port",
        "x admits serve-81-udp from everyone",
        policy("x", "named-udp", ingress=[{"ports": [port("serve-81-udp", "UDP")]}]),
    ),
    one(
        "named-port-egress",
        "named-port",
        "x may reach serve-81-tcp and serve-80-udp anywhere",
        policy("x", "named-egress", egress=[{"ports": [port("serve-81-tcp"), port("serve-80-udp", "UDP")]}]),
    ),
    one(
        "named-port-wrong-protocol",
        "named-port",
        "a named port with the wrong protocol matches nothing (serve-80-tcp as UDP)",
        policy("x", "named-mismatch", ingress=[{"ports": [port("serve-80-tcp", "UDP")]}]),
    ),
    # --- endPort ranges ---------------------------------------------------------------------------------
    one(
        "end-port-ingress-range",
        "end-port",
        "x admits TCP 80-81 (endPort) from y",
        policy(
            "x",
            "range",
            ingress=[{"from": [{"namespaceSelector": namespaces("y")}], "ports": [port(80, "TCP", 81)]}],
        ),
    ),
    one(
        "end-port-ingress-upper",
        "end-port",
        "x admits 81-90 for TCP and UDP (80 stays closed)",
        policy("x", "upper", ingress=[{"ports": [port(81, "TCP", 90), port(81, "UDP", 90)]}]),
    ),
    one(
        "end-port-egress",
        "end-port",
        "x may reach 1-80 over UDP and 79-80 over TCP",
        policy("x", "egress-range", egress=[{"ports": [port(1, "UDP", 80), port(79, "TCP", 80)]}]),
    ),
    # --- multiple ports ---------------------------------------------------------------------------------
    one(
        "multiple-ports-ingress",
        "multi-port",
        "x/a admits 80/TCP and 81/UDP",
        to_x_a("multi", {"ports": [port(80), port(81, "UDP")]}),
    ),
    one(
        "multiple-ports-egress",
        "multi-port",
        "x may reach 81/TCP and 80/UDP in z",
        policy(
            "x",
            "multi-egress",
            egress=[{"to": [{"namespaceSelector": namespaces("z")}], "ports": [port(81), port(80, "UDP")]}],
        ),
    ),
    # --- ipBlock (CIDRs from real pod IPs) --------------------------------------------------------------
    one(
        "ip-block-ingress-host",
        "ip-block",
        "x/a admits y/b's IP (/32)",
        to_x_a("from-ip", {"from": [{"ipBlock": {"cidr": Cidr("y/b", 32)}}]}),
    ),
    one(
        "ip-block-ingress-except",
        "ip-block",
        "x/a admits the pod network (/16 around z/c) except y/b and z/a",
        to_x_a(
            "cidr-except",
            {"from": [{"ipBlock": {"cidr": Cidr("z/c", 16), "except": [Cidr("y/b", 32), Cidr("z/a", 32)]}}]},
        ),
    ),
    one(
        "ip-block-egress-except",
        "ip-block",
        "x may reach the pod network (/16 around z/c) except x/b and y/c",
        policy(
            "x",
            "egress-cidr",
            egress=[
                {"to": [{"ipBlock": {"cidr": Cidr("z/c", 16), "except": [Cidr("x/b", 32), Cidr("y/c", 32)]}}]}
            ],
        ),
    ),
    one(
        "ip-block-egress-hosts",
        "ip-block",
        "x/a may reach z/b and y/a by IP only",
        from_x_a(
            "to-ips", {"to": [{"ipBlock": {"cidr": Cidr("z/b", 32)}}, {"ipBlock": {"cidr": Cidr("y/a", 32)}}]}
        ),
    ),
    # --- DNS egress with deny-all -----------------------------------------------------------------------
    one(
        "deny-egress-allow-dns",
        "dns",
        "deny all egress in x except DNS (UDP and TCP 53)",
        policy("x", "dns-only", egress=[DNS_RULE]),
    ),
    one(
        "deny-egress-allow-dns-and-y",
        "dns",
        "deny all egress in x except DNS and namespace y",
        policy("x", "dns-and-y", egress=[DNS_RULE, {"to": [{"namespaceSelector": namespaces("y")}]}]),
    ),
    one(
        "deny-all-allow-dns-everywhere",
        "dns",
        "deny ingress and egress in x, y, z; allow DNS and ingress from z/c",
        *(
            policy(
                ns,
                "lockdown",
                ingress=[{"from": [{"namespaceSelector": namespaces("z"), "podSelector": pods("c")}]}],
                egress=[DNS_RULE],
            )
            for ns in ("x", "y", "z")
        ),
    ),
    # --- ingress and egress together --------------------------------------------------------------------
    one(
        "ingress-and-egress-one-policy",
        "ingress-egress",
        "x/a admits y, and may reach z only",
        policy(
            "x",
            "both",
            pods("a"),
            ingress=[{"from": [{"namespaceSelector": namespaces("y")}]}],
            egress=[{"to": [{"namespaceSelector": namespaces("z")}]}],
        ),
    ),
    one(
        "ingress-and-egress-both-ends",
        "ingress-egress",
        "y/b may reach x only; x admits y/b only: both ends must allow",
        policy("y", "b-to-x", pods("b"), egress=[{"to": [{"namespaceSelector": namespaces("x")}]}]),
        policy(
            "x",
            "from-y-b",
            ingress=[{"from": [{"namespaceSelector": namespaces("y"), "podSelector": pods("b")}]}],
        ),
    ),
    one(
        "egress-allowed-ingress-denied",
        "ingress-egress",
        "x may reach y, but y denies all ingress",
        policy("x", "to-y", egress=[{"to": [{"namespaceSelector": namespaces("y")}]}]),
        policy("y", "deny-ingress", ingress=[]),
    ),
    # --- protocol-specific ------------------------------------------------------------------------------
    one(
        "udp-only-blocks-tcp",
        "protocol",
        "x admits UDP on any port: TCP is blocked",
        policy("x", "udp-only", ingress=[{"ports": [port(None, "UDP")]}]),
    ),
    one(
        "tcp-only-blocks-udp",
        "protocol",
        "x may send TCP 80 only: UDP is blocked",
        policy("x", "tcp-80", egress=[{"ports": [port(80, "TCP")]}]),
    ),
    one(
        "sctp-policy-does-not-open-tcp",
        "protocol",
        "an SCTP-only rule on x must not open TCP or UDP (security)",
        policy("x", "sctp-only", ingress=[{"ports": [port(80, "SCTP"), port(81, "SCTP")]}]),
    ),
    one(
        "sctp-allow-port-80",
        "sctp",
        "x admits SCTP 80 only (probed over SCTP, TCP and UDP)",
        policy("x", "sctp-80", ingress=[{"ports": [port(80, "SCTP")]}]),
        protocols=(Protocol.TCP, Protocol.UDP, Protocol.SCTP),
    ),
    one(
        "sctp-deny-all-ingress",
        "sctp",
        "deny all ingress in x, probed over SCTP",
        DENY_INGRESS_X,
        protocols=(Protocol.SCTP,),
    ),
    # --- deletion restores traffic ----------------------------------------------------------------------
    Case(
        "delete-policy-restores",
        "deletion",
        "deny all ingress and egress in x, then delete the policy",
        (
            Step("deny", apply=(policy("x", "deny-all", types=["Ingress", "Egress"]),)),
            Step("deleted", delete=("x/deny-all",)),
        ),
    ),
    Case(
        "delete-one-of-stacked",
        "deletion",
        "x/a admits y and z through two policies; deleting one closes that namespace",
        (
            Step(
                "both",
                apply=(
                    to_x_a("from-y", {"from": [{"namespaceSelector": namespaces("y")}]}),
                    to_x_a("from-z", {"from": [{"namespaceSelector": namespaces("z")}]}),
                ),
            ),
            Step("only-z", delete=("x/from-y",)),
            Step("none", delete=("x/from-z",)),
        ),
    ),
    Case(
        "delete-allow-restores-deny",
        "deletion",
        "deny all egress in x plus allow-all egress; deleting the allow restores the deny",
        (
            Step("allowed", apply=(DENY_EGRESS_X, policy("x", "allow-egress", egress=[{}]))),
            Step("denied", delete=("x/allow-egress",)),
        ),
    ),
)


def by_id(case_id: str) -> Case:
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)
