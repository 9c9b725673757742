#!/usr/bin/env bash
# The VPC CNI tier of `make test` (issue 16): four short bring-ups of the bed with the real aws-node against
# aws-emu, each by the session runner (which tears its bed down however the command ends), and what each
# bring-up exists to prove. Every pytest pass must pass; exit code 5 (nothing collected) is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
SESSION=("$BIN/python" -m netconform.testbed.session --nodes 2 --cni vpc-cni)
status=0

run() {
  echo "=== vpc-cni tier: $*"
  "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then echo "=== vpc-cni tier: failed (exit $rc): $*" >&2; status=1; fi
}

# Secondary-IP mode on t3.small, starting from v1.22.4: ENI addresses in EC2, cross-ENI and cross-node
# traffic, detection, SNAT only in node namespaces, the density fill at the ENI ceiling, the rolling update to
# v1.23.2 between two suite runs (the files after test_upgrade.py then run on v1.23.2), the warm-pool model
# against EC2.
run "${SESSION[@]}" --vpc-cni-version v1.22.4 -- $BIN/pytest tests/vpccni
# MAX_ENI=1: the fill stops at the primary ENI's addresses.
run "${SESSION[@]}" --aws-node-env MAX_ENI=1 -- $BIN/pytest tests/vpccni/test_density_fill.py
# Prefix delegation on t3.micro: /28 prefixes in EC2, and the fill at the prefix ceiling.
run "${SESSION[@]}" --prefix-delegation --instance-type t3.micro -- \
  $BIN/pytest tests/vpccni/test_prefixes.py tests/vpccni/test_density_fill.py
# The suites as `make conformance` runs them on this profile, on a type whose ceiling (29) holds the netpol
# topology's pinned pods: smoke (cross-ENI included), apiserver, density, and the netpol catalog by pod IP.
run "${SESSION[@]}" --instance-type m5.large -- \
  $BIN/pytest suites -n 2 -k "not service-ip and not service-dns" -rs
exit "$status"
