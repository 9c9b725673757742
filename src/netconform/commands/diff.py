"""`netconform diff BEFORE AFTER`: which conformance verdicts changed between two runs."""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path
from typing import Any

from netconform.adapters.junit import load_run
from netconform.core.run import diff as run_diff
from netconform.errors import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff",
        help="compare two conformance runs (JUnit XML): new failures first",
        description="Compare the verdicts of two runs, e.g. before and after a vpc-cni add-on upgrade. "
        "Exit 1 when a test newly fails or disappears.",
    )
    parser.add_argument("before", type=Path, help="JUnit XML of the earlier run (e.g. a stored baseline)")
    parser.add_argument("after", type=Path, help="JUnit XML of the later run (e.g. reports/junit.xml)")
    parser.add_argument("--output", choices=("text", "json"), default="text")
    parser.add_argument(
        "--alluredir", type=Path, help="also write the diff as an Allure result with attachments"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    before, after = load_run(args.before), load_run(args.after)
    changes = run_diff.diff_runs(before, after)
    if args.output == "json":
        print(
            json.dumps(
                {
                    "before": before.counts(),
                    "after": after.counts(),
                    "regressions": len(run_diff.regressions(changes)),
                    "changes": [
                        {
                            "kind": c.kind.name.lower(),
                            "test": c.test_id,
                            "before": c.before.outcome.value if c.before else None,
                            "after": c.after.outcome.value if c.after else None,
                            "message": c.after.message if c.after else "",
                        }
                        for c in changes
                    ],
                },
                indent=2,
            )
        )
    else:
        print(run_diff.render_text(before, after, changes))
    if args.alluredir:
        write_allure_result(args.alluredir, before, after, changes)
    return ExitCode.FINDINGS if run_diff.regressions(changes) else ExitCode.OK


def write_allure_result(
    directory: Path, before: run_diff.Run, after: run_diff.Run, changes: list[run_diff.Change]
) -> None:
    """One Allure result, "before/after conformance diff", carrying the text and HTML diff as attachments."""
    directory.mkdir(parents=True, exist_ok=True)
    attachments = []
    for body, mime, ext in (
        (run_diff.render_text(before, after, changes), "text/plain", "txt"),
        (run_diff.render_html(before, after, changes), "text/html", "html"),
    ):
        source = f"{uuid.uuid4()}-attachment.{ext}"
        (directory / source).write_text(body)
        attachments.append({"name": f"conformance diff ({ext})", "source": source, "type": mime})
    regressed = run_diff.regressions(changes)
    result = {
        "uuid": str(uuid.uuid4()),
        "name": "before/after conformance diff",
        "fullName": "netconform.diff",
        "status": "failed" if regressed else "passed",
        "statusDetails": {"message": f"{len(regressed)} regression(s)"} if regressed else {},
        "attachments": attachments,
        "labels": [{"name": "epic", "value": "upgrade"}, {"name": "feature", "value": "before/after diff"}],
    }
    (directory / f"{result['uuid']}-result.json").write_text(json.dumps(result))
