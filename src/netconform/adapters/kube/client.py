"""Building API clients from a kubeconfig (or the pod's in-cluster config), with errors translated to one-line
harness errors.

Where the configuration comes from, as kubectl decides it:
- an explicit ``--kubeconfig`` (or $KUBECONFIG): one path or a list joined by ``os.pathsep``; files of the
  list that do not exist are skipped, as kubectl skips them, and the rest are merged by the client's loader;
- else ``~/.kube/config`` when it exists;
- else, inside a pod (KUBERNETES_SERVICE_HOST set, a ServiceAccount token mounted), the in-cluster config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from netconform.errors import InputError

DEFAULT_KUBECONFIG = Path("~/.kube/config")


def kubeconfig_paths(kubeconfig: Path | str) -> list[Path]:
    """The files of a kubeconfig list (``a:b``), in order, user home expanded; empty entries dropped."""
    return [Path(part).expanduser() for part in str(kubeconfig).split(os.pathsep) if part]


def in_cluster(environ: Mapping[str, str] | None = None) -> bool:
    """True inside a pod whose ServiceAccount token is mounted: the in-cluster config applies."""
    env = os.environ if environ is None else environ
    token = Path(config.incluster_config.SERVICE_TOKEN_FILENAME)
    return bool(env.get("KUBERNETES_SERVICE_HOST")) and token.exists()


def api_client(kubeconfig: Path | str | None = None, context: str | None = None) -> client.ApiClient:
    """An ApiClient for ``kubeconfig`` (default: $KUBECONFIG, ~/.kube/config, in-cluster) and ``context``."""
    if kubeconfig is None and not DEFAULT_KUBECONFIG.expanduser().exists() and in_cluster():
        return _in_cluster_client(context)
    if kubeconfig is not None and not any(path.exists() for path in kubeconfig_paths(kubeconfig)):
        raise InputError(f"kubeconfig not found: {kubeconfig}")
    try:
        return config.new_client_from_config(
            config_file=str(kubeconfig) if kubeconfig else None, context=context
        )
    except ConfigException as err:
        where = kubeconfig or "the default kubeconfig"
        raise InputError(f"cannot use kubeconfig {where}: {err}") from err
    except FileNotFoundError as err:
        raise InputError(f"kubeconfig not found: {err.filename}") from err
    except yaml.YAMLError as err:
        where = kubeconfig or "the default kubeconfig"
        problem = str(getattr(err, "problem", None) or err).splitlines()[0]
        raise InputError(f"kubeconfig {where} is not valid YAML: {problem}") from err
    except (TypeError, AttributeError, KeyError, ValueError) as err:
        # The client's loader assumes a mapping of lists; anything else fails deep inside it.
        where = kubeconfig or "the default kubeconfig"
        raise InputError(
            f"kubeconfig {where} is not a kubeconfig (expected clusters, contexts, users)"
        ) from err


def _in_cluster_client(context: str | None) -> client.ApiClient:
    if context is not None:
        raise InputError(f"--context {context} needs a kubeconfig; in a pod the in-cluster config has none")
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except ConfigException as err:
        raise InputError(f"cannot use the in-cluster config: {err}") from err
    return client.ApiClient(configuration=configuration)
