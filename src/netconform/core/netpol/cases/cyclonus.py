"""Cyclonus v0.5.6's default generated cases as catalog cases (pure translation of its case list).

Source: github.com/mattfenwick/cyclonus@v0.5.6, ``pkg/generator/testcasegenerator.go``
(``GenerateTestCases``: the families of targetcases.go, rulescases.go, peerscases.go, portprotocolcases.go,
examplecases.go, actioncases.go, conflictcases.go, namespacecases.go and upstreame2ecases.go, filtered by
``pkg/cli/generate.go``'s defaults: ``--allow-dns=true``, namespaces x, y, z, no ``--include``, ``--exclude``
= DefaultExcludeTags). ``bench/cyclonus/dump`` (our Go program) calls that generator and writes its list as
JSON, stored as ``src/netconform/data/cyclonus-v0.5.6.json``; this module turns that JSON into :class:`Case`
objects. Numbering follows the generator's order from 1, the numbering AWS's waivers use
(aws-network-policy-agent ``scripts/lib/verify_test_results.py``).

Cyclonus' model is ours (namespaces x/y/z labelled ``ns``, pods a/b/c labelled ``pod``, servers on 80 and 81
with named ports ``serve-<port>-<proto>``), so policies carry over unchanged except:

* ipBlock CIDRs: cyclonus derives them from z/c's pod IP by zeroing low bits (``kube.MakeCIDRFromZeroes``);
  the dump passes a sentinel IP, and every CIDR containing it becomes ``Cidr("z/c", prefix)``;
* label actions *replace* a pod's or namespace's labels; they become label changes (removed keys: None);
* its DNS egress rules (``--allow-dns``) are kept as cyclonus writes them; our probes use 80 and 81 only;
* cases that create or delete pods or namespaces have no counterpart in our fixed topology and are left out
  (:func:`translate` says which and why); reading policies back is a no-op here.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from netconform.core.netpol.cases.model import (
    NAMESPACE_LABEL,
    POD_LABEL,
    Case,
    Cidr,
    LabelChange,
    Step,
)
from netconform.core.truthtable import Protocol

VERSION = "v0.5.6"
DUMP_RESOURCE = f"cyclonus-{VERSION}.json"  # package data, like instance_types.json
CATEGORY = "cyclonus"
SENTINEL_IP = ipaddress.ip_address("192.168.77.77")  # bench/cyclonus/dump: stands for z/c's pod IP
SENTINEL_POD = "z/c"
_UNSUPPORTED = ("CreateNamespace", "DeleteNamespace", "CreatePod", "DeletePod")
_NO_OP = ("ReadNetworkPolicies",)


@dataclass(frozen=True)
class Translation:
    cases: tuple[Case, ...]
    left_out: tuple[tuple[int, str, str], ...]  # (number, description, why)


@cache
def bundled() -> Translation:
    """The translation of the bundled dump (read once)."""
    text = resources.files("netconform").joinpath("data", DUMP_RESOURCE).read_text(encoding="utf-8")
    return translate(json.loads(text))


def case_id(number: int) -> str:
    return f"cyclonus-{number:03d}"


def translate(dump: Sequence[Mapping[str, Any]]) -> Translation:
    cases: list[Case] = []
    left_out: list[tuple[int, str, str]] = []
    for number, raw in enumerate(dump, start=1):
        description = str(raw.get("Description") or "")
        unsupported = sorted(
            {
                kind
                for step in raw.get("Steps") or []
                for action in step.get("Actions") or []
                for kind in _UNSUPPORTED
                if action.get(kind)
            }
        )
        if unsupported:
            left_out.append((number, description, f"needs {', '.join(unsupported)} (fixed topology)"))
            continue
        cases.append(_case(number, description, raw))
    return Translation(tuple(cases), tuple(left_out))


def _case(number: int, description: str, raw: Mapping[str, Any]) -> Case:
    pod_labels: dict[str, dict[str, str]] = {}
    namespace_labels: dict[str, dict[str, str]] = {}
    steps = []
    protocols: set[Protocol] = set()
    for index, raw_step in enumerate(raw.get("Steps") or [], start=1):
        apply: list[dict[str, Any]] = []
        delete: list[str] = []
        pod_changes: dict[str, LabelChange] = {}
        ns_changes: dict[str, LabelChange] = {}
        for action in raw_step.get("Actions") or []:
            if action.get("CreatePolicy") or action.get("UpdatePolicy"):
                body = (action.get("CreatePolicy") or action.get("UpdatePolicy"))["Policy"]
                apply.append(policy_document(body))
            elif action.get("DeletePolicy"):
                target = action["DeletePolicy"]
                delete.append(f"{target['Namespace']}/{target['Name']}")
            elif action.get("SetPodLabels"):
                target = action["SetPodLabels"]
                key = f"{target['Namespace']}/{target['Pod']}"
                current = pod_labels.setdefault(key, {POD_LABEL: target["Pod"]})
                pod_changes[key] = _replacement(current, target.get("Labels") or {})
                pod_labels[key] = dict(target.get("Labels") or {})
            elif action.get("SetNamespaceLabels"):
                target = action["SetNamespaceLabels"]
                ns = target["Namespace"]
                current = namespace_labels.setdefault(ns, {NAMESPACE_LABEL: ns})
                ns_changes[ns] = _replacement(current, target.get("Labels") or {})
                namespace_labels[ns] = dict(target.get("Labels") or {})
            elif not any(action.get(kind) for kind in _NO_OP):
                raise ValueError(f"cyclonus case {number}: unknown action {sorted(action)}")
        protocols.update(_protocols(raw_step.get("Probe") or {}))
        steps.append(
            Step(
                f"step {index}",
                tuple(apply),
                tuple(delete),
                pod_labels=pod_changes,
                namespace_labels=ns_changes,
            )
        )
    ordered = tuple(p for p in Protocol if p in protocols) or tuple(Protocol)
    return Case(
        case_id(number),
        CATEGORY,
        f"cyclonus {VERSION} #{number}: {description}",
        tuple(steps),
        protocols=ordered,
        dns_mode=False,  # probed by pod IP (cyclonus --destination-type pod-ip)
    )


def _replacement(current: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str | None]:
    """Label changes that turn ``current`` into exactly ``wanted`` (None removes a label)."""
    changes: dict[str, str | None] = {key: None for key in current if key not in wanted}
    changes.update({key: value for key, value in wanted.items() if current.get(key) != value})
    return changes


def _protocols(probe: Mapping[str, Any]) -> set[Protocol]:
    if probe.get("AllAvailable") or not probe.get("PortProtocol"):
        return set(Protocol)
    return {Protocol(str(probe["PortProtocol"]["Protocol"]).upper())}


def policy_document(body: Mapping[str, Any]) -> dict[str, Any]:
    """A cyclonus policy as a model document: metadata cut to name and namespace, CIDRs as placeholders."""
    metadata = body.get("metadata") or {}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": metadata["name"], "namespace": metadata["namespace"]},
        "spec": _placeholders(body.get("spec") or {}),
    }


def _placeholders(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _cidr(item) if key in {"cidr", "except"} else _placeholders(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_placeholders(item) for item in value]
    return value


def _cidr(value: Any) -> Any:
    if isinstance(value, list):
        return [_cidr(item) for item in value]
    network = ipaddress.ip_network(str(value), strict=False)
    if network.version == SENTINEL_IP.version and SENTINEL_IP in network:
        return Cidr(SENTINEL_POD, network.prefixlen)
    return value
