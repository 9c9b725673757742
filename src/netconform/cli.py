"""The ``netconform`` command: everything that is not a test run."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

import urllib3
from kubernetes.client.exceptions import ApiException

from netconform import __version__
from netconform.adapters.kube.errors import raise_wrapped_interrupt, translate
from netconform.errors import ExitCode, NetconformError

# Sub-command modules under netconform.commands; each registers its own parser.
COMMAND_MODULES = ("run", "incluster", "maxpods", "policy", "detect", "preflight", "diff", "sweep", "testbed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netconform",
        description="Conformance harness for Kubernetes pod networking on Amazon EKS.",
    )
    parser.add_argument("--version", action="version", version=f"netconform {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"netconform.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # `run` hands every argument it does not know to pytest; any other command rejects them as usual.
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return _call(func, args)
    except NetconformError as err:
        if args.debug:
            raise
        print(f"netconform: error: {err}", file=sys.stderr)
        # `run` and the in-cluster commands answer with a pytest run's codes (errors.RunExitCode).
        return int(err.run_exit_code if getattr(args, "run_exit_codes", False) else err.exit_code)
    except (ApiException, urllib3.exceptions.HTTPError) as raw:
        # A Kubernetes call that escaped the translated wrapper: still an environment problem (exit 3, one
        # line, the API server's own message), never a traceback with exit 1.
        if args.debug:
            raise
        kube_error = translate(raw, f"netconform {args.command}: an API call failed")
        print(f"netconform: error: {kube_error}", file=sys.stderr)
        codes = (kube_error.run_exit_code, kube_error.exit_code)
        return int(codes[0] if getattr(args, "run_exit_codes", False) else codes[1])
    except KeyboardInterrupt:
        print("netconform: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # `netconform ... | head`: the reader left; stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)


def _call(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return int(func(args))
    except ApiException as raw:  # an interrupt the kubernetes client wrapped goes to main's own handler
        raise_wrapped_interrupt(raw)
        raise


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
