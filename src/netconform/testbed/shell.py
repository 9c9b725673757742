"""Running host commands for the test bed, with a bound and a readable failure."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from netconform.errors import CannotCheck

_DEFAULT_TIMEOUT_S = 60.0


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    stdin: str | None = None,
) -> str:
    """Run ``argv`` and return its stdout; raise a one-line CannotCheck on failure when ``check``."""
    try:
        result = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError as err:
        raise CannotCheck(f"test bed: command not found: {argv[0]} (run `make system-deps`)") from err
    except subprocess.TimeoutExpired as err:
        raise CannotCheck(f"test bed: `{' '.join(argv)}` did not finish within {timeout_s:g}s") from err
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise CannotCheck(
            f"test bed: `{' '.join(argv)}` failed: {detail[-1] if detail else result.returncode}"
        )
    return result.stdout


def succeeds(argv: Sequence[str], timeout_s: float = _DEFAULT_TIMEOUT_S) -> bool:
    try:
        return subprocess.run(list(argv), capture_output=True, timeout=timeout_s, check=False).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
