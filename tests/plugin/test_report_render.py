"""Issue 20's acceptance, on what a reader sees: a small run of two areas (the netpol suite against the
simulated cluster, with known deviations and a wrong cell; a smoke module with a skip), rendered by
`make report`'s steps and read back from headless Chromium's DOM.

- the overview's counts per area equal the tests that ran (known deviations apart from skips);
- a known-deviation test shows one paragraph per deviation (2 deviations covering 5 cells: 2 paragraphs);
- no parameter value on a test page is longer than 80 characters;
- titles in the tree carry no underscores or brackets from Python ids.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from netpol_simulation import REPO, netpol_suite
from rendered_report import NEEDS_TOOLS, generate, rendered_dom, text_of

pytest_plugins = ["pytester"]
pytestmark = NEEDS_TOOLS

# y/a -> x/b on 80/TCP, and z/c -> x/a, x/b on 80 and 81/TCP, always connect.
FLIPS = ",".join(["y/a->x/b 80/TCP"] + [f"z/c->x/{pod} {port}/TCP" for pod in "ab" for port in (80, 81)])
DEVIATIONS = """
cni: simulated
deviations:
  - id: lets-y-a-through
    cases: [deny-all-ingress]
    modes: [pod-ip]
    cells: ["y/a -> x/b 80/TCP"]
    reason: the simulated CNI lets y/a reach x/b
    link: https://example.org/simulated/1
  - id: z-c-reaches-x
    cases: [deny-all-ingress]
    modes: [pod-ip]
    cells: ["z/c -> x/* */TCP"]
    reason: the simulated CNI lets z/c reach x/a and x/b over TCP
    link: https://example.org/simulated/3
  - id: no-sctp
    protocols: [SCTP]
    reason: no SCTP in the simulated kernel
    link: https://example.org/simulated/2
"""
SMOKE = """
import pytest

pytestmark = pytest.mark.smoke

def test_pod_reaches_pod(): pass

@pytest.mark.parametrize("node_type", ["m5_large"])
def test_pods_per_node_type(node_type): pass

def test_dns_from_host_network(): pytest.skip("no host-network pods on this cluster")
"""
NETPOL = "test_networkpolicy.py::test_networkpolicy"
SELECTED = {
    f"{NETPOL}[deny-all-ingress[pod-ip]]": "known",  # 5 wrong cells, all covered by two deviations
    f"{NETPOL}[deny-all-ingress[service-ip]]": "failed",  # the deviations are declared for pod-ip only
    f"{NETPOL}[sctp-deny-all-ingress[pod-ip]]": "known",  # no SCTP: the whole protocol
    f"{NETPOL}[deny-all-egress[pod-ip]]": "passed",  # the flipped cells are allowed here anyway
}
EXPECTED_COUNTS = {
    "netpol": {"passed": 1, "failed": 1, "known": 2, "skipped": 0},
    "smoke": {"passed": 2, "failed": 0, "known": 0, "skipped": 1},
}
PYTHON_ID = re.compile(r"[_\[\]]")


@pytest.fixture
def rendered(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    suite = netpol_suite(pytester, monkeypatch)
    suite.makepyfile(test_smoke_checks=SMOKE)
    (suite.path / "deviations.yaml").write_text(DEVIATIONS)
    shutil.copy(REPO / "reports" / "allurerc.json", suite.path / "allurerc.json")
    monkeypatch.setenv("NETPOL_SIM_FLIP", FLIPS)
    result = suite.runpytest_subprocess(
        "-p", "no:randomly", "--alluredir", "results", "--netpol-deviations=deviations.yaml",
        *SELECTED, "test_smoke_checks.py",
    )  # fmt: skip
    result.assert_outcomes(passed=3, failed=1, xfailed=2, skipped=1)
    index = generate(suite.path, overview=True)
    names = {
        k: v["name"] for k, v in json.loads((index.parent / "test-results.json").read_text())["byId"].items()
    }
    return index, names


def _cells(dom: str, area: str) -> dict[str, int]:
    row = re.search(rf'<tr class="nc-area" data-area="{area}">(.*?)</tr>', dom)
    assert row, f"no row for {area} in the overview"
    return {c: int(n) for c, n in re.findall(r'data-column="(\w+)">\S+ (\d+)</td>', row.group(1))}


def _parameters(dom: str) -> dict[str, str]:
    """The Parameters block of a test page: key -> value as shown."""
    block = dom.split(">Parameters<", 1)[1].split(">Labels<", 1)[0]
    keys = [
        text_of(k).strip() for k in re.findall(r'data-testid="metadata-item-key"[^>]*>(.*?)</span>', block)
    ]
    values = re.findall(r'data-testid="metadata-item-value"[^>]*>(.*?)</div></div></div>', block)
    return dict(zip(keys, (text_of(v).strip() for v in values), strict=True))


def _description(dom: str) -> str:
    """The description HTML Allure shows in its own frame (srcdoc), as the reader's page has it."""
    frames = re.findall(r'<iframe[^>]*srcdoc="([^"]*)"', dom)
    return "\n".join(html.unescape(f) for f in frames)


def test_the_report_reads_at_a_glance(rendered: tuple[Path, dict[str, str]]) -> None:
    index, names = rendered
    by_name = {name: uid for uid, name in names.items()}

    # The overview counts what ran, per area, with known deviations apart from skips.
    overview = rendered_dom((index.parent / "overview.html").as_uri())
    for area, counts in EXPECTED_COUNTS.items():
        assert _cells(overview, area) == counts, area
    assert "lets-y-a-through" in text_of(overview)

    # Titles in the tree: words, no Python ids (the parametrized smoke test included).
    tree = rendered_dom(index.as_uri())
    titles = [
        text_of(t).strip() for t in re.findall(r'data-testid="tree-(?:leaf|section)-title"[^>]*>(.*?)<', tree)
    ]
    assert len(titles) >= 3, titles
    assert [t for t in titles if PYTHON_ID.search(t)] == []
    assert [n for n in names.values() if PYTHON_ID.search(n)] == []
    assert "Pods per node type — m5 large" in names.values()

    # The known-deviation test: one paragraph per deviation (2), not one per covered cell (5).
    known = rendered_dom(f"{index.as_uri()}#{by_name['Deny all ingress in x, via pod IP']}")
    shown = text_of(known)
    assert "Category: Known deviations" in shown
    message = shown.split(" Error ", 1)[1].split(" Parameters ", 1)[0]  # the status message block
    for dev in ("lets-y-a-through", "z-c-reaches-x"):
        assert message.count(f"{dev}: covers ") == 1, message  # once: no XFailed repeat, no trace
    assert message.count("covers ") == 2, message  # one line per deviation, not one per covered cell
    assert "the simulated CNI" not in message  # the status names cells; the reason is the description's
    paragraphs = re.findall(r'<p class="nc-known">(.*?)</p>', _description(known))
    assert len(paragraphs) == 2, paragraphs
    assert all("the simulated CNI" in p for p in paragraphs), paragraphs
    assert "z/c -&gt; x/a,x/b on 80,81/TCP" in paragraphs[1] or "z/c -> x/a,x/b on 80,81/TCP" in paragraphs[1]

    # Parameters: short and meaningful, on the known and on the failing test's page.
    failed = rendered_dom(f"{index.as_uri()}#{by_name['Deny all ingress in x, via Service IP']}")
    for page in (known, failed):
        parameters = _parameters(page)
        assert {"case", "mode", "protocols"} <= set(parameters), parameters
        assert [v for v in parameters.values() if len(v) > 80] == []
    assert _parameters(failed)["mode"] == "service-ip"
    # The failing test's grids are inline, its wrong cells with the kubectl exec line beside them.
    wrong = re.findall(r'<li class="nc-wrong-cell">(.*?)</li>', _description(failed), re.S)
    assert len(wrong) == 5
    assert all("kubectl exec -n nc-sim-" in w for w in wrong)
