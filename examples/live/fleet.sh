#!/bin/sh
# The quickstart's fleet, and headroom's command actuator (headroom.yaml's
# command.scale and command.read). It keeps the instance count in a file; a
# real one calls your platform (aws ecs update-service --desired-count N,
# aws ecs describe-services for the count). headroom runs it without a
# shell, from serve's working directory, with the decision in its
# environment (HEADROOM_DESIRED, HEADROOM_REASON_CODE, HEADROOM_REASON).
#
#   ./fleet.sh read       prints the count: that many instances, all ready
#   ./fleet.sh scale N    sets it, and says why in fleet.log
set -eu
state=${FLEET_STATE:-fleet.count}
case "${1:-}" in
read)
  if [ -f "$state" ]; then cat "$state"; else echo 1; fi ;;
scale)
  n=${2:-}
  case "$n" in
  '' | *[!0-9]*) echo "fleet.sh: scale needs a count of instances, got '$n'" >&2; exit 2 ;;
  esac
  # Written beside, then renamed: a read never sees half a number.
  echo "$n" > "$state.tmp"
  mv "$state.tmp" "$state"
  echo "$(date -u +%H:%M:%S) scaled to $n: ${HEADROOM_REASON_CODE:-}: ${HEADROOM_REASON:-}" >> "${FLEET_LOG:-fleet.log}" ;;
*)
  echo "usage: fleet.sh read | fleet.sh scale N" >&2; exit 2 ;;
esac
