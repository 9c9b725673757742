"""cyclonus v0.5.6 beside netconform on the same bed and cases: wall time, probes/s, the ratio, verdicts.

``python -m bench.bench_cyclonus [--include TAG,...]`` on a running test bed (KUBECONFIG set; root, for the
nodes' containerd). It

1. tags our locally built agnhost (the bed's probe image) as ``registry.k8s.io/e2e-test-images/agnhost:2.43``
   in every node's containerd, the name and tag cyclonus' pods ask for (``IfNotPresent``: nothing is pulled);
2. runs ``cyclonus generate`` with the tags given (cyclonus' default excludes still apply, as in AWS's CI),
   TCP and UDP servers (the bed's kernel has no SCTP), by pod IP, and reads its JUnit file;
3. runs the same cases (our translation, numbered as cyclonus numbers them) through
   ``pytest suites/netpol/test_cyclonus.py``, by pod IP, with the bed's deviations file;
4. prints both wall times, probes per second (cells probed: per step, every ordered pod pair but the self
   pairs, per port/protocol, counted the same way for both tools) and the ratio, and the verdicts.

The cyclonus binary comes from the machine-local cache (``testbed/build.sh cyclonus``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from netconform.core.netpol.cases.cyclonus import DUMP_RESOURCE, bundled, case_id
from netconform.core.netpol.cases.model import POD_KEYS
from netconform.testbed import images
from netconform.testbed.binaries import locate
from netconform.testbed.lifecycle import node_specs
from netconform.testbed.paths import Layout

CYCLONUS_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.43"
# 10 cases (peer-ipblock: 21, 22, 31, 32; target: 6 more), about 10 minutes of cyclonus on the 2-core bed:
# enough cases that our fixed cost (topology deploy, the enforcement check) no longer decides the ratio
DEFAULT_TAGS = ("peer-ipblock", "target")
PAIRS = len(POD_KEYS) * (len(POD_KEYS) - 1)


def tag_agnhost() -> None:
    layout = Layout.default()
    ctr = locate().path("containerd", "ctr")
    for node in node_specs(layout):
        socket = layout.node(node.index).containerd_socket
        subprocess.run(
            [str(ctr), "--address", str(socket), "-n", "k8s.io", "images", "tag", "--force",
             images.PROBE_IMAGE, CYCLONUS_IMAGE],
            check=True, capture_output=True,
        )  # fmt: skip


def selected(tags: Sequence[str]) -> list[tuple[str, int]]:
    """(our case id, steps) of the bundled cases carrying any of the tags, in cyclonus' order."""
    text = resources.files("netconform").joinpath("data", DUMP_RESOURCE).read_text(encoding="utf-8")
    tagged = {
        case_id(number)
        for number, entry in enumerate(json.loads(text), start=1)
        if any(tag in entry["Tags"] for tag in tags)
    }
    return [(case.id, len(case.steps)) for case in bundled().cases if case.id in tagged]


def cyclonus_binary() -> Path:
    """``testbed/build.sh cyclonus`` (a no-op once cached), then the newest cached build's binary."""
    subprocess.run(["testbed/build.sh", "cyclonus"], check=True, capture_output=True)
    built = sorted(Path("/var/cache/netconform/build").glob("cyclonus-*/bin/cyclonus"), key=os.path.getmtime)
    if not built:
        sys.exit("cyclonus is not in the cache: testbed/build.sh cyclonus")
    return built[-1]


def run_cyclonus(tags: Sequence[str], junit: Path, log: Path) -> tuple[float, dict[str, bool]]:
    """cyclonus' run; its own output (truth tables of every step, where a failed verdict is explained) is kept
    in ``log``."""
    binary = cyclonus_binary()
    argv = [
        str(binary), "generate", "--include", ",".join(tags), "--server-protocol", "TCP,UDP",
        "--destination-type", "pod-ip", "--cleanup-namespaces", "--junit-results-file", str(junit),
    ]  # fmt: skip
    started = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    log.write_text(out.stdout + out.stderr, encoding="utf-8")
    if not junit.exists():
        sys.exit(f"cyclonus wrote no JUnit file (exit {out.returncode}): {out.stderr.strip()[-400:]}")
    verdicts = {}
    for number, case in enumerate(ET.parse(junit).getroot().iter("testcase"), start=1):
        # keyed by position too: cyclonus names cases by description, and two cases may share one
        verdicts[f"{number}: {case.get('name')}"] = case.find("failure") is None
    return wall, verdicts


def run_netconform(ids: Sequence[str]) -> tuple[float, int]:
    argv = [
        sys.executable, "-m", "pytest", "suites/netpol/test_cyclonus.py", "-m", "netpol_cyclonus", "-q",
        "-p", "no:cacheprovider", "-k", " or ".join(f"[{i}]" for i in ids),
    ]  # fmt: skip
    started = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, check=False, env=os.environ.copy())
    wall = time.monotonic() - started
    print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-400:])
    return wall, out.returncode


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_cyclonus")
    parser.add_argument("--include", default=",".join(DEFAULT_TAGS), help="cyclonus tags (comma-separated)")
    args = parser.parse_args(argv)
    tags = [t for t in args.include.split(",") if t]
    cases = selected(tags)
    if not cases:
        sys.exit(f"no case of {DUMP_RESOURCE} carries the tag(s) {', '.join(tags)}")
    steps = sum(n for _, n in cases)
    cells = steps * PAIRS * 4  # 80, 81 × TCP, UDP
    tag_agnhost()
    log = Path(tempfile.gettempdir()) / f"bench-cyclonus-{'-'.join(tags)}.log"
    with tempfile.TemporaryDirectory() as tmp:
        cyclonus_s, cyclonus_verdicts = run_cyclonus(tags, Path(tmp) / "junit.xml", log)
    ours_s, ours_rc = run_netconform([i for i, _ in cases])
    print(f"cases: {', '.join(i for i, _ in cases)} ({len(cases)} cases, {steps} steps, {cells} cells)")
    print(f"cyclonus v0.5.6:  {cyclonus_s:7.1f} s  {cells / cyclonus_s:7.1f} probes/s  "
          f"{sum(cyclonus_verdicts.values())}/{len(cyclonus_verdicts)} cases passed")  # fmt: skip
    print(f"netconform:       {ours_s:7.1f} s  {cells / ours_s:7.1f} probes/s  pytest exit {ours_rc}")
    print(f"ratio: {cyclonus_s / ours_s:.1f}x (target >= 10x)")
    print(f"cyclonus per case: {cyclonus_verdicts}")
    print(f"cyclonus' own output (its truth tables): {log}")


if __name__ == "__main__":
    main()
