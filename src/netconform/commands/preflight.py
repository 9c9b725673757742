"""`netconform preflight`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("preflight", help="(not yet implemented)")
    parser.set_defaults(func=lambda _args: 2)
