#!/bin/sh
# Installs everything mod_sipsso needs to build, test and run, from Debian 12
# packages.  Idempotent and quick when all is already there.
set -eu

PKGS="make gcc pkg-config openssl apache2 apache2-dev liblasso3-dev libxmlsec1-dev
libssl-dev libxml2-dev python3-pytest python3-requests python3-lxml python3-xmlsec
python3-lasso python3-selenium xmlsec1 memcached redis-server wrk chromium
chromium-driver libnss3-tools clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing packages:$missing (run as root)" >&2
        exit 1
    fi
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian starts these services on install; the project starts its own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    rm -f /usr/sbin/policy-rc.d
fi
echo "install-deps: all packages present"
