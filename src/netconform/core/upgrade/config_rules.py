"""Rules on the add-on's configuration: valid for the target's schema, and no drift in the running aws-node.

EKS validates ``configurationValues`` against ``DescribeAddonConfiguration().configurationSchema`` when the
add-on is updated; these rules validate them the same way *before* the update.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import jsonschema.exceptions

from netconform.core.addon_config import configuration_document
from netconform.core.findings import Finding, Severity, evidence
from netconform.core.upgrade.codes import Code
from netconform.core.upgrade.facts import PreflightInputs, configured_env


def _schema_errors(schema_text: str, document: Any) -> list[str] | None:
    """Validation errors as ``path: message``; None when the schema itself cannot be used."""
    try:
        schema = json.loads(schema_text)
        validator_cls = jsonschema.validators.validator_for(schema)
        validator_cls.check_schema(schema)
    except (ValueError, jsonschema.exceptions.SchemaError):
        return None
    validator = validator_cls(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]


def check_configuration(inputs: PreflightInputs) -> list[Finding]:
    addon = inputs.addon
    if addon is None:
        return []
    try:
        document = configuration_document(addon.configuration_values)
    except ValueError as err:
        return [
            Finding(
                Severity.ERROR,
                Code.CONFIG_UNPARSEABLE,
                f"the add-on's configurationValues cannot be parsed: {err}",
                fix='Rewrite configurationValues as a JSON object, e.g. \'{"env":{"WARM_IP_TARGET":"5"}}\'.',
            )
        ]
    if document is None:
        return [Finding(Severity.INFO, Code.CONFIG_DEFAULTS, "no configurationValues: EKS defaults apply")]
    if inputs.target_schema is None:
        return []  # no target to validate against; check_target already says why
    errors = _schema_errors(inputs.target_schema, document)
    if errors is None:
        return [
            Finding(
                Severity.WARNING,
                Code.CONFIG_SCHEMA_UNREADABLE,
                f"the configuration schema of {inputs.target} is not a usable JSON Schema; not validated",
            )
        ]
    if errors:
        return [
            Finding(
                Severity.ERROR,
                Code.CONFIG_INVALID_FOR_TARGET,
                f"configurationValues would be rejected by {inputs.target}: {len(errors)} schema error(s)",
                evidence({f"error {n}": e for n, e in enumerate(errors[:10], start=1)}),
                f"Fix the values (schema: `aws eks describe-addon-configuration --addon-name vpc-cni "
                f"--addon-version {inputs.target}`) and pass them with update-addon --configuration-values.",
            )
        ]
    return [Finding(Severity.INFO, Code.CONFIG_VALID, f"configurationValues are valid for {inputs.target}")]


# Settings people change with `kubectl set env` and their documented defaults (README "CNI Configuration
# Variables"); None = unset by default. Other variables differ by version, so we do not judge them.
TUNING_DEFAULTS: Mapping[str, str | None] = {
    "ENABLE_PREFIX_DELEGATION": "false",
    "WARM_ENI_TARGET": "1",
    "WARM_PREFIX_TARGET": "1",
    "WARM_IP_TARGET": None,
    "MINIMUM_IP_TARGET": None,
    "MAX_ENI": None,
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
    "AWS_VPC_K8S_CNI_EXTERNALSNAT": "false",
    "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": None,
    "ENABLE_POD_ENI": "false",
    "POD_SECURITY_GROUP_ENFORCING_MODE": "strict",
}


def check_aws_node_drift(inputs: PreflightInputs) -> list[Finding]:
    running = inputs.aws_node_env
    if running is None:
        return [
            Finding(
                Severity.INFO,
                Code.IN_CLUSTER_SKIPPED,
                "in-cluster checks skipped: aws-node env drift was not checked",
                fix="Pass --aws-node-env FILE (the aws-node container env as JSON or YAML).",
            )
        ]
    if inputs.addon is None:
        return []  # self-managed: there is no add-on configuration to drift from
    configured = configured_env(inputs.addon)
    drift: dict[str, str] = {}
    for name, value in sorted(configured.items()):
        if running.get(name) != value:
            drift[name] = f"add-on configures {value!r}, aws-node runs {running.get(name)!r}"
    for name, default in TUNING_DEFAULTS.items():
        if name not in configured and name in running and running[name] != default:
            drift[name] = f"aws-node runs {running[name]!r}, not in the add-on configuration"
    if not drift:
        return [
            Finding(Severity.INFO, Code.AWS_NODE_ENV_MATCHES, "aws-node env matches the add-on configuration")
        ]
    return [
        Finding(
            Severity.WARNING,
            Code.AWS_NODE_ENV_DRIFT,
            f"aws-node env differs from the add-on configuration in {len(drift)} variable(s) "
            "(edited in-cluster, e.g. kubectl set env)",
            evidence(drift),
            "Move the values into the add-on (update-addon --configuration-values '{\"env\":{...}}'); "
            "--resolve-conflicts OVERWRITE reverts in-cluster edits, PRESERVE keeps them unmanaged.",
        )
    ]
