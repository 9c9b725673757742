"""Admission webhooks served by the harness's own pods, and a read-only view of the cluster's webhooks.

The server is agnhost ``webhook`` (``/always-deny`` denies, ``/add-label`` patches ``added-label: yes``)
over TLS with a certificate from a CA the harness makes per server; the CA goes into the configuration's
``caBundle``. Configurations are cluster-scoped, so they carry the run's labels (``netconform sweep``
finds them) and select only the test's namespace *and* only objects with the test's probe label, with a
short timeout: a leftover can never block anything but the harness's own probe objects. They are deleted
by the context manager that registers them.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import random
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, api_message, call
from netconform.adapters.kube.manifests import ImageSettings, pod
from netconform.adapters.tls import CertificateAuthority, KeyPair
from netconform.adapters.waits import Bound, NotYet, WaitTimeout, wait_until
from netconform.core.apiserver.blocking import AdmissionGate, WebhookRule
from netconform.core.apiserver.paths import ApiServerPath, Observation, Reach, unreachable_symptom
from netconform.core.apiserver.webhook_audit import BackendPod, ServiceBackend, WebhookFacts
from netconform.core.selectors import LabelSelector, Operator, Requirement

PROBE_LABEL = "netconform.io/webhook-probe"
ADDED_LABEL = "added-label"  # what agnhost's /add-label sets (to "yes")
DENY_MESSAGE = "this webhook denies all requests"  # agnhost's /always-deny
POD_NETWORK_PORT = 8443
# hostNetwork servers share the node's ports: stay below the ephemeral range and outside NodePorts
# (30000-32767), off 443/10250 (kubelet) and the 102xx block the control plane and cert-manager use.
HOST_PORT_RANGE = (21000, 28999)
WEBHOOK_TIMEOUT_S = 5
# What a Service's ClusterIP answers before kube-proxy has programmed it: retried within the bound.
NOT_PROGRAMMED_YET = frozenset({"connection refused", "no route to host"})
# Long enough for the API server's webhook informer to pick up a new configuration, with room for a
# timing-out call (WEBHOOK_TIMEOUT_S) per attempt.
WEBHOOK_EFFECTIVE = Bound("the webhook configuration to take effect", timeout_s=60, interval_s=1)


def free_host_port() -> int:
    """A port for a hostNetwork server. Its pod declares it, so the scheduler refuses a clash with another
    pod's host port (the pod stays Pending, named in the wait's error) instead of two servers fighting."""
    return random.randint(*HOST_PORT_RANGE)


class WebhookKind(enum.Enum):
    VALIDATING = "ValidatingWebhookConfiguration"
    MUTATING = "MutatingWebhookConfiguration"


@dataclass(frozen=True)
class TlsServer:
    """A pod serving HTTPS behind a Service, and the CA that signed its certificate."""

    namespace: str
    name: str  # pod, Service and Secret share it
    port: int  # the pod's (and, with hostNetwork, the node's) port; the Service listens on 443
    host_network: bool
    ca_pem: bytes

    @property
    def ca_bundle(self) -> str:
        return base64.b64encode(self.ca_pem).decode()


def issue_serving_pair(namespace: str, name: str) -> tuple[bytes, KeyPair]:
    """A fresh CA and a serving certificate for Service ``name`` in ``namespace``."""
    ca = CertificateAuthority.create(f"netconform {namespace}/{name} CA")
    dns = [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local"]
    pair = ca.issue(f"{name}.{namespace}.svc", dns_names=dns, server=True)
    return ca.pair.cert_pem, pair


def tls_secret(name: str, pair: KeyPair) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name},
        "data": {
            "tls.crt": base64.b64encode(pair.cert_pem).decode(),
            "tls.key": base64.b64encode(pair.key_pem).decode(),
        },
    }


def tls_server_pod(
    name: str,
    image: ImageSettings,
    args: list[str],
    port: int,
    *,
    host_network: bool,
    readiness: dict[str, Any],
) -> dict[str, Any]:
    """An agnhost pod reading its certificate from the Secret ``name`` at /certs."""
    container = {
        "name": "server",
        "image": image.probe_image,
        "imagePullPolicy": image.pull_policy,
        "command": ["/agnhost"],
        "args": args,
        "ports": [{"name": "https", "containerPort": port, "protocol": "TCP"}],
        "readinessProbe": {**readiness, "periodSeconds": 1},
        "volumeMounts": [{"name": "certs", "mountPath": "/certs", "readOnly": True}],
        "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
    }
    volumes = [{"name": "certs", "secret": {"secretName": name}}]
    return pod(name, {"app": name}, [container], host_network=host_network, volumes=volumes)


def https_service(name: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "https", "port": 443, "targetPort": port, "protocol": "TCP"}],
        },
    }


def prepare_tls_server(
    kube: KubeCluster, namespace: str, name: str, port: int, *, host_network: bool
) -> TlsServer:
    """The Secret (certificate from a fresh CA) and the Service (443 -> ``port``) of a TLS server pod."""
    ca_pem, pair = issue_serving_pair(namespace, name)
    kube.create(namespace, tls_secret(name, pair))
    kube.create(namespace, https_service(name, port))
    return TlsServer(namespace, name, port, host_network, ca_pem)


def deploy_webhook_server(
    kube: KubeCluster, namespace: str, name: str, image: ImageSettings, *, host_network: bool
) -> TlsServer:
    """agnhost webhook behind Service ``name`` (port 443); waits until it is Ready."""
    port = free_host_port() if host_network else POD_NETWORK_PORT
    server = prepare_tls_server(kube, namespace, name, port, host_network=host_network)
    args = [
        "webhook",
        "--tls-cert-file=/certs/tls.crt",
        "--tls-private-key-file=/certs/tls.key",
        f"--port={port}",
    ]
    readiness = {"httpGet": {"path": "/readyz", "port": port, "scheme": "HTTPS"}}
    kube.create(
        namespace, tls_server_pod(name, image, args, port, host_network=host_network, readiness=readiness)
    )
    kube.wait_pods_ready(namespace, [name])
    return server


def webhook_configuration(
    kind: WebhookKind, server: TlsServer, run_id: str, *, path: str, probe_value: str, timeout_s: int
) -> dict[str, Any]:
    """A configuration with one webhook: CREATE of ConfigMaps in the server's namespace that carry
    ``PROBE_LABEL=probe_value``, nothing else."""
    config_name = f"{server.namespace}-{probe_value}"
    webhook = {
        "name": f"{probe_value}.{server.namespace}.netconform.io",
        "clientConfig": {
            "service": {"namespace": server.namespace, "name": server.name, "path": path, "port": 443},
            "caBundle": server.ca_bundle,
        },
        "rules": [
            {
                "operations": ["CREATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["configmaps"],
                "scope": "Namespaced",
            }
        ],
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": server.namespace}},
        "objectSelector": {"matchLabels": {PROBE_LABEL: probe_value}},
        "failurePolicy": "Fail",
        "matchPolicy": "Exact",
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "timeoutSeconds": timeout_s,
    }
    if kind is WebhookKind.MUTATING:
        webhook["reinvocationPolicy"] = "Never"
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind.value,
        "metadata": {"name": config_name, "labels": labels.harness_labels(run_id)},
        "webhooks": [webhook],
    }


@contextmanager
def registered(kube: KubeCluster, manifest: dict[str, Any]) -> Iterator[str]:
    """Create a webhook configuration for the ``with`` block; it is deleted however the block ends."""
    kind = WebhookKind(manifest["kind"])
    name = manifest["metadata"]["name"]
    if kind is WebhookKind.VALIDATING:
        call(
            f"create {kind.value} {name}",
            lambda: kube.admission.create_validating_webhook_configuration(manifest),
        )
    else:
        call(
            f"create {kind.value} {name}",
            lambda: kube.admission.create_mutating_webhook_configuration(manifest),
        )
    try:
        yield name
    finally:
        delete_configuration(kube, kind, name)


def delete_configuration(kube: KubeCluster, kind: WebhookKind, name: str) -> None:
    deleter = (
        kube.admission.delete_validating_webhook_configuration
        if kind is WebhookKind.VALIDATING
        else kube.admission.delete_mutating_webhook_configuration
    )
    try:
        call(f"delete {kind.value} {name}", lambda: deleter(name))
    except NotFound:
        pass


# --- probing -----------------------------------------------------------------------------------------------


def probe_configmap(name: str, probe_value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {PROBE_LABEL: probe_value}},
        "data": {"purpose": "netconform webhook probe"},
    }


def reproduce_create(namespace: str, manifest: dict[str, Any]) -> str:
    return f"kubectl create -n {namespace} -f - <<< {shlex.quote(json.dumps(manifest))}"


def probe_webhook(
    kube: KubeCluster,
    target: ApiServerPath,
    namespace: str,
    *,
    kind: WebhookKind,
    probe_value: str,
    bound: Bound = WEBHOOK_EFFECTIVE,
    port: int | None = None,
) -> Observation:
    """Create ConfigMaps the webhook must see until the API server's answer proves it called the webhook
    (denied / patched) or could not ("failed calling webhook"). A ConfigMap created untouched means the
    configuration is not in effect yet: it is deleted and the next attempt follows.

    A refused connection is retried within the bound too: kube-proxy REJECTs a Service's traffic until it has
    programmed the endpoint of a pod that just turned Ready, so a refusal in the first seconds says nothing
    about the network. So is "no route to host": until kube-proxy has seen a new Service at all, its ClusterIP
    is routed nowhere and the kernel answers host-unreachable (on the test bed, from its sink bridge; a busy
    kube-proxy can take seconds). Only an answer that lasts the whole bound is reported (as unreachable: a
    host firewall's icmp-host-prohibited would). Timeouts, the symptom of a control plane that cannot route
    to pods, conclude at once.
    """
    attempt = 0
    not_programmed: list[Observation] = []

    def once() -> Observation:
        nonlocal attempt
        attempt += 1
        manifest = probe_configmap(f"probe-{probe_value}-{attempt}", probe_value)
        reproduce = reproduce_create(namespace, manifest)
        try:
            created = kube.core.create_namespaced_config_map(namespace, manifest)
        except ApiException as err:
            observation = _classify_rejection(target, kind, err, reproduce)
            if observation.reach is Reach.UNREACHABLE and observation.symptom in NOT_PROGRAMMED_YET:
                not_programmed.append(observation)
                raise NotYet(
                    f"attempt {attempt}: {observation.symptom} (Service not programmed yet?)"
                ) from err
            return observation
        _delete_configmap(kube, namespace, manifest["metadata"]["name"])
        got = (created.metadata.labels or {}).get(ADDED_LABEL)
        if kind is WebhookKind.MUTATING and got == "yes":
            return Observation(
                target,
                Reach.REACHED,
                201,
                f"the API server applied the webhook's patch ({ADDED_LABEL}=yes)",
                reproduce,
            )
        raise NotYet(
            f"attempt {attempt}: the ConfigMap was created untouched (configuration not in effect yet)"
        )

    try:
        observation = wait_until(bound, once)
    except WaitTimeout:
        if not not_programmed:
            raise
        observation = not_programmed[-1]
    return dataclasses.replace(observation, port=port)  # the server's port, for the security-group hint


def _classify_rejection(
    target: ApiServerPath, kind: WebhookKind, err: ApiException, reproduce: str
) -> Observation:
    status = int(err.status or 0)
    text = api_message(err)
    if kind is WebhookKind.VALIDATING and "denied the request" in text and DENY_MESSAGE in text:
        return Observation(
            target, Reach.REACHED, status, f"the webhook denied the request: {text}", reproduce
        )
    if "failed calling webhook" in text:
        if "no endpoints available" in text:
            raise NotYet(f"the Service has no endpoints yet: {text}")
        if unreachable_symptom(text) is not None:
            return Observation(target, Reach.UNREACHABLE, status, text, reproduce)
    return Observation(target, Reach.INCONCLUSIVE, status, f"unexpected answer: {text}", reproduce)


def _delete_configmap(kube: KubeCluster, namespace: str, name: str) -> None:
    try:
        call(
            f"delete configmap {namespace}/{name}",
            lambda: kube.core.delete_namespaced_config_map(name, namespace),
        )
    except NotFound:
        pass


# --- the cluster's own webhooks (read-only) ----------------------------------------------------------------


def read_cluster_webhooks(kube: KubeCluster) -> list[WebhookFacts]:
    """Every webhook of every validating and mutating configuration, resolved to the pods serving it."""
    facts: list[WebhookFacts] = []
    listers = (
        (WebhookKind.VALIDATING, kube.admission.list_validating_webhook_configuration),
        (WebhookKind.MUTATING, kube.admission.list_mutating_webhook_configuration),
    )
    for kind, lister in listers:
        configurations = call(f"list {kind.value} objects", lister).items
        for configuration in configurations:
            for webhook in configuration.webhooks or []:
                facts.append(_webhook_facts(kube, kind, configuration.metadata.name, webhook))
    return facts


def read_admission_gates(kube: KubeCluster) -> list[AdmissionGate]:
    """Every webhook with its rules and selectors: what the pre-run check of blocking webhooks needs."""
    gates: list[AdmissionGate] = []
    listers = (
        (WebhookKind.VALIDATING, kube.admission.list_validating_webhook_configuration),
        (WebhookKind.MUTATING, kube.admission.list_mutating_webhook_configuration),
    )
    for kind, lister in listers:
        for configuration in call(f"list {kind.value} objects", lister).items:
            owned = (configuration.metadata.labels or {}).get(labels.OWNER) == labels.OWNER_VALUE
            for webhook in configuration.webhooks or []:
                rules = tuple(
                    WebhookRule(
                        frozenset(r.operations or ()),
                        frozenset(r.api_groups or ()),
                        frozenset(r.resources or ()),
                    )
                    for r in webhook.rules or []
                )
                selector = _selector(webhook.object_selector)
                gates.append(
                    AdmissionGate(
                        _webhook_facts(kube, kind, configuration.metadata.name, webhook),
                        rules,
                        object_selector_empty=selector is None or selector.is_empty,
                        harness_owned=owned,
                    )
                )
    return gates


def _webhook_facts(kube: KubeCluster, kind: WebhookKind, configuration: str, webhook: Any) -> WebhookFacts:
    client_config = webhook.client_config
    service = None
    if client_config.service is not None:
        ref = client_config.service
        service = resolve_service(kube, ref.namespace, ref.name, int(ref.port or 443))
    return WebhookFacts(
        kind=kind.value,
        configuration=configuration,
        webhook=webhook.name,
        failure_policy=webhook.failure_policy or "Fail",
        timeout_s=int(webhook.timeout_seconds or 10),
        service=service,
        url=client_config.url,
        namespace_selector=_selector(webhook.namespace_selector),
    )


def _selector(selector: Any) -> LabelSelector | None:
    if selector is None:
        return None
    requirements = [
        Requirement(e.key, Operator(e.operator), frozenset(e.values or ()))
        for e in selector.match_expressions or []
    ]
    return LabelSelector.of(dict(selector.match_labels or {}), *requirements)


def resolve_service(kube: KubeCluster, namespace: str, name: str, port: int) -> ServiceBackend:
    """A Service and the pods its EndpointSlices point at (ready or not)."""
    try:
        call(f"read service {namespace}/{name}", lambda: kube.core.read_namespaced_service(name, namespace))
    except NotFound:
        return ServiceBackend(namespace, name, port, exists=False)
    slices = call(
        f"list endpointslices of service {namespace}/{name}",
        lambda: kube.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={name}"
        ),
    ).items
    pods: dict[str, BackendPod] = {}
    for endpoint_slice in slices:
        for endpoint in endpoint_slice.endpoints or []:
            target = endpoint.target_ref
            if target is None or target.kind != "Pod":
                continue
            ready = bool(endpoint.conditions is None or endpoint.conditions.ready is not False)
            try:
                info = kube.pod(namespace, target.name)
            except NotFound:
                continue
            pods[target.name] = BackendPod(target.name, info.host_network, ready)
    return ServiceBackend(namespace, name, port, exists=True, pods=tuple(pods[n] for n in sorted(pods)))
