"""The in-cluster run's objects: found by their label alone, safe from the run's own sweep, least
privilege."""

from __future__ import annotations

from netconform.adapters.kube import incluster, labels

SPEC = incluster.RunSpec(
    run_id="12020101abcd",
    image="registry.example/netconform:0.1.0",
    pull_policy="IfNotPresent",
    pytest_args=("-m", "smoke or apiserver"),
    env={"NETCONFORM_PROBE_IMAGE": "registry.example/agnhost:2.63.0"},
)


def test_every_object_carries_the_run_label_and_none_the_harness_owner_label() -> None:
    docs = incluster.manifests(SPEC)
    assert [d["kind"] for d in docs] == ["Namespace", "ServiceAccount", "ClusterRoleBinding", "Job"]
    for doc in docs:
        assert doc["metadata"]["labels"][incluster.RUN_LABEL] == SPEC.run_id
        # The run inside the pod sweeps objects with the owner label and its run id at its end: the
        # namespace it runs in must not be one of them.
        assert labels.OWNER not in doc["metadata"]["labels"], doc["kind"]
    job = docs[-1]
    assert job["spec"]["template"]["metadata"]["labels"][incluster.RUN_LABEL] == SPEC.run_id


def test_binding_grants_the_shipped_run_role_to_the_run_service_account_only() -> None:
    binding = incluster.manifests(SPEC)[2]
    assert binding["roleRef"]["name"] == "netconform-run"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "netconform-runner", "namespace": "netconform-run-12020101abcd"}
    ]


def test_job_runs_the_harness_non_root_once_with_the_pytest_arguments_and_its_run_id() -> None:
    job = incluster.manifests(SPEC)[-1]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert job["spec"]["backoffLimit"] == 0
    assert pod["restartPolicy"] == "Never"
    assert job["spec"]["activeDeadlineSeconds"] == incluster.KEEP_RESULTS_S
    assert container["command"] == [
        "netconform", "in-pod", "run", "--run-id", SPEC.run_id, "--", "-m", "smoke or apiserver",
    ]  # fmt: skip
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] != 0
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "NETCONFORM_PROBE_IMAGE": "registry.example/agnhost:2.63.0",
        "NETCONFORM_RESULTS": "/results",
    }


def test_only_the_run_settings_are_forwarded_never_credentials_or_local_paths() -> None:
    environ = {
        "NETCONFORM_PROBE_IMAGE": "img",
        "NETCONFORM_IMAGE_PULL_POLICY": "Never",
        "KUBECONFIG": "/root/.kube/config",
        "NETCONFORM_NETPOL_DEVIATIONS": "/work/deviations.yaml",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    assert incluster.forwarded_env(environ) == {
        "NETCONFORM_PROBE_IMAGE": "img",
        "NETCONFORM_IMAGE_PULL_POLICY": "Never",
    }
