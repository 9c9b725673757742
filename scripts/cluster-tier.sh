#!/usr/bin/env bash
# The cluster tier of `make test`, run by the test-bed session runner (KUBECONFIG etc. are exported).
# Every pytest pass must pass; pytest's exit code 5 (nothing collected) counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

run() {
  echo "=== cluster tier: $*"
  "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then echo "=== cluster tier: failed (exit $rc): $*" >&2; status=1; fi
}

# The harness's own checks of the test bed, then every suite against the routable topology.
run $BIN/pytest tests/cluster suites

exit "$status"
