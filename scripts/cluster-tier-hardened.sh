#!/usr/bin/env bash
# The hardened cluster tier of `make test`: the harness against `testbed up --hardened` (PodSecurity
# restricted, the bed's policy webhook, a tainted node, Windows/Fargate/virtual fake nodes, quota, LimitRange
# and a generated default-deny). Run by the test-bed session runner, which exports KUBECONFIG etc.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

run() {
  echo "=== hardened tier: $*"
  "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then echo "=== hardened tier: failed (exit $rc): $*" >&2; status=1; fi
}

# Stops, denials and placement (each child run a few seconds), then the smoke suite as a user runs it after
# excluding the harness's namespaces from the generate rule (README: Hardened clusters).
run $BIN/pytest tests/cluster_hardened
run $BIN/python -c 'import sys; sys.path.insert(0, "tests/cluster_hardened"); import generate_rule as g; g.set_exclusion(g.EXCLUDE)'
run $BIN/pytest suites/smoke
run $BIN/python -c 'import sys; sys.path.insert(0, "tests/cluster_hardened"); import generate_rule as g; g.set_exclusion(None)'
exit "$status"
