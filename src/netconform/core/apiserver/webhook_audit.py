"""Audit of the cluster's own admission webhooks and aggregated APIs: which will break, or already do,
because the control plane cannot reach the pods that serve them.

Pure: the kube adapter resolves every webhook and APIService to its Service and the pods behind it; this
module decides what is at risk and how badly. Whether the control plane reaches pod IPs is what this run
OBSERVED (the API-server suite's pod-network paths, :class:`PodNetworkReach`), never the CNI profile's claim:
where nothing was measured a pod-backed backend is "not measured", with the reason.

Severity follows the consequence:

* ``ERROR``: requests fail. A ``failurePolicy: Fail`` webhook (or an APIService) whose backend the
  control plane cannot reach rejects every matching request (or breaks discovery, ``kubectl top``, HPA,
  namespace deletion).
* ``WARNING``: silently weaker. An ``Ignore`` webhook that cannot be reached is skipped after its timeout on
  every call: its policy is not enforced and matching requests are slowed. A ``Fail`` webhook that also
  covers kube-system can block the cluster's own recovery when its pods are down.
* ``INFO``: cannot be judged (the control plane's reach to pod IPs not measured, or a URL the harness cannot
  resolve).
* ``OK``: served from the node network or the control plane itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from netconform.core.apiserver.paths import (
    HOST_NETWORK_ADVICE,
    Backend,
    Observation,
    inferred_routability,
)
from netconform.core.findings import Finding, Severity
from netconform.core.profiles import Expect
from netconform.core.selectors import LabelSelector

KUBE_SYSTEM_LABELS = {"kubernetes.io/metadata.name": "kube-system"}


@dataclass(frozen=True)
class PodNetworkReach:
    """What this run saw of the control plane opening connections to pod IPs."""

    seen: Expect  # YES: reached; NO: could not; UNKNOWN: not measured (or the paths disagreed)
    evidence: str  # the observations and how to repeat them, or why nothing was measured

    @classmethod
    def observed(cls, observations: Sequence[Observation]) -> PodNetworkReach:
        pod = [o for o in observations if o.path.backend is Backend.POD_NETWORK]
        if not pod:
            return cls.not_measured("no pod-network path of the API server was probed in this run")
        parts = [
            f"{o.path.id}: {o.reach.value}" + (f" (reproduce: {o.reproduce})" if o.reproduce else "")
            for o in pod
        ]
        return cls(inferred_routability(pod), "; ".join(parts))

    @classmethod
    def not_measured(cls, why: str) -> PodNetworkReach:
        return cls(Expect.UNKNOWN, why)


@dataclass(frozen=True)
class BackendPod:
    name: str
    host_network: bool
    ready: bool = True


@dataclass(frozen=True)
class ServiceBackend:
    """A Service a webhook or APIService points at, and the pods behind its endpoints."""

    namespace: str
    name: str
    port: int
    exists: bool = True
    pods: tuple[BackendPod, ...] = ()

    @property
    def ref(self) -> str:
        return f"service {self.namespace}/{self.name}:{self.port}"

    @property
    def ready_pods(self) -> tuple[BackendPod, ...]:
        return tuple(p for p in self.pods if p.ready)


@dataclass(frozen=True)
class WebhookFacts:
    kind: str  # ValidatingWebhookConfiguration | MutatingWebhookConfiguration
    configuration: str
    webhook: str
    failure_policy: str  # Fail | Ignore (the API server defaults it to Fail)
    timeout_s: int
    service: ServiceBackend | None = None
    url: str | None = None
    namespace_selector: LabelSelector | None = None
    """None or empty: every namespace."""

    @property
    def subject(self) -> str:
        return f"{self.kind}/{self.configuration} webhook {self.webhook}"

    @property
    def fails_closed(self) -> bool:
        return self.failure_policy != "Ignore"


@dataclass(frozen=True)
class ApiServiceFacts:
    name: str
    service: ServiceBackend | None  # None: served by the API server itself (Local)
    available: bool | None = None
    message: str = ""

    @property
    def subject(self) -> str:
        return f"APIService/{self.name}"


# Positional like the table it builds (severity, code, subject, backend, message, what to do): every call
# below reads as one row of it.
def _finding(  # noqa: PLR0917
    severity: Severity, code: str, subject: str, backend: str, message: str, fix: str = ""
) -> Finding:
    """The shared ``Finding``, with what serves the subject as its one piece of evidence."""
    return Finding(severity, code, message, (("backend", backend),), fix, subject)


def audit(
    webhooks: Sequence[WebhookFacts],
    api_services: Sequence[ApiServiceFacts],
    reach: PodNetworkReach,
    pod_cidrs: Sequence[str] = (),
) -> list[Finding]:
    """One finding per webhook and APIService (OK ones too), plus fail-closed coverage of kube-system."""
    findings: list[Finding] = []
    for webhook in webhooks:
        findings.append(_webhook_reachability(webhook, reach, pod_cidrs))
        coverage = _kube_system_coverage(webhook)
        if coverage is not None:
            findings.append(coverage)
    findings.extend(_api_service(service, reach) for service in api_services)
    return sorted(findings, key=lambda f: (-f.severity, f.subject, f.code))


# --- webhooks --------------------------------------------------------------------------------------------


def _webhook_reachability(webhook: WebhookFacts, reach: PodNetworkReach, pod_cidrs: Sequence[str]) -> Finding:
    if webhook.service is not None:
        return _service_backed(webhook.subject, webhook.service, reach, _webhook_consequence(webhook))
    url = webhook.url or ""
    host = urlsplit(url).hostname or ""
    backend = f"url {url}"
    if host in ("localhost",) or _is_loopback(host):
        return _finding(Severity.OK, "served-by-control-plane", webhook.subject, backend, "a loopback URL")
    if _in_cidrs(host, pod_cidrs):
        return _pod_network_risk(webhook.subject, backend, reach, _webhook_consequence(webhook))
    return _finding(
        Severity.INFO,
        "url-unverified",
        webhook.subject,
        backend,
        f"served at {host or 'an unknown host'}, outside the cluster's pod CIDRs; the harness cannot tell "
        "whether the control plane reaches it",
        "make sure the control plane can route to it (and its security groups allow the port)",
    )


def _webhook_consequence(webhook: WebhookFacts) -> tuple[Severity, str]:
    if webhook.fails_closed:
        return Severity.ERROR, (
            f"failurePolicy Fail: every matching request is rejected after {webhook.timeout_s}s "
            "('failed calling webhook … context deadline exceeded')"
        )
    return Severity.WARNING, (
        f"failurePolicy Ignore: every matching request waits {webhook.timeout_s}s and the webhook is "
        "skipped, so its policy is silently not applied"
    )


def _kube_system_coverage(webhook: WebhookFacts) -> Finding | None:
    if not webhook.fails_closed:
        return None
    selector = webhook.namespace_selector
    if selector is not None and not selector.is_empty and not selector.matches(KUBE_SYSTEM_LABELS):
        return None
    return _finding(
        Severity.WARNING,
        "fail-closed-covers-kube-system",
        webhook.subject,
        f"namespaceSelector {selector if selector is not None else '{}'}",
        "failurePolicy Fail and its namespaceSelector does not exclude kube-system: while its pods are "
        "down, kube-system pods (CNI, CoreDNS) may not be recreated, which can keep the webhook down",
        "add a namespaceSelector with kubernetes.io/metadata.name NotIn [kube-system]",
    )


# --- APIServices -----------------------------------------------------------------------------------------


def _api_service(api_service: ApiServiceFacts, reach: PodNetworkReach) -> Finding:
    subject = api_service.subject
    if api_service.service is None:
        return _finding(Severity.OK, "served-by-control-plane", subject, "Local", "served by the API server")
    consequence = (
        Severity.ERROR,
        "discovery of its group fails: kubectl top, HPA and namespace deletion stall",
    )
    finding = _service_backed(subject, api_service.service, reach, consequence)
    if api_service.available is False:
        status = f"Available=False: {api_service.message}" if api_service.message else "Available=False"
        return _finding(
            Severity.ERROR,
            finding.code if finding.severity > Severity.OK else "unavailable",
            subject,
            finding.fact("backend"),
            f"{status}; {finding.message}",
            finding.fix or "look at the backing pods and the APIService's status message",
        )
    return finding


# --- shared ----------------------------------------------------------------------------------------------


def _service_backed(
    subject: str, service: ServiceBackend, reach: PodNetworkReach, consequence: tuple[Severity, str]
) -> Finding:
    severity, what = consequence
    backend = service.ref
    if not service.exists:
        return _finding(
            severity,
            "service-missing",
            subject,
            backend,
            f"the Service does not exist: {what}",
            "restore the Service or delete the configuration",
        )
    ready = service.ready_pods
    if not ready:
        return _finding(
            severity,
            "no-ready-backend",
            subject,
            backend,
            f"no ready pods behind the Service: {what}",
            "fix the serving pods, or delete the configuration if the component was removed",
        )
    pod_network = [p.name for p in ready if not p.host_network]
    if not pod_network:
        return _finding(
            Severity.OK,
            "host-network",
            subject,
            backend,
            f"served by hostNetwork pods ({', '.join(p.name for p in ready)})",
        )
    described = f"{backend} → pods {', '.join(pod_network)} on the pod network"
    return _pod_network_risk(subject, described, reach, consequence)


def _pod_network_risk(
    subject: str, backend: str, reach: PodNetworkReach, consequence: tuple[Severity, str]
) -> Finding:
    if reach.seen is Expect.YES:
        return _finding(
            Severity.OK,
            "pod-network-reached",
            subject,
            backend,
            f"served from the pod network, which the control plane reached in this run ({reach.evidence})",
        )
    if reach.seen is Expect.UNKNOWN:
        return _finding(
            Severity.INFO,
            "pod-network-not-measured",
            subject,
            backend,
            f"served from the pod network; whether the control plane reaches pod IPs was not measured: "
            f"{reach.evidence}",
            "run suites/apiserver (not --read-only) to measure it",
        )
    severity, what = consequence
    return _finding(
        severity,
        "pod-network-unreachable",
        subject,
        backend,
        f"served from the pod network, which the control plane could not reach in this run "
        f"({reach.evidence}): {what}",
        HOST_NETWORK_ADVICE,
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _in_cidrs(host: str, cidrs: Sequence[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def render_table(findings: Sequence[Finding]) -> str:
    """A plain-text table, worst first."""
    if not findings:
        return "no admission webhooks or APIServices backed by Services in this cluster"
    rows = [("severity", "code", "subject", "backend", "why / what to do")]
    for f in findings:
        why = f"{f.message}" + (f" — {f.fix}" if f.fix else "")
        rows.append((f.severity.name, f.code, f.subject, f.fact("backend"), why))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        ("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]).rstrip()
        for row in rows
    )
