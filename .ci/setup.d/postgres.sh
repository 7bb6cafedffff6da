# Sourced by .ci/run: PostgreSQL for store/postgres and internal/pgtest.
# The tests start their own server with Debian's binaries
# (/usr/lib/postgresql/<version>/bin/{initdb,postgres}, found there by
# internal/pgtest), so this only installs the package when they are
# missing; it exports nothing. Set HEADROOM_TEST_POSTGRES to an existing
# server's URL to run the store tests there instead.

pg_have_binaries() {
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    return 0
  fi
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      return 0
    fi
  done
  return 1
}

if ! pg_have_binaries; then
  echo "installing Debian's postgresql"
  # The tests start their own server: keep apt from starting the packaged
  # cluster. .ci/run may have put a policy-rc.d in place already (and will
  # remove it); otherwise put one for the install only. Exiting 101 means
  # "action forbidden".
  pg_policy_rc=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    pg_policy_rc=/usr/sbin/policy-rc.d
  fi
  pg_status=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } || pg_status=$?
  [ -z "$pg_policy_rc" ] || rm -f "$pg_policy_rc"
  if [ "$pg_status" != 0 ]; then
    echo "apt-get install postgresql failed ($pg_status)" >&2
    return "$pg_status"
  fi
  if ! pg_have_binaries; then
    echo "postgresql installed, but no initdb and postgres in /usr/lib/postgresql/*/bin" >&2
    return 1
  fi
  unset pg_policy_rc pg_status
fi
unset -f pg_have_binaries
