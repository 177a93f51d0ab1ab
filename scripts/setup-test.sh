#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine, then the npm packages.
# The independent judges (fitsverify, CFITSIO, astropy), the real SMTP client (swaks) and the other servers the
# tests talk to come from Debian, with bsdtar (a second tar reader) and chromium (the distribution index.html test);
# tests fail loudly, never skip, when one is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(fitsverify libcfitsio-bin libcfitsio-dev python3-astropy python3-numpy swaks coreutils tar libarchive-tools curl openssl chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-test: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
# npm may skip install scripts of native addons it has not been told to trust: prove they load.
node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get(); require('zeromq'); console.log('setup-test: native modules load')"
