"""The EKS add-on's ``configurationValues`` document, read once for every area that looks inside it.

Density reads the vpc-cni warm-pool settings from it and upgrade validation checks it against the target
version's schema; core areas do not import each other, so the parser lives here.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


def configuration_document(text: str | None) -> dict[str, Any] | None:
    """Parse ``configurationValues`` (EKS accepts JSON or YAML). Raises ValueError when it is neither."""
    if text is None or not text.strip():
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ValueError(f"neither JSON nor YAML: {err}") from err
    if not isinstance(doc, dict):
        raise ValueError("the top level is not an object")
    return doc
