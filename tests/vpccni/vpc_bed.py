"""Helpers of the VPC CNI tier (kubectl against the bed, the probe pod)."""

from __future__ import annotations

import subprocess
from typing import Any

POD_READY_S = 120


def kubectl(*args: str, check: bool = True, timeout: float = 150) -> str:
    result = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def probe_pod(name: str, node: str) -> dict[str, Any]:
    from netconform.testbed.images import PROBE_IMAGE

    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "vpccni-probe"}},
        "spec": {
            "nodeName": node,
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {"name": "c", "image": PROBE_IMAGE, "imagePullPolicy": "Never", "args": ["netexec"]}
            ],
        },
    }
