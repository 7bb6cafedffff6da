# Sourced by .ci/run (set -euo pipefail is on): builds mailpit, the SMTP
# server internal/mailtest runs, from the Go module proxy, or reuses the one
# in the cache, and exports where it is.
mailpit_line=$(bash hack/build-mailpit.sh | tail -n 1)
case "$mailpit_line" in
  HEADROOM_MAILPIT=*) export "$mailpit_line" ;;
  *) echo "hack/build-mailpit.sh printed no HEADROOM_MAILPIT= line" >&2; exit 1 ;;
esac
unset mailpit_line
echo "mailpit: $HEADROOM_MAILPIT"
