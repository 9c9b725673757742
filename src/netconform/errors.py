"""The harness's error tree and the exit codes the CLI maps it to.

Every error a user can cause or meet carries one line of text and an exit code; the CLI prints the line and
exits with the code, never a traceback. Causes are kept (``raise ... from``) for ``--debug``.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1  # the check ran and found a problem (failed conformance, upgrade blockers)
    USAGE = 2  # bad input: arguments, files, unknown names
    CANNOT_CHECK = 3  # the environment stopped us: credentials, permissions, unreachable cluster
    INTERRUPTED = 130


class NetconformError(Exception):
    """Base of every error the harness raises on purpose. ``str(err)`` is the one line a user sees."""

    exit_code: ExitCode = ExitCode.FINDINGS


class InputError(NetconformError):
    """The user's input is wrong (a file, an argument, a name). Fix the input and run again."""

    exit_code = ExitCode.USAGE


class CannotCheck(NetconformError):
    """The environment kept us from checking: credentials, RBAC, network, a cluster that is not there."""

    exit_code = ExitCode.CANNOT_CHECK
