"""`netconform run [pytest args]`: the installed conformance suites, from any directory.

The suites and the plugin ship in the wheel (pyproject.toml maps fixtures/ and suites/ into it), so this
runs exactly what `make conformance` runs in a clone: pytest on the ``suites`` package, with the settings of
``netconform/data/run.ini`` (a clone's pyproject.toml is not there once installed). Everything after
``run`` goes to pytest (``-m smoke``, ``-k``, ``-n 2``, ``--kubeconfig``, ``--alluredir`` ...), so the exit
codes are a pytest run's (README: exit codes). ``--in-cluster`` runs the same inside the cluster instead
(commands/incluster.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from netconform.errors import CannotCheck

RUN_INI = "data/run.ini"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run the installed conformance suites (every other argument goes to pytest)",
        description="Run the conformance suites that ship with netconform, against the current kubeconfig "
        "context (or --kubeconfig/--context), from any directory. Arguments netconform does not know are "
        "pytest's: netconform run -m smoke --alluredir out/allure-results",
        allow_abbrev=False,  # a pytest option must never be taken for a prefix of one of ours
    )
    # The in-cluster flags are registered by commands/incluster.py, which owns them.
    from netconform.commands import incluster

    incluster.add_run_arguments(parser)
    parser.set_defaults(func=run, passthrough=True, run_exit_codes=True)


def suites_dir() -> Path:
    """Where the ``suites`` package lives: the installed one, or a clone's (editable install)."""
    spec = importlib.util.find_spec("suites")
    if spec is None or not spec.submodule_search_locations:
        raise CannotCheck("the conformance suites are not installed (no `suites` package next to netconform)")
    return Path(next(iter(spec.submodule_search_locations)))


def pytest_command(pytest_args: Sequence[str]) -> list[str]:
    """The pytest command line of a local run: the packaged settings, node ids as in a clone (suites/...)."""
    suites = suites_dir()
    ini = resources.files("netconform").joinpath(RUN_INI)
    args = list(pytest_args)
    if args[:1] == ["--"]:
        args = args[1:]
    return [
        sys.executable, "-m", "pytest", "-c", str(ini), "--rootdir", str(suites.parent), *args, str(suites),
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if args.in_cluster:
        from netconform.commands import incluster

        return incluster.run_in_cluster(args)
    # --kubeconfig and --context are pytest's options too: a local run hands them on.
    cluster = [*(["--kubeconfig", str(args.kubeconfig)] if args.kubeconfig else []),
               *(["--context", args.context] if args.context else [])]  # fmt: skip
    command = pytest_command([*cluster, *args.extra])
    sys.stdout.flush()
    # pytest takes the process over: its signals, its exit codes, its output; nothing of ours is left to run.
    os.execv(command[0], command)
    return 0  # not reached
