"""Reading a known-deviations file (YAML or JSON) into core.netpol.deviations; bundled files by name."""

from __future__ import annotations

from pathlib import Path

import yaml

from netconform.core.netpol.deviations import Deviations, DeviationsError, parse_deviations

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "deviations"


def bundled(name: str) -> Path:
    """A deviations file shipped with netconform, e.g. ``testbed-kube-router``."""
    return BUNDLED / f"{name}.yaml"


def read_deviations(path: Path) -> Deviations:
    """The file's deviations; DeviationsError (one line) when it cannot be read or is malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise DeviationsError(f"{path}: cannot read the deviations file ({err.strerror or err})") from err
    try:
        document = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DeviationsError(f"{path}: not valid YAML{where}") from err
    return parse_deviations(document, str(path))
