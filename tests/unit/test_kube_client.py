"""Where the API client's configuration comes from: kubeconfig lists as kubectl reads them, and in-cluster."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from kubernetes.config import incluster_config

from netconform.adapters.kube.client import api_client, kubeconfig_paths
from netconform.errors import InputError


def kubeconfig(path: Path, name: str, server: str, current: bool) -> Path:
    text = (
        "apiVersion: v1\nkind: Config\n"
        + (f"current-context: {name}\n" if current else "")
        + f"clusters: [{{name: {name}, cluster: {{server: '{server}', insecure-skip-tls-verify: true}}}}]\n"
        + f"users: [{{name: {name}, user: {{token: t-{name}}}}}]\n"
        + f"contexts: [{{name: {name}, context: {{cluster: {name}, user: {name}}}}}]\n"
    )
    path.write_text(text)
    return path


def test_a_kubeconfig_list_is_split_on_the_path_separator_and_the_home_expanded() -> None:
    assert kubeconfig_paths(f"~/a{os.pathsep}{os.pathsep}/b") == [Path("~/a").expanduser(), Path("/b")]


def test_a_colon_separated_kubeconfig_merges_its_files_and_skips_missing_ones(tmp_path: Path) -> None:
    first = kubeconfig(tmp_path / "eks", "eks", "https://127.0.0.1:6443", current=True)
    second = kubeconfig(tmp_path / "bed", "bed", "https://127.0.0.2:6443", current=False)
    listed = os.pathsep.join([str(tmp_path / "absent"), str(first), str(second)])

    assert api_client(listed).configuration.host == "https://127.0.0.1:6443"
    assert api_client(listed, context="bed").configuration.host == "https://127.0.0.2:6443"


def test_a_kubeconfig_list_of_missing_files_is_one_line_of_bad_input(tmp_path: Path) -> None:
    listed = os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])
    with pytest.raises(InputError, match=f"^{re.escape(f'kubeconfig not found: {listed}')}$"):
        api_client(listed)


@pytest.fixture
def pod_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A process that looks like a pod: no kubeconfig at all, the service host set, a token mounted."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("pod-token")
    ca.write_text("not checked until a request is made")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    return tmp_path


@pytest.mark.usefixtures("pod_environment")
def test_inside_a_pod_without_a_kubeconfig_the_in_cluster_config_is_used() -> None:
    configured = api_client().configuration
    assert configured.host == "https://10.96.0.1:443"
    assert configured.get_api_key_with_prefix("BearerToken") == "bearer pod-token"


@pytest.mark.usefixtures("pod_environment")
def test_a_context_in_a_pod_without_a_kubeconfig_is_bad_input() -> None:
    with pytest.raises(InputError, match=r"^--context eks needs a kubeconfig; in a pod"):
        api_client(context="eks")


def test_a_kubeconfig_in_the_home_wins_over_the_in_cluster_config(
    pod_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = pod_environment / "home" / ".kube"
    home.mkdir(parents=True)
    kubeconfig(home / "config", "eks", "https://127.0.0.1:6443", current=True)
    monkeypatch.setattr("netconform.adapters.kube.client.DEFAULT_KUBECONFIG", home / "config")
    assert api_client().configuration.host == "https://127.0.0.1:6443"
