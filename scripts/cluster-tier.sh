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

# The harness's own checks of the test bed (including suites/apiserver in both topologies and the density
# fill at maxPods 16, each run in a child pytest), then the suites as `make conformance` runs them against
# the routable bed (its detected profile: generic), and the density suite judging the 200 KWOK nodes
# against the ENI math.
run $BIN/pytest tests/cluster
run $BIN/pytest suites --ignore=suites/apiserver
run $BIN/pytest suites/density --profile vpc-cni

exit "$status"
