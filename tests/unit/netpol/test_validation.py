"""The policy reader accepts exactly what the API server (v1.36) accepts: a row per upstream rule, both ways.

Each row names the upstream function whose rule it pins (kubernetes pkg/apis/networking/validation,
apimachinery pkg/apis/meta/v1/validation and pkg/util/validation). ``None`` means the API server accepts the
object; otherwise the first error, as ``<field path>: <message prefix>`` in the API server's words.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from netconform.core.netpol import Direction, parse_policy
from netconform.core.netpol.cidr import check_cidr, is_strict_subset
from netconform.core.netpol.validation import is_label_value, is_qualified_name, is_valid_port_name
from netconform.errors import InputError

BASE: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"namespace": "x", "name": "p"},
    "spec": {"podSelector": {}},
}
Mutation = Callable[[dict[str, Any]], object]


def spec(**fields: Any) -> Mutation:
    return lambda doc: doc["spec"].update(fields)


def meta(**fields: Any) -> Mutation:
    return lambda doc: doc["metadata"].update(fields)


def selector(value: dict[str, Any]) -> Mutation:
    return spec(podSelector=value)


def expression(key: str = "k", operator: str = "In", values: list[str] | None = None) -> Mutation:
    entry: dict[str, Any] = {"key": key, "operator": operator}
    if values is not None:
        entry["values"] = values
    return selector({"matchExpressions": [entry]})


def port(**fields: Any) -> Mutation:
    return spec(ingress=[{"ports": [fields]}])


def peer(value: dict[str, Any] | None) -> Mutation:
    return spec(ingress=[{"from": [value]}])


def block(cidr: str, *excepts: str) -> Mutation:
    return peer({"ipBlock": {"cidr": cidr, "except": list(excepts)}})


P = "p (x/p)."  # every spec error names the policy
SEL = P + "spec.podSelector."
PORT = P + "spec.ingress[0].ports[0]."
PEER = P + "spec.ingress[0].from[0]"
CIDR = PEER + ".ipBlock.cidr: "
EXCEPT = PEER + ".ipBlock.except[0]: "
LONG_LABEL = "a" * 63
SUBDOMAIN = ".".join(["a" * 63] * 3 + ["a" * 61])  # 253 bytes

RULES: list[tuple[str, Mutation, str | None]] = [
    # ValidateObjectMeta (ValidateNetworkPolicy, name: NameIsDNSSubdomain, namespace: ValidateNamespaceName)
    ("meta-name-subdomain-with-dots", meta(name="allow.web"), None),
    ("meta-name-253-bytes", meta(name=SUBDOMAIN), None),
    ("meta-name-254-bytes", meta(name=SUBDOMAIN + "a"), "p.metadata.name: Invalid value: "),
    (
        "meta-name-upper-case",
        meta(name="Allow"),
        'p.metadata.name: Invalid value: "Allow": a lowercase RFC 1123',
    ),
    ("meta-name-empty", meta(name=""), "p.metadata.name: Required value: name or generateName is required"),
    ("meta-namespace-label-63", meta(namespace=LONG_LABEL), None),
    ("meta-namespace-label-64", meta(namespace=LONG_LABEL + "a"), "p.metadata.namespace: Invalid value: "),
    (
        "meta-namespace-dots",
        meta(namespace="a.b"),
        'p.metadata.namespace: Invalid value: "a.b": must not contain',
    ),
    ("meta-generate-name-trailing-dash", meta(generateName="web-"), None),
    ("meta-generate-name-invalid", meta(generateName="Web"), 'p.metadata.generateName: Invalid value: "Web"'),
    (
        "meta-generation-negative",
        meta(generation=-1),
        "p.metadata.generation: Invalid value: -1: must be greater",
    ),
    ("meta-labels-valid", meta(labels={"example.com/team": "", "a": "b"}), None),
    (
        "meta-labels-bad-key",
        meta(labels={"-a": "b"}),
        'p.metadata.labels: Invalid value: "-a": name part must',
    ),
    (
        "meta-labels-bad-value",
        meta(labels={"a": "b c"}),
        'p.metadata.labels: Invalid value: "b c": a valid label',
    ),
    ("meta-annotation-key-any-case", meta(annotations={"Example.com/Note": "anything at all"}), None),
    (
        "meta-annotation-bad-key",
        meta(annotations={"a b": "x"}),
        'p.metadata.annotations: Invalid value: "a b"',
    ),
    (
        "meta-annotations-too-big",
        meta(annotations={"a": "x" * 256 * 1024}),
        "p.metadata.annotations: Too long: may not be more than 262144 bytes",
    ),
    # ValidateNetworkPolicySpec: spec and podSelector are structs (absent = zero), policyTypes
    ("spec-absent", lambda doc: doc.pop("spec"), None),
    ("spec-pod-selector-absent", lambda doc: doc["spec"].pop("podSelector"), None),
    ("spec-policy-types-repeated", spec(policyTypes=["Egress", "Egress"]), None),
    (
        "spec-policy-types-three",
        spec(policyTypes=["Ingress", "Egress", "Ingress"]),
        P
        + 'spec.policyTypes: Invalid value: ["Ingress", "Egress", "Ingress"]: may not specify more than two',
    ),
    (
        "spec-policy-types-unsupported",
        spec(policyTypes=["ingress"]),
        P + 'spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Ingress", "Egress"',
    ),
    ("spec-ingress-null-rule", spec(ingress=[None]), None),
    # ValidateNetworkPolicyPort
    ("port-protocol-sctp", port(protocol="SCTP", port=80), None),
    ("port-protocol-lower-case", port(protocol="tcp"), PORT + 'protocol: Unsupported value: "tcp"'),
    ("port-protocol-empty", port(protocol=""), PORT + 'protocol: Unsupported value: ""'),
    ("port-number-65535", port(port=65535), None),
    ("port-number-0", port(port=0), PORT + "port: Invalid value: 0: must be between 1 and 65535, inclusive"),
    ("port-number-65536", port(port=65536), PORT + "port: Invalid value: 65536: must be between 1 and 65535"),
    ("port-name-15", port(port="a23456789012345"), None),
    (
        "port-name-16",
        port(port="a234567890123456"),
        PORT + 'port: Invalid value: "a234567890123456": must be no',
    ),
    (
        "port-name-upper-case",
        port(port="HTTP"),
        PORT + 'port: Invalid value: "HTTP": must contain only alpha',
    ),
    (
        "port-name-no-letter",
        port(port="8080"),
        PORT + 'port: Invalid value: "8080": must contain at least one',
    ),
    (
        "port-name-double-hyphen",
        port(port="a--b"),
        PORT + 'port: Invalid value: "a--b": must not contain consec',
    ),
    (
        "port-name-leading-hyphen",
        port(port="-ab"),
        PORT + 'port: Invalid value: "-ab": must not begin or end',
    ),
    (
        "port-name-trailing-newline",
        port(port="http\n"),
        PORT + 'port: Invalid value: "http\\n": must contain only',
    ),
    ("port-name-empty", port(port=""), PORT + 'port: Invalid value: "": must contain only'),
    ("end-port-equal", port(port=80, endPort=80), None),
    (
        "end-port-below",
        port(port=80, endPort=79),
        PORT + "endPort: Invalid value: 80: must be greater than or",
    ),
    (
        "end-port-too-big",
        port(port=80, endPort=65536),
        PORT + "endPort: Invalid value: 65536: must be between",
    ),
    (
        "end-port-named",
        port(port="http", endPort=90),
        PORT + "endPort: Invalid value: 90: may not be specified",
    ),
    (
        "end-port-alone",
        port(endPort=90),
        PORT + "endPort: Invalid value: 90: may not be specified when `port` is",
    ),
    ("port-null-entry", spec(ingress=[{"ports": [None]}]), None),
    # ValidateNetworkPolicyPeer
    ("peer-pod-and-namespace", peer({"podSelector": {}, "namespaceSelector": {}}), None),
    ("peer-none", peer({}), PEER + ": Required value: must specify a peer"),
    ("peer-null", peer(None), PEER + ": Required value: must specify a peer"),
    ("peer-null-selector", peer({"podSelector": None}), PEER + ": Required value: must specify a peer"),
    (
        "peer-ip-block-and-selector",
        peer({"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}}),
        PEER + ": Forbidden: may not specify both ipBlock and another peer",
    ),
    # ValidateLabelSelector / ValidateLabels / ValidateLabelSelectorRequirement
    ("labels-empty-value", selector({"matchLabels": {"k": ""}}), None),
    ("labels-prefixed-key", selector({"matchLabels": {"example.com/k": "v"}}), None),
    ("labels-63-name", selector({"matchLabels": {LONG_LABEL: LONG_LABEL}}), None),
    (
        "labels-64-name",
        selector({"matchLabels": {LONG_LABEL + "a": "v"}}),
        SEL + "matchLabels: Invalid value: ",
    ),
    (
        "labels-64-value",
        selector({"matchLabels": {"k": LONG_LABEL + "a"}}),
        SEL + "matchLabels: Invalid value: ",
    ),
    (
        "labels-upper-case-prefix",
        selector({"matchLabels": {"Example.com/k": "v"}}),
        SEL + 'matchLabels: Invalid value: "Example.com/k": prefix part a lowercase RFC 1123 subdomain',
    ),
    (
        "labels-empty-prefix",
        selector({"matchLabels": {"/k": "v"}}),
        SEL + 'matchLabels: Invalid value: "/k": prefix',
    ),
    (
        "labels-two-slashes",
        selector({"matchLabels": {"a/b/c": "v"}}),
        SEL + 'matchLabels: Invalid value: "a/b/c"',
    ),
    (
        "labels-bad-value",
        selector({"matchLabels": {"k": "-v"}}),
        SEL + 'matchLabels: Invalid value: "-v": a valid',
    ),
    ("expr-in-empty-string-value", expression(values=[""]), None),
    ("expr-in-repeated-values", expression(values=["a", "a"]), None),
    ("expr-not-in", expression(operator="NotIn", values=["a"]), None),
    ("expr-exists", expression(operator="Exists"), None),
    ("expr-exists-empty-list", expression(operator="DoesNotExist", values=[]), None),
    ("expr-in-no-values", expression(values=[]), SEL + "matchExpressions[0].values: Required value: must be"),
    (
        "expr-exists-with-values",
        expression(operator="Exists", values=["a"]),
        SEL + "matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists'",
    ),
    (
        "expr-unknown-operator",
        expression(operator="Equals", values=["a"]),
        SEL + 'matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
    ),
    (
        "expr-no-operator",
        selector({"matchExpressions": [{"key": "k"}]}),
        SEL + "matchExpressions[0].operator: Inv",
    ),
    (
        "expr-bad-key",
        expression(key="a b", values=["a"]),
        SEL + 'matchExpressions[0].key: Invalid value: "a b"',
    ),
    (
        "expr-no-key",
        expression(key="", values=["a"]),
        SEL + 'matchExpressions[0].key: Invalid value: "": name part',
    ),
    (
        "expr-bad-value",
        expression(values=["ok", "no way"]),
        SEL + "matchExpressions[0].values[1]: Invalid value: ",
    ),
    # ValidateIPBlock + IsValidCIDRForLegacyField (StrictIPCIDRValidation on: the v1.36 default)
    ("cidr-ipv4", block("10.0.0.0/8"), None),
    ("cidr-ipv6-not-canonical", block("2001:DB8:0:0::/32"), None),
    ("cidr-all-ipv4", block("0.0.0.0/0", "10.0.0.0/8"), None),
    ("cidr-missing", peer({"ipBlock": {}}), CIDR + "Required value"),
    ("cidr-empty", block(""), CIDR + "Required value"),
    ("cidr-no-prefix", block("10.0.0.1"), CIDR + 'Invalid value: "10.0.0.1": must be a valid CIDR value'),
    (
        "cidr-netmask",
        block("10.0.0.0/255.0.0.0"),
        CIDR + 'Invalid value: "10.0.0.0/255.0.0.0": must be a valid',
    ),
    (
        "cidr-prefix-too-long",
        block("10.0.0.0/33"),
        CIDR + 'Invalid value: "10.0.0.0/33": must be a valid CIDR',
    ),
    ("cidr-ipv6-prefix-too-long", block("::/129"), CIDR + 'Invalid value: "::/129": must be a valid CIDR'),
    (
        "cidr-leading-zero-octet",
        block("010.0.0.0/8"),
        CIDR + 'Invalid value: "010.0.0.0/8": must not have leading',
    ),
    (
        "cidr-leading-zero-prefix",
        block("10.0.0.0/08"),
        CIDR + 'Invalid value: "10.0.0.0/08": must not have leading',
    ),
    (
        "cidr-ipv4-mapped",
        block("::ffff:10.0.0.0/104"),
        CIDR + 'Invalid value: "::ffff:10.0.0.0/104": must not have',
    ),
    (
        "cidr-host-bits",
        block("10.0.0.5/24"),
        CIDR + 'Invalid value: "10.0.0.5/24": must not have bits set beyond',
    ),
    ("except-inside", block("10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/16"), None),
    (
        "except-equal",
        block("10.0.0.0/8", "10.0.0.0/8"),
        EXCEPT + 'Invalid value: "10.0.0.0/8": must be a strict sub',
    ),
    (
        "except-outside",
        block("10.0.0.0/8", "11.0.0.0/16"),
        EXCEPT + 'Invalid value: "11.0.0.0/16": must be a strict',
    ),
    (
        "except-other-family",
        block("10.0.0.0/8", "fd00::/16"),
        EXCEPT + 'Invalid value: "fd00::/16": must be a str',
    ),
    (
        "except-host-bits",
        block("10.0.0.0/8", "10.1.0.1/16"),
        EXCEPT + 'Invalid value: "10.1.0.1/16": must not have',
    ),
]


def check(mutate: Mutation, expected: str | None, *, strict_cidr: bool = True) -> None:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    if expected is None:
        parse_policy(doc, "p", strict_cidr=strict_cidr)
        return
    with pytest.raises(InputError) as error:
        parse_policy(doc, "p", strict_cidr=strict_cidr)
    assert str(error.value).startswith(expected), str(error.value)


@pytest.mark.parametrize(("mutate", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_the_reader_follows_upstream_validation(mutate: Mutation, expected: str | None) -> None:
    check(mutate, expected)


LEGACY: list[tuple[str, Mutation, str | None]] = [
    # StrictIPCIDRValidation off (clusters before v1.36): the sloppy parser's leniency is accepted...
    ("legacy-host-bits", block("10.0.0.5/24", "10.0.0.7/28"), None),
    ("legacy-leading-zeros", block("010.000.0.0/08"), None),
    ("legacy-ipv4-mapped", block("::ffff:10.0.0.0/104"), None),
    # ...but what ParseCIDRSloppy cannot read is rejected all the same,
    (
        "legacy-netmask",
        block("10.0.0.0/255.0.0.0"),
        CIDR + 'Invalid value: "10.0.0.0/255.0.0.0": must be a valid',
    ),
    # and the except rule is Go's, mask lengths compared as written: the mapped /104 "contains" 10.1.0.0 but
    # 104 >= 16.
    (
        "legacy-mapped-except",
        block("::ffff:10.0.0.0/104", "10.1.0.0/16"),
        EXCEPT + 'Invalid value: "10.1.0.0/16"',
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [r[1:] for r in LEGACY], ids=[r[0] for r in LEGACY])
def test_legacy_cidr_parsing_follows_the_sloppy_parser(mutate: Mutation, expected: str | None) -> None:
    check(mutate, expected, strict_cidr=False)


def test_legacy_host_bits_mean_the_network_and_leading_zeros_are_decimal() -> None:
    doc = copy.deepcopy(BASE)
    block("010.0.0.5/08", "10.0.0.7/28")(doc)
    ip_block = parse_policy(doc, "p", strict_cidr=False).ingress[0].peers[0].ip_block
    assert ip_block is not None
    assert (str(ip_block.cidr), [str(e) for e in ip_block.excepts]) == ("10.0.0.0/8", ["10.0.0.0/28"])


def test_defaulting_of_the_shapes_the_api_accepts() -> None:
    doc = copy.deepcopy(BASE)
    doc.pop("spec")
    policy = parse_policy(doc, "p")
    assert policy.policy_types == frozenset({Direction.INGRESS})
    assert policy.pod_selector.is_empty
    doc = copy.deepcopy(BASE)
    spec(policyTypes=["Egress", "Egress"], ingress=[None], egress=[{"ports": [None]}])(doc)
    policy = parse_policy(doc, "p")
    assert policy.policy_types == frozenset({Direction.EGRESS})
    assert policy.ingress[0].peers == ()
    assert policy.ingress[0].ports == ()
    assert policy.egress[0].ports[0].port is None  # a null port entry: every TCP port


@pytest.mark.parametrize(
    ("value", "ok"),
    [("a", True), ("a.b_c-D", True), ("", False), ("_a", False), ("a_", False), ("example.com/a", True)],
)
def test_qualified_name(value: str, ok: bool) -> None:
    assert (is_qualified_name(value) == []) is ok


def test_label_value_and_port_name_report_every_problem_like_upstream() -> None:
    assert is_label_value("") == []
    assert len(is_label_value("-" * 64)) == 2  # too long and malformed: upstream lists both
    assert is_valid_port_name("-A--") == [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
        "must not contain consecutive hyphens",
        "must not begin or end with a hyphen",
    ]


@pytest.mark.parametrize(
    ("value", "network"),
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("::/0", "::/0"),
        ("2001:db8::1.2.3.0/120", "2001:db8::102:300/120"),
        ("1:2:3:4:5:6:7::/128", "1:2:3:4:5:6:7:0/128"),
    ],
)
def test_strict_cidr_parsing(value: str, network: str) -> None:
    parsed, problem = check_cidr(value)
    assert problem is None
    assert parsed is not None
    assert str(parsed.network()) == network


@pytest.mark.parametrize(
    "value", ["10.0.0.0/", "/8", "10.0.0/8", "1::2::3/64", "10.0.0.0/8/8", "fe80::1%eth0/64"]
)
def test_cidr_values_neither_parser_reads(value: str) -> None:
    assert check_cidr(value, strict=False)[0] is None


def test_strict_subset_compares_prefix_lengths_as_upstream_does() -> None:
    def net(text: str) -> object:
        parsed = check_cidr(text, strict=False)[0]
        assert parsed is not None
        return parsed

    assert is_strict_subset(net("10.0.0.0/8"), net("10.0.0.0/9"))  # type: ignore[arg-type]
    assert not is_strict_subset(net("10.0.0.0/9"), net("10.0.0.0/8"))  # type: ignore[arg-type]
    # Go folds the IPv4-mapped address to IPv4 and compares 8 < 112: legacy parsing lets this through.
    assert is_strict_subset(net("10.0.0.0/8"), net("::ffff:10.0.0.0/112"))  # type: ignore[arg-type]
