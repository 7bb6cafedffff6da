# Sourced by .ci/run: axe-core, the npm package the accessibility tests
# (statuspage's TestAccessibility, through internal/browsertest.OpenAxe)
# inject into headless Chromium. Installs Debian's nodejs and npm when
# missing, then the locked axe-core into internal/browsertest/axe/node_modules
# (npm ci: the version of package-lock.json, nothing else, no scripts).

if ! command -v npm >/dev/null 2>&1; then
  echo "installing Debian's nodejs and npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
(cd internal/browsertest/axe && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
