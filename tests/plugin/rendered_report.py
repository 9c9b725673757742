"""Render an Allure report as a reader opens it: `reports/make-report.sh`'s steps, then headless Chromium.

Needs the pinned Allure CLI (`npm ci`, which `make report` runs) and Debian's chromium. ``NEEDS_TOOLS``:
`make test` installs both and sets NETCONFORM_REQUIRE_TOOLS=1, so there a missing tool fails the test instead
of skipping it (the acceptance checks must not vanish silently in CI).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from child_pytest import REPO

ALLURE = REPO / "node_modules" / ".bin" / "allure"
CHROMIUM = shutil.which("chromium")

NEEDS_TOOLS = (
    []
    if os.environ.get("NETCONFORM_REQUIRE_TOOLS") == "1"
    else [
        pytest.mark.skipif(
            not ALLURE.exists(), reason="Allure CLI not installed: run `npm ci` (make report does)"
        ),
        pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)"),
    ]
)


def rendered_dom(url: str) -> str:
    """The DOM after the page's scripts ran (the report is a single-page app: the file alone says nothing)."""
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def text_of(dom: str) -> str:
    """What a reader sees of a DOM: its text, scripts and styles left out, whitespace collapsed."""
    dom = re.sub(r"<(script|style)[\s\S]*?</\1>", " ", dom)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def generate(workdir: Path, results: str = "results", *, overview: bool = False) -> Path:
    """`make report` on ``workdir/results``: Allure, the analytics strip and (optionally) the run overview."""
    subprocess.run(
        [str(ALLURE), "generate", "--config", "allurerc.json", results],
        cwd=workdir,
        capture_output=True,
        timeout=180,
        check=True,
    )
    out = workdir / "reports" / "allure-report"
    subprocess.run(
        ["python3", str(REPO / "reports" / "strip_analytics.py"), str(out / "index.html")], check=True
    )
    if overview:
        subprocess.run(
            [sys.executable, str(REPO / "reports" / "overview.py"), str(workdir / results), str(out),
             str(workdir / "reports" / "history" / "overview.jsonl")],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    return out / "index.html"
