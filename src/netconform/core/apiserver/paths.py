"""The ways the API server opens connections into the cluster, what each CNI profile expects of them, and
what to do when one is not as expected.

Three kinds of backend matter on EKS:

* ``POD_NETWORK``: the API server dials a pod IP (a webhook or aggregated API served by an ordinary pod,
  pods/proxy, services/proxy). The control plane lives in an AWS-managed VPC: it reaches VPC CNI pod IPs,
  but not the pod IPs of an overlay (Calico VXLAN/IPIP), where these calls time out.
* ``HOST_NETWORK``: the same, served by a ``hostNetwork: true`` pod, so the API server dials the node IP.
  The documented workaround for overlays: it must work in every topology.
* ``KUBELET``: exec, logs and port-forward go API server → kubelet (node IP, port 10250) → container, so
  they work in every topology.

Pure: observations come in from the adapters, verdicts and advice go out.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netconform.core.profiles import Expect, Profile


class Backend(enum.Enum):
    POD_NETWORK = "pod-network"
    HOST_NETWORK = "host-network"
    KUBELET = "kubelet"


class Mechanism(enum.Enum):
    VALIDATING_WEBHOOK = "validating-webhook"
    MUTATING_WEBHOOK = "mutating-webhook"
    POD_PROXY = "pods-proxy"
    SERVICE_PROXY = "services-proxy"
    APISERVICE = "apiservice"
    EXEC = "exec"
    LOGS = "logs"
    PORT_FORWARD = "port-forward"


KUBELET_MECHANISMS = (Mechanism.EXEC, Mechanism.LOGS, Mechanism.PORT_FORWARD)
SERVED_MECHANISMS = (
    Mechanism.VALIDATING_WEBHOOK,
    Mechanism.MUTATING_WEBHOOK,
    Mechanism.POD_PROXY,
    Mechanism.SERVICE_PROXY,
    Mechanism.APISERVICE,
)

_TITLES = {
    Mechanism.VALIDATING_WEBHOOK: "validating admission webhook",
    Mechanism.MUTATING_WEBHOOK: "mutating admission webhook",
    Mechanism.POD_PROXY: "pods/proxy",
    Mechanism.SERVICE_PROXY: "services/proxy",
    Mechanism.APISERVICE: "aggregated APIService",
    Mechanism.EXEC: "pods/exec",
    Mechanism.LOGS: "pods/log",
    Mechanism.PORT_FORWARD: "pods/portforward",
}


@dataclass(frozen=True)
class ApiServerPath:
    """One way the API server connects to something in the cluster."""

    mechanism: Mechanism
    backend: Backend

    @property
    def id(self) -> str:
        return f"{self.mechanism.value}/{self.backend.value}"

    @property
    def title(self) -> str:
        served_by = {
            Backend.POD_NETWORK: "served by a pod on the pod network",
            Backend.HOST_NETWORK: "served by a hostNetwork pod",
            Backend.KUBELET: "through the kubelet",
        }[self.backend]
        return f"{_TITLES[self.mechanism]} {served_by}"

    def __str__(self) -> str:
        return self.id


PATHS: tuple[ApiServerPath, ...] = (
    *(ApiServerPath(m, b) for m in SERVED_MECHANISMS for b in (Backend.POD_NETWORK, Backend.HOST_NETWORK)),
    *(ApiServerPath(m, Backend.KUBELET) for m in KUBELET_MECHANISMS),
)


def path(mechanism: Mechanism, backend: Backend) -> ApiServerPath:
    candidate = ApiServerPath(mechanism, backend)
    if candidate not in PATHS:
        raise ValueError(f"no such API server path: {candidate.id}")
    return candidate


def expectation(target: ApiServerPath, profile: Profile) -> Expect:
    """Whether ``profile`` says the API server can reach ``target``.

    hostNetwork and kubelet paths go to the node's IP, which the control plane reaches in every supported
    topology (EKS's cluster security group allows it); only pod IPs depend on the CNI.
    """
    if target.backend is Backend.POD_NETWORK:
        return profile.pod_ips_routable_from_control_plane
    return Expect.YES


class Reach(enum.Enum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    INCONCLUSIVE = "inconclusive"  # the harness could not tell (the object never got as far as the call)


# Substrings of the API server's error text that mean "could not connect to the backend", with the
# name of the symptom. Order matters: the first match names the symptom.
UNREACHABLE_SYMPTOMS: tuple[tuple[str, str], ...] = (
    ("context deadline exceeded", "timeout (context deadline exceeded)"),
    ("i/o timeout", "timeout (i/o timeout)"),
    ("Client.Timeout exceeded", "timeout (client timeout)"),
    ("timed out waiting", "timeout"),
    ("request timed out", "timeout"),
    ("Address is not allowed", "address not allowed (EKS control plane egress)"),
    ("connection refused", "connection refused"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("connection reset by peer", "connection reset"),
    ("EOF", "connection closed (EOF)"),
)


def unreachable_symptom(text: str) -> str | None:
    """The symptom named by the API server's error text, or None if it does not say "could not connect"."""
    lowered = text.lower()
    for needle, symptom in UNREACHABLE_SYMPTOMS:
        if needle.lower() in lowered:
            return symptom
    return None


@dataclass(frozen=True)
class Observation:
    """What the harness saw when it made the API server use one path."""

    path: ApiServerPath
    reach: Reach
    status: int | None = None
    """HTTP status of the API server's answer (None: no answer, or not an HTTP exchange)."""
    detail: str = ""
    """The API server's own words: the error text, or what proved the path works."""
    reproduce: str = ""
    """A command that makes the same call."""
    port: int | None = None
    """The port the API server dialled (a hostNetwork backend's is a node port: security groups apply)."""

    @property
    def symptom(self) -> str | None:
        return unreachable_symptom(self.detail) if self.reach is Reach.UNREACHABLE else None


@dataclass(frozen=True)
class PathVerdict:
    observation: Observation
    expected: Expect
    ok: bool
    message: str
    judged: bool = True
    """False: the profile makes no claim about the path, so the observation is not held to anything (the
    suite skips with the observation as the reason: nothing passes on no claim)."""

    @property
    def path(self) -> ApiServerPath:
        return self.observation.path


HOST_NETWORK_ADVICE = (
    "set hostNetwork: true on the serving pods (with dnsPolicy: ClusterFirstWithHostNet) and move the "
    "server off port 443/10250 (e.g. 10260, as cert-manager does), then allow that port from the cluster "
    "security group to the nodes"
)


def advice(target: ApiServerPath, reach: Reach, port: int | None = None) -> str:
    """What to do when ``target`` is not as expected (``port``: the one the API server dialled)."""
    if target.backend is Backend.KUBELET:
        return (
            "the API server could not use the kubelet (node port 10250): check that the node security group "
            "allows 10250 from the cluster security group and that the kubelet serving certificate is valid"
        )
    if target.backend is Backend.HOST_NETWORK:
        if reach is Reach.REACHED:
            return "nothing to fix: hostNetwork backends are expected to be reachable"
        if port is not None:
            return (
                f"the control plane could not reach a hostNetwork pod on its node port {port}/TCP: add an "
                f"inbound rule for TCP {port} from the cluster security group to the node security group "
                "(EKS opens only 443 and 10250 by default); check host firewalls and that the port is free"
            )
        return (
            "the control plane could not reach a hostNetwork pod on its node: allow the server's port from "
            "the cluster security group to the nodes, and check host firewalls and that the port is free"
        )
    if reach is Reach.REACHED:
        return (
            "the control plane reached a pod IP, which an overlay pod network does not allow: this cluster "
            "is not what the profile says; rerun with the right --profile (vpc-cni?) or let detection decide"
        )
    if target.mechanism in (Mechanism.POD_PROXY, Mechanism.SERVICE_PROXY):
        what = "pods/proxy, services/proxy and `kubectl proxy` to pods will not work"
    elif target.mechanism is Mechanism.APISERVICE:
        what = "aggregated APIs (metrics-server: kubectl top, HPA) will be unavailable"
    else:
        what = "admission webhooks served by pods will time out"
    return (
        f"the control plane cannot open connections to pod IPs (an overlay CNI on EKS, or pod subnets the "
        f"control plane cannot route to), so {what}: {HOST_NETWORK_ADVICE}"
    )


def judge(observation: Observation, profile: Profile) -> PathVerdict:
    """Compare one observation with what ``profile`` expects of its path."""
    target = observation.path
    expected = expectation(target, profile)
    seen = _describe_observation(observation)
    if observation.reach is Reach.INCONCLUSIVE:
        return PathVerdict(
            observation,
            expected,
            ok=False,
            message=f"{target.title}: could not check: {seen}",
        )
    if expected is Expect.UNKNOWN:
        return PathVerdict(
            observation,
            expected,
            ok=False,
            message=(
                f"{target.title}: {seen}; not judged: profile {profile.name.value} makes no claim about the "
                "control plane reaching pod IPs (pass --profile to hold it to one)"
            ),
            judged=False,
        )
    reached = observation.reach is Reach.REACHED
    if reached == (expected is Expect.YES):
        return PathVerdict(observation, expected, ok=True, message=f"{target.title}: {seen}, as expected")
    wanted = "reachable" if expected is Expect.YES else "unreachable"
    lines = [
        f"{target.title} ({target.id}): expected {wanted} under profile {profile.name.value}, but {seen}",
        f"what to do: {advice(target, observation.reach, observation.port)}",
    ]
    if observation.reproduce:
        lines.append(f"reproduce: {observation.reproduce}")
    return PathVerdict(observation, expected, ok=False, message="\n".join(lines))


def _describe_observation(observation: Observation) -> str:
    status = f"HTTP {observation.status}" if observation.status is not None else "no HTTP status"
    if observation.reach is Reach.REACHED:
        return f"reached ({observation.detail})" if observation.detail else "reached"
    if observation.reach is Reach.UNREACHABLE:
        symptom = observation.symptom or "not reached"
        return f"unreachable: {symptom}; the API server answered {status}: {observation.detail}"
    return f"{status}: {observation.detail}"


def inferred_routability(observations: Iterable[Observation]) -> Expect:
    """What the pod-network observations say about the control plane reaching pod IPs (for ``generic``)."""
    seen = {o.reach for o in observations if o.path.backend is Backend.POD_NETWORK}
    seen.discard(Reach.INCONCLUSIVE)
    if seen == {Reach.REACHED}:
        return Expect.YES
    if seen == {Reach.UNREACHABLE}:
        return Expect.NO
    return Expect.UNKNOWN


def summary(verdicts: Sequence[PathVerdict], profile: Profile) -> str:
    """A text table of every path checked, and what the pod-network paths say about the cluster."""
    rows = [("path", "expected", "observed", "status", "verdict", "detail")]
    for verdict in sorted(verdicts, key=lambda v: PATHS.index(v.path)):
        obs = verdict.observation
        rows.append(
            (
                verdict.path.id,
                verdict.expected.value,
                obs.reach.value,
                "" if obs.status is None else str(obs.status),
                "not judged" if not verdict.judged else "ok" if verdict.ok else "FAIL",
                _shorten(obs.symptom or obs.detail, 70),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    routable = inferred_routability(v.observation for v in verdicts)
    conclusion = {
        Expect.YES: "the control plane reaches pod IPs (VPC CNI-like): pod-backed webhooks work",
        Expect.NO: "the control plane does NOT reach pod IPs (overlay-like): " + HOST_NETWORK_ADVICE,
        Expect.UNKNOWN: "pod-network paths gave no single answer",
    }[routable]
    lines.append("")
    lines.append(f"profile {profile.name.value}; observed: {conclusion}")
    return "\n".join(line.rstrip() for line in lines)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
