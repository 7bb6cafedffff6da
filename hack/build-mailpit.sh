#!/usr/bin/env bash
# Builds mailpit (github.com/axllent/mailpit), the SMTP server internal/mailtest
# runs, from the Go module proxy into a cache directory named after its
# version and the Go version; a second run reuses it. Progress goes to stderr;
# the last line on stdout is
#   HEADROOM_MAILPIT=<path>
# With --print it builds nothing and prints where the binary is or would be.
#
# internal/mailtest finds the binary without the variable from the same
# directory (mailtest.Version, runtime.Version()): keep the two in step.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.33.1
go_version=$(go env GOVERSION)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/headroom/mailpit/$version-$go_version"

case "${1:-}" in
  "") ;;
  --print) echo "HEADROOM_MAILPIT=$dir/mailpit"; exit 0 ;;
  *) echo "build-mailpit: unknown argument $1; want none, or --print to print the path without building" >&2; exit 2 ;;
esac

if [ -x "$dir/mailpit" ]; then
  echo "build-mailpit: reusing $dir/mailpit" >&2
else
  echo "build-mailpit: building mailpit $version into $dir ($go_version)" >&2
  mkdir -p "$(dirname "$dir")"
  # Built beside the final directory and renamed into place, so that an
  # interrupted build is never taken for a finished one. `go install
  # pkg@version` builds with mailpit's own go.mod and go.sum (checked against
  # the checksum database), not ours.
  tmp=$(mktemp -d "$dir.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  start=$SECONDS
  (cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath -ldflags "-s -w" "github.com/axllent/mailpit@$version")
  echo "build-mailpit: built after $((SECONDS - start))s" >&2
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    [ -x "$dir/mailpit" ] || { echo "build-mailpit: cannot move $tmp to $dir" >&2; exit 1; }
  fi
  trap - EXIT
  rm -rf "$tmp"
fi

echo "HEADROOM_MAILPIT=$dir/mailpit"
