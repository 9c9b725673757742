"""Every pod the harness creates meets PodSecurity ``restricted`` where its job allows, carries requests and
limits, and stays off Windows, Fargate, hybrid and virtual nodes; --node-selector and --toleration add to
it."""

from __future__ import annotations

import re

import pytest

from netconform.adapters.kube import manifests, pod_defaults
from netconform.adapters.kube.pod_defaults import PodDefaults, Toleration
from netconform.core.truthtable import Protocol

IMAGES = manifests.ImageSettings("registry.example/agnhost:2.63.0", "IfNotPresent")


def restricted_violations(pod: dict) -> list[str]:
    """The checks of pod-security-admission's restricted level that a harness pod could trip (v1.36)."""
    spec = pod["spec"]
    problems = []
    context = spec.get("securityContext", {})
    if spec.get("hostNetwork"):
        problems.append("hostNetwork")
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{c['name']}: allowPrivilegeEscalation")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{c['name']}: capabilities")
        if not (sc.get("runAsNonRoot") or context.get("runAsNonRoot")):
            problems.append(f"{c['name']}: runAsNonRoot")
        if (sc.get("runAsUser", context.get("runAsUser")) or 0) == 0:
            problems.append(f"{c['name']}: runAsUser 0")
        seccomp = sc.get("seccompProfile", context.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{c['name']}: seccomp")
    allowed = {"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range"}  # baseline safe list
    problems += [s["name"] for s in context.get("sysctls", []) if s["name"] not in allowed]
    return problems


@pytest.mark.parametrize(
    "pod",
    [
        manifests.client_pod("c", {}, IMAGES),
        manifests.http_pod("h", {}, IMAGES),
        manifests.server_pod("s", {}, IMAGES, [(80, Protocol.TCP), (81, Protocol.UDP)]),
        manifests.netexec_server_pod("n", {}, IMAGES, [80, 81], [Protocol.TCP, Protocol.UDP]),
    ],
    ids=["client", "http", "server", "netexec"],
)
def test_the_harness_pods_meet_restricted_once_defaulted(pod: dict) -> None:
    assert restricted_violations(pod)  # as built: not restricted; the defaults are what make them so
    hardened = pod_defaults.apply(pod, PodDefaults())
    assert restricted_violations(hardened) == []
    for container in hardened["spec"]["containers"]:
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert pod_defaults.needed_level(hardened) is None


def test_the_model_ports_below_1024_are_served_without_root() -> None:
    pod = manifests.netexec_server_pod("n", {}, IMAGES, [80], [Protocol.TCP])
    sysctls = pod_defaults.apply(pod, PodDefaults())["spec"]["securityContext"]["sysctls"]
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"} in sysctls


def test_a_host_network_pod_gets_no_sysctls_and_names_why_its_namespace_is_privileged() -> None:
    pod = manifests.http_pod("host", {}, IMAGES, 21000, host_network=True)
    hardened = pod_defaults.apply(pod, PodDefaults())
    assert "sysctls" not in hardened["spec"]["securityContext"]  # the kubelet rejects them with hostNetwork
    assert restricted_violations(hardened) == ["hostNetwork"]
    assert pod_defaults.needed_level(hardened) == (
        "privileged",
        "pod host uses hostNetwork (the path under test is the node's own network)",
    )


def test_a_ping_source_runs_as_root_with_net_raw_only_and_asks_for_privileged() -> None:
    pod = pod_defaults.needs_raw_icmp(manifests.client_pod("a", {}, IMAGES), "sends raw ICMP (busybox ping)")
    hardened = pod_defaults.apply(pod, PodDefaults())
    context = hardened["spec"]["securityContext"]
    assert "runAsNonRoot" not in context
    assert "runAsUser" not in context
    (container,) = hardened["spec"]["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"], "add": ["NET_RAW"]},
    }
    # baseline would refuse NET_RAW in capabilities.add (PodSecurity 1.36, seen on the hardened bed)
    assert pod_defaults.needed_level(hardened) == ("privileged", "pod a: sends raw ICMP (busybox ping)")


def test_what_a_manifest_says_itself_wins() -> None:
    pod = manifests.client_pod("c", {}, IMAGES)
    pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "5m"}, "limits": {"memory": "1Gi"}}
    pod["spec"]["affinity"] = {"podAntiAffinity": {}}
    hardened = pod_defaults.apply(pod, PodDefaults())
    resources = hardened["spec"]["containers"][0]["resources"]
    assert resources == {
        "requests": {"cpu": "5m", "memory": "8Mi"},
        "limits": {"memory": "1Gi", "cpu": "1"},
    }
    assert hardened["spec"]["affinity"] == {"podAntiAffinity": {}}
    assert pod["spec"]["containers"][0].get("securityContext") is None  # the input is not changed


def test_placement_keeps_off_windows_fargate_hybrid_and_virtual_nodes() -> None:
    terms = pod_defaults.placement_affinity()["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    expressions = {
        e["key"]: (e["operator"], e["values"]) for e in terms["nodeSelectorTerms"][0]["matchExpressions"]
    }
    assert expressions == {
        "kubernetes.io/os": ("NotIn", ["windows"]),
        "eks.amazonaws.com/compute-type": ("NotIn", ["fargate", "hybrid"]),
        "type": ("NotIn", ["virtual-kubelet"]),
    }
    defaults = PodDefaults()
    assert defaults.excluded({"kubernetes.io/os": "windows"}) == "Windows"
    assert defaults.excluded({"eks.amazonaws.com/compute-type": "fargate"}) == "Fargate"
    assert defaults.excluded({"eks.amazonaws.com/compute-type": "hybrid"}) == "EKS hybrid"
    assert defaults.excluded({"type": "virtual-kubelet"}) == "virtual-kubelet"
    assert defaults.excluded({"kubernetes.io/os": "linux", "eks.amazonaws.com/compute-type": "auto"}) is None


def test_node_selector_and_tolerations_are_added_and_judge_nodes() -> None:
    defaults = PodDefaults({"pool": "netconform"}, (Toleration("dedicated", "infra", "NoSchedule"),))
    hardened = pod_defaults.apply(manifests.client_pod("c", {}, IMAGES), defaults)
    assert hardened["spec"]["nodeSelector"] == {"pool": "netconform"}
    assert hardened["spec"]["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}
    ]
    assert defaults.excluded({"pool": "other"}) == "not matched by --node-selector pool=netconform"
    assert defaults.excluded({"pool": "netconform"}) is None
    assert defaults.tolerates("dedicated", "infra", "NoSchedule")
    assert not defaults.tolerates("dedicated", "infra", "NoExecute")
    assert not PodDefaults().tolerates("dedicated", "infra", "NoSchedule")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dedicated", Toleration("dedicated")),
        ("dedicated:NoSchedule", Toleration("dedicated", None, "NoSchedule")),
        ("dedicated=infra:NoExecute", Toleration("dedicated", "infra", "NoExecute")),
    ],
)
def test_toleration_syntax(text: str, expected: Toleration) -> None:
    assert pod_defaults.parse_toleration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "expected KEY[=VALUE][:EFFECT]"),
        ("dedicated:NoPlace", "effect must be one of NoSchedule, PreferNoSchedule, NoExecute"),
        ("dedicated=:NoSchedule", "empty value"),
    ],
)
def test_bad_tolerations_say_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        pod_defaults.parse_toleration(text)


@pytest.mark.parametrize(
    ("text", "problem"), [("pool", "expected KEY=VALUE"), (",", "empty"), ("=x", "KEY=VALUE")]
)
def test_bad_node_selectors_say_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        pod_defaults.parse_node_selector(text)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            "registry.k8s.io/e2e-test-images/agnhost:2.63.0",
            "mirror.example:5000/e2e-test-images/agnhost:2.63.0",
        ),
        ("registry.k8s.io/pause:3.10", "mirror.example:5000/pause:3.10"),
        ("localhost/probe:1", "mirror.example:5000/probe:1"),
        ("team/tool:1", "mirror.example:5000/team/tool:1"),
        ("busybox:1.37", "mirror.example:5000/library/busybox:1.37"),
    ],
)
def test_image_registry_mirrors_every_image(image: str, expected: str) -> None:
    assert pod_defaults.mirrored(image, "mirror.example:5000/") == expected


def test_every_container_is_mirrored_and_gets_the_pull_secret() -> None:
    defaults = PodDefaults(
        image_registry="mirror.example", pull_secret=pod_defaults.PullSecret("ci", "regcred")
    )
    pod = manifests.client_pod(
        "c", {}, manifests.ImageSettings("registry.k8s.io/e2e-test-images/agnhost:2.63.0", "Always")
    )
    pod["spec"]["initContainers"] = [{"name": "i", "image": "registry.k8s.io/pause:3.10"}]
    hardened = pod_defaults.apply(pod, defaults)
    assert [c["image"] for c in hardened["spec"]["initContainers"] + hardened["spec"]["containers"]] == [
        "mirror.example/pause:3.10",
        "mirror.example/e2e-test-images/agnhost:2.63.0",
    ]
    assert hardened["spec"]["imagePullSecrets"] == [{"name": "regcred"}]


@pytest.mark.parametrize("text", ["regcred", "/regcred", "ci/", "a/b/c"])
def test_a_pull_secret_needs_namespace_and_name(text: str) -> None:
    with pytest.raises(ValueError, match="must be NAMESPACE/NAME"):
        pod_defaults.parse_pull_secret(text)


@pytest.mark.parametrize("text", ["https://mirror.example", "", "/path", "a b"])
def test_a_registry_is_a_host_not_a_url(text: str) -> None:
    assert pod_defaults.registry_problem(text)
    assert pod_defaults.registry_problem("123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror") is None
