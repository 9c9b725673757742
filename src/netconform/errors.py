"""The harness's error tree and the one map from it to exit codes (the CLI's and a pytest run's).

Every error a user can cause or meet carries one line of text and both exit codes as class attributes; the
CLI prints the line and exits with ``exit_code``, a pytest run stops with ``run_exit_code``, never a
traceback. Causes are kept (``raise ... from``) for ``--debug``. An error is never a finding: anything not
named below means "could not check".

NetconformError                    could not check (CLI 3, run 9): the safe default
  InputError                       bad input (CLI 2, run 4): a file, an argument, a name
    DeviationsError                core/netpol/deviations.py: the deviations file
  CannotCheck                      the environment stopped us (CLI 3, run 9)
    WaitTimeout                    adapters/waits.py: a named, bounded wait ran out
    PodStartFailure                adapters/kube/cluster.py: the harness's pods cannot start (run 8)
    TopologyNotReady               checks/netpol/topology.py: the netpol pods never answered their probes
    (botocore)                     adapters/aws/errors.py raises these two (AccessDenied names the action)
  KubeError                        adapters/kube/errors.py: an API call failed; .status holds the HTTP status
    NotFound, Conflict             404, 409
    Forbidden                      403, RBAC (a CannotCheck; run 7)
    AdmissionDenied                a policy webhook or admission plugin refused our object (run 10)
    WebhookBroken                  a fail-closed webhook the API server cannot call rejects it (run 11)
    Unauthorized, Transient        401; 429, 5xx and connection errors (CannotCheck; run 6)
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1  # the check ran and found a problem (failed conformance, upgrade blockers); never an error
    USAGE = 2  # bad input: arguments, files, unknown names
    CANNOT_CHECK = 3  # the environment stopped us: credentials, permissions, unreachable cluster
    INTERRUPTED = 130


class RunExitCode(enum.IntEnum):
    """Exit codes of a ``pytest suites`` run. 0-5 are pytest's own: 1 tests failed, 2 interrupted (Ctrl-C,
    SIGTERM), 3 internal error, 4 usage error, 5 no tests; ours start above them."""

    BAD_INPUT = 4  # pytest's usage error: kubeconfig, context, profile, probe image reference, run id
    CANNOT_REACH = 6  # API server unreachable or credentials rejected (expired or invalid token)
    FORBIDDEN = 7  # RBAC: the message names the verb and resource
    PODS_CANNOT_START = 8  # the harness's pods cannot start (image cannot be pulled, invalid, crashes)
    CANNOT_CHECK = 9  # other environment problems (AWS, a bounded wait that ran out)
    ADMISSION_DENIED = 10  # a policy webhook or admission plugin (PodSecurity, quota) refused our objects
    BROKEN_WEBHOOK = 11  # a fail-closed webhook whose backend is missing or unreachable rejects our objects
    FOREIGN_POLICY = 12  # something else puts NetworkPolicies into the harness's namespaces


class NetconformError(Exception):
    """Base of every error the harness raises on purpose. ``str(err)`` is the one line a user sees."""

    exit_code: ExitCode = ExitCode.CANNOT_CHECK
    run_exit_code: RunExitCode = RunExitCode.CANNOT_CHECK


class InputError(NetconformError):
    """The user's input is wrong (a file, an argument, a name). Fix the input and run again."""

    exit_code = ExitCode.USAGE
    run_exit_code = RunExitCode.BAD_INPUT


class CannotCheck(NetconformError):
    """The environment kept us from checking: credentials, RBAC, network, a cluster that is not there."""


def run_exit_code(err: BaseException | str) -> RunExitCode:
    """The pytest run's exit code for what stopped it; anything unexpected could not check."""
    return err.run_exit_code if isinstance(err, NetconformError) else RunExitCode.CANNOT_CHECK
