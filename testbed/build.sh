#!/usr/bin/env bash
# Build the test bed's binaries from the Go module proxy into a machine-local cache outside the repo.
#
#   testbed/build.sh [component ...]     (default: all)
#
# Each component is a wrapper module under testbed/<component>/ (pinned go.mod + go.sum). Its binaries land in
#   $NETCONFORM_CACHE/build/<component>-<key>/bin
# where <key> hashes the wrapper's go.mod and go.sum, the Go version and the build flags, so a change of any
# of them builds afresh and an unchanged one is skipped (the warm path costs a few hashes).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NETCONFORM_CACHE:-/var/cache/netconform}
ALL=(k8s etcd containerd cni kube-router kwok coredns pause dialer)
# The Amazon VPC CNI (issue 16), built only when named: `vpc-cni` = both versions and the awsutils probe. Not in
# ALL, so the bed's default build and its cache keys stay as they were.
VPC_CNI=(vpc-cni-v1.22.4 vpc-cni-v1.23.2 vpc-cni-probe)
# cyclonus v0.5.6, the peer `make bench` runs beside netconform (issue 17): built only when named, not in ALL.
export CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" GOTOOLCHAIN=local

# The wrapper module a component builds from: the probe is a package inside the v1.23.2 wrapper, so it links
# exactly the awsutils (and SDK versions) that ipamd v1.23.2 does.
wrapper_dir() { case "$1" in vpc-cni-probe) echo "$HERE/vpc-cni-v1.23.2" ;; *) echo "$HERE/$1" ;; esac; }

k8s_version() { awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$HERE/k8s/go.mod"; }

ldflags_for() {
  case "$1" in
    k8s)
      local v; v=$(k8s_version); local minor; minor=$(echo "$v" | cut -d. -f2)
      local f="-s -w"
      # Without these every component reports v0.0.0-master, and the node's kubeletVersion with it.
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        f="$f -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
        f="$f -X $p.buildDate=1970-01-01T00:00:00Z"
      done
      echo "$f" ;;
    containerd)
      local v; v=$(awk '$1=="require" && $2=="github.com/containerd/containerd/v2" {print $3}' "$HERE/containerd/go.mod")
      echo "-s -w -X github.com/containerd/containerd/v2/version.Version=$v" ;;
    kube-router) echo "-s -w -checklinkname=0" ;;
    vpc-cni-v*)
      # Upstream's Makefile LDFLAGS, verbatim and on every binary. Their symbol paths lack the module prefix, so
      # the linker ignores them: ipamd's version.Version and the plugins' main.version all stay "", which is
      # what ipamd's gRPC handshake (validateVersion) needs. Setting a real -X on one side only breaks it.
      local v=${1#vpc-cni-}
      echo "-s -w -X pkg/version/info.Version=$v -X pkg/awsutils/awssession.version=$v" ;;
    *) echo "-s -w" ;;
  esac
}

packages_for() {
  local k8s; k8s=$(k8s_version)
  case "$1" in
    k8s) echo k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy} \
              k8s.io/kubernetes/test/images/agnhost ;;
    etcd) echo go.etcd.io/etcd/server/v3 ;;
    containerd) echo github.com/containerd/containerd/v2/cmd/{containerd,containerd-shim-runc-v2,ctr} ;;
    cni) echo github.com/containernetworking/plugins/plugins/{main/bridge,main/loopback,ipam/host-local,meta/portmap} ;;
    kube-router) echo github.com/cloudnativelabs/kube-router/v2/cmd/kube-router ;;
    kwok) echo sigs.k8s.io/kwok/cmd/kwok ;;
    coredns) echo netconform.invalid/testbed/coredns ;;
    pause) echo netconform.invalid/testbed/pause ;;
    dialer) echo netconform.invalid/testbed/dialer ;;
    vpc-cni-v*) echo github.com/aws/amazon-vpc-cni-k8s/cmd/{aws-k8s-agent,routed-eni-cni-plugin,egress-cni-plugin} \
                     github.com/aws/amazon-vpc-cni-k8s/cmd/{aws-vpc-cni,aws-vpc-cni-init,grpc-health-probe} ;;
    vpc-cni-probe) echo netconform.invalid/testbed/vpc-cni-v1.23.2/awsprobe ;;
    cyclonus) echo github.com/mattfenwick/cyclonus/cmd/cyclonus ;;
  esac
}

cache_key() {
  local d; d=$(wrapper_dir "$1")
  { cat "$d/go.mod" "$d/go.sum" 2>/dev/null; [ -f "$d/main.go" ] && cat "$d/main.go"
    [ "$1" = vpc-cni-probe ] && cat "$d/awsprobe/main.go"
    go env GOVERSION; ldflags_for "$1"; packages_for "$1"; } | sha256sum | cut -c1-12
}

bin_dir() { echo "$CACHE/build/$1-$(cache_key "$1")/bin"; }

build_one() {
  local c=$1 out; out=$(bin_dir "$c")
  if [ -f "$out/../.complete" ]; then echo "build: $c cached at $out"; return 0; fi
  local tmp; tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  local start=$SECONDS
  echo "build: $c -> $out"
  # shellcheck disable=SC2046
  (cd "$(wrapper_dir "$c")" && go build -ldflags "$(ldflags_for "$c")" -o "$tmp/" $(packages_for "$c"))
  # etcd's main package is go.etcd.io/etcd/server/v3, which go build names "server".
  if [ "$c" = etcd ]; then mv "$tmp/server" "$tmp/etcd"; fi
  # The names the aws-node image gives them (upstream Makefile `build-linux`).
  if [[ $c = vpc-cni-v* ]]; then
    mv "$tmp/routed-eni-cni-plugin" "$tmp/aws-cni"; mv "$tmp/egress-cni-plugin" "$tmp/egress-cni"
  fi
  rm -rf "$out"; mkdir -p "$(dirname "$out")"; mv "$tmp" "$out"
  echo "$((SECONDS - start))" > "$out/../.complete"
  echo "build: $c done in $((SECONDS - start))s"
}

main() {
  mkdir -p "$CACHE/build"
  local comps=("$@"); [ ${#comps[@]} -eq 0 ] && comps=("${ALL[@]}")
  if [ "${comps[0]}" = "--print-dirs" ]; then
    local which=("${ALL[@]}"); [ "${comps[1]:-}" = vpc-cni ] && which=("${VPC_CNI[@]}")
    for c in "${which[@]}"; do echo "$c=$(bin_dir "$c")"; done; return 0
  fi
  # One build at a time per cache: two (pytest workers, two checkouts) building one component would each
  # replace the other's finished directory while it is in use.
  exec 9>"$CACHE/build/.lock"; flock 9
  local expanded=()
  for c in "${comps[@]}"; do
    if [ "$c" = vpc-cni ]; then expanded+=("${VPC_CNI[@]}"); else expanded+=("$c"); fi
  done
  for c in "${expanded[@]}"; do build_one "$c"; done
}
main "$@"
