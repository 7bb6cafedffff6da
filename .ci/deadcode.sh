#!/usr/bin/env bash
# Runs deadcode on every program of the module and fails on a report that
# .ci/deadcode.allow does not cover (see that file for its format).
set -euo pipefail
cd "$(dirname "$0")/.."
version=v0.52.0 # golang.org/x/tools
report=$(go run "golang.org/x/tools/cmd/deadcode@$version" ./...)
allow=$(sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' .ci/deadcode.allow)
bad=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  file=${line%%:*}
  fn=${line##*unreachable func: }
  dir=$(dirname "$file")/
  if grep -qxF "$file $fn" <<<"$allow" || grep -qxF "$file *" <<<"$allow" || grep -qxF "$dir *" <<<"$allow"; then
    continue
  fi
  echo "dead code not in .ci/deadcode.allow: $line"
  bad=1
done <<<"$report"
exit $bad
