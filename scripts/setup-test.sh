#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine, then the npm packages, then proves that
# every judge the tests call can do its job (not only that its package is present).
# The independent judges (fitsverify, CFITSIO, astropy), the real SMTP client (swaks, with TLS from Net::SSLeay and
# IO::Socket::SSL) and the other programs the tests talk to come from Debian, with bsdtar (a second tar reader),
# chromium (the distribution index.html test), pytest (the Python client's tests) and PostgreSQL (the tests of the
# PostgreSQL catalog start a throw-away cluster with its initdb and pg_ctl, as the postgres system user). Tests fail loudly, never skip,
# when one is missing; this script stops earlier, with one line naming the package to install.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  fitsverify libcfitsio-bin libcfitsio-dev python3-astropy python3-numpy python3-pytest python3-pip python3-setuptools
  swaks libnet-ssleay-perl libio-socket-ssl-perl
  coreutils tar libarchive-tools curl openssl chromium postgresql
)
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

# Each judge must work, not merely be installed. A failure prints one line naming the package, then the script stops.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
check() { # check "<what the tests need>" "<Debian package, or a fix starting with 'run'>" command...
  local what=$1 fix=$2
  shift 2
  [[ $fix == run* ]] || fix="install or repair the Debian package $fix: apt-get install --reinstall $fix"
  if ! "$@" >"$work/out" 2>&1; then
    echo "setup-test: FAILED: $what — $fix" >&2
    sed 's/^/setup-test:   | /' "$work/out" | tail -n 5 >&2
    failed=1
  fi
}

# A tiny valid FITS file: a primary header with no data, padded to one 2880-byte block.
{ printf '%-80s' 'SIMPLE  =                    T' 'BITPIX  =                    8' 'NAXIS   =                    0' 'END'
  printf '%*s' $((2880 - 4 * 80)) ''; } >"$work/tiny.fits"

check "fitsverify verifies a valid FITS file" fitsverify fitsverify -q "$work/tiny.fits"
check "CFITSIO headers for the cfitsio judge" libcfitsio-dev test -f /usr/include/fitsio.h
check "/usr/bin/python3 imports astropy" python3-astropy /usr/bin/python3 -c 'import astropy.io.fits'
check "/usr/bin/python3 imports numpy" python3-numpy /usr/bin/python3 -c 'import numpy'
check "/usr/bin/python3 runs pytest" python3-pytest /usr/bin/python3 -m pytest --version
# Two runs: on Debian's Python 3.11 `import pip, setuptools` in one process trips setuptools' distutils shim.
check "/usr/bin/python3 runs pip (the Python client installs from its path)" python3-pip /usr/bin/python3 -m pip --version
check "/usr/bin/python3 has setuptools (pip builds the Python client with it)" python3-setuptools /usr/bin/python3 -c 'import setuptools'
check "swaks runs" swaks swaks --version
check "Perl loads Net::SSLeay (swaks TLS)" libnet-ssleay-perl perl -MNet::SSLeay -e1
check "Perl loads IO::Socket::SSL (swaks TLS)" libio-socket-ssl-perl perl -MIO::Socket::SSL -e1
check "swaks supports TLS (STARTTLS tests)" "libnet-ssleay-perl libio-socket-ssl-perl" bash -c "swaks --support 2>&1 | grep -q '^=== TLS supported'"
check "GNU tar runs" tar tar --version
check "bsdtar runs" libarchive-tools bsdtar --version
check "curl runs (README's curl examples)" curl curl --version
check "openssl makes a test certificate" openssl \
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj /CN=127.0.0.1
check "chromium starts headless" chromium \
  timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank
check "PostgreSQL's initdb is under /usr/lib/postgresql/*/bin" postgresql bash -c 'ls /usr/lib/postgresql/*/bin/initdb'
check "the postgres system user exists (PostgreSQL refuses to run as root)" postgresql id -u postgres
# npm may skip install scripts of native addons it has not been told to trust: prove they load.
check "the native npm module better-sqlite3 loads (npm ci ran its install script)" "run npm rebuild better-sqlite3 (it needs build-essential and python3 when no prebuilt binary fits)" \
  node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
check "the native npm module zeromq loads (an optional peer, a dev dependency here)" "run npm rebuild zeromq (it needs build-essential and cmake when no prebuilt binary fits)" \
  node -e "require('zeromq')"

if [ "$failed" -ne 0 ]; then
  echo "setup-test: some judges cannot do their job (lines above); the tests would fail" >&2
  exit 1
fi
echo "setup-test: every judge works (fitsverify, astropy, numpy, pytest, swaks with TLS, tar, bsdtar, curl, openssl, chromium, PostgreSQL, native modules)"
