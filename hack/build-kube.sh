#!/usr/bin/env bash
# Builds the kube-apiserver and etcd that internal/kubetest runs, from the
# modules in hack/kube-apiserver and hack/etcd, into a cache directory keyed
# by what decides the binaries: both modules' go.mod, go.sum and main.go and
# the Go version. A second run with the same key reuses them. Progress goes
# to stderr; the last lines on stdout are
#   HEADROOM_KUBE_APISERVER=<path>
#   HEADROOM_ETCD=<path>
# A cold build takes several minutes on two cores. With --print it builds
# nothing and prints where the binaries are or would be.
#
# internal/kubetest computes the same key (cacheKey in internal/kubetest) to find the
# binaries without the variables: keep the two in step.
set -euo pipefail
cd "$(dirname "$0")/.."

# kube-apiserver reports this version (kubectl version, /version); upstream's
# build sets the same variables from git.
k8s_version=v1.37.2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${k8s_version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"

key_files=(
  hack/kube-apiserver/go.mod hack/kube-apiserver/go.sum hack/kube-apiserver/main.go
  hack/etcd/go.mod hack/etcd/go.sum hack/etcd/main.go
)
go_version=$(cd hack/kube-apiserver && go env GOVERSION)
key=$({ cat "${key_files[@]}"; echo "$go_version"; } | sha256sum | cut -c1-16)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/headroom/kube/$key"

case "${1:-}" in
  "") ;;
  --print)
    echo "HEADROOM_KUBE_APISERVER=$dir/kube-apiserver"
    echo "HEADROOM_ETCD=$dir/etcd"
    exit 0 ;;
  *) echo "build-kube: unknown argument $1; want none, or --print to print the paths without building" >&2; exit 2 ;;
esac

if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ]; then
  echo "build-kube: reusing $dir (key $key, $go_version)" >&2
else
  echo "build-kube: building into $dir (key $key, $go_version); a cold build takes several minutes" >&2
  mkdir -p "$(dirname "$dir")"
  # Build beside the final directory and rename it into place, so that an
  # interrupted build is never taken for a finished one.
  tmp=$(mktemp -d "$dir.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  start=$SECONDS
  echo "build-kube: etcd (go.etcd.io/etcd/server/v3)..." >&2
  (cd hack/etcd && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" .)
  echo "build-kube: etcd built after $((SECONDS - start))s; kube-apiserver (k8s.io/kubernetes ${k8s_version})..." >&2
  (cd hack/kube-apiserver && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/kube-apiserver" .)
  echo "build-kube: kube-apiserver built after $((SECONDS - start))s" >&2
  # Another build of the same key may have finished first: its binaries are
  # the same, so keep them.
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ] || { echo "build-kube: cannot move $tmp to $dir" >&2; exit 1; }
  fi
  trap - EXIT
  rm -rf "$tmp"
fi

echo "HEADROOM_KUBE_APISERVER=$dir/kube-apiserver"
echo "HEADROOM_ETCD=$dir/etcd"
