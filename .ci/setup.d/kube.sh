# Sourced by .ci/run (set -euo pipefail is on): builds kube-apiserver and
# etcd from the Go module proxy for internal/kubetest, or reuses the ones in
# the cache, and exports where they are. A cold build takes several minutes.
kube_paths=$(bash hack/build-kube.sh)
while IFS= read -r kube_line; do
  case "$kube_line" in
    HEADROOM_KUBE_APISERVER=* | HEADROOM_ETCD=*) export "$kube_line" ;;
  esac
done <<<"$kube_paths"
unset kube_paths kube_line
: "${HEADROOM_KUBE_APISERVER:?hack/build-kube.sh printed no HEADROOM_KUBE_APISERVER= line}"
: "${HEADROOM_ETCD:?hack/build-kube.sh printed no HEADROOM_ETCD= line}"
echo "kube-apiserver: $HEADROOM_KUBE_APISERVER"
echo "etcd: $HEADROOM_ETCD"
