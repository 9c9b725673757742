"""Building API clients from a kubeconfig, with errors translated to one-line harness errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from netconform.errors import InputError


def api_client(kubeconfig: Path | None = None, context: str | None = None) -> client.ApiClient:
    """An ApiClient for ``kubeconfig`` (default: $KUBECONFIG or ~/.kube/config) and ``context``."""
    if kubeconfig is not None and not kubeconfig.exists():
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
