"""What every pod the harness creates carries, whoever built its manifest (applied in KubeCluster.create).

- **PodSecurity ``restricted``** wherever the pod's job allows: non-root (65534), no privilege escalation, all
  capabilities dropped, the runtime's default seccomp profile. A namespaced sysctl the ``restricted`` level
  allows, ``ip_unprivileged_port_start=0``, lets the NetworkPolicy model serve ports 80 and 81 without root.
  Pods whose job does not allow ``restricted`` get their namespace labelled for the level they need first,
  with the reason as an annotation: hostNetwork pods ``privileged`` (they cannot set namespaced sysctls
  either) and ping sources (busybox ``ping`` has no unprivileged ICMP socket: root with NET_RAW only, which
  ``baseline`` refuses to add).
- **Requests and limits** on every container (quota and LimitRange policies demand both).
- **Placement** that leaves out nodes without a Linux pod dataplane the harness can use — Windows, Fargate,
  EKS hybrid and virtual-kubelet nodes — plus the user's ``--node-selector`` and ``--toleration``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NON_ROOT_UID = 65534  # nobody: the probe image's files are world-readable and /tmp is 1777
SAFE_SYSCTLS = ({"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"},)
DEFAULT_LIMITS = {"cpu": "1", "memory": "128Mi"}
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_REASON = "netconform.io/pod-security-reason"
# Node labels that mean "no Linux pod network of the kind the harness probes": (key, values to avoid).
EXCLUDED_NODES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("kubernetes.io/os", ("windows",), "Windows"),
    ("eks.amazonaws.com/compute-type", ("fargate",), "Fargate"),
    ("eks.amazonaws.com/compute-type", ("hybrid",), "EKS hybrid"),
    ("type", ("virtual-kubelet",), "virtual-kubelet"),
)


@dataclass(frozen=True)
class Toleration:
    key: str
    value: str | None = None
    effect: str | None = None  # None: every effect

    def matches(self, key: str, value: str | None, effect: str | None) -> bool:
        return (
            key == self.key
            and (self.value is None or self.value == value)
            and (self.effect is None or self.effect == effect)
        )

    def manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "operator": "Equal" if self.value else "Exists"}
        if self.value:
            out["value"] = self.value
        if self.effect:
            out["effect"] = self.effect
        return out


@dataclass(frozen=True)
class PullSecret:
    """``--image-pull-secret NAMESPACE/NAME``: copied into every namespace the harness creates."""

    namespace: str
    name: str


@dataclass(frozen=True)
class PodDefaults:
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    image_registry: str | None = None  # --image-registry: every image's registry replaced by this mirror
    pull_secret: PullSecret | None = None

    def tolerates(self, key: str, value: str | None, effect: str | None) -> bool:
        return any(t.matches(key, value, effect) for t in self.tolerations)

    def excluded(self, node_labels: Mapping[str, str]) -> str | None:
        """Why the harness's pods never land on a node with these labels (None: they may)."""
        reason = excluded_reason(node_labels)
        if reason is None and any(node_labels.get(k) != v for k, v in self.node_selector.items()):
            selector = ",".join(f"{k}={v}" for k, v in self.node_selector.items())
            reason = f"not matched by --node-selector {selector}"
        return reason


def excluded_reason(node_labels: Mapping[str, str]) -> str | None:
    """Why a node never gets the harness's pods (None: it may)."""
    for key, values, reason in EXCLUDED_NODES:
        if node_labels.get(key) in values:
            return reason
    return None


def placement_affinity() -> dict[str, Any]:
    """Node affinity that keeps the scheduler off the excluded nodes (NotIn matches a missing key)."""
    by_key: dict[str, list[str]] = {}
    for key, values, _reason in EXCLUDED_NODES:
        by_key.setdefault(key, []).extend(values)
    expressions = [{"key": k, "operator": "NotIn", "values": sorted(v)} for k, v in by_key.items()]
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}]
            }
        }
    }


def apply(manifest: Mapping[str, Any], defaults: PodDefaults) -> dict[str, Any]:
    """A copy of ``manifest`` (a Pod, or a workload with a pod template) with the defaults filled in; what the
    manifest says itself wins."""
    out = copy.deepcopy(dict(manifest))
    spec = out["spec"]["template"]["spec"] if out["kind"] != "Pod" else out["spec"]
    _secure(spec, _annotations(out).get(NEEDS) == RAW_ICMP)
    _place(spec, defaults)
    if defaults.image_registry:
        for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
            container["image"] = mirrored(container["image"], defaults.image_registry)
    if defaults.pull_secret:
        secrets = spec.setdefault("imagePullSecrets", [])
        if {"name": defaults.pull_secret.name} not in secrets:
            secrets.append({"name": defaults.pull_secret.name})
    return out


def mirrored(image: str, registry: str) -> str:
    """``registry.k8s.io/e2e-test-images/agnhost:2.63.0`` -> ``mirror.example/e2e-test-images/agnhost:2.63.0``
    (the registry host replaced); a Docker Hub short name (``busybox:1``) keeps its implied path
    (``library/busybox:1``), as mirrors do."""
    head, sep, rest = image.partition("/")
    if sep and ("." in head or ":" in head or head == "localhost"):
        path = rest
    elif sep:
        path = image
    else:
        path = f"library/{image}"
    return f"{registry.rstrip('/')}/{path}"


def parse_pull_secret(text: str) -> PullSecret:
    """``--image-pull-secret NAMESPACE/NAME``; ValueError with the reason (worded so that no "secret:"
    precedes the value: the report's redaction would hide it)."""
    namespace, sep, name = text.partition("/")
    if not sep or not namespace or not name or "/" in name:
        raise ValueError(f"must be NAMESPACE/NAME of the Secret to copy, got {text!r}")
    return PullSecret(namespace, name)


def registry_problem(text: str) -> str | None:
    """Why ``--image-registry`` is not a registry host[:port][/path] (None: it is)."""
    if not text or "://" in text or " " in text or text.startswith("/"):
        return f"expected a registry host[:port][/path] (e.g. 1234.dkr.ecr.us-east-1.amazonaws.com): {text!r}"
    return None


def _secure(spec: dict[str, Any], raw_icmp: bool) -> None:
    pod_context = spec.setdefault("securityContext", {})
    if not raw_icmp:
        pod_context.setdefault("runAsNonRoot", True)
        pod_context.setdefault("runAsUser", NON_ROOT_UID)
        pod_context.setdefault("runAsGroup", NON_ROOT_UID)
    pod_context.setdefault("seccompProfile", {"type": "RuntimeDefault"})
    if not spec.get("hostNetwork"):
        present = {s["name"] for s in pod_context.get("sysctls", [])}
        pod_context["sysctls"] = [
            *pod_context.get("sysctls", []),
            *(dict(s) for s in SAFE_SYSCTLS if s["name"] not in present),
        ]
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        context = container.setdefault("securityContext", {})
        context.setdefault("allowPrivilegeEscalation", False)
        # NET_RAW is the one capability ping needs; busybox has no unprivileged ICMP (datagram) socket, so
        # the pod runs as root with nothing else (in a namespace labelled privileged: baseline refuses it).
        context.setdefault("capabilities", {"drop": ["ALL"], **({"add": ["NET_RAW"]} if raw_icmp else {})})
        resources = container.setdefault("resources", {})
        requests = resources.setdefault("requests", {})
        requests.setdefault("cpu", "1m")
        requests.setdefault("memory", "8Mi")
        limits = resources.setdefault("limits", {})
        for name, value in DEFAULT_LIMITS.items():
            limits.setdefault(name, value)


def _place(spec: dict[str, Any], defaults: PodDefaults) -> None:
    if "affinity" not in spec:
        spec["affinity"] = placement_affinity()
    if defaults.node_selector:
        spec["nodeSelector"] = {**defaults.node_selector, **spec.get("nodeSelector", {})}
    if defaults.tolerations:
        spec["tolerations"] = [*spec.get("tolerations", []), *(t.manifest() for t in defaults.tolerations)]


LEVELS = ("restricted", "baseline", "privileged")  # PodSecurity levels, least to most permissive
NEEDS = "netconform.io/needs"  # annotation a manifest builder sets: what the pod's job needs
RAW_ICMP = "raw-icmp"


def needs_raw_icmp(manifest: dict[str, Any], why: str) -> dict[str, Any]:
    """Mark ``manifest`` (in place, and returned) as a pod that must send raw ICMP, saying why."""
    metadata = manifest.setdefault("metadata", {})
    metadata.setdefault("annotations", {}).update({NEEDS: RAW_ICMP, PSA_REASON: why})
    return manifest


def _annotations(manifest: Mapping[str, Any]) -> Mapping[str, str]:
    return dict((manifest.get("metadata") or {}).get("annotations") or {})


def needed_level(manifest: Mapping[str, Any]) -> tuple[str, str] | None:
    """The PodSecurity level the pod's namespace must allow and why (None: ``restricted`` is enough)."""
    spec = manifest["spec"]["template"]["spec"] if manifest["kind"] != "Pod" else manifest["spec"]
    name = manifest["metadata"]["name"]
    if spec.get("hostNetwork"):
        return "privileged", f"pod {name} uses hostNetwork (the path under test is the node's own network)"
    annotations = _annotations(manifest)
    if annotations.get(NEEDS) == RAW_ICMP:
        # Not baseline: PodSecurity 1.36 baseline refuses NET_RAW in capabilities.add (seen on the bed).
        return "privileged", f"pod {name}: {annotations.get(PSA_REASON, 'sends raw ICMP')}"
    return None


def parse_node_selector(text: str) -> dict[str, str]:
    """``--node-selector role=netconform,zone=a`` -> labels; ValueError with the reason."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE, got {part!r}")
        out[key] = value
    if not out:
        raise ValueError("empty")
    return out


EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def parse_toleration(text: str) -> Toleration:
    """``--toleration KEY[=VALUE][:EFFECT]`` (kubectl taint's syntax); ValueError with the reason."""
    head, _, effect = text.partition(":")
    key, sep, value = head.partition("=")
    if not key:
        raise ValueError(f"expected KEY[=VALUE][:EFFECT], got {text!r}")
    if effect and effect not in EFFECTS:
        raise ValueError(f"effect must be one of {', '.join(EFFECTS)}, got {effect!r}")
    if sep and not value:
        raise ValueError(f"empty value in {text!r}")
    return Toleration(key, value or None, effect or None)


def tolerations_of(texts: Sequence[str]) -> tuple[Toleration, ...]:
    return tuple(parse_toleration(t) for t in texts)
